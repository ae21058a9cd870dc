package dev.gingham.tap;

import dev.gingham.packet.BufferPool;
import dev.gingham.packet.FrameVector;
import dev.gingham.packet.PacketBuilder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Which segments {@link TcpCoalescer} merges into one TCP GSO frame, checked against golden frames:
 * the merged frame must be byte for byte the frame a sender would have handed over as one TSO
 * frame (first segment's headers, all payloads, IP length and checksum rewritten, the partial TCP
 * checksum of the whole), and anything that does not continue the run stops it untouched.
 */
class TcpCoalescerTest {
    private static final int MSS = 1000;
    private static final long SEQ = 0x1000_0000L;
    private final BufferPool pool = BufferPool.allocate(16, BufferPool.TSO_BUFFER_SIZE);
    private final FrameVector v = new FrameVector(pool);

    @AfterEach
    void tearDown() {
        v.releaseAll();
        pool.close();
    }

    @Test
    void shouldMergeInOrderSegmentsOfOneFlowIntoOneGsoFrameWhenTheyContinueEachOther() {
        byte[] payload = payload(3 * MSS + 500);
        int[] frames = {
                load(segment(0, MSS, payload, PacketBuilder.ACK).timestamps(7, 9)),
                load(segment(MSS, MSS, payload, PacketBuilder.ACK).timestamps(7, 9)),
                load(segment(2 * MSS, MSS, payload, PacketBuilder.ACK).timestamps(7, 9)),
                load(segment(3 * MSS, 500, payload, PacketBuilder.ACK | PacketBuilder.PSH).timestamps(7, 9))};

        assertEquals(3, TcpCoalescer.merge(v, frames, 0, 4));

        byte[] golden = flow().seq(SEQ).flags(PacketBuilder.ACK | PacketBuilder.PSH).timestamps(7, 9).payload(payload)
                .checksumPartial().build();
        assertArrayEquals(golden, PacketBuilder.bytesOf(v, frames[0]), "the merged frame is the TSO frame the sender would have sent");
        assertTrue(v.hasFlag(frames[0], FrameVector.FLAG_GSO) && v.hasFlag(frames[0], FrameVector.FLAG_CSUM_PARTIAL));
        assertEquals(FrameVector.GSO_TCPV4, v.gsoType(frames[0]));
        assertEquals(MSS, v.gsoSize(frames[0]), "segments of the first one's size when the kernel cuts it again");
        assertEquals(34, v.csumStart(frames[0]));
        assertEquals(16, v.csumOffset(frames[0]));
    }

    @Test
    void shouldStopAtTheFirstSegmentThatDoesNotContinueTheRun() {
        byte[] payload = payload(4 * MSS);
        int[] gap = {load(segment(0, MSS, payload, PacketBuilder.ACK)), load(segment(2 * MSS, MSS, payload, PacketBuilder.ACK))};
        assertNotMerged(gap, "a sequence gap (a lost or reordered segment)");

        int[] otherFlow = {load(segment(0, MSS, payload, PacketBuilder.ACK)),
                load(PacketBuilder.tcp4("10.244.1.2", 40001, "10.244.2.2", 5201).srcMac("02:00:00:00:00:01").dstMac("0a:00:00:00:00:06")
                        .ack(0x2000_0000L).window(501).ipId(77).dontFragment().seq(SEQ + MSS).payload(Arrays.copyOfRange(payload, MSS, 2 * MSS)))};
        assertNotMerged(otherFlow, "another source port");

        int[] options = {load(segment(0, MSS, payload, PacketBuilder.ACK).timestamps(7, 9)),
                load(segment(MSS, MSS, payload, PacketBuilder.ACK).timestamps(8, 9))};
        assertNotMerged(options, "a different timestamp option");

        int[] larger = {load(segment(0, 500, payload, PacketBuilder.ACK)), load(segment(500, MSS, payload, PacketBuilder.ACK))};
        assertNotMerged(larger, "a segment longer than the first (the first's size is the GSO size)");

        int[] pushed = {load(segment(0, MSS, payload, PacketBuilder.ACK | PacketBuilder.PSH)), load(segment(MSS, MSS, payload, PacketBuilder.ACK))};
        assertNotMerged(pushed, "PSH on the first segment ends the run there");

        int[] fin = {load(segment(0, MSS, payload, PacketBuilder.ACK)), load(segment(MSS, MSS, payload, PacketBuilder.ACK | PacketBuilder.FIN))};
        assertNotMerged(fin, "FIN");
    }

    @Test
    void shouldMergeSegmentsWithCorrectCompleteChecksumsAndStopAtOneWhoseChecksumIsWrong() {
        byte[] payload = payload(3 * MSS);
        int first = PacketBuilder.load(v, 0, segment(0, MSS, payload, PacketBuilder.ACK).build());
        int second = PacketBuilder.load(v, 0, segment(MSS, MSS, payload, PacketBuilder.ACK).build());
        byte[] corrupted = segment(2 * MSS, MSS, payload, PacketBuilder.ACK).build();
        corrupted[corrupted.length - 1] ^= 0x01; // one payload bit flipped on the wire
        int third = PacketBuilder.load(v, 0, corrupted);

        assertEquals(1, TcpCoalescer.merge(v, new int[]{first, second, third}, 0, 3), "the corrupted segment is not merged");
        byte[] golden = flow().seq(SEQ).flags(PacketBuilder.ACK).payload(Arrays.copyOfRange(payload, 0, 2 * MSS)).checksumPartial().build();
        assertArrayEquals(golden, PacketBuilder.bytesOf(v, first));
        assertTrue(v.hasFlag(first, FrameVector.FLAG_GSO) && v.hasFlag(first, FrameVector.FLAG_CSUM_PARTIAL),
                "the merged frame's checksum field holds the pseudo-header sum: it must be declared partial");
        assertArrayEquals(corrupted, PacketBuilder.bytesOf(v, third), "the corrupted segment goes on as it came");
    }

