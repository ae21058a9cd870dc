package dev.gingham.tap;

import dev.gingham.packet.BufferPool;
import dev.gingham.packet.DropReason;
import dev.gingham.packet.FrameVector;
import dev.gingham.packet.Netns;
import dev.gingham.packet.PacketBuilder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.foreign.ValueLayout;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Batched underlay queues (recvmmsg/sendmmsg) on a real veth pair inside a namespace this test
 * creates: a burst crosses in one send call, arrives byte for byte and in order in both
 * directions, a partial-checksum frame keeps its vnet-header marking across the pair, a frame the
 * kernel refuses in the middle of a burst is dropped alone with its reason, and the path allocates
 * nothing per frame. Root only (skipped with the reason otherwise).
 */
@Timeout(60)
class PacketSocketBatchTest {
    private static final int BURST = 32;
    private static final long ARRIVAL_TIMEOUT_NS = 2_000_000_000L;

    private final Netns netns = new Netns();
    private String ns;
    private BufferPool pool;
    private FrameVector tx;
    private FrameVector rx;

    @BeforeEach
    void setUp() {
        Netns.assumeAvailable();
        ns = netns.create("pbatch");
        Netns.must("ip", "-n", ns, "link", "add", "ula", "type", "veth", "peer", "name", "ulb");
        Netns.must("ip", "-n", ns, "link", "set", "ula", "up");
        Netns.must("ip", "-n", ns, "link", "set", "ulb", "up");
        pool = BufferPool.allocate(2 * FrameVector.MAX_FRAMES, BufferPool.DEFAULT_BUFFER_SIZE);
        tx = new FrameVector(pool);
        rx = new FrameVector(pool);
    }

    @AfterEach
    void tearDown() {
        netns.close();
        if (pool != null) {
            tx.releaseAll();
            rx.releaseAll();
            pool.close();
        }
    }

    @Test
    void shouldCarryABurstByteForByteInBothDirectionsWithOneSendCallWhenBatched() {
        try (PacketSocket a = open("ula"); PacketSocket b = open("ulb")) {
            assertTrue(a.queue(0).batched());
            crossBurst(a.queue(0), b.queue(0), "02:00:00:00:07:01", "02:00:00:00:07:02");
            crossBurst(b.queue(0), a.queue(0), "02:00:00:00:07:02", "02:00:00:00:07:01");
        }
    }

    @Test
    void shouldDropOnlyTheRefusedFrameWithItsReasonWhenTheKernelRejectsOneInTheMiddleOfABurst() {
        try (PacketSocket a = open("ula"); PacketSocket b = open("ulb")) {
            byte[] first = udp("02:00:00:00:07:01", "02:00:00:00:07:02", 1, 100);
            byte[] tooLong = udp("02:00:00:00:07:01", "02:00:00:00:07:02", 2, 1600); // beyond the veth's 1500-byte MTU, no GSO
            byte[] last = udp("02:00:00:00:07:01", "02:00:00:00:07:02", 3, 200);
            int[] frames = {PacketBuilder.load(tx, 0, first), PacketBuilder.load(tx, 0, tooLong), PacketBuilder.load(tx, 0, last)};

            assertEquals(2, a.queue(0).transmitBatch(tx, frames, 3));
            assertEquals(DropReason.TX_REJECTED.verdict(), tx.verdict(frames[1]));
            assertTrue(tx.verdict(frames[0]) >= 0 && tx.verdict(frames[2]) >= 0, "the frames around it keep their verdicts");
            assertEquals(1, a.queue(0).txErrorCount());
            assertEquals(90, a.queue(0).lastErrno(), "EMSGSIZE");

            List<byte[]> got = receive(b.queue(0), 2);
            assertArrayEquals(first, got.get(0));
            assertArrayEquals(last, got.get(1));
        }
    }

    @Test
    void shouldAllocateNothingPerFrameWhenSendingAndReceivingBursts() {
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        assumeTrue(threads.isThreadAllocatedMemorySupported() && threads.isThreadAllocatedMemoryEnabled(),
                "this JVM cannot count per-thread allocation");
        try (PacketSocket a = open("ula"); PacketSocket b = open("ulb")) {
            int[] frames = new int[BURST];
            for (int k = 0; k < BURST; k++) {
                frames[k] = PacketBuilder.load(tx, 0, udp("02:00:00:00:07:01", "02:00:00:00:07:02", k, 64 + k));
            }
            long frameCount = bursts(a.queue(0), b.queue(0), frames, 5_000);
            List<Long> rounds = new ArrayList<>();
            long allocated = Long.MAX_VALUE;
            int roundBursts = 5_000;
            // Steady state is the property (the JIT may not have compiled the path yet on a loaded machine):
            // up to 5 rounds, one at ~0 bytes; an object per frame would show in every round as >= 16 B/frame.
            for (int round = 0; round < 5 && allocated >= (long) roundBursts * BURST; round++) {
                long before = threads.getCurrentThreadAllocatedBytes();
                frameCount += bursts(a.queue(0), b.queue(0), frames, roundBursts);
                allocated = threads.getCurrentThreadAllocatedBytes() - before;
                rounds.add(allocated);
            }
            System.out.println("allocated bytes per round of " + roundBursts + " bursts of " + BURST + " frames: " + rounds
                    + "; send calls " + a.queue(0).txCallCount() + ", receive calls " + b.queue(0).rxCallCount()
                    + " for " + frameCount + " frames");
            assertEquals(a.queue(0).txFrameCount(), frameCount, "every frame sent was received");
            assertTrue(allocated < (long) roundBursts * BURST, "bytes allocated per round of " + roundBursts * BURST
                    + " frames: " + rounds + "; expected ~0 per frame in at least one round");
        }
    }

