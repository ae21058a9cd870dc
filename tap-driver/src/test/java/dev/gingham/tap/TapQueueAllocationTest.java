package dev.gingham.tap;

import dev.gingham.packet.BufferPool;
import dev.gingham.packet.FrameVector;
import dev.gingham.packet.PacketBuilder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.foreign.ValueLayout;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;

import static dev.gingham.tap.PodFixture.GATEWAY_MAC;
import static dev.gingham.tap.PodFixture.PEER_IP;
import static dev.gingham.tap.PodFixture.POD_IP;
import static dev.gingham.tap.PodFixture.POD_MAC;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The data path allocates nothing: echo requests written to the pod and its kernel's replies read
 * back, tens of thousands of times, measured with the JVM's per-thread allocation counter.
 */
@Timeout(120)
class TapQueueAllocationTest {
    private static final int WARMUP_ROUND_TRIPS = 30_000;
    private static final int MEASURED_ROUND_TRIPS = 50_000;
    private static final long ROUND_TRIP_TIMEOUT_NS = 1_000_000_000L;
    private static final int MAX_ROUNDS = 5;

    private PodFixture pod;
    private BufferPool rxPool;
    private FrameVector rx;

    @BeforeEach
    void setUp() {
        TapTesting.assumeKernelTapAvailable();
        pod = new PodFixture(TapConfig.of(TapTesting.uniqueName()));
        pod.addGatewayNeighbour();
        rxPool = BufferPool.allocate(FrameVector.MAX_FRAMES, BufferPool.TSO_BUFFER_SIZE);
        rx = new FrameVector(rxPool);
    }

    @AfterEach
    void tearDown() {
        if (rx != null) {
            rx.releaseAll();
            rxPool.close();
        }
        if (pod != null) {
            pod.close();
        }
    }

    @Test
    void shouldAllocateNothingPerFrameWhenTransmittingAndReceiving() {
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        assumeTrue(threads.isThreadAllocatedMemorySupported() && threads.isThreadAllocatedMemoryEnabled(),
                "this JVM cannot count per-thread allocation");
        TapQueue queue = pod.tap.queue(0);
        int request = PacketBuilder.load(pod.vector, 0,
                PacketBuilder.icmp4Echo(PEER_IP, POD_IP, 7, 1).srcMac(GATEWAY_MAC).dstMac(POD_MAC).payload(18).build());

        long replies = roundTrips(queue, request, WARMUP_ROUND_TRIPS);
        // Steady state is the property: on a loaded machine the JIT may not have compiled (and
        // escape-analysed) the path after the warm-up yet, so measure up to MAX_ROUNDS rounds and
        // require one round at ~0 bytes; an object per frame would show in every round (>= 16 B/frame).
        List<Long> rounds = new ArrayList<>();
        long allocated = Long.MAX_VALUE;
        for (int round = 0; round < MAX_ROUNDS && allocated >= MEASURED_ROUND_TRIPS; round++) {
            long before = threads.getCurrentThreadAllocatedBytes();
            replies += roundTrips(queue, request, MEASURED_ROUND_TRIPS);
            allocated = threads.getCurrentThreadAllocatedBytes() - before;
            rounds.add(allocated);
        }
        System.out.println("allocated bytes per round of " + MEASURED_ROUND_TRIPS + " round trips: " + rounds);

        long expected = WARMUP_ROUND_TRIPS + (long) rounds.size() * MEASURED_ROUND_TRIPS;
        assertEquals(expected, replies, "every request answered");
        assertEquals(expected, queue.txFrameCount());
        assertTrue(allocated < MEASURED_ROUND_TRIPS, "bytes allocated per round of " + MEASURED_ROUND_TRIPS
                + " round trips (each a transmit, receive calls until the reply, a release): " + rounds
                + "; expected ~0 per frame in at least one round");
    }

    /** Returns: echo replies received; each request waits for its reply (bounded). */
    private long roundTrips(TapQueue queue, int request, int count) {
        long replies = 0;
        for (int n = 0; n < count; n++) {
            if (queue.transmit(pod.vector, request) != TapQueue.SENT) {
                return replies;
            }
            long deadline = System.nanoTime() + ROUND_TRIP_TIMEOUT_NS;
            boolean answered = false;
            while (!answered && System.nanoTime() < deadline) {
                int got = queue.receive(rx, 1, FrameVector.MAX_FRAMES);
                for (int i = 0; i < got; i++) {
                    // an echo reply (ICMP type 0) to the peer; anything else (IPv6 chatter) is not counted
                    if (rx.length(i) > 34 && rx.segment().get(ValueLayout.JAVA_BYTE, rx.start(i) + 34) == 0
                            && rx.segment().get(ValueLayout.JAVA_BYTE, rx.start(i) + 23) == 1) {
                        answered = true;
                    }
                }
                rx.releaseAll();
            }
            if (!answered) {
                return replies;
            }
            replies++;
        }
        return replies;
    }
}
