package dev.gingham.packet.header;

import dev.gingham.packet.NetworkOrder;
import org.junit.jupiter.api.Test;

import static dev.gingham.packet.header.Frame.BASE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

class UdpHeaderTest {
    private static final int UDP = EthernetHeader.VLAN_LENGTH + Ipv4Header.MIN_LENGTH;
    private final UdpHeader udp = new UdpHeader();

    @Test
    void shouldReadEveryFieldWhenDatagramFollowsVlanAndIpv4() {
        // scapy: Ether(dst="02:00:00:00:00:02", src="02:00:00:00:00:01")/Dot1Q(prio=5, id=1, vlan=100)
        //        /IP(src="10.0.0.1", dst="10.0.0.2", id=1)/UDP(sport=1234, dport=9999)/b"hi"
        try (Frame f = Frame.of(GoldenFrames.ETH_VLAN_UDP)) {
            assertSame(udp, udp.wrap(f.segment, f.at(UDP)));
            assertEquals(BASE + UDP, udp.offset());
            assertEquals(1234, udp.srcPort());
            assertEquals(9999, udp.dstPort());
            assertEquals(10, udp.length());
            assertEquals(0x578D, udp.checksum());
            assertEquals(BASE + UDP + 8, udp.payloadOffset());
            assertEquals(0x6869, NetworkOrder.u16(f.segment, udp.payloadOffset())); // "hi"
        }
    }

    @Test
    void shouldReadHighPortsWhenDatagramIsVxlanUnderlay() {
        // scapy: Ether(...)/IP(src="192.168.0.1", dst="192.168.0.2", id=6)/UDP(sport=54321, dport=4789)/VXLAN(...)/...
        try (Frame f = Frame.of(GoldenFrames.VXLAN)) {
            udp.wrap(f.segment, f.at(EthernetHeader.LENGTH + Ipv4Header.MIN_LENGTH));
            assertEquals(54321, udp.srcPort());
            assertEquals(VxlanHeader.PORT_IANA, udp.dstPort());
            assertEquals(58, udp.length());
            assertEquals(0xD86D, udp.checksum());
        }
    }

    @Test
    void shouldWriteOnlyTheFieldWhenEachSetterIsCalled() {
        // 04d2 270f 000a 578d
        // scapy: Ether(dst="02:00:00:00:00:02", src="02:00:00:00:00:01")/Dot1Q(prio=5, id=1,
        //        vlan=100)/IP(src="10.0.0.1", dst="10.0.0.2", id=1)/UDP(sport=1234, dport=9999)/b"hi"
        try (Frame f = Frame.of(GoldenFrames.ETH_VLAN_UDP)) {
            udp.wrap(f.segment, f.at(UDP));
            assertSame(udp, udp.srcPort(65535));
            f.assertOnlyChanged(UDP, "ffff");
            assertSame(udp, udp.dstPort(VxlanHeader.PORT_LINUX));
            f.assertOnlyChanged(UDP + 2, "2118");
            assertSame(udp, udp.length(1480));
            f.assertOnlyChanged(UDP + 4, "05c8");
            assertSame(udp, udp.checksum(0));
            f.assertOnlyChanged(UDP + 6, "0000");
        }
    }
}
