package dev.gingham.packet.header;

import dev.gingham.packet.NetworkOrder;
import dev.gingham.packet.PacketBuilder;
import org.junit.jupiter.api.Test;

import static dev.gingham.packet.header.Frame.BASE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The fixed IPv6 header and the extension-header chain of one golden packet:
 *
 * <pre>
 *   0  IPv6                nh 0   (40 bytes)
 *  40  hop-by-hop          nh 43  len 0  (8)    router alert + PadN
 *  48  routing type 0      nh 44  len 2  (24)   segleft 1, 2001:db8::3
 *  72  fragment            nh 51         (8)    offset 100, M, id 0xdeadbeef
 *  80  AH                  nh 60  len 4  (24)   spi 0x11223344, seq 5, 12-byte ICV
 * 104  destination options nh 17  len 0  (8)    PadN
 * 112  UDP 5000 -&gt; 6000, length 15
 * </pre>
 */
class Ipv6HeaderTest {
    // scapy: IPv6(src="2001:db8::1", dst="2001:db8:0:0:1::2", tc=0xb9, fl=0xabcde, hlim=64)
    //        /IPv6ExtHdrHopByHop(nh=43, options=[RouterAlert(value=0)])
    //        /IPv6ExtHdrRouting(nh=44, type=0, segleft=1, addresses=["2001:db8::3"])
    //        /IPv6ExtHdrFragment(nh=51, offset=100, m=1, id=0xdeadbeef)
    //        /AH(nh=60, payloadlen=4, reserved=0, spi=0x11223344, seq=5, icv=b"\xaa"*12)
    //        /IPv6ExtHdrDestOpt(nh=17, options=[PadN(optdata=b"\x00\x00\x00\x00")])
    //        /UDP(sport=5000, dport=6000)/b"payload"
    private static final String CHAIN = GoldenFrames.IPV6_CHAIN;

    private final Ipv6Header ip6 = new Ipv6Header();
    private final Ipv6ExtensionHeader ext = new Ipv6ExtensionHeader();
    private final Ipv6FragmentHeader frag = new Ipv6FragmentHeader();

    @Test
    void shouldReadEveryFixedFieldWhenPacketHasExtensionChain() {
        try (Frame f = Frame.of(CHAIN)) {
            assertSame(ip6, ip6.wrap(f.segment, BASE));
            assertEquals(BASE, ip6.offset());
            assertEquals(6, ip6.version());
            assertEquals(0xB9, ip6.trafficClass());
            assertEquals(0xABCDE, ip6.flowLabel());
            assertEquals(87, ip6.payloadLength());
            assertEquals(f.length - Ipv6Header.LENGTH, ip6.payloadLength());
            assertEquals(Ipv6ExtensionHeader.HOP_BY_HOP, ip6.nextHeader());
            assertEquals(64, ip6.hopLimit());
            assertEquals(0x2001_0DB8_0000_0000L, ip6.srcHi());
            assertEquals(0x0000_0000_0000_0001L, ip6.srcLo());
            // scapy shows this destination as 2001:db8::1:0:0:2 (RFC 5952 picks the first of two equal runs).
            assertEquals(0x2001_0DB8_0000_0000L, ip6.dstHi());
            assertEquals(0x0001_0000_0000_0002L, ip6.dstLo());
            assertEquals("2001:db8::1:0:0:2", Addresses.formatIpv6(ip6.dstHi(), ip6.dstLo()));
            assertEquals(BASE + 40, ip6.payloadOffset());
        }
    }

