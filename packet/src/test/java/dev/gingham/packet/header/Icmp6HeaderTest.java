package dev.gingham.packet.header;

import dev.gingham.packet.NetworkOrder;
import org.junit.jupiter.api.Test;

import static dev.gingham.packet.header.Frame.BASE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

class Icmp6HeaderTest {
    private static final int ICMP = Ipv6Header.LENGTH;
    private final Icmp6Header icmp = new Icmp6Header();
    private final Ipv6Header ip6 = new Ipv6Header();

    @Test
    void shouldReadMtuAndInvokingPacketWhenMessageIsPacketTooBig() {
        // scapy: IPv6(src="2001:db8::fe", dst="2001:db8::1", hlim=255)/ICMPv6PacketTooBig(mtu=1450)
        //        /IPv6(src="2001:db8::1", dst="2001:db8:1::9", plen=1452)/UDP(sport=1111, dport=2222, len=1452)
        try (Frame f = Frame.of(GoldenFrames.ICMP6_PTB)) {
            ip6.wrap(f.segment, BASE);
            assertEquals(Ipv4Header.PROTOCOL_ICMPV6, ip6.nextHeader());
            assertEquals(56, ip6.payloadLength());
            assertEquals(255, ip6.hopLimit());
            assertEquals(0xFEL, ip6.srcLo());

            assertSame(icmp, icmp.wrap(f.segment, ip6.payloadOffset()));
            assertEquals(BASE + ICMP, icmp.offset());
            assertEquals(Icmp6Header.PACKET_TOO_BIG, icmp.type());
            assertEquals(0, icmp.code());
            assertEquals(0x249F, icmp.checksum());
            assertEquals(1450, icmp.mtu());
            assertTrue(Icmp6Header.isError(icmp.type()));
            assertEquals(BASE + 48, icmp.datagramOffset());

            Ipv6Header inner = new Ipv6Header().wrap(f.segment, icmp.datagramOffset());
            assertEquals(6, inner.version());
            assertEquals(1452, inner.payloadLength());
            assertEquals(Ipv4Header.PROTOCOL_UDP, inner.nextHeader());
            assertEquals(64, inner.hopLimit());
            assertEquals(0x2001_0DB8_0000_0000L, inner.srcHi());
            assertEquals(1L, inner.srcLo());
            assertEquals(0x2001_0DB8_0001_0000L, inner.dstHi());
            assertEquals(9L, inner.dstLo());
            UdpHeader udp = new UdpHeader().wrap(f.segment, inner.payloadOffset());
            assertEquals(1111, udp.srcPort());
            assertEquals(2222, udp.dstPort());
            assertEquals(1452, udp.length());
            assertEquals(0x91B8, udp.checksum());
        }
    }

    @Test
    void shouldReadIdentifierAndSequenceWhenMessageIsEchoRequest() {
        // scapy: IPv6(src="fe80::1", dst="ff02::1")/ICMPv6EchoRequest(id=0x4242, seq=9, data=b"abc")
        try (Frame f = Frame.of(GoldenFrames.ICMP6_ECHO)) {
            ip6.wrap(f.segment, BASE);
            assertEquals(0xFE80_0000_0000_0000L, ip6.srcHi());
            assertEquals(1L, ip6.srcLo());
            assertEquals(0xFF02_0000_0000_0000L, ip6.dstHi());
            assertEquals(1L, ip6.dstLo());
            assertEquals(11, ip6.payloadLength());

            icmp.wrap(f.segment, ip6.payloadOffset());
            assertEquals(Icmp6Header.ECHO_REQUEST, icmp.type());
            assertEquals(0, icmp.code());
            assertEquals(0x7B86, icmp.checksum());
            assertEquals(0x4242, icmp.identifier());
            assertEquals(9, icmp.sequence());
            assertFalse(Icmp6Header.isError(icmp.type()));
            assertEquals(0x61, NetworkOrder.u8(f.segment, icmp.offset() + Icmp6Header.LENGTH)); // 'a'
        }
    }

