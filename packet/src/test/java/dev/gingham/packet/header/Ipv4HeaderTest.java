package dev.gingham.packet.header;

import dev.gingham.packet.NetworkOrder;
import dev.gingham.packet.PacketBuilder;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

import static dev.gingham.packet.header.Frame.BASE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

class Ipv4HeaderTest {
    private final Ipv4Header ip = new Ipv4Header();

    @Test
    void shouldReadEveryFieldWhenHeaderHasOptionsAndOddTotalLength() {
        // scapy: IP(src="192.168.1.10", dst="172.16.0.1", tos=0xb9, id=0xbeef, ttl=17,
        //        options=[IPOption_NOP(), IPOption_RR(pointer=8, routers=["1.2.3.4", "0.0.0.0"]),
        //                 IPOption_NOP(), IPOption_NOP(), IPOption_NOP()])/ICMP(type=8, id=0x1234, seq=7)/b"odd"
        // scapy pads the 15 option bytes with one end-of-list byte: ihl=9.
        try (Frame f = Frame.of(GoldenFrames.IPV4_OPTIONS)) {
            assertSame(ip, ip.wrap(f.segment, BASE));
            assertEquals(BASE, ip.offset());
            assertEquals(4, ip.version());
            assertEquals(9, ip.ihl());
            assertEquals(36, ip.headerLength());
            assertEquals(0xB9, ip.tos());
            assertEquals(46, ip.dscp()); // EF
            assertEquals(1, ip.ecn()); // ECT(1)
            assertEquals(47, ip.totalLength());
            assertEquals(f.length, ip.totalLength());
            assertEquals(11, ip.payloadLength());
            assertEquals(0xBEEF, ip.identification());
            assertEquals(0, ip.flags());
            assertFalse(ip.dontFragment());
            assertFalse(ip.moreFragments());
            assertEquals(0, ip.fragmentOffset());
            assertFalse(ip.isFragment());
            assertEquals(17, ip.ttl());
            assertEquals(Ipv4Header.PROTOCOL_ICMP, ip.protocol());
            assertEquals(0x664C, ip.checksum());
            assertEquals(0xC0A8_010A, ip.src());
            assertEquals(0xAC10_0001, ip.dst());
            assertEquals(BASE + 20, ip.optionsOffset());
            assertEquals(16, ip.optionsLength());
            // NOP, then Record Route: type 7, length 11, pointer 8, first router 1.2.3.4.
            assertEquals(0x01, NetworkOrder.u8(f.segment, ip.optionsOffset()));
            assertEquals(0x07, NetworkOrder.u8(f.segment, ip.optionsOffset() + 1));
            assertEquals(11, NetworkOrder.u8(f.segment, ip.optionsOffset() + 2));
            assertEquals(8, NetworkOrder.u8(f.segment, ip.optionsOffset() + 3));
            assertEquals(0x0102_0304, NetworkOrder.u32(f.segment, ip.optionsOffset() + 4));
            assertEquals(0x00, NetworkOrder.u8(f.segment, ip.optionsOffset() + 15)); // end of list
            assertEquals(BASE + 36, ip.payloadOffset());
            Icmp4Header icmp = new Icmp4Header().wrap(f.segment, ip.payloadOffset());
            assertEquals(Icmp4Header.ECHO_REQUEST, icmp.type());
            assertEquals(0x1260, icmp.checksum());
            assertEquals(0x1234, icmp.identifier());
            assertEquals(7, icmp.sequence());
        }
    }

    @Test
    void shouldReadFlagsAndOffsetWhenDatagramIsFragmentWithDfAndMf() {
        // scapy: IP(src="10.1.2.3", dst="10.4.5.6", id=0x1234, flags="DF+MF", frag=185, ttl=64, proto=17)
        //        /Raw(b"0123456789abcdef")
        try (Frame f = Frame.of(GoldenFrames.IPV4_FRAGMENT)) {
            ip.wrap(f.segment, BASE);
            assertEquals(5, ip.ihl());
            assertEquals(Ipv4Header.MIN_LENGTH, ip.headerLength());
            assertEquals(0, ip.optionsLength());
            assertEquals(0, ip.tos());
            assertEquals(36, ip.totalLength());
            assertEquals(0x1234, ip.identification());
            assertEquals(0x60B9, ip.flags());
            assertTrue(ip.dontFragment());
            assertTrue(ip.moreFragments());
            assertEquals(185, ip.fragmentOffset());
            assertEquals(1480, ip.fragmentOffsetBytes());
            assertTrue(ip.isFragment());
            assertEquals(64, ip.ttl());
            assertEquals(Ipv4Header.PROTOCOL_UDP, ip.protocol());
            assertEquals(0xECCE, ip.checksum());
            assertEquals(0x0A01_0203, ip.src());
            assertEquals(0x0A04_0506, ip.dst());
            assertEquals(16, ip.payloadLength());
        }
    }