    @Test
    void shouldReadEachExtensionHeaderWhenWalkingTheChain() {
        // scapy: the CHAIN expression at the top of this class
        try (Frame f = Frame.of(CHAIN)) {
            ext.wrap(f.segment, f.at(40)); // hop-by-hop
            assertEquals(BASE + 40, ext.offset());
            assertEquals(Ipv6ExtensionHeader.ROUTING, ext.nextHeader());
            assertEquals(0, ext.headerExtLength());
            assertEquals(8, ext.lengthBytes(Ipv6ExtensionHeader.HOP_BY_HOP));
            assertEquals(0x0502_0000, NetworkOrder.u32(f.segment, f.at(42))); // router alert, MLD

            ext.wrap(f.segment, f.at(48)); // routing
            assertEquals(Ipv6ExtensionHeader.FRAGMENT, ext.nextHeader());
            assertEquals(2, ext.headerExtLength());
            assertEquals(24, ext.lengthBytes(Ipv6ExtensionHeader.ROUTING));
            assertEquals(0, ext.routingType());
            assertEquals(1, ext.segmentsLeft());
            assertEquals(0x2001_0DB8_0000_0000L, NetworkOrder.u64(f.segment, f.at(56)));
            assertEquals(0x0000_0000_0000_0003L, NetworkOrder.u64(f.segment, f.at(64)));

            ext.wrap(f.segment, f.at(72)); // fragment, read generically
            assertEquals(Ipv6ExtensionHeader.AH, ext.nextHeader());
            assertEquals(8, ext.lengthBytes(Ipv6ExtensionHeader.FRAGMENT));

            ext.wrap(f.segment, f.at(80)); // AH: 4 * (4 + 2)
            assertEquals(Ipv6ExtensionHeader.DESTINATION_OPTIONS, ext.nextHeader());
            assertEquals(4, ext.headerExtLength());
            assertEquals(24, ext.lengthBytes(Ipv6ExtensionHeader.AH));
            assertEquals(0x1122_3344, NetworkOrder.u32(f.segment, f.at(84))); // SPI
            assertEquals(5, NetworkOrder.u32(f.segment, f.at(88))); // sequence

            ext.wrap(f.segment, f.at(104)); // destination options
            assertEquals(Ipv4Header.PROTOCOL_UDP, ext.nextHeader());
            assertEquals(0, ext.headerExtLength());
            assertEquals(8, ext.lengthBytes(Ipv6ExtensionHeader.DESTINATION_OPTIONS));

            UdpHeader udp = new UdpHeader().wrap(f.segment, f.at(112));
            assertEquals(5000, udp.srcPort());
            assertEquals(6000, udp.dstPort());
            assertEquals(15, udp.length());
            assertEquals(0xBC32, udp.checksum());
        }
    }

    @Test
    void shouldReachTransportHeaderWhenWalkingWithIsExtensionAndLengthBytes() {
        // The parser's loop: it must land on UDP at 112 with five headers skipped.
        // scapy: the CHAIN expression at the top of this class
        try (Frame f = Frame.of(CHAIN)) {
            ip6.wrap(f.segment, BASE);
            int type = ip6.nextHeader();
            long at = ip6.payloadOffset();
            int skipped = 0;
            while (Ipv6ExtensionHeader.isExtension(type)) {
                ext.wrap(f.segment, at);
                at += ext.lengthBytes(type);
                type = ext.nextHeader();
                skipped++;
            }
            assertEquals(5, skipped);
            assertEquals(Ipv4Header.PROTOCOL_UDP, type);
            assertEquals(BASE + 112, at);
        }
    }

    @Test
    void shouldReadFragmentFieldsWhenHeaderIsFragment() {
        // scapy: the CHAIN expression at the top of this class
        try (Frame f = Frame.of(CHAIN)) {
            assertSame(frag, frag.wrap(f.segment, f.at(72)));
            assertEquals(BASE + 72, frag.offset());
            assertEquals(Ipv6ExtensionHeader.AH, frag.nextHeader());
            assertEquals(100, frag.fragmentOffset());
            assertEquals(800, frag.fragmentOffsetBytes());
            assertTrue(frag.moreFragments());
            assertEquals(0xDEAD_BEEF, frag.identification());
            assertEquals(BASE + 80, frag.payloadOffset());
        }
    }