    @Test
    void shouldNotGrowTheFramePastTheLargestIpPacket() {
        int segments = 70; // 70 x 1000 payload bytes would exceed 65,535 bytes of IP packet
        BufferPool big = BufferPool.allocate(segments, BufferPool.TSO_BUFFER_SIZE);
        FrameVector vector = new FrameVector(big);
        try {
            byte[] payload = payload(segments * MSS);
            int[] frames = new int[segments];
            for (int k = 0; k < segments; k++) {
                byte[] frame = segment(k * MSS, MSS, payload, PacketBuilder.ACK).build();
                frames[k] = PacketBuilder.load(vector, 0, frame);
                vector.addFlags(frames[k], FrameVector.FLAG_CSUM_PARTIAL);
                vector.offload(frames[k], 0, 0, 34, 16);
            }
            int merged = TcpCoalescer.merge(vector, frames, 0, segments);
            assertEquals((65535 - 40) / MSS - 1, merged, "as many whole segments as fit in one IP packet");
            assertTrue(vector.length(frames[0]) - 14 <= 65535);
        } finally {
            vector.releaseAll();
            big.close();
        }
    }

    @Test
    void shouldAllocateNothingWhenMergingRunsOverAndOver() {
        var threads = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        org.junit.jupiter.api.Assumptions.assumeTrue(threads.isThreadAllocatedMemorySupported() && threads.isThreadAllocatedMemoryEnabled(),
                "this JVM cannot count per-thread allocation");
        byte[] payload = payload(4 * MSS);
        byte[][] segments = new byte[4][];
        int[] frames = new int[4];
        for (int k = 0; k < 4; k++) {
            segments[k] = segment(k * MSS, MSS, payload, PacketBuilder.ACK).build(); // complete checksums: the verifying path
            frames[k] = PacketBuilder.load(v, 0, segments[k]);
        }
        int iterations = 20_000;
        assertEquals(3L * iterations, mergeRepeatedly(segments, frames, iterations), "every run merged whole");
        java.util.List<Long> rounds = new java.util.ArrayList<>();
        long allocated = Long.MAX_VALUE;
        // steady state is the property: one round at ~0 bytes (an object per merge would be >= 16 B each, every round)
        for (int round = 0; round < 5 && allocated >= iterations; round++) {
            long before = threads.getCurrentThreadAllocatedBytes();
            mergeRepeatedly(segments, frames, iterations);
            allocated = threads.getCurrentThreadAllocatedBytes() - before;
            rounds.add(allocated);
        }
        assertTrue(allocated < iterations, "bytes allocated per round of " + iterations + " merges: " + rounds);
    }

    /** Restores the four segments into their buffers and merges them, {@code iterations} times. Returns: frames merged. */
    private long mergeRepeatedly(byte[][] segments, int[] frames, int iterations) {
        long merged = 0;
        for (int n = 0; n < iterations; n++) {
            for (int k = 0; k < segments.length; k++) {
                java.lang.foreign.MemorySegment.copy(segments[k], 0, v.segment(), java.lang.foreign.ValueLayout.JAVA_BYTE,
                        v.start(frames[k]), segments[k].length);
                v.length(frames[k], segments[k].length);
                v.flags(frames[k], 0);
            }
            merged += TcpCoalescer.merge(v, frames, 0, frames.length);
        }
        return merged;
    }

    private void assertNotMerged(int[] frames, String why) {
        byte[] before = PacketBuilder.bytesOf(v, frames[0]);
        assertEquals(0, TcpCoalescer.merge(v, frames, 0, frames.length), why);
        assertArrayEquals(before, PacketBuilder.bytesOf(v, frames[0]), why + ": the first frame is untouched");
        assertFalse(v.hasFlag(frames[0], FrameVector.FLAG_GSO), why);
        v.releaseAll();
    }

    /** Loads a partial-checksum segment as a vnet-header TAP or the underlay hands one over. */
    private int load(PacketBuilder builder) {
        int i = PacketBuilder.load(v, 0, builder.checksumPartial().build());
        v.addFlags(i, FrameVector.FLAG_CSUM_PARTIAL);
        v.offload(i, 0, 0, 34, 16);
        return i;
    }

    private static PacketBuilder segment(int offset, int bytes, byte[] payload, int flags) {
        return flow().seq(SEQ + offset).flags(flags).payload(Arrays.copyOfRange(payload, offset, offset + bytes));
    }

    private static PacketBuilder flow() {
        return PacketBuilder.tcp4("10.244.1.2", 40000, "10.244.2.2", 5201).srcMac("02:00:00:00:00:01").dstMac("0a:00:00:00:00:06")
                .ack(0x2000_0000L).window(501).ipId(77).dontFragment();
    }

    private static byte[] payload(int bytes) {
        byte[] payload = new byte[bytes];
        for (int k = 0; k < bytes; k++) {
            payload[k] = (byte) (k * 31 + 7);
        }
        return payload;
    }
}
