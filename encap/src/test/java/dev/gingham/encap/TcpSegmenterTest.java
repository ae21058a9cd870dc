package dev.gingham.encap;

import dev.gingham.packet.BufferPool;
import dev.gingham.packet.DropReason;
import dev.gingham.packet.FrameVector;
import dev.gingham.packet.PacketBuilder;
import dev.gingham.packet.Parser;
import dev.gingham.packet.Verdict;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Arrays;
import java.util.function.IntFunction;

import static dev.gingham.packet.PacketBuilder.ACK;
import static dev.gingham.packet.PacketBuilder.CWR;
import static dev.gingham.packet.PacketBuilder.ECE;
import static dev.gingham.packet.PacketBuilder.FIN;
import static dev.gingham.packet.PacketBuilder.PSH;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Software segmentation of GSO frames as a pod's kernel hands them over a vnet-header TAP
 * (checksum partial, GSO type and size): every segment must be byte for byte the frame
 * {@link PacketBuilder} builds for it, its checksums computed by the builder's own reference sum.
 */
class TcpSegmenterTest {
    private static final String POD = "10.244.1.5";
    private static final String REMOTE = "10.244.2.7";
    private static final String POD6 = "fd00:10:244:1::5";
    private static final String REMOTE6 = "fd00:10:244:2::7";
    private static final int PORT = 3;

    private BufferPool pool = BufferPool.allocate(8, BufferPool.TSO_BUFFER_SIZE);
    private FrameVector vector = new FrameVector(pool);
    private final Parser parser = new Parser();
    private final TcpSegmenter segmenter = new TcpSegmenter();

    @AfterEach
    void tearDown() {
        vector.releaseAll();
        pool.close();
    }

    private void usePool(int buffers, int bufferBytes) {
        pool.close();
        pool = BufferPool.allocate(buffers, bufferBytes);
        vector = new FrameVector(pool);
    }

    /** Payload bytes that differ from PacketBuilder's 0, 1, 2... so a slice taken from the wrong place shows. */
    private static byte[] data(int n) {
        byte[] bytes = new byte[n];
        for (int k = 0; k < n; k++) {
            bytes[k] = (byte) (k * 7 + 3);
        }
        return bytes;
    }

    private static byte[] slice(byte[] data, int from, int to) {
        return Arrays.copyOfRange(data, from, to);
    }

    /** Loads the partial-checksum form of the frame, parses it and marks it as the TAP driver would. */
    private int loadGso(PacketBuilder builder, int gsoType, int gsoSize) {
        int i = PacketBuilder.load(vector, PORT, builder.checksumPartial().build());
        assertEquals(Verdict.CONTINUE, parser.parse(vector, i));
        PacketBuilder.markOffload(vector, i, gsoType, gsoSize);
        return i;
    }

    private void assertSegments(IntFunction<byte[]> expected, int segments) {
        assertEquals(segments, vector.count());
        for (int k = 0; k < segments; k++) {
            assertArrayEquals(expected.apply(k), PacketBuilder.bytesOf(vector, k), "segment " + k);
            assertEquals(Verdict.CONTINUE, vector.verdict(k), "segment " + k);
            assertTrue(vector.hasFlag(k, FrameVector.FLAG_L4), "segment " + k + " parsed");
            assertFalse(vector.hasFlag(k, FrameVector.FLAG_GSO | FrameVector.FLAG_CSUM_PARTIAL), "segment " + k + " is plain");
            assertEquals(PORT, vector.ingressPort(k));
        }
    }

