package dev.gingham.packet.header;

import dev.gingham.packet.NetworkOrder;
import org.junit.jupiter.api.Test;

import static dev.gingham.packet.header.Frame.BASE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

class VxlanHeaderTest {
    private static final int VXLAN = EthernetHeader.LENGTH + Ipv4Header.MIN_LENGTH + UdpHeader.LENGTH;
    private final VxlanHeader vxlan = new VxlanHeader();

    @Test
    void shouldReadVniAndInnerFrameWhenPacketIsVxlan() {
        // scapy: Ether(dst="02:00:00:00:00:02", src="02:00:00:00:00:01")/IP(src="192.168.0.1", dst="192.168.0.2", id=6)
        //        /UDP(sport=54321, dport=4789)/VXLAN(flags=0x08, vni=0xabcdef)
        //        /Ether(dst="0a:00:00:00:00:02", src="0a:00:00:00:00:01")/IP(src="10.0.1.1", dst="10.0.2.2", id=7)
        //        /ICMP(type=8, id=1, seq=1)
        try (Frame f = Frame.of(GoldenFrames.VXLAN)) {
            assertSame(vxlan, vxlan.wrap(f.segment, f.at(VXLAN)));
            assertEquals(BASE + VXLAN, vxlan.offset());
            assertEquals(VxlanHeader.FLAG_I, vxlan.flags());
            assertTrue(vxlan.vniValid());
            assertEquals(0xABCDEF, vxlan.vni());
            assertEquals(BASE + VXLAN + 8, vxlan.payloadOffset());

            EthernetHeader inner = new EthernetHeader().wrap(f.segment, vxlan.payloadOffset());
            assertEquals(0x0A00_0000_0002L, inner.dst());
            assertEquals(0x0A00_0000_0001L, inner.src());
            assertEquals(EthernetHeader.ETHER_TYPE_IPV4, inner.etherType());
            Ipv4Header ip = new Ipv4Header().wrap(f.segment, inner.payloadOffset());
            assertEquals(0x0A00_0101, ip.src());
            assertEquals(0x0A00_0202, ip.dst());
            assertEquals(0x63D8, ip.checksum());
            Icmp4Header icmp = new Icmp4Header().wrap(f.segment, ip.payloadOffset());
            assertEquals(Icmp4Header.ECHO_REQUEST, icmp.type());
            assertEquals(0xF7FD, icmp.checksum());
            assertEquals(1, icmp.identifier());
            assertEquals(1, icmp.sequence());
            assertEquals(f.length, icmp.offset() + Icmp4Header.LENGTH - BASE);
        }
    }

    @Test
    void shouldWriteOnlyTheFieldWhenEachSetterIsCalled() {
        // 08 000000 abcdef 00
        // scapy: Ether(dst="02:00:00:00:00:02", src="02:00:00:00:00:01")/IP(src="192.168.0.1", dst="192.168.0.2",
        //        id=6)/UDP(sport=54321, dport=4789)/VXLAN(flags=0x08, vni=0xabcdef)/Ether(dst="0a:00:00:00:00:02",
        //        src="0a:00:00:00:00:01")/IP(src="10.0.1.1", dst="10.0.2.2", id=7)/ICMP(type=8, id=1, seq=1)
        try (Frame f = Frame.of(GoldenFrames.VXLAN)) {
            vxlan.wrap(f.segment, f.at(VXLAN));
            assertSame(vxlan, vxlan.flags(0));
            f.assertOnlyChanged(VXLAN, "00");
            assertFalse(vxlan.vniValid());
            assertSame(vxlan, vxlan.vni(0x123456));
            f.assertOnlyChanged(VXLAN + 4, "123456");
            vxlan.vni(0x7FAB_CDEF); // 24 bits only
            f.assertOnlyChanged(VXLAN + 4, "abcdef");
        }
    }

    @Test
    void shouldKeepReservedByteWhenVniIsSet() {
        // scapy: Ether(dst="02:00:00:00:00:02", src="02:00:00:00:00:01")/IP(src="192.168.0.1", dst="192.168.0.2",
        //        id=6)/UDP(sport=54321, dport=4789)/VXLAN(flags=0x08, vni=0xabcdef)/Ether(dst="0a:00:00:00:00:02",
        //        src="0a:00:00:00:00:01")/IP(src="10.0.1.1", dst="10.0.2.2", id=7)/ICMP(type=8, id=1, seq=1)
        try (Frame f = Frame.of(GoldenFrames.VXLAN)) {
            NetworkOrder.u8(f.segment, f.at(VXLAN + 7), 0x77);
            f.snapshot();
            vxlan.wrap(f.segment, f.at(VXLAN)).vni(1);
            f.assertOnlyChanged(VXLAN + 4, "00000177");
            assertEquals(1, vxlan.vni());
        }
    }

    @Test
    void shouldWriteEveryByteWhenInitOverwritesOldHeadroom() {
        // scapy: Ether(dst="02:00:00:00:00:02", src="02:00:00:00:00:01")/IP(src="192.168.0.1", dst="192.168.0.2",
        //        id=6)/UDP(sport=54321, dport=4789)/VXLAN(flags=0x08, vni=0xabcdef)/Ether(dst="0a:00:00:00:00:02",
        //        src="0a:00:00:00:00:01")/IP(src="10.0.1.1", dst="10.0.2.2", id=7)/ICMP(type=8, id=1, seq=1)
        try (Frame f = Frame.of(GoldenFrames.VXLAN)) {
            f.segment.asSlice(f.at(VXLAN), VxlanHeader.LENGTH).fill((byte) 0xFF);
            f.snapshot();
            assertSame(vxlan, vxlan.wrap(f.segment, f.at(VXLAN)).init(0xABCDEF));
            f.assertOnlyChanged(VXLAN, "08000000abcdef00");
        }
    }

    @Test
    void shouldMatchRfc7348WhenConstantsAreUsed() {
        assertEquals(8, VxlanHeader.LENGTH);
        assertEquals(4789, VxlanHeader.PORT_IANA);
        assertEquals(8472, VxlanHeader.PORT_LINUX);
        assertEquals(0x08, VxlanHeader.FLAG_I);
    }
}