    @Test
    void shouldReadTargetWhenMessageIsNeighborSolicitation() {
        // scapy: IPv6(src="2001:db8::1", dst="ff02::1:ff00:99", hlim=255)/ICMPv6ND_NS(tgt="2001:db8::99")
        //        /ICMPv6NDOptSrcLLAddr(lladdr="02:00:00:00:00:01")
        try (Frame f = Frame.of(GoldenFrames.ICMP6_NS)) {
            ip6.wrap(f.segment, BASE);
            assertEquals(0xFF02_0000_0000_0000L, ip6.dstHi());
            assertEquals(0x0000_0001_FF00_0099L, ip6.dstLo());
            icmp.wrap(f.segment, ip6.payloadOffset());
            assertEquals(Icmp6Header.NEIGHBOR_SOLICITATION, icmp.type());
            assertTrue(Icmp6Header.isNeighborDiscovery(icmp.type()));
            assertFalse(Icmp6Header.isError(icmp.type()));
            assertEquals(0x1AF9, icmp.checksum());
            assertEquals(0, icmp.restOfHeader());
            assertEquals(0x2001_0DB8_0000_0000L, icmp.targetHi());
            assertEquals(0x99L, icmp.targetLo());
            // Source link-layer address option: type 1, length 1 (8 bytes), the MAC.
            long option = icmp.offset() + Icmp6Header.NEIGHBOR_LENGTH;
            assertEquals(1, NetworkOrder.u8(f.segment, option));
            assertEquals(1, NetworkOrder.u8(f.segment, option + 1));
            assertEquals(0x0200_0000_0001L, EthernetHeader.mac(f.segment, option + 2));
        }
    }

    @Test
    void shouldReadFlagsWhenMessageIsNeighborAdvertisement() {
        // scapy: IPv6(src="2001:db8::99", dst="2001:db8::1", hlim=255)/ICMPv6ND_NA(R=1, S=1, O=0, tgt="2001:db8::99")
        //        /ICMPv6NDOptDstLLAddr(lladdr="02:00:00:00:00:99")
        try (Frame f = Frame.of(GoldenFrames.ICMP6_NA)) {
            icmp.wrap(f.segment, f.at(ICMP));
            assertEquals(Icmp6Header.NEIGHBOR_ADVERTISEMENT, icmp.type());
            assertEquals(0x28AC, icmp.checksum());
            assertEquals(Icmp6Header.NA_FLAG_ROUTER | Icmp6Header.NA_FLAG_SOLICITED, icmp.restOfHeader());
            assertEquals(0, icmp.restOfHeader() & Icmp6Header.NA_FLAG_OVERRIDE);
            assertEquals(0x2001_0DB8_0000_0000L, icmp.targetHi());
            assertEquals(0x99L, icmp.targetLo());
        }
    }

    @Test
    void shouldWriteOnlyTheFieldWhenEachSetterIsCalled() {
        // NS: 87 00 1af9 00000000 | target 2001:db8::99
        // scapy: IPv6(src="2001:db8::1", dst="ff02::1:ff00:99",
        //        hlim=255)/ICMPv6ND_NS(tgt="2001:db8::99")/ICMPv6NDOptSrcLLAddr(lladdr="02:00:00:00:00:01")
        try (Frame f = Frame.of(GoldenFrames.ICMP6_NS)) {
            icmp.wrap(f.segment, f.at(ICMP));
            assertSame(icmp, icmp.type(Icmp6Header.NEIGHBOR_ADVERTISEMENT));
            f.assertOnlyChanged(ICMP, "88");
            assertSame(icmp, icmp.code(1));
            f.assertOnlyChanged(ICMP + 1, "01");
            assertSame(icmp, icmp.checksum(0x1234));
            f.assertOnlyChanged(ICMP + 2, "1234");
            assertSame(icmp, icmp.restOfHeader(Icmp6Header.NA_FLAG_SOLICITED | Icmp6Header.NA_FLAG_OVERRIDE));
            f.assertOnlyChanged(ICMP + 4, "60000000");
            assertSame(icmp, icmp.identifier(0xABCD));
            f.assertOnlyChanged(ICMP + 4, "abcd");
            assertSame(icmp, icmp.sequence(0x00FF));
            f.assertOnlyChanged(ICMP + 6, "00ff");
            assertSame(icmp, icmp.mtu(1280));
            f.assertOnlyChanged(ICMP + 4, "00000500");
            assertSame(icmp, icmp.pointer(40));
            f.assertOnlyChanged(ICMP + 4, "00000028");
            assertSame(icmp, icmp.targetHi(0xFE80_0000_0000_0000L));
            f.assertOnlyChanged(ICMP + 8, "fe80000000000000");
            assertSame(icmp, icmp.targetLo(0x0200_00FF_FE00_0001L));
            f.assertOnlyChanged(ICMP + 16, "020000fffe000001");
        }
    }

    @Test
    void shouldClassifyTypesWhenAskedIsError() {
        for (int type = 1; type <= 4; type++) {
            assertTrue(Icmp6Header.isError(type), "type " + type);
        }
        for (int type : new int[] {0, 5, 127, 128, 129, 133, 135, 137, 255}) {
            assertFalse(Icmp6Header.isError(type), "type " + type);
        }
        for (int type = 133; type <= 137; type++) {
            assertTrue(Icmp6Header.isNeighborDiscovery(type), "type " + type);
        }
        assertFalse(Icmp6Header.isNeighborDiscovery(132));
        assertFalse(Icmp6Header.isNeighborDiscovery(138));
    }
}