    @Test
    void shouldClassifyNextHeadersWhenAskedIsExtension() {
        for (int type : new int[] {0, 43, 44, 51, 60, 135, 139, 140}) {
            assertTrue(Ipv6ExtensionHeader.isExtension(type), "type " + type);
        }
        for (int type : new int[] {6, 17, 58, 50, 59, 41, 4, 1, 255, 132}) {
            assertFalse(Ipv6ExtensionHeader.isExtension(type), "type " + type);
        }
    }

    @Test
    void shouldComputeLengthWhenTypeUsesItsOwnUnit() {
        assertEquals(8, Ipv6ExtensionHeader.lengthBytes(Ipv6ExtensionHeader.HOP_BY_HOP, 0));
        assertEquals(2048, Ipv6ExtensionHeader.lengthBytes(Ipv6ExtensionHeader.ROUTING, 255));
        assertEquals(16, Ipv6ExtensionHeader.lengthBytes(Ipv6ExtensionHeader.DESTINATION_OPTIONS, 1));
        assertEquals(12, Ipv6ExtensionHeader.lengthBytes(Ipv6ExtensionHeader.AH, 1));
        assertEquals(1028, Ipv6ExtensionHeader.lengthBytes(Ipv6ExtensionHeader.AH, 255));
        // The fragment header's length byte is reserved: always 8.
        assertEquals(8, Ipv6ExtensionHeader.lengthBytes(Ipv6ExtensionHeader.FRAGMENT, 7));
    }

    @Test
    void shouldWriteOnlyTheFieldWhenEachFixedHeaderSetterIsCalled() {
        // 6b9abcde 0057 00 40 | src 2001:db8::1 | dst 2001:db8::1:0:0:2
        // scapy: the CHAIN expression at the top of this class
        try (Frame f = Frame.of(CHAIN)) {
            ip6.wrap(f.segment, BASE);
            assertSame(ip6, ip6.version(4));
            f.assertOnlyChanged(0, "4b9abcde");
            ip6.version(6);
            f.assertOnlyChanged(0, "6b9abcde");
            assertSame(ip6, ip6.trafficClass(0x12));
            f.assertOnlyChanged(0, "612abcde");
            assertSame(ip6, ip6.flowLabel(0x12345));
            f.assertOnlyChanged(0, "61212345");
            ip6.flowLabel(0xFFFF_FFFF); // 20 bits only
            f.assertOnlyChanged(0, "612fffff");
            ip6.trafficClass(0x1FF); // 8 bits only
            f.assertOnlyChanged(0, "6fffffff");
            assertEquals(6, ip6.version());
            assertSame(ip6, ip6.payloadLength(1000));
            f.assertOnlyChanged(4, "03e8");
            assertSame(ip6, ip6.nextHeader(Ipv4Header.PROTOCOL_TCP));
            f.assertOnlyChanged(6, "06");
            assertSame(ip6, ip6.hopLimit(1));
            f.assertOnlyChanged(7, "01");
            assertSame(ip6, ip6.srcHi(0xFE80_0000_0000_0000L));
            f.assertOnlyChanged(8, "fe80000000000000");
            assertSame(ip6, ip6.srcLo(0x0200_00FF_FE00_0001L));
            f.assertOnlyChanged(16, "020000fffe000001");
            assertSame(ip6, ip6.dstHi(0xFF02_0000_0000_0000L));
            f.assertOnlyChanged(24, "ff02000000000000");
            assertSame(ip6, ip6.dstLo(0x0000_0001_FF00_0099L));
            f.assertOnlyChanged(32, "00000001ff000099");
            assertSame(ip6, ip6.src(-1L, 0L));
            f.assertOnlyChanged(8, "ffffffffffffffff0000000000000000");
            assertSame(ip6, ip6.dst(0x0123_4567_89AB_CDEFL, 0xFEDC_BA98_7654_3210L));
            f.assertOnlyChanged(24, "0123456789abcdeffedcba9876543210");
        }
    }

