package dev.gingham.packet.header;

import org.junit.jupiter.api.Test;

import java.lang.foreign.ValueLayout;

import static dev.gingham.packet.header.Frame.BASE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

class EthernetHeaderTest {
    private final EthernetHeader eth = new EthernetHeader();

    @Test
    void shouldReadEveryFieldWhenFrameHasOneVlanTag() {
        // scapy: Ether(dst="02:00:00:00:00:02", src="02:00:00:00:00:01")/Dot1Q(prio=5, id=1, vlan=100)
        //        /IP(src="10.0.0.1", dst="10.0.0.2", id=1)/UDP(sport=1234, dport=9999)/b"hi"
        try (Frame f = Frame.of(GoldenFrames.ETH_VLAN_UDP)) {
            assertSame(eth, eth.wrap(f.segment, BASE));
            assertEquals(BASE, eth.offset());
            assertSame(f.segment, eth.segment());
            assertEquals(0x0200_0000_0002L, eth.dst());
            assertEquals(0x0200_0000_0001L, eth.src());
            assertEquals(EthernetHeader.ETHER_TYPE_VLAN, eth.etherType());
            assertTrue(eth.hasVlanTag());
            assertEquals(0xB064, eth.tci());
            assertEquals(100, eth.vlanId());
            assertEquals(5, eth.pcp());
            assertEquals(1, eth.dei());
            assertEquals(EthernetHeader.ETHER_TYPE_IPV4, eth.innerEtherType());
            assertEquals(EthernetHeader.ETHER_TYPE_IPV4, eth.payloadEtherType());
            assertEquals(18, eth.headerLength());
            assertEquals(BASE + 18, eth.payloadOffset());
            // The payload really starts there: IPv4 version/IHL byte.
            assertEquals(0x45, f.segment.get(ValueLayout.JAVA_BYTE, eth.payloadOffset()));
        }
    }

    @Test
    void shouldReadBothTagsWhenFrameIsQinQ() {
        // scapy: Ether(dst="02:00:00:00:00:02", src="02:00:00:00:00:01", type=0x88a8)/Dot1AD(prio=3, vlan=300)
        //        /Dot1Q(vlan=42)/IP(src="10.0.0.1", dst="10.0.0.2", id=1)/UDP(sport=1, dport=2)
        try (Frame f = Frame.of(GoldenFrames.ETH_QINQ)) {
            eth.wrap(f.segment, BASE);
            assertEquals(EthernetHeader.ETHER_TYPE_QINQ, eth.etherType());
            assertTrue(eth.hasVlanTag());
            assertEquals(300, eth.vlanId());
            assertEquals(3, eth.pcp());
            assertEquals(0, eth.dei());
            assertEquals(EthernetHeader.ETHER_TYPE_VLAN, eth.innerEtherType());

            EthernetHeader inner = new EthernetHeader().wrap(f.segment, BASE + EthernetHeader.VLAN_TAG_LENGTH);
            assertEquals(EthernetHeader.ETHER_TYPE_VLAN, inner.etherType());
            assertTrue(inner.hasVlanTag());
            assertEquals(42, inner.vlanId());
            assertEquals(0, inner.pcp());
            assertEquals(EthernetHeader.ETHER_TYPE_IPV4, inner.innerEtherType());
            assertEquals(BASE + 22, inner.payloadOffset());
        }
    }

    @Test
    void shouldReportNoTagWhenFrameIsUntagged() {
        // scapy: Ether(dst="ff:ff:ff:ff:ff:ff", src="02:00:00:00:00:01")/ARP(op=1, hwsrc="02:00:00:00:00:01",
        //        psrc="10.0.0.1", hwdst="00:00:00:00:00:00", pdst="10.0.0.254")
        try (Frame f = Frame.of(GoldenFrames.ARP_REQUEST)) {
            eth.wrap(f.segment, BASE);
            assertEquals(EthernetHeader.BROADCAST_MAC, eth.dst());
            assertEquals(0x0200_0000_0001L, eth.src());
            assertEquals(EthernetHeader.ETHER_TYPE_ARP, eth.etherType());
            assertFalse(eth.hasVlanTag());
            assertEquals(EthernetHeader.ETHER_TYPE_ARP, eth.payloadEtherType());
            assertEquals(EthernetHeader.LENGTH, eth.headerLength());
            assertEquals(BASE + 14, eth.payloadOffset());
            assertTrue(EthernetHeader.isMulticastMac(eth.dst()));
            assertFalse(EthernetHeader.isMulticastMac(eth.src()));
        }
    }

