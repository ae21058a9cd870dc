package dev.gingham.dataplane.fuzz;

import dev.gingham.packet.BufferPool;
import dev.gingham.packet.Cidr;
import dev.gingham.packet.FrameVector;
import dev.gingham.packet.Parser;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;

import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Generating, mutating, flooding and checking every invariant allocate nothing per frame (failures aside). */
class FuzzAllocationTest {
    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    @Test
    void shouldAllocateNothingPerFrameWhenFuzzingThroughTheHarness() {
        FrameFuzzer fuzzer = new FrameFuzzer(5, FuzzAddresses.defaults());
        FlowFlood flood = new FlowFlood(new FlowFlood.Spec(Cidr.parse("10.244.0.0/16"), Cidr.parse("10.96.0.0/24"), 80, 90,
                FlowFlood.UDP, 1, 2));
        Parser parser = new Parser();
        long thread = Thread.currentThread().threadId();
        long allocated = Long.MAX_VALUE;
        try (FuzzHarness harness = new FuzzHarness((vector, nowNs) -> parser.parseAll(vector));
             BufferPool pool = BufferPool.allocate(FrameVector.MAX_FRAMES, BufferPool.DEFAULT_BUFFER_SIZE)) {
            FrameVector vector = new FrameVector(pool);
            long index = 0;
            for (int round = 0; round < 10; round++) {
                long before = THREADS.getThreadAllocatedBytes(thread);
                for (int n = 0; n < 20; n++, index += FrameVector.MAX_FRAMES) {
                    assertNull(harness.run(fuzzer, index, FrameVector.MAX_FRAMES, 1, index));
                    assertNull(harness.run(flood, index, FrameVector.MAX_FRAMES, 1, index));
                    flood.fill(vector, index, FrameVector.MAX_FRAMES, 1);
                    vector.releaseAll();
                }
                allocated = Math.min(allocated, THREADS.getThreadAllocatedBytes(thread) - before);
            }
        }
        assertTrue(allocated < 1024, "fuzzing allocated " + allocated + " bytes for " + 60 * FrameVector.MAX_FRAMES + " frames");
    }
}
