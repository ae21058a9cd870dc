package dev.gingham.dataplane.flow;

import dev.gingham.dataplane.policy.Direction;
import dev.gingham.packet.BufferPool;
import dev.gingham.packet.DropReason;
import dev.gingham.packet.FrameVector;
import dev.gingham.packet.PacketBuilder;
import dev.gingham.packet.Parser;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FlowRingTest {
    private final BufferPool pool = BufferPool.allocate(4, BufferPool.DEFAULT_BUFFER_SIZE);
    private final FrameVector v = new FrameVector(pool);
    private final int frame;

    FlowRingTest() {
        frame = PacketBuilder.load(v, 3, PacketBuilder.tcp6("fd00::1", 43210, "fd00::2", 8443).build());
        new Parser().parse(v, frame);
        v.srcIdentity(frame, 300);
        v.dstIdentity(frame, 1 << 24 | 5);
    }

    @AfterEach
    void tearDown() {
        v.releaseAll();
    }

    private static boolean drop(FlowEvents events, FrameVector v, int i, long nowNs) {
        return events.report(v, i, FlowFilter.DROPS, FlowRecord.TYPE_DROP, FlowRecord.VERDICT_DROPPED,
                DropReason.POLICY.code(), Direction.INGRESS, 1, 42, nowNs);
    }

    @Test
    void shouldCountOverflowAndNeverBlockWhenTheRingIsFull() {
        try (FlowRing ring = new FlowRing(4)) {
            FlowEvents events = new FlowEvents(ring, FlowFilter.ALL);
            int written = 0;
            for (int k = 0; k < 6; k++) {
                written += drop(events, v, frame, k) ? 1 : 0;
            }
            assertEquals(4, written);
            assertEquals(2, ring.overflows());
            List<FlowEvent> out = new ArrayList<>();
            new FlowReader(List.of(ring), FlowNames.NONE, "n").poll(out::add, 100);
            assertEquals(List.of(0L, 1L, 2L, 3L), out.stream().map(FlowEvent::timeNs).toList(), "the oldest four, in order");
            assertTrue(drop(events, v, frame, 9), "drained slots are writable again");
        }
    }

    @Test
    void shouldDecodeEveryFieldExactlyWhenRead() {
        try (FlowRing ring = new FlowRing(8)) {
            FlowEvents events = new FlowEvents(ring, FlowFilter.ALL);
            assertTrue(drop(events, v, frame, 123_456_789L));
            long at = 384; // first record
            assertEquals(43210, Short.toUnsignedInt(ring.segment().get(ValueLayout.JAVA_SHORT_UNALIGNED, at + FlowRecord.SRC_PORT)));
            List<FlowEvent> out = new ArrayList<>();
            new FlowReader(List.of(ring), FlowNames.NONE, "node-7").poll(out::add, 100);
            FlowEvent e = out.get(0);
            assertEquals(new FlowEvent(123_456_789L, "node-7", "drop", "DROPPED", 133, "POLICY", "ingress", 6,
                    new FlowEvent.Peer("fd00::1", 43210, 300, "", "", ""),
                    new FlowEvent.Peer("fd00::2", 8443, 1 << 24 | 5, "", "", ""), "", 1), e);
        }
    }

    @Test
    void shouldWriteOneInNWhenSampling() {
        try (FlowRing ring = new FlowRing(64)) {
            FlowEvents events = new FlowEvents(ring, FlowFilter.ALL.sampled(3));
            for (int k = 0; k < 9; k++) {
                drop(events, v, frame, k);
            }
            assertEquals(3, ring.written());
            assertEquals(6, events.sampledOut());
        }
    }

    @Test
    void shouldSkipEventsWhenTheFilterRejectsThem() {
        try (FlowRing ring = new FlowRing(64)) {
            FlowEvents events = new FlowEvents(ring, FlowFilter.NONE);
            assertFalse(drop(events, v, frame, 1));
            events.filter(FlowFilter.DROPS_ONLY);
            assertFalse(events.report(v, frame, FlowFilter.POLICY_ALLOWED, FlowRecord.TYPE_POLICY_VERDICT,
                    FlowRecord.VERDICT_FORWARDED, 0, Direction.EGRESS, 0, 1, 2), "drops only: no allow verdicts");
            assertTrue(drop(events, v, frame, 3));
            events.filter(FlowFilter.ALL.involving(999));
            assertFalse(drop(events, v, frame, 4), "neither identity is 999");
            events.filter(FlowFilter.ALL.involving(300));
            assertTrue(drop(events, v, frame, 5));
            assertEquals(2, ring.written());
            assertThrows(IllegalArgumentException.class, () -> new FlowFilter(FlowFilter.DROPS, 0, 0));
        }
    }

    @Test
    void shouldDeliverInOrderWithoutLossWhenProducerAndConsumerRunTogether() throws Exception {
        try (FlowRing ring = new FlowRing(256)) {
            FlowEvents events = new FlowEvents(ring, FlowFilter.ALL);
            int total = 200_000;
            Thread producer = new Thread(() -> {
                for (int k = 0; k < total; k++) {
                    while (!drop(events, v, frame, k)) {
                        Thread.onSpinWait(); // test only: a worker would move on and count the overflow
                    }
                }
            });
            producer.start();
            long[] expected = {0};
            long[] mismatches = {0};
            FlowReader reader = new FlowReader(List.of(ring), FlowNames.NONE, "n");
            while (expected[0] < total) {
                reader.poll(e -> {
                    if (e.timeNs() != expected[0]++ || e.source().port() != 43210) {
                        mismatches[0]++;
                    }
                }, 64);
            }
            producer.join();
            assertEquals(0, mismatches[0]);
            assertEquals(total, ring.written());
        }
    }
}
