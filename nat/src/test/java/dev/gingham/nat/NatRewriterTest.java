package dev.gingham.nat;

import dev.gingham.packet.BufferPool;
import dev.gingham.packet.DropReason;
import dev.gingham.packet.FrameVector;
import dev.gingham.packet.MappedAddress;
import dev.gingham.packet.NetworkOrder;
import dev.gingham.packet.PacketBuilder;
import dev.gingham.packet.Parser;
import dev.gingham.packet.Verdict;
import dev.gingham.packet.checksum.InternetChecksum;
import dev.gingham.packet.checksum.TransportChecksum;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static dev.gingham.packet.PacketBuilder.ip4;
import static dev.gingham.packet.PacketBuilder.ip6;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

class NatRewriterTest {
    private BufferPool pool;
    private FrameVector vector;
    private final Parser parser = new Parser();

    @BeforeEach
    void setUp() {
        pool = BufferPool.allocate(8, BufferPool.DEFAULT_BUFFER_SIZE);
        vector = new FrameVector(pool);
    }

    @AfterEach
    void tearDown() {
        vector.releaseAll();
    }

    private int loadParsed(byte[] frame) {
        int i = PacketBuilder.load(vector, 1, frame);
        assertEquals(Verdict.CONTINUE, parser.parse(vector, i));
        return i;
    }

    private static long v4(String address) {
        return MappedAddress.lo4(ip4(address));
    }

    @Test
    void shouldProduceTheBackendFrameByteForByteWhenDnatingTcp4() {
        byte[] before = PacketBuilder.tcp4("10.0.1.5", 40000, "10.96.0.10", 80).payload(33).build();
        byte[] expected = PacketBuilder.tcp4("10.0.1.5", 40000, "10.0.2.7", 8080).payload(33).build();
        int i = loadParsed(before);

        assertEquals(Verdict.CONTINUE, NatRewriter.rewrite(vector, i, NatRewriter.DESTINATION, 0, v4("10.0.2.7"), 8080));

        assertArrayEquals(expected, PacketBuilder.bytesOf(vector, i));
        assertEquals(ip4("10.0.2.7"), vector.dstIp4(i));
        assertEquals(8080, vector.dstPort(i));
        assertEquals(40000, vector.srcPort(i));
    }

    @Test
    void shouldRestoreTheVipWhenReverseNatingTheReply() {
        byte[] reply = PacketBuilder.tcp4("10.0.2.7", 8080, "10.0.1.5", 40000).flags(0x12).payload(7).build();
        byte[] expected = PacketBuilder.tcp4("10.96.0.10", 80, "10.0.1.5", 40000).flags(0x12).payload(7).build();
        int i = loadParsed(reply);

        assertEquals(Verdict.CONTINUE, NatRewriter.rewrite(vector, i, NatRewriter.SOURCE, 0, v4("10.96.0.10"), 80));

        assertArrayEquals(expected, PacketBuilder.bytesOf(vector, i));
    }

    @Test
    void shouldMatchAFullRecomputeForRandomTuplesOfEveryProtocol() {
        SplittableRandom random = new SplittableRandom(7);
        for (int n = 0; n < 2000; n++) {
            String a = randomIp4(random);
            String b = randomIp4(random);
            String c = randomIp4(random);
            int pa = 1 + random.nextInt(65535);
            int pb = 1 + random.nextInt(65535);
            int pc = 1 + random.nextInt(65535);
            int payload = random.nextInt(60);
            boolean source = random.nextBoolean();
            int kind = n % 3;
            byte[] before = frame4(kind, a, pa, b, pb, payload);
            byte[] expected = source ? frame4(kind, c, pc, b, kind == 2 ? pc : pb, payload)
                    : frame4(kind, a, kind == 2 ? pc : pa, c, pc, payload);
            int i = loadParsed(before);
            assertEquals(Verdict.CONTINUE, NatRewriter.rewrite(vector, i,
                    source ? NatRewriter.SOURCE : NatRewriter.DESTINATION, 0, v4(c), pc));
            assertArrayEquals(expected, PacketBuilder.bytesOf(vector, i), "case " + n);
            vector.releaseAll();
        }
    }

