package dev.gingham.packet.header;

import org.junit.jupiter.api.Test;

import static dev.gingham.packet.header.Frame.BASE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

class ArpHeaderTest {
    private static final int ARP = EthernetHeader.LENGTH;
    private final ArpHeader arp = new ArpHeader();

    @Test
    void shouldReadEveryFieldWhenPacketIsRequest() {
        // scapy: Ether(dst="ff:ff:ff:ff:ff:ff", src="02:00:00:00:00:01")/ARP(op=1, hwsrc="02:00:00:00:00:01",
        //        psrc="10.0.0.1", hwdst="00:00:00:00:00:00", pdst="10.0.0.254")
        try (Frame f = Frame.of(GoldenFrames.ARP_REQUEST)) {
            assertSame(arp, arp.wrap(f.segment, f.at(ARP)));
            assertEquals(BASE + ARP, arp.offset());
            assertEquals(ArpHeader.HTYPE_ETHERNET, arp.htype());
            assertEquals(ArpHeader.PTYPE_IPV4, arp.ptype());
            assertEquals(6, arp.hlen());
            assertEquals(4, arp.plen());
            assertEquals(ArpHeader.OPER_REQUEST, arp.oper());
            assertEquals(0x0200_0000_0001L, arp.sha());
            assertEquals(0x0A00_0001, arp.spa());
            assertEquals(0L, arp.tha());
            assertEquals(0x0A00_00FE, arp.tpa());
            assertEquals(42, ARP + ArpHeader.LENGTH);
        }
    }

    @Test
    void shouldReadEveryFieldWhenPacketIsReply() {
        // scapy: Ether(dst="02:00:00:00:00:01", src="0a:1b:2c:3d:4e:5f")/ARP(op=2, hwsrc="0a:1b:2c:3d:4e:5f",
        //        psrc="10.0.0.254", hwdst="02:00:00:00:00:01", pdst="10.0.0.1")
        try (Frame f = Frame.of(GoldenFrames.ARP_REPLY)) {
            arp.wrap(f.segment, f.at(ARP));
            assertEquals(ArpHeader.OPER_REPLY, arp.oper());
            assertEquals(0x0A1B_2C3D_4E5FL, arp.sha());
            assertEquals(0x0A00_00FE, arp.spa());
            assertEquals(0x0200_0000_0001L, arp.tha());
            assertEquals(0x0A00_0001, arp.tpa());
        }
    }

    @Test
    void shouldWriteOnlyTheFieldWhenEachSetterIsCalled() {
        // scapy: Ether(dst="ff:ff:ff:ff:ff:ff", src="02:00:00:00:00:01")/ARP(op=1, hwsrc="02:00:00:00:00:01",
        //        psrc="10.0.0.1", hwdst="00:00:00:00:00:00", pdst="10.0.0.254")
        try (Frame f = Frame.of(GoldenFrames.ARP_REQUEST)) {
            arp.wrap(f.segment, f.at(ARP));
            assertSame(arp, arp.htype(6));
            f.assertOnlyChanged(ARP, "0006");
            assertSame(arp, arp.ptype(0x86DD));
            f.assertOnlyChanged(ARP + 2, "86dd");
            assertSame(arp, arp.hlen(8));
            f.assertOnlyChanged(ARP + 4, "08");
            assertSame(arp, arp.plen(16));
            f.assertOnlyChanged(ARP + 5, "10");
            assertSame(arp, arp.oper(ArpHeader.OPER_REPLY));
            f.assertOnlyChanged(ARP + 6, "0002");
            assertSame(arp, arp.sha(0x0A1B_2C3D_4E5FL));
            f.assertOnlyChanged(ARP + 8, "0a1b2c3d4e5f");
            assertSame(arp, arp.spa(0xC0A8_0001));
            f.assertOnlyChanged(ARP + 14, "c0a80001");
            assertSame(arp, arp.tha(0x0200_0000_0001L));
            f.assertOnlyChanged(ARP + 18, "020000000001");
            assertSame(arp, arp.tpa(0xFFFF_FFFF));
            f.assertOnlyChanged(ARP + 24, "ffffffff");
        }
    }

    @Test
    void shouldTurnRequestIntoReplyWhenRespondingInPlace() {
        // The ARP responder's rewrite: request for 10.0.0.254 answered by 0a:1b:2c:3d:4e:5f must equal
        // scapy's reply frame byte for byte.
        try (Frame f = Frame.of(GoldenFrames.ARP_REQUEST)) {
            EthernetHeader eth = new EthernetHeader().wrap(f.segment, BASE);
            arp.wrap(f.segment, eth.payloadOffset());
            long requester = arp.sha();
            int requesterIp = arp.spa();
            int target = arp.tpa();
            eth.dst(requester).src(0x0A1B_2C3D_4E5FL);
            arp.oper(ArpHeader.OPER_REPLY).tha(requester).tpa(requesterIp).sha(0x0A1B_2C3D_4E5FL).spa(target);
            assertArrayEquals(Frame.bytes(GoldenFrames.ARP_REPLY), f.frameBytes());
        }
    }
}
