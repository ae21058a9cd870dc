package dev.gingham.packet.checksum;

import static dev.gingham.packet.PacketBuilder.PROTO_DEST_OPTIONS;
import static dev.gingham.packet.PacketBuilder.PROTO_HOP_BY_HOP;
import static dev.gingham.packet.PacketBuilder.PROTO_ROUTING;
import static dev.gingham.packet.PacketBuilder.SYN;
import static dev.gingham.packet.PacketBuilder.icmp4Echo;
import static dev.gingham.packet.PacketBuilder.icmp6Echo;
import static dev.gingham.packet.PacketBuilder.icmp6PacketTooBig;
import static dev.gingham.packet.PacketBuilder.ipPacketOf;
import static dev.gingham.packet.PacketBuilder.referenceFold;
import static dev.gingham.packet.PacketBuilder.referenceSum;
import static dev.gingham.packet.PacketBuilder.tcp4;
import static dev.gingham.packet.PacketBuilder.tcp6;
import static dev.gingham.packet.PacketBuilder.udp4;
import static dev.gingham.packet.PacketBuilder.udp6;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gingham.packet.NetworkOrder;
import dev.gingham.packet.PacketBuilder;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * TransportChecksum on PacketBuilder frames: zero the checksum field, compute, and compare with
 * the value the builder (the oracle) wrote; then verify the untouched frame.
 */
class TransportChecksumTest {
    private static final int ETH = PacketBuilder.ETHERNET_HEADER_LENGTH;

    private final Arena arena = Arena.ofConfined();

    @AfterEach
    void close() {
        arena.close();
    }

    /** A frame in off-heap memory at an odd offset (the checksum code must not care). */
    private record Loaded(MemorySegment segment, long frame, int length) {
        long at(int frameOffset) {
            return frame + frameOffset;
        }

        int u16(int frameOffset) {
            return NetworkOrder.u16(segment, at(frameOffset));
        }

        void u16(int frameOffset, int value) {
            NetworkOrder.u16(segment, at(frameOffset), value);
        }

        int u32(int frameOffset) {
            return NetworkOrder.u32(segment, at(frameOffset));
        }

        long u64(int frameOffset) {
            return NetworkOrder.u64(segment, at(frameOffset));
        }
    }

    private Loaded load(byte[] frame) {
        MemorySegment segment = arena.allocate(frame.length + 8, 8);
        MemorySegment.copy(frame, 0, segment, ValueLayout.JAVA_BYTE, 1, frame.length);
        return new Loaded(segment, 1, frame.length);
    }

    // ---- IPv4 ------------------------------------------------------------------------------------

    /** Asserts the frame verifies; zeroes the field, computes and compares with the builder's value; corrupts and asserts it fails. */
    private void assertTcpUdp4(byte[] frame, int protocol) {
        Loaded f = load(frame);
        int ip = frame.length - ipPacketOf(frame).length; // past Ethernet and any VLAN tag
        int ihl = (frame[ip] & 0x0F) * 4;
        int l4 = ip + ihl;
        int l4Length = f.u16(ip + 2) - ihl;
        int field = l4 + (protocol == TransportChecksum.TCP ? 16 : 6);
        int expected = f.u16(field);
        int source = f.u32(ip + 12);
        int destination = f.u32(ip + 16);
        assertTrue(TransportChecksum.verifies4(f.segment(), f.at(l4), l4Length, source, destination, protocol), "verifies");
        f.u16(field, 0);
        assertEquals(expected, TransportChecksum.tcpUdp4(f.segment(), f.at(l4), l4Length, source, destination, protocol));
        f.u16(field, expected ^ 0x0100);
        assertFalse(TransportChecksum.verifies4(f.segment(), f.at(l4), l4Length, source, destination, protocol), "corrupted");
    }

    @Test
    void shouldEqualTheBuilderWhenComputingTcpOverIpv4() {
        assertTcpUdp4(tcp4("10.0.0.1", 40000, "10.0.0.2", 80).flags(SYN).mss(1460).sackPermitted().timestamps(1, 0)
                .windowScale(7).build(), TransportChecksum.TCP);
        assertTcpUdp4(tcp4("10.0.0.1", 40000, "10.0.0.2", 80).payload(1).build(), TransportChecksum.TCP);
        assertTcpUdp4(tcp4("255.255.255.255", 65535, "128.0.0.1", 1).payload(1459).ipOptions(new byte[8]).build(),
                TransportChecksum.TCP);
    }

    @Test
    void shouldEqualTheBuilderWhenComputingUdpOverIpv4() {
        assertTcpUdp4(udp4("10.0.0.1", 5353, "10.0.0.2", 53).payload(100).build(), TransportChecksum.UDP);
        assertTcpUdp4(udp4("10.0.0.1", 5353, "10.0.0.2", 53).payload(101).vlan(5).build(), TransportChecksum.UDP);
    }