    private static byte[] frame4(int kind, String src, int srcPort, String dst, int dstPort, int payload) {
        return switch (kind) {
            case 0 -> PacketBuilder.tcp4(src, srcPort, dst, dstPort).payload(payload).build();
            case 1 -> PacketBuilder.udp4(src, srcPort, dst, dstPort).payload(payload).build();
            default -> PacketBuilder.icmp4Echo(src, dst, srcPort, 3).payload(payload).build();
        };
    }

    private static String randomIp4(SplittableRandom random) {
        return random.nextInt(1, 224) + "." + random.nextInt(256) + "." + random.nextInt(256) + "." + random.nextInt(1, 255);
    }

    @Test
    void shouldKeepAZeroUdpChecksumZeroWhenRewriting() {
        byte[] before = PacketBuilder.udp4("10.0.1.5", 5353, "10.96.0.53", 53).payload(12).udpChecksumZero().build();
        byte[] expected = PacketBuilder.udp4("10.0.1.5", 5353, "10.0.3.3", 1053).payload(12).udpChecksumZero().build();
        int i = loadParsed(before);

        NatRewriter.rewrite(vector, i, NatRewriter.DESTINATION, 0, v4("10.0.3.3"), 1053);

        assertArrayEquals(expected, PacketBuilder.bytesOf(vector, i));
    }

    @Test
    void shouldWriteAllOnesWhenTheRewrittenUdpChecksumComputesToZero() {
        // Search for a new port whose full checksum is 0 (sent as 0xFFFF); the builder applies RFC 768 too.
        int found = -1;
        for (int port = 1; port < 65536 && found < 0; port++) {
            byte[] candidate = PacketBuilder.udp4("10.0.1.5", 5353, "10.0.3.3", port).payload(12).build();
            int l4 = 14 + 20;
            if (NetworkOrder.u16(java.lang.foreign.MemorySegment.ofArray(candidate), l4 + 6) == 0xFFFF) {
                found = port;
            }
        }
        assertEquals(true, found > 0, "some port makes the checksum compute to zero");
        byte[] before = PacketBuilder.udp4("10.0.1.5", 5353, "10.96.0.53", 53).payload(12).build();
        int i = loadParsed(before);

        NatRewriter.rewrite(vector, i, NatRewriter.DESTINATION, 0, v4("10.0.3.3"), found);

        assertArrayEquals(PacketBuilder.udp4("10.0.1.5", 5353, "10.0.3.3", found).payload(12).build(),
                PacketBuilder.bytesOf(vector, i));
    }

    @Test
    void shouldRewriteTheEchoIdentifierAsBothPortsWhenSnatingIcmp4() {
        byte[] request = PacketBuilder.icmp4Echo("10.0.1.5", "8.8.8.8", 0x1234, 9).payload(56).build();
        byte[] expected = PacketBuilder.icmp4Echo("192.168.1.10", "8.8.8.8", 40001, 9).payload(56).build();
        int i = loadParsed(request);

        NatRewriter.rewrite(vector, i, NatRewriter.SOURCE, 0, v4("192.168.1.10"), 40001);

        assertArrayEquals(expected, PacketBuilder.bytesOf(vector, i));
        assertEquals(40001, vector.srcPort(i));
        assertEquals(40001, vector.dstPort(i));
    }