    @Test
    void shouldReadLargestOffsetWhenFragmentIsAtTheEnd() {
        // scapy: IP(src="10.1.2.3", dst="10.4.5.6", id=0x1234, flags="MF", frag=8191, ttl=1, proto=17)/Raw(b"x")
        try (Frame f = Frame.of(GoldenFrames.IPV4_LAST_FRAGMENT)) {
            ip.wrap(f.segment, BASE);
            assertEquals(0x3FFF, ip.flags());
            assertFalse(ip.dontFragment());
            assertTrue(ip.moreFragments());
            assertEquals(8191, ip.fragmentOffset());
            assertEquals(65528, ip.fragmentOffsetBytes());
            assertTrue(ip.isFragment());
            assertEquals(1, ip.ttl());
            assertEquals(21, ip.totalLength());
            assertEquals(0x4C98, ip.checksum());
        }
    }

    @Test
    void shouldNotBeFragmentWhenOnlyDfIsSet() {
        // scapy: IP(src="10.0.0.1", dst="10.0.0.2", id=2, flags="DF")/TCP(sport=40000, dport=443, ...)
        try (Frame f = Frame.of(GoldenFrames.TCP_SYN_OPTIONS)) {
            ip.wrap(f.segment, BASE);
            assertTrue(ip.dontFragment());
            assertFalse(ip.isFragment());
            assertEquals(Ipv4Header.PROTOCOL_TCP, ip.protocol());
            assertEquals(0x26B8, ip.checksum());
        }
    }

    @Test
    void shouldReadInnerHeaderWhenWrappedAtVlanPayloadOffset() {
        // scapy: Ether(...)/Dot1Q(prio=5, id=1, vlan=100)/IP(src="10.0.0.1", dst="10.0.0.2", id=1)/UDP(...)/b"hi"
        try (Frame f = Frame.of(GoldenFrames.ETH_VLAN_UDP)) {
            ip.wrap(f.segment, f.at(18));
            assertEquals(BASE + 18, ip.offset());
            assertEquals(30, ip.totalLength());
            assertEquals(1, ip.identification());
            assertEquals(0x66CC, ip.checksum());
            assertEquals(0x0A00_0001, ip.src());
            assertEquals(0x0A00_0002, ip.dst());
            assertEquals(BASE + 38, ip.payloadOffset());
        }
    }

    @Test
    void shouldWriteOnlyTheFieldWhenEachSetterIsCalled() {
        // Fragment frame: 45 00 0024 1234 60b9 40 11 ecce 0a010203 0a040506
        // scapy: IP(src="10.1.2.3", dst="10.4.5.6", id=0x1234, flags="DF+MF", frag=185, ttl=64,
        //        proto=17)/Raw(b"0123456789abcdef")
        try (Frame f = Frame.of(GoldenFrames.IPV4_FRAGMENT)) {
            ip.wrap(f.segment, BASE);
            assertSame(ip, ip.version(6));
            f.assertOnlyChanged(0, "65");
            ip.version(4);
            f.assertOnlyChanged(0, "45");
            assertSame(ip, ip.ihl(6));
            f.assertOnlyChanged(0, "46");
            assertSame(ip, ip.headerLength(60));
            f.assertOnlyChanged(0, "4f");
            assertEquals(60, ip.headerLength());
            ip.headerLength(20);
            f.assertOnlyChanged(0, "45");
            assertSame(ip, ip.tos(0xB9));
            f.assertOnlyChanged(1, "b9");
            assertSame(ip, ip.dscp(10));
            f.assertOnlyChanged(1, "29"); // AF11 (10 << 2) keeps ECN 01
            assertSame(ip, ip.ecn(3));
            f.assertOnlyChanged(1, "2b");
            ip.dscp(0);
            f.assertOnlyChanged(1, "03");
            assertSame(ip, ip.totalLength(1500));
            f.assertOnlyChanged(2, "05dc");
            assertSame(ip, ip.identification(0xABCD));
            f.assertOnlyChanged(4, "abcd");
            assertSame(ip, ip.dontFragment(false));
            f.assertOnlyChanged(6, "20b9");
            ip.dontFragment(true);
            f.assertOnlyChanged(6, "60b9");
            assertSame(ip, ip.moreFragments(false));
            f.assertOnlyChanged(6, "40b9");
            ip.moreFragments(true);
            f.assertOnlyChanged(6, "60b9");
            assertSame(ip, ip.fragmentOffset(1));
            f.assertOnlyChanged(6, "6001");
            ip.fragmentOffset(0xFFFF); // 13 bits only: flags survive
            f.assertOnlyChanged(6, "7fff");
            assertSame(ip, ip.flags(0));
            f.assertOnlyChanged(6, "0000");
            assertSame(ip, ip.ttl(63));
            f.assertOnlyChanged(8, "3f");
            assertSame(ip, ip.protocol(Ipv4Header.PROTOCOL_TCP));
            f.assertOnlyChanged(9, "06");
            assertSame(ip, ip.checksum(0x1234));
            f.assertOnlyChanged(10, "1234");
            assertSame(ip, ip.src(0xC0A8_0001));
            f.assertOnlyChanged(12, "c0a80001");
            assertSame(ip, ip.dst(0xFFFF_FFFE));
            f.assertOnlyChanged(16, "fffffffe");
        }
    }

