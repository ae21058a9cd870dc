package dev.gingham.packet;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static dev.gingham.packet.PacketBuilder.ip4;
import static dev.gingham.packet.PacketBuilder.ip6;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class IcmpErrorWriterTest {
    private static final String POD_MAC = "0a:00:00:00:00:05";
    private static final String GATEWAY_MAC = "0a:00:00:00:00:01";

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

    @Test
    void shouldAnswerWithPortUnreachableFromTheVipQuotingTheWholeSmallPacket() {
        byte[] original = PacketBuilder.udp4("10.0.1.5", 5353, "10.96.0.10", 53).srcMac(POD_MAC).dstMac(GATEWAY_MAC).payload(30).build();
        int i = loadParsed(original);

        assertTrue(IcmpErrorWriter.toIcmp4Error(vector, i, 3, 3, 0, ip4("10.96.0.10")));

        byte[] expected = PacketBuilder.icmp4Error(3, 3, "10.96.0.10", "10.0.1.5", PacketBuilder.ipPacketOf(original))
                .srcMac(GATEWAY_MAC).dstMac(POD_MAC).tos(0xC0).ipId(0).build();
        assertArrayEquals(expected, PacketBuilder.bytesOf(vector, i));
        assertEquals(Verdict.CONTINUE, parser.parse(vector, i));
        assertTrue(vector.hasFlag(i, FrameVector.FLAG_ICMP_ERROR));
    }

    @Test
    void shouldQuoteTheFinishedChecksumWhenTheOriginalsIsPartial() {
        PacketBuilder tcp = PacketBuilder.tcp4("10.0.1.5", 40000, "10.0.9.9", 80).dontFragment().seq(9).payload(1400);
        byte[] full = tcp.build();
        int i = loadParsed(tcp.checksumPartial().build());
        PacketBuilder.markOffload(vector, i, FrameVector.GSO_TCPV4, 700);

        assertTrue(IcmpErrorWriter.toIcmp4Error(vector, i, 3, 4, 1450, ip4("10.0.1.1")));

        byte[] expected = PacketBuilder.icmp4FragNeeded("10.0.1.1", "10.0.1.5", 1450, PacketBuilder.ipPacketOf(full))
                .srcMac(PacketBuilder.DEFAULT_DST_MAC).dstMac(PacketBuilder.DEFAULT_SRC_MAC).tos(0xC0).ipId(0).build();
        assertArrayEquals(expected, PacketBuilder.bytesOf(vector, i));
        assertFalse(vector.hasFlag(i, FrameVector.FLAG_CSUM_PARTIAL | FrameVector.FLAG_GSO), "the error asks for no offload");
    }

    @Test
    void shouldQuoteTheFinishedChecksumOverIpv6WhenTheOriginalsIsPartial() {
        PacketBuilder tcp = PacketBuilder.tcp6("fd00::5", 40000, "fd00:9::9", 80).payload(1400);
        byte[] full = tcp.build();
        int i = loadParsed(tcp.checksumPartial().build());
        PacketBuilder.markOffload(vector, i, 0, 0);
        long[] gateway = ip6("fd00::1");

        assertTrue(IcmpErrorWriter.toIcmp6Error(vector, i, 2, 0, 1280, gateway[0], gateway[1]));

        byte[] expected = PacketBuilder.icmp6PacketTooBig("fd00::1", "fd00::5", 1280, PacketBuilder.ipPacketOf(full))
                .srcMac(PacketBuilder.DEFAULT_DST_MAC).dstMac(PacketBuilder.DEFAULT_SRC_MAC).build();
        assertArrayEquals(expected, PacketBuilder.bytesOf(vector, i));
    }

    @Test
    void shouldQuoteAt576BytesAndCarryTheMtuWhenFragmentationIsNeeded() {
        byte[] original = PacketBuilder.tcp4("10.0.1.5", 40000, "10.0.9.9", 80).dontFragment().payload(1400).build();
        int i = loadParsed(original);

        assertTrue(IcmpErrorWriter.toIcmp4Error(vector, i, 3, 4, 1450, ip4("10.0.1.1")));

        byte[] expected = PacketBuilder.icmp4FragNeeded("10.0.1.1", "10.0.1.5", 1450, PacketBuilder.ipPacketOf(original))
                .srcMac(PacketBuilder.DEFAULT_DST_MAC).dstMac(PacketBuilder.DEFAULT_SRC_MAC).tos(0xC0).ipId(0).build();
        assertArrayEquals(expected, PacketBuilder.bytesOf(vector, i));
        assertEquals(14 + 576, vector.length(i));
    }

    @Test
    void shouldAnswerIpv6WithPacketTooBigQuotingUpTo1280Bytes() {
        byte[] original = PacketBuilder.tcp6("fd00::1:5", 40000, "fd00::9:9", 80).payload(1400).build();
        int i = loadParsed(original);
        long[] router = ip6("fd00::1:1");

        assertTrue(IcmpErrorWriter.toIcmp6Error(vector, i, 2, 0, 1430, router[0], router[1]));

        byte[] expected = PacketBuilder.icmp6PacketTooBig("fd00::1:1", "fd00::1:5", 1430, PacketBuilder.ipPacketOf(original))
                .srcMac(PacketBuilder.DEFAULT_DST_MAC).dstMac(PacketBuilder.DEFAULT_SRC_MAC).build();
        assertArrayEquals(expected, PacketBuilder.bytesOf(vector, i));
        assertEquals(14 + 1280, vector.length(i));
    }

    @Test
    void shouldRefuseErrorsAboutErrorsLaterFragmentsAndBroadcasts() {
        byte[] inner = PacketBuilder.ipPacketOf(PacketBuilder.udp4("10.0.1.5", 1, "10.0.9.9", 2).build());
        int error = loadParsed(PacketBuilder.icmp4Error(3, 3, "10.0.9.9", "10.0.1.5", inner).build());
        int fragment = loadParsed(PacketBuilder.udp4("10.0.1.5", 1, "10.0.9.9", 2).payload(16).fragmentOffset(1480).build());
        int broadcast = loadParsed(PacketBuilder.udp4("10.0.1.5", 1, "255.255.255.255", 2).build());
        int multicast6 = loadParsed(PacketBuilder.udp6("fd00::5", 1, "ff02::1", 2).build());
        byte[] before = PacketBuilder.bytesOf(vector, error);

        assertFalse(IcmpErrorWriter.toIcmp4Error(vector, error, 3, 3, 0, ip4("10.0.1.1")));
        assertFalse(IcmpErrorWriter.toIcmp4Error(vector, fragment, 3, 3, 0, ip4("10.0.1.1")));
        assertFalse(IcmpErrorWriter.toIcmp4Error(vector, broadcast, 3, 3, 0, ip4("10.0.1.1")));
        long[] router = ip6("fd00::1");
        assertFalse(IcmpErrorWriter.toIcmp6Error(vector, multicast6, 1, 4, 0, router[0], router[1]));
        assertTrue(IcmpErrorWriter.toIcmp6Error(vector, multicast6, 2, 0, 1280, router[0], router[1]),
                "packet too big is allowed about multicast (RFC 4443 2.4(e))");
        assertArrayEquals(before, PacketBuilder.bytesOf(vector, error), "a refused frame is unchanged");
    }
}