    @Test
    void shouldUpdateThePseudoHeaderAndPortsWhenRewritingIpv6() {
        byte[] tcp = PacketBuilder.tcp6("fd00::1:5", 40000, "fd00:96::10", 443).payload(21).build();
        int i = loadParsed(tcp);
        long[] backend = ip6("fd00::2:7");

        NatRewriter.rewrite(vector, i, NatRewriter.DESTINATION, backend[0], backend[1], 8443);
        assertArrayEquals(PacketBuilder.tcp6("fd00::1:5", 40000, "fd00::2:7", 8443).payload(21).build(),
                PacketBuilder.bytesOf(vector, i));

        byte[] udp = PacketBuilder.udp6("fd00::1:5", 5000, "2001:db8::1", 53).payload(9).build();
        int j = loadParsed(udp);
        long[] node = ip6("2001:db8:ff::1");
        NatRewriter.rewrite(vector, j, NatRewriter.SOURCE, node[0], node[1], 33000);
        assertArrayEquals(PacketBuilder.udp6("2001:db8:ff::1", 33000, "2001:db8::1", 53).payload(9).build(),
                PacketBuilder.bytesOf(vector, j));

        byte[] echo = PacketBuilder.icmp6Echo("fd00::1:5", "2001:db8::1", 77, 1).payload(8).build();
        int k = loadParsed(echo);
        NatRewriter.rewrite(vector, k, NatRewriter.SOURCE, node[0], node[1], 33001);
        assertArrayEquals(PacketBuilder.icmp6Echo("2001:db8:ff::1", "2001:db8::1", 33001, 1).payload(8).build(),
                PacketBuilder.bytesOf(vector, k));
    }

    @Test
    void shouldAddOnlyTheAddressToAPartialChecksumWhenTheFrameIsOffloaded() {
        byte[] frame = PacketBuilder.tcp4("10.0.1.5", 40000, "10.96.0.10", 80).payload(100).build();
        int i = loadParsed(frame);
        long l4 = vector.l4Offset(i);
        int l4Length = (int) (vector.end(i) - l4);
        // CHECKSUM_PARTIAL: the field holds the folded pseudo-header sum, not complemented.
        NetworkOrder.u16(vector.segment(), l4 + 16,
                InternetChecksum.fold(TransportChecksum.pseudoHeader4(ip4("10.0.1.5"), ip4("10.96.0.10"), 6, l4Length)));
        vector.addFlags(i, FrameVector.FLAG_CSUM_PARTIAL);

        NatRewriter.rewrite(vector, i, NatRewriter.DESTINATION, 0, v4("10.0.2.7"), 8080);

        assertEquals(InternetChecksum.fold(TransportChecksum.pseudoHeader4(ip4("10.0.1.5"), ip4("10.0.2.7"), 6, l4Length)),
                NetworkOrder.u16(vector.segment(), l4 + 16));
        assertEquals(8080, NetworkOrder.u16(vector.segment(), l4 + 2));
    }

    @Test
    void shouldRewriteTheAddressButRefuseAPortChangeWhenTheFrameIsALaterFragment() {
        byte[] fragment = PacketBuilder.udp4("10.0.1.5", 5000, "10.96.0.10", 53).payload(64).fragmentOffset(1480).build();
        int i = loadParsed(fragment);

        assertEquals(DropReason.FRAG_NOT_SUPPORTED.verdict(),
                NatRewriter.rewrite(vector, i, NatRewriter.DESTINATION, 0, v4("10.0.2.7"), 5353));
        assertEquals(Verdict.CONTINUE,
                NatRewriter.rewrite(vector, i, NatRewriter.DESTINATION, 0, v4("10.0.2.7"), NatRewriter.KEEP_PORT));

        byte[] expected = PacketBuilder.udp4("10.0.1.5", 5000, "10.0.2.7", 53).payload(64).fragmentOffset(1480).build();
        assertArrayEquals(java.util.Arrays.copyOfRange(expected, 0, 34), java.util.Arrays.copyOfRange(PacketBuilder.bytesOf(vector, i), 0, 34),
                "IP header (with checksum) as if built for the new destination");
    }

    @Test
    void shouldRefuseAnAddressOfTheOtherFamily() {
        int i = loadParsed(PacketBuilder.tcp4("10.0.1.5", 1, "10.96.0.10", 80).build());
        long[] v6 = ip6("fd00::1");
        assertEquals(DropReason.INVALID.verdict(), NatRewriter.rewrite(vector, i, NatRewriter.DESTINATION, v6[0], v6[1], 80));
    }
}