    @Test
    void shouldEqualTheBuilderWhenFramesAreRandom() {
        Random random = new Random(793);
        for (int trial = 0; trial < 2000; trial++) {
            String src = random.nextInt(256) + "." + random.nextInt(256) + "." + random.nextInt(256) + "." + random.nextInt(256);
            String dst = random.nextInt(256) + "." + random.nextInt(256) + "." + random.nextInt(256) + "." + random.nextInt(256);
            int payload = random.nextInt(300);
            if (random.nextBoolean()) {
                assertTcpUdp4(tcp4(src, random.nextInt(65536), dst, random.nextInt(65536)).seq(random.nextInt())
                        .ack(random.nextInt()).payload(payload).build(), TransportChecksum.TCP);
            } else {
                assertTcpUdp4(udp4(src, random.nextInt(65536), dst, random.nextInt(65536)).payload(payload).build(),
                        TransportChecksum.UDP);
            }
            long[] s = {random.nextLong(), random.nextLong()};
            long[] d = {random.nextLong(), random.nextLong()};
            String src6 = v6(s);
            String dst6 = v6(d);
            byte[] frame = switch (trial % 3) {
                case 0 -> tcp6(src6, random.nextInt(65536), dst6, random.nextInt(65536)).payload(payload).build();
                case 1 -> udp6(src6, random.nextInt(65536), dst6, random.nextInt(65536)).payload(payload).build();
                default -> icmp6Echo(src6, dst6, random.nextInt(65536), random.nextInt(65536)).payload(payload).build();
            };
            assertOver6(frame, 0, new int[] {TransportChecksum.TCP, TransportChecksum.UDP, TransportChecksum.ICMPV6}[trial % 3]);
        }
    }

    private static String v6(long[] address) {
        StringBuilder text = new StringBuilder();
        for (int k = 0; k < 8; k++) {
            long half = address[k / 4];
            text.append(k == 0 ? "" : ":").append(Integer.toHexString((int) (half >>> (48 - 16 * (k % 4))) & 0xFFFF));
        }
        return text.toString();
    }

    @Test
    void shouldSendAllOnesWhenTheUdpChecksumComputesToZero() {
        // Destination ports found by search (see PacketBuilderTest's goldens) so that the sum is 0xFFFF.
        byte[] v4 = udp4("10.0.0.1", 1, "10.0.0.2", 60378).build();
        assertEquals(0xFFFF, (v4[40] & 0xFF) << 8 | v4[41] & 0xFF);
        assertTcpUdp4(v4, TransportChecksum.UDP);
        byte[] v6 = udp6("fd00::1", 1, "fd00::2", 1497).build();
        assertEquals(0xFFFF, (v6[60] & 0xFF) << 8 | v6[61] & 0xFF);
        assertOver6(v6, 0, TransportChecksum.UDP);
    }

    @Test
    void shouldKeepZeroWhenATcpChecksumComputesToZero() {
        // TCP has no "none": a computed 0 is sent as 0. Search for such a frame with the builder.
        int port = -1;
        for (int candidate = 0; candidate < 65536 && port < 0; candidate++) {
            byte[] frame = tcp4("10.0.0.1", 1, "10.0.0.2", candidate).build();
            if (frame[50] == 0 && frame[51] == 0) {
                port = candidate;
            }
        }
        assertTrue(port >= 0, "some port gives a zero TCP checksum");
        assertTcpUdp4(tcp4("10.0.0.1", 1, "10.0.0.2", port).build(), TransportChecksum.TCP);
    }

    @Test
    void shouldEqualTheBuilderWhenComputingTheIpv4HeaderChecksum() {
        byte[][] frames = {
            udp4("10.0.0.1", 1, "10.0.0.2", 2).build(),
            tcp4("10.0.0.1", 1, "10.0.0.2", 2).ipOptions(new byte[] {(byte) 0x94, 4, 0, 0, 1, 1, 1, 0}).dontFragment()
                    .ttl(255).tos(0xFC).ipId(0xFFFF).build(),
            icmp4Echo("1.2.3.4", "5.6.7.8", 1, 1).moreFragments().fragmentOffset(8 * 8191).build(),
        };
        for (byte[] frame : frames) {
            Loaded f = load(frame);
            int ihl = (frame[ETH] & 0x0F) * 4;
            int expected = f.u16(ETH + 10);
            assertEquals(expected, TransportChecksum.ipv4Header(f.segment(), f.at(ETH), ihl), "field in place");
            f.u16(ETH + 10, 0);
            assertEquals(expected, TransportChecksum.ipv4Header(f.segment(), f.at(ETH), ihl), "field zero");
            f.u16(ETH + 10, 0x1234);
            assertEquals(expected, TransportChecksum.ipv4Header(f.segment(), f.at(ETH), ihl), "field garbage");
        }
    }

    // ---- IPv6 ------------------------------------------------------------------------------------