    @Test
    void shouldWriteWholeHeaderWithChecksumWhenBuiltFromNothing() {
        // Expected bytes from PacketBuilder (its own byte-by-byte checksum), high addresses and a
        // full TOS byte so the checksum's end-around carries are exercised.
        byte[][] cases = {
            PacketBuilder.ipPacketOf(PacketBuilder.udp4("10.0.0.1", 1, "10.0.0.2", 2).payload(30).build()),
            PacketBuilder.ipPacketOf(PacketBuilder.udp4("255.254.253.252", 1, "223.255.255.255", 2).tos(0xFF)
                    .ipId(0xFFFF).ttl(255).dontFragment().build()),
            PacketBuilder.ipPacketOf(PacketBuilder.tcp4("192.0.2.1", 1, "198.51.100.7", 2).tos(0x2E).ipId(0x8001)
                    .ttl(1).payload(1400).build()),
        };
        for (byte[] expected : cases) {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment s = arena.allocate(BASE + 20 + 8);
                s.fill((byte) 0xA5);
                Ipv4Header.write(s, BASE, expected[1] & 0xFF, u16(expected, 2), u16(expected, 4), u16(expected, 6),
                        expected[8] & 0xFF, expected[9] & 0xFF, NetworkOrder.u32(MemorySegment.ofArray(expected), 12),
                        NetworkOrder.u32(MemorySegment.ofArray(expected), 16));
                assertArrayEquals(Arrays.copyOf(expected, 20), s.asSlice(BASE, 20).toArray(ValueLayout.JAVA_BYTE));
                assertEquals((byte) 0xA5, s.get(ValueLayout.JAVA_BYTE, BASE + 20), "wrote past the header");
            }
        }
    }

    private static int u16(byte[] bytes, int at) {
        return (bytes[at] & 0xFF) << 8 | (bytes[at + 1] & 0xFF);
    }

    @Test
    void shouldMatchProtocolNumbersWhenComparedWithIana() {
        assertEquals(1, Ipv4Header.PROTOCOL_ICMP);
        assertEquals(2, Ipv4Header.PROTOCOL_IGMP);
        assertEquals(4, Ipv4Header.PROTOCOL_IPIP);
        assertEquals(6, Ipv4Header.PROTOCOL_TCP);
        assertEquals(17, Ipv4Header.PROTOCOL_UDP);
        assertEquals(41, Ipv4Header.PROTOCOL_IPV6);
        assertEquals(47, Ipv4Header.PROTOCOL_GRE);
        assertEquals(50, Ipv4Header.PROTOCOL_ESP);
        assertEquals(51, Ipv4Header.PROTOCOL_AH);
        assertEquals(58, Ipv4Header.PROTOCOL_ICMPV6);
        assertEquals(132, Ipv4Header.PROTOCOL_SCTP);
        assertEquals(20, Ipv4Header.MIN_LENGTH);
        assertEquals(60, Ipv4Header.MAX_LENGTH);
    }
}