    @Test
    void shouldWriteOnlyTheFieldWhenEachExtensionSetterIsCalled() {
        // scapy: the CHAIN expression at the top of this class
        try (Frame f = Frame.of(CHAIN)) {
            ext.wrap(f.segment, f.at(48)); // routing: 2c 02 00 01
            assertSame(ext, ext.nextHeader(Ipv6ExtensionHeader.NO_NEXT_HEADER));
            f.assertOnlyChanged(48, "3b");
            assertSame(ext, ext.headerExtLength(4));
            f.assertOnlyChanged(49, "04");
            assertSame(ext, ext.routingType(4));
            f.assertOnlyChanged(50, "04");
            assertSame(ext, ext.segmentsLeft(0));
            f.assertOnlyChanged(51, "00");
        }
    }

    @Test
    void shouldWriteOnlyTheFieldWhenEachFragmentSetterIsCalled() {
        // scapy: the CHAIN expression at the top of this class
        try (Frame f = Frame.of(CHAIN)) {
            frag.wrap(f.segment, f.at(72)); // 33 00 0321 deadbeef
            assertSame(frag, frag.nextHeader(Ipv4Header.PROTOCOL_UDP));
            f.assertOnlyChanged(72, "11");
            assertSame(frag, frag.fragmentOffset(0x1FFF));
            f.assertOnlyChanged(74, "fff9");
            assertSame(frag, frag.moreFragments(false));
            f.assertOnlyChanged(74, "fff8");
            frag.moreFragments(true);
            f.assertOnlyChanged(74, "fff9");
            assertSame(frag, frag.identification(0x0102_0304));
            f.assertOnlyChanged(76, "01020304");
        }
    }

    @Test
    void shouldKeepReservedBitsWhenFragmentOffsetIsSet() {
        // scapy: the CHAIN expression at the top of this class
        try (Frame f = Frame.of(CHAIN)) {
            NetworkOrder.u16(f.segment, f.at(74), 0x0327); // offset 100, both reserved bits, M
            f.snapshot();
            frag.wrap(f.segment, f.at(72)).fragmentOffset(5);
            f.assertOnlyChanged(74, "002f");
            assertEquals(5, frag.fragmentOffset());
            assertTrue(frag.moreFragments());
        }
    }

    @Test
    void shouldClassifyAddressesWhenAskedForTheirScope() {
        long[] linkLocal = PacketBuilder.ip6("fe80::a00:ff:fe00:5");
        long[] linkLocalEdge = PacketBuilder.ip6("febf:ffff::1");
        long[] siteLocal = PacketBuilder.ip6("fec0::1");
        long[] solicited = PacketBuilder.ip6("ff02::1:ff00:5");
        long[] allNodes = PacketBuilder.ip6("ff02::1");
        long[] global = PacketBuilder.ip6("fd00:10:244:1::5");

        assertTrue(Ipv6Header.isLinkLocal(linkLocal[0]));
        assertTrue(Ipv6Header.isLinkLocal(linkLocalEdge[0]), "fe80::/10 reaches febf:...");
        assertFalse(Ipv6Header.isLinkLocal(siteLocal[0]));
        assertFalse(Ipv6Header.isLinkLocal(global[0]));
        assertTrue(Ipv6Header.isUnspecified(0, 0));
        assertFalse(Ipv6Header.isUnspecified(0, 1), "::1 is loopback, not unspecified");
        assertTrue(Ipv6Header.isSolicitedNode(solicited[0], solicited[1]));
        assertFalse(Ipv6Header.isSolicitedNode(allNodes[0], allNodes[1]));
        assertTrue(Ipv6Header.isMulticast(allNodes[0]));
        assertFalse(Ipv6Header.isMulticast(global[0]));
    }
}