    /** As {@link #assertTcpUdp4} for a frame whose L4 header follows {@code extensionBytes} of extension headers. */
    private void assertOver6(byte[] frame, int extensionBytes, int nextHeader) {
        Loaded f = load(frame);
        int ip = frame.length - ipPacketOf(frame).length;
        int l4 = ip + 40 + extensionBytes;
        int l4Length = f.u16(ip + 4) - extensionBytes;
        int field = l4 + switch (nextHeader) {
            case TransportChecksum.TCP -> 16;
            case TransportChecksum.UDP -> 6;
            default -> 2;
        };
        long sHi = f.u64(ip + 8);
        long sLo = f.u64(ip + 16);
        long dHi = f.u64(ip + 24);
        long dLo = f.u64(ip + 32);
        int expected = f.u16(field);
        assertTrue(TransportChecksum.verifies6(f.segment(), f.at(l4), l4Length, sHi, sLo, dHi, dLo, nextHeader), "verifies");
        f.u16(field, 0);
        assertEquals(expected, TransportChecksum.l4Over6(f.segment(), f.at(l4), l4Length, sHi, sLo, dHi, dLo, nextHeader));
        f.u16(field, expected ^ 0x0100);
        assertFalse(TransportChecksum.verifies6(f.segment(), f.at(l4), l4Length, sHi, sLo, dHi, dLo, nextHeader), "corrupted");
    }

    @Test
    void shouldEqualTheBuilderWhenComputingTcpOverIpv6() {
        assertOver6(tcp6("fd00::1", 40000, "fd00::2", 443).flags(SYN).mss(1440).build(), 0, TransportChecksum.TCP);
        assertOver6(tcp6("2001:db8::ffff:1", 1, "ffff::", 2).payload(33).build(), 0, TransportChecksum.TCP);
    }

    @Test
    void shouldEqualTheBuilderWhenComputingUdpOverIpv6WithExtensionHeaders() {
        assertOver6(udp6("fd00::1", 1, "fd00::2", 2).payload(10).build(), 0, TransportChecksum.UDP);
        assertOver6(udp6("fd00::1", 1, "fd00::2", 2).ipv6ExtensionHeaders(PROTO_HOP_BY_HOP, PROTO_ROUTING, PROTO_DEST_OPTIONS)
                .payload(11).build(), 24, TransportChecksum.UDP);
        assertOver6(udp6("fd00::1", 1, "fd00::2", 2).ipv6Fragment(0, true, 99).payload(16).build(), 8, TransportChecksum.UDP);
    }

    @Test
    void shouldEqualTheBuilderWhenComputingIcmpv6() {
        assertOver6(icmp6Echo("fd00::1", "fd00::2", 7, 1).build(), 0, TransportChecksum.ICMPV6);
        assertOver6(icmp6Echo("fd00::1", "fd00::2", 7, 1).icmpEchoReply().payload(55).build(), 0, TransportChecksum.ICMPV6);
        byte[] original = ipPacketOf(udp6("fd00::1", 1, "fd00::2", 2).payload(1400).build());
        assertOver6(icmp6PacketTooBig("fd00::fe", "fd00::1", 1280, original).build(), 0, TransportChecksum.ICMPV6);
    }

    @Test
    void shouldEqualTheReferenceWhenSummingPseudoHeaders() {
        Random random = new Random(8200);
        for (int trial = 0; trial < 1000; trial++) {
            int source = random.nextInt();
            int destination = random.nextInt();
            int protocol = random.nextInt(256);
            int length = random.nextInt(65536);
            byte[] pseudo4 = new byte[12];
            put(pseudo4, 0, source, 4);
            put(pseudo4, 4, destination, 4);
            pseudo4[9] = (byte) protocol;
            put(pseudo4, 10, length, 2);
            assertEquals(referenceFold(referenceSum(pseudo4, 0, 12)),
                    InternetChecksum.fold(TransportChecksum.pseudoHeader4(source, destination, protocol, length)));

            long[] a = {random.nextLong(), random.nextLong(), random.nextLong(), random.nextLong()};
            byte[] pseudo6 = new byte[40];
            for (int k = 0; k < 4; k++) {
                put(pseudo6, 8 * k, a[k], 8);
            }
            int length6 = random.nextInt() >>> 1;
            put(pseudo6, 32, length6, 4);
            pseudo6[39] = (byte) protocol;
            assertEquals(referenceFold(referenceSum(pseudo6, 0, 40)),
                    InternetChecksum.fold(TransportChecksum.pseudoHeader6(a[0], a[1], a[2], a[3], protocol, length6)));
        }
    }

    private static void put(byte[] bytes, int at, long value, int width) {
        for (int k = 0; k < width; k++) {
            bytes[at + k] = (byte) (value >>> (8 * (width - 1 - k)));
        }
    }

    @Test
    void shouldLetTheBuilderBeTheOracleWhenItsConstantsAreUsed() {
        // The pseudo-header protocol numbers the builder writes are TransportChecksum's.
        assertEquals(PacketBuilder.PROTO_TCP, TransportChecksum.TCP);
        assertEquals(PacketBuilder.PROTO_UDP, TransportChecksum.UDP);
        assertEquals(PacketBuilder.PROTO_ICMPV6, TransportChecksum.ICMPV6);
    }
}
