package dev.gingham.dataplane.flow;

import dev.gingham.dataplane.policy.Direction;
import dev.gingham.packet.BufferPool;
import dev.gingham.packet.DropReason;
import dev.gingham.packet.FrameVector;
import dev.gingham.packet.PacketBuilder;
import dev.gingham.packet.Parser;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The hub as the only consumer of the rings: every subscriber sees every event it asks for. */
class FlowHubTest {
    private final BufferPool pool = BufferPool.allocate(4, BufferPool.DEFAULT_BUFFER_SIZE);
    private final FrameVector v = new FrameVector(pool);
    private final FlowRing ring0 = new FlowRing(16);
    private final FlowRing ring1 = new FlowRing(16);
    private final FlowHub hub = new FlowHub(List.of(ring0, ring1), FlowNames.NONE, "n", Duration.ofMillis(1));
    private final int frame;

    FlowHubTest() {
        frame = PacketBuilder.load(v, 0, PacketBuilder.udp4("10.0.0.1", 1000, "10.0.0.2", 53).build());
        new Parser().parse(v, frame);
    }

    @AfterEach
    void tearDown() {
        hub.close();
        ring0.close();
        ring1.close();
        v.releaseAll();
        pool.close();
    }

    private void write(FlowRing ring, DropReason reason, long timeNs) {
        new FlowEvents(ring, FlowFilter.ALL).report(v, frame, FlowFilter.DROPS, FlowRecord.TYPE_DROP, FlowRecord.VERDICT_DROPPED,
                reason.code(), Direction.EGRESS, 0, 0, timeNs);
    }

    @Test
    void shouldHandEveryEventToEverySubscriberWhoseFilterAcceptsIt() {
        List<Long> all = new ArrayList<>();
        List<Long> policyOnly = new ArrayList<>();
        hub.subscribe(e -> true, events -> events.forEach(e -> all.add(e.timeNs())));
        hub.subscribe(e -> e.dropCode() == DropReason.POLICY.code(), events -> events.forEach(e -> policyOnly.add(e.timeNs())));
        write(ring0, DropReason.POLICY, 1);
        write(ring1, DropReason.INVALID_SOURCE_IP, 2);
        write(ring0, DropReason.POLICY, 3);

        assertEquals(3, hub.pollOnce());

        assertEquals(List.of(1L, 3L, 2L), all, "ring by ring, each in order");
        assertEquals(List.of(1L, 3L), policyOnly);
        assertEquals(5, hub.delivered());
        assertEquals(0, hub.pollOnce(), "drained: nothing is delivered twice");
    }

    @Test
    void shouldSkipEventsWhileNobodySubscribesSoTheRingsNeverFill() {
        for (int k = 0; k < 40; k++) {
            write(ring0, DropReason.POLICY, k);
            if (k % 10 == 9) {
                hub.pollOnce();
            }
        }
        assertEquals(40, hub.skipped());
        assertEquals(0, hub.overflows(), "16-record ring, drained every 10 events");

        List<Long> live = new ArrayList<>();
        hub.subscribe(e -> true, events -> events.forEach(e -> live.add(e.timeNs())));
        write(ring0, DropReason.POLICY, 99);
        hub.pollOnce();
        assertEquals(List.of(99L), live, "a new subscriber sees only events from then on");
    }

    @Test
    void shouldDropASubscriberThatThrowsAndKeepServingTheOthers() {
        List<Long> good = new ArrayList<>();
        hub.subscribe(e -> true, events -> {
            throw new IllegalStateException("broken client");
        });
        hub.subscribe(e -> true, events -> events.forEach(e -> good.add(e.timeNs())));
        write(ring0, DropReason.POLICY, 7);

        hub.pollOnce();

        assertEquals(List.of(7L), good);
        assertEquals(1, hub.subscribers());
    }

    @Test
    void shouldDeliverFromItsOwnThreadOnceStarted() throws InterruptedException {
        List<Long> got = new java.util.concurrent.CopyOnWriteArrayList<>();
        FlowHub.Subscription s = hub.subscribe(e -> true, events -> events.forEach(e -> got.add(e.timeNs())));
        hub.start();
        write(ring1, DropReason.POLICY, 5);
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (got.isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertEquals(List.of(5L), got);
        s.close();
        assertTrue(hub.subscribers() == 0);
    }
}