    @Test
    void shouldReadIpv4EtherTypeWhenFrameIsVxlanUnderlay() {
        // scapy: Ether(dst="02:00:00:00:00:02", src="02:00:00:00:00:01")/IP(...)/UDP(sport=54321, dport=4789)
        //        /VXLAN(flags=0x08, vni=0xabcdef)/Ether(dst="0a:00:00:00:00:02", src="0a:00:00:00:00:01")/IP(...)/ICMP(...)
        try (Frame f = Frame.of(GoldenFrames.VXLAN)) {
            eth.wrap(f.segment, BASE);
            assertEquals(EthernetHeader.ETHER_TYPE_IPV4, eth.etherType());
            assertEquals(EthernetHeader.ETHER_TYPE_IPV4, eth.payloadEtherType());
            assertEquals(BASE + 14, eth.payloadOffset());
        }
    }

    @Test
    void shouldWriteOnlyTheFieldWhenEachSetterIsCalled() {
        // scapy: Ether(dst="02:00:00:00:00:02", src="02:00:00:00:00:01")/Dot1Q(prio=5, id=1, vlan=100)/IP(...)/UDP(...)
        try (Frame f = Frame.of(GoldenFrames.ETH_VLAN_UDP)) {
            eth.wrap(f.segment, BASE);
            assertSame(eth, eth.dst(0x0A1B_2C3D_4E5FL));
            f.assertOnlyChanged(0, "0a1b2c3d4e5f");
            assertSame(eth, eth.src(0x0000_0000_0099L));
            f.assertOnlyChanged(6, "000000000099");
            assertSame(eth, eth.etherType(EthernetHeader.ETHER_TYPE_IPV6));
            f.assertOnlyChanged(12, "86dd");
            eth.etherType(EthernetHeader.ETHER_TYPE_VLAN);
            f.assertOnlyChanged(12, "8100");
            assertSame(eth, eth.tci(0x0FFF));
            f.assertOnlyChanged(14, "0fff");
            eth.tci(0xB064);
            f.assertOnlyChanged(14, "b064");
            assertSame(eth, eth.vlanId(0xABC));
            f.assertOnlyChanged(14, "babc");
            assertSame(eth, eth.pcp(2));
            f.assertOnlyChanged(14, "5abc");
            assertSame(eth, eth.dei(0));
            f.assertOnlyChanged(14, "4abc");
            eth.dei(1);
            f.assertOnlyChanged(14, "5abc");
            assertSame(eth, eth.innerEtherType(EthernetHeader.ETHER_TYPE_IPV6));
            f.assertOnlyChanged(16, "86dd");
        }
    }

    @Test
    void shouldKeepOtherTciBitsWhenVlanIdOrPcpOverflows() {
        // scapy: Ether(dst="02:00:00:00:00:02", src="02:00:00:00:00:01")/Dot1Q(prio=5, id=1,
        //        vlan=100)/IP(src="10.0.0.1", dst="10.0.0.2", id=1)/UDP(sport=1234, dport=9999)/b"hi"
        try (Frame f = Frame.of(GoldenFrames.ETH_VLAN_UDP)) {
            eth.wrap(f.segment, BASE);
            eth.vlanId(0xFFFF);
            f.assertOnlyChanged(14, "bfff");
            eth.pcp(0xF);
            f.assertOnlyChanged(14, "ffff");
            assertEquals(0xFFF, eth.vlanId());
            assertEquals(7, eth.pcp());
        }
    }