    @Test
    void shouldCutTcpv4FrameIntoThreeSegmentsAsTheKernelDoesWhenTheLastIsShort() {
        byte[] payload = data(2500);
        long seq = 0xFFFF_FC00L; // the sequence number wraps in the second segment
        IntFunction<PacketBuilder> tcp = k -> PacketBuilder.tcp4(POD, 40000, REMOTE, 80).dontFragment().ipId(0xFFFE + k & 0xFFFF)
                .seq(seq + 1000L * k & 0xFFFF_FFFFL).ack(5).timestamps(11, 22);
        int i = loadGso(tcp.apply(0).flags(ACK | PSH).payload(payload), FrameVector.GSO_TCPV4, 1000);
        vector.mark(i, 0x55);
        vector.srcIdentity(i, 1234);
        vector.dstIdentity(i, 5678);

        assertEquals(2, segmenter.segment(vector, i));

        assertSegments(k -> tcp.apply(k).flags(k == 2 ? ACK | PSH : ACK)
                .payload(slice(payload, 1000 * k, Math.min(2500, 1000 * k + 1000))).build(), 3);
        for (int k = 0; k < 3; k++) {
            assertEquals(0x55, vector.mark(k));
            assertEquals(1234, vector.srcIdentity(k));
            assertEquals(5678, vector.dstIdentity(k));
        }
        assertEquals(1, segmenter.framesSegmentedCount());
        assertEquals(3, segmenter.segmentsCreatedCount());
    }

    @Test
    void shouldCutTcpv6FrameIntoFullSegmentsWhenPayloadIsAMultipleOfTheSize() {
        byte[] payload = data(3 * 1200);
        IntFunction<PacketBuilder> tcp = k -> PacketBuilder.tcp6(POD6, 40000, REMOTE6, 443).seq(1 + 1200L * k).ack(9);
        int i = loadGso(tcp.apply(0).payload(payload), FrameVector.GSO_TCPV6, 1200);

        assertEquals(2, segmenter.segment(vector, i));

        assertSegments(k -> tcp.apply(k).payload(slice(payload, 1200 * k, 1200 * k + 1200)).build(), 3);
    }

    @ParameterizedTest
    @ValueSource(ints = {0, FrameVector.GSO_ECN})
    void shouldKeepFinAndPshForTheLastAndCwrForTheFirstSegmentWithOrWithoutTheEcnBit(int ecnBit) {
        byte[] payload = data(300);
        IntFunction<PacketBuilder> tcp = k -> PacketBuilder.tcp4(POD, 40000, REMOTE, 80).ipId(7 + k).seq(100L * k);
        int i = loadGso(tcp.apply(0).flags(FIN | PSH | CWR | ECE | ACK).payload(payload), FrameVector.GSO_TCPV4 | ecnBit, 100);

        assertEquals(2, segmenter.segment(vector, i));

        int[] flags = {ACK | ECE | CWR, ACK | ECE, ACK | ECE | FIN | PSH};
        assertSegments(k -> tcp.apply(k).flags(flags[k]).payload(slice(payload, 100 * k, 100 * k + 100)).build(), 3);
    }

    @Test
    void shouldCarryTheVlanTagAndIpv4OptionsIntoEverySegment() {
        byte[] payload = data(150);
        byte[] routerAlert = {(byte) 0x94, 0x04, 0, 0};
        IntFunction<PacketBuilder> tcp = k -> PacketBuilder.tcp4(POD, 40000, REMOTE, 80).vlan(100).ipOptions(routerAlert)
                .ipId(40 + k).seq(64L * k);
        int i = loadGso(tcp.apply(0).payload(payload), FrameVector.GSO_TCPV4, 64);

        assertEquals(2, segmenter.segment(vector, i));

        assertSegments(k -> tcp.apply(k).payload(slice(payload, 64 * k, Math.min(150, 64 * k + 64))).build(), 3);
    }

    @Test
    void shouldCutUdpL4FrameIntoDatagramsWithTheirOwnLengths() {
        byte[] payload = data(2000);
        IntFunction<PacketBuilder> udp = k -> PacketBuilder.udp4(POD, 5000, REMOTE, 4433).ipId(300 + k);
        int i = loadGso(udp.apply(0).payload(payload), FrameVector.GSO_UDP_L4, 800);

        assertEquals(2, segmenter.segment(vector, i));

        assertSegments(k -> udp.apply(k).payload(slice(payload, 800 * k, Math.min(2000, 800 * k + 800))).build(), 3);
    }

    @Test
    void shouldKeepOneFrameWithAFinishedChecksumWhenThePayloadFitsOneSegment() {
        PacketBuilder tcp = PacketBuilder.tcp4(POD, 40000, REMOTE, 80).flags(ACK | PSH | FIN).payload(data(900));
        byte[] whole = tcp.build();
        int i = loadGso(tcp, FrameVector.GSO_TCPV4, 1448);

        assertEquals(0, segmenter.segment(vector, i));

        assertSegments(k -> whole, 1);
    }