    /** Sends a burst of 32 frames (one with a partial UDP checksum) from {@code from} and checks what {@code to} reads. */
    private void crossBurst(TapQueue from, TapQueue to, String srcMac, String dstMac) {
        byte[][] expected = new byte[BURST][];
        int[] frames = new int[BURST];
        for (int k = 0; k < BURST; k++) {
            expected[k] = udp(srcMac, dstMac, k, 20 + 37 * k);
        }
        int partial = BURST / 2;
        int sum = pseudoHeaderSum(expected[partial]);
        expected[partial][40] = (byte) (sum >>> 8);
        expected[partial][41] = (byte) sum;
        for (int k = 0; k < BURST; k++) {
            frames[k] = PacketBuilder.load(tx, 0, expected[k]);
        }
        tx.addFlags(frames[partial], FrameVector.FLAG_CSUM_PARTIAL);
        tx.offload(frames[partial], 0, 0, 34, 6);
        long calls = from.txCallCount();

        assertEquals(BURST, from.transmitBatch(tx, frames, BURST));
        assertEquals(1, from.txCallCount() - calls, "one sendmmsg for the whole burst");
        tx.releaseAll();

        long receiveCalls = to.rxCallCount();
        List<Integer> indexes = new ArrayList<>();
        List<byte[]> got = receive(to, BURST, indexes);
        for (int k = 0; k < BURST; k++) {
            assertArrayEquals(expected[k], got.get(k), "frame " + k + " in order and byte for byte");
        }
        int p = indexes.get(partial);
        assertTrue(rx.hasFlag(p, FrameVector.FLAG_CSUM_PARTIAL), "the kernel keeps the partial checksum across the veth");
        assertEquals(34, rx.csumStart(p));
        assertEquals(6, rx.csumOffset(p));
        assertFalse(rx.hasFlag(indexes.get(0), FrameVector.FLAG_CSUM_PARTIAL));
        assertTrue(to.rxCallCount() - receiveCalls < BURST, "fewer receive calls than frames: " + (to.rxCallCount() - receiveCalls));
        rx.releaseAll();
    }

    /**
     * Sends {@code count} bursts of {@code frames} and reads each back before the next, in calls of
     * 50 bursts (a short method the JIT compiles whole, as it compiles a worker's duty cycle; one
     * long loop would run on-stack-replaced code, which here kept a 40-byte object per native call).
     * Returns: frames received.
     */
    private long bursts(TapQueue from, TapQueue to, int[] frames, int count) {
        long received = 0;
        for (int n = 0; n < count; n += 50) {
            long got = fiftyBursts(from, to, frames);
            received += got;
            if (got < 50L * frames.length) {
                break;
            }
        }
        return received;
    }

    private long fiftyBursts(TapQueue from, TapQueue to, int[] frames) {
        long received = 0;
        for (int n = 0; n < 50; n++) {
            if (from.transmitBatch(tx, frames, frames.length) != frames.length) {
                return received;
            }
            int got = 0;
            long deadline = System.nanoTime() + ARRIVAL_TIMEOUT_NS;
            while (got < frames.length && System.nanoTime() < deadline) {
                int read = to.receive(rx, 1, FrameVector.MAX_FRAMES);
                for (int i = 0; i < read; i++) {
                    if (!isIpv6(i)) {
                        got++;
                    }
                }
                rx.releaseAll();
            }
            received += got;
            if (got < frames.length) {
                return received;
            }
        }
        return received;
    }

    private List<byte[]> receive(TapQueue queue, int frames) {
        List<byte[]> got = receive(queue, frames, new ArrayList<>());
        rx.releaseAll();
        return got;
    }

    /** Returns: the next {@code frames} frames other than the kernel's own IPv6 chatter, their vector indexes into {@code indexes}. */
    private List<byte[]> receive(TapQueue queue, int frames, List<Integer> indexes) {
        List<byte[]> got = new ArrayList<>();
        long deadline = System.nanoTime() + ARRIVAL_TIMEOUT_NS;
        while (got.size() < frames && System.nanoTime() < deadline) {
            int before = rx.count();
            int read = queue.receive(rx, 1, FrameVector.MAX_FRAMES);
            for (int i = before; i < before + read; i++) {
                if (!isIpv6(i)) {
                    got.add(PacketBuilder.bytesOf(rx, i));
                    indexes.add(i);
                }
            }
        }
        assertEquals(frames, got.size(), "frames arrived within " + ARRIVAL_TIMEOUT_NS / 1_000_000 + " ms");
        return got;
    }

    /** The kernel sends IPv6 router solicitations of its own on a fresh veth: not the test's frames. */
    private boolean isIpv6(int i) {
        return rx.segment().get(ValueLayout.JAVA_SHORT_UNALIGNED, rx.start(i) + 12) == (short) 0xDD86;
    }

    private PacketSocket open(String device) {
        return NetworkNamespace.call(ns, () -> PacketSocket.open(device, 1, (int) ProcessHandle.current().pid(), true));
    }

    private static byte[] udp(String srcMac, String dstMac, int k, int payloadBytes) {
        return PacketBuilder.udp4("192.168.7.1", 40000 + k, "192.168.7.2", 8472).payload(payloadBytes)
                .srcMac(srcMac).dstMac(dstMac).build();
    }

    /** Returns: the folded (not complemented) IPv4 pseudo-header sum of a UDP frame: what a partial checksum field holds. */
    private static int pseudoHeaderSum(byte[] frame) {
        int l4Bytes = frame.length - 34;
        return PacketBuilder.referenceFold(PacketBuilder.referenceSum(frame, 26, 8) + 17 + l4Bytes);
    }
}