    @Test
    void shouldIgnoreHigh16BitsWhenWritingMac() {
        // scapy: Ether(dst="02:00:00:00:00:02", src="02:00:00:00:00:01")/Dot1Q(prio=5, id=1,
        //        vlan=100)/IP(src="10.0.0.1", dst="10.0.0.2", id=1)/UDP(sport=1234, dport=9999)/b"hi"
        try (Frame f = Frame.of(GoldenFrames.ETH_VLAN_UDP)) {
            eth.wrap(f.segment, BASE);
            eth.dst(0xFFFF_0A1B_2C3D_4E5FL);
            f.assertOnlyChanged(0, "0a1b2c3d4e5f");
            assertEquals(0x0A1B_2C3D_4E5FL, eth.dst());
        }
    }

    @Test
    void shouldWriteBothMacsAndNothingElseWhenWritingThePair() {
        try (Frame f = Frame.of(GoldenFrames.ETH_VLAN_UDP)) {
            EthernetHeader.macs(f.segment, f.at(0), 0xFFFF_0A1B_2C3D_4E5FL, 0xABCD_F1E2_D3C4_B5A6L);
            f.assertOnlyChanged(0, "0a1b2c3d4e5ff1e2d3c4b5a6");
            eth.wrap(f.segment, BASE);
            assertEquals(0x0A1B_2C3D_4E5FL, eth.dst());
            assertEquals(0xF1E2_D3C4_B5A6L, eth.src());
        }
    }

    @Test
    void shouldWriteMacsAndEtherTypeAndNothingElseWhenWritingTheWholeHeader() {
        // over a VLAN-tagged frame: bytes 12-13 (the TPID 8100) become the EtherType, byte 14 on is untouched
        try (Frame f = Frame.of(GoldenFrames.ETH_VLAN_UDP)) {
            EthernetHeader.write(f.segment, f.at(0), 0xFFFF_0A1B_2C3D_4E5FL, 0xABCD_F1E2_D3C4_B5A6L,
                    EthernetHeader.ETHER_TYPE_IPV4);
            f.assertOnlyChanged(0, "0a1b2c3d4e5ff1e2d3c4b5a60800");
            eth.wrap(f.segment, BASE);
            assertEquals(0x0A1B_2C3D_4E5FL, eth.dst());
            assertEquals(0xF1E2_D3C4_B5A6L, eth.src());
            assertEquals(EthernetHeader.ETHER_TYPE_IPV4, eth.etherType());
        }
    }

    @Test
    void shouldCopySixBytesWhenCopyingMac() {
        // scapy: Ether(dst="02:00:00:00:00:01", src="0a:1b:2c:3d:4e:5f")/ARP(op=2, hwsrc="0a:1b:2c:3d:4e:5f",
        //        psrc="10.0.0.254", hwdst="02:00:00:00:00:01", pdst="10.0.0.1")
        try (Frame f = Frame.of(GoldenFrames.ARP_REPLY)) {
            // Ethernet source (0a:1b:2c:3d:4e:5f) over the destination.
            EthernetHeader.copyMac(f.segment, f.at(EthernetHeader.SRC_OFFSET), f.segment, f.at(EthernetHeader.DST_OFFSET));
            f.assertOnlyChanged(0, "0a1b2c3d4e5f");
            assertEquals(0x0A1B_2C3D_4E5FL, EthernetHeader.mac(f.segment, f.at(0)));
        }
    }

    @Test
    void shouldExposeLayoutConstantsWhenUsedByTheParser() {
        assertEquals(14, EthernetHeader.LENGTH);
        assertEquals(4, EthernetHeader.VLAN_TAG_LENGTH);
        assertEquals(18, EthernetHeader.VLAN_LENGTH);
        assertEquals(0x0800, EthernetHeader.ETHER_TYPE_IPV4);
        assertEquals(0x0806, EthernetHeader.ETHER_TYPE_ARP);
        assertEquals(0x86DD, EthernetHeader.ETHER_TYPE_IPV6);
        assertEquals(0x8100, EthernetHeader.ETHER_TYPE_VLAN);
        assertEquals(0x88A8, EthernetHeader.ETHER_TYPE_QINQ);
    }
}