    /** Asserts that the segmenter refused frame {@code i} with {@code reason} and changed nothing. */
    private void assertRefused(int i, DropReason reason) {
        byte[] before = PacketBuilder.bytesOf(vector, i);
        int count = vector.count();
        int flags = vector.flags(i);
        int available = pool.available();

        assertEquals(reason.verdict(), segmenter.segment(vector, i));

        assertArrayEquals(before, PacketBuilder.bytesOf(vector, i));
        assertEquals(count, vector.count());
        assertEquals(flags, vector.flags(i));
        assertEquals(available, pool.available());
        assertEquals(0, segmenter.framesSegmentedCount());
    }

    @Test
    void shouldRefuseMalformedRequestsWithoutChangingTheFrame() {
        PacketBuilder tcp4 = PacketBuilder.tcp4(POD, 40000, REMOTE, 80).payload(3000);
        assertRefused(loadGso(tcp4, FrameVector.GSO_TCPV4, 0), DropReason.GSO_MALFORMED);
        assertRefused(loadGso(tcp4, FrameVector.GSO_TCPV6, 1000), DropReason.GSO_MALFORMED);
        assertRefused(loadGso(PacketBuilder.tcp6(POD6, 40000, REMOTE6, 80).payload(3000), FrameVector.GSO_TCPV4, 1000),
                DropReason.GSO_MALFORMED);
        assertRefused(loadGso(PacketBuilder.udp4(POD, 5000, REMOTE, 53).payload(3000), FrameVector.GSO_TCPV4, 1000),
                DropReason.GSO_MALFORMED);
        assertRefused(loadGso(tcp4, FrameVector.GSO_UDP_L4, 1000), DropReason.GSO_MALFORMED);
        assertRefused(loadGso(tcp4, 2, 1000), DropReason.GSO_MALFORMED);
        assertRefused(loadGso(PacketBuilder.tcp4(POD, 40000, REMOTE, 80).moreFragments().payload(3004),
                FrameVector.GSO_TCPV4, 1000), DropReason.GSO_MALFORMED);
        int cut = loadGso(tcp4, FrameVector.GSO_TCPV4, 1000);
        vector.length(cut, 100); // metadata that points past the frame: the headers are not all in it
        assertRefused(cut, DropReason.GSO_MALFORMED);
    }

    @Test
    void shouldRefuseUdpFragmentationOffloadWithItsOwnReason() {
        assertRefused(loadGso(PacketBuilder.udp4(POD, 5000, REMOTE, 53).payload(3000), FrameVector.GSO_UDP, 1000),
                DropReason.GSO_UDP_UNSUPPORTED);
    }

    @Test
    void shouldRefuseWhenTheSegmentsDoNotFitTheVector() {
        assertRefused(loadGso(PacketBuilder.tcp4(POD, 40000, REMOTE, 80).payload(300), FrameVector.GSO_TCPV4, 1),
                DropReason.GSO_TOO_MANY_SEGMENTS);
        vector.releaseAll();

        usePool(FrameVector.MAX_FRAMES + 8, BufferPool.DEFAULT_BUFFER_SIZE);
        byte[] small = PacketBuilder.udp4(POD, 1, REMOTE, 2).build();
        for (int k = 0; k < FrameVector.MAX_FRAMES - 5; k++) {
            PacketBuilder.load(vector, PORT, small);
        }
        // 5 places left, 9 segments to append
        assertRefused(loadGso(PacketBuilder.tcp4(POD, 40000, REMOTE, 80).payload(1000), FrameVector.GSO_TCPV4, 100),
                DropReason.GSO_TOO_MANY_SEGMENTS);
    }

    @Test
    void shouldRefuseWhenThePoolCannotGiveABufferForEverySegment() {
        usePool(3, BufferPool.DEFAULT_BUFFER_SIZE);
        assertRefused(loadGso(PacketBuilder.tcp4(POD, 40000, REMOTE, 80).payload(500), FrameVector.GSO_TCPV4, 100),
                DropReason.BUFFER_POOL_EXHAUSTED);
    }
}
