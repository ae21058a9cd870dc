package dev.gingham.dataplane.replay;

import dev.gingham.packet.BufferPool;
import dev.gingham.packet.FrameVector;
import dev.gingham.packet.PacketBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Reading a capture into vectors, and writing frames out, allocates nothing per frame, in both formats. */
class ReplayAllocationTest {
    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    private static final int FRAMES = 20_000;

    @TempDir
    Path dir;

    private long allocatedWhileReading(Path file) throws IOException {
        long thread = Thread.currentThread().threadId();
        long allocated = Long.MAX_VALUE;
        try (BufferPool pool = BufferPool.allocate(FrameVector.MAX_FRAMES, BufferPool.DEFAULT_BUFFER_SIZE)) {
            FrameVector vector = new FrameVector(pool);
            for (int round = 0; round < 5; round++) {
                try (CaptureFeed feed = new CaptureFeed(CaptureReader.open(file), (index, name) -> index + 1)) {
                    feed.fill(vector); // the first frames of an interface resolve its port: not per frame
                    vector.releaseAll();
                    long before = THREADS.getThreadAllocatedBytes(thread);
                    long frames = 0;
                    while (!feed.finished()) {
                        frames += feed.fill(vector);
                        vector.releaseAll();
                    }
                    allocated = Math.min(allocated, THREADS.getThreadAllocatedBytes(thread) - before);
                    assertEquals(FRAMES - FrameVector.MAX_FRAMES, frames);
                }
            }
        }
        return allocated;
    }

    @Test
    void shouldAllocateNothingPerFrameWhenWritingAndReadingEitherFormat() throws IOException {
        byte[] frame = PacketBuilder.udp4("10.0.0.1", 1, "10.0.0.2", 2).payload(100).build();
        Path pcap = dir.resolve("a.pcap");
        Path pcapng = dir.resolve("a.pcapng");
        long thread = Thread.currentThread().threadId();
        try (BufferPool pool = BufferPool.allocate(1, BufferPool.DEFAULT_BUFFER_SIZE);
             PcapWriter pcapWriter = PcapWriter.create(pcap);
             PcapngWriter pcapngWriter = PcapngWriter.create(pcapng, List.of("pod-a", "pod-b"))) {
            FrameVector vector = new FrameVector(pool);
            int i = PacketBuilder.load(vector, 1, frame);
            long written = Long.MAX_VALUE;
            for (int round = 0; round < 5; round++) { // the first rounds warm up (and size the capture)
                long before = THREADS.getThreadAllocatedBytes(thread);
                for (int n = round * FRAMES / 5; n < (round + 1) * FRAMES / 5; n++) {
                    pcapWriter.write(vector, i, n);
                    pcapngWriter.write(n & 1, vector, i, n);
                }
                written = Math.min(written, THREADS.getThreadAllocatedBytes(thread) - before);
            }
            assertTrue(written < 1024, "writers allocated " + written + " bytes for " + 2 * FRAMES / 5 + " frames");
            vector.releaseAll();
        }
        long pcapBytes = allocatedWhileReading(pcap);
        long pcapngBytes = allocatedWhileReading(pcapng);
        assertTrue(pcapBytes < 1024, "pcap reading allocated " + pcapBytes + " bytes for " + FRAMES + " frames");
        assertTrue(pcapngBytes < 1024, "pcapng reading allocated " + pcapngBytes + " bytes for " + FRAMES + " frames");
    }
}
