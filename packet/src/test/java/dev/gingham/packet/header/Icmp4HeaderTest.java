package dev.gingham.packet.header;

import org.junit.jupiter.api.Test;

import static dev.gingham.packet.header.Frame.BASE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

class Icmp4HeaderTest {
    private static final int ICMP = Ipv4Header.MIN_LENGTH;
    private final Icmp4Header icmp = new Icmp4Header();

    @Test
    void shouldReadEveryFieldWhenMessageIsEchoRequest() {
        // scapy: IP(src="10.0.0.1", dst="10.0.0.2", id=4)/ICMP(type=8, id=0x1234, seq=7)/b"ping"
        try (Frame f = Frame.of(GoldenFrames.ICMP_ECHO)) {
            assertSame(icmp, icmp.wrap(f.segment, f.at(ICMP)));
            assertEquals(BASE + ICMP, icmp.offset());
            assertEquals(Icmp4Header.ECHO_REQUEST, icmp.type());
            assertEquals(0, icmp.code());
            assertEquals(0x06F4, icmp.checksum());
            assertEquals(0x1234, icmp.identifier());
            assertEquals(7, icmp.sequence());
            assertEquals(0x1234_0007, icmp.restOfHeader());
            assertFalse(Icmp4Header.isError(icmp.type()));
        }
    }

    @Test
    void shouldReadMtuAndEmbeddedDatagramWhenMessageIsFragNeeded() {
        // scapy: IP(src="10.0.0.254", dst="10.0.0.1", id=5)/ICMP(type=3, code=4, nexthopmtu=1450)
        //        /IP(src="10.0.0.1", dst="10.9.9.9", id=0x4321, flags="DF", len=1500)/UDP(sport=1111, dport=2222, len=1480)
        try (Frame f = Frame.of(GoldenFrames.ICMP_FRAG_NEEDED)) {
            Ipv4Header outer = new Ipv4Header().wrap(f.segment, BASE);
            assertEquals(Ipv4Header.PROTOCOL_ICMP, outer.protocol());
            icmp.wrap(f.segment, outer.payloadOffset());
            assertEquals(Icmp4Header.DEST_UNREACH, icmp.type());
            assertEquals(Icmp4Header.FRAG_NEEDED, icmp.code());
            assertEquals(0x1A3E, icmp.checksum());
            assertEquals(1450, icmp.nextHopMtu());
            assertEquals(0x0000_05AA, icmp.restOfHeader()); // scapy: reserved=0, length=0, nexthopmtu=1450
            assertTrue(Icmp4Header.isError(icmp.type()));
            assertEquals(BASE + 28, icmp.datagramOffset());

            Ipv4Header inner = new Ipv4Header().wrap(f.segment, icmp.datagramOffset());
            assertEquals(4, inner.version());
            assertEquals(1500, inner.totalLength());
            assertEquals(0x4321, inner.identification());
            assertTrue(inner.dontFragment());
            assertEquals(Ipv4Header.PROTOCOL_UDP, inner.protocol());
            assertEquals(0xD4DD, inner.checksum());
            assertEquals(0x0A00_0001, inner.src());
            assertEquals(0x0A09_0909, inner.dst());
            UdpHeader udp = new UdpHeader().wrap(f.segment, inner.payloadOffset());
            assertEquals(1111, udp.srcPort());
            assertEquals(2222, udp.dstPort());
            assertEquals(1480, udp.length());
            assertEquals(0xCA46, udp.checksum());
        }
    }

    @Test
    void shouldWriteOnlyTheFieldWhenEachSetterIsCalled() {
        // 08 00 06f4 1234 0007
        // scapy: IP(src="10.0.0.1", dst="10.0.0.2", id=4)/ICMP(type=8, id=0x1234, seq=7)/b"ping"
        try (Frame f = Frame.of(GoldenFrames.ICMP_ECHO)) {
            icmp.wrap(f.segment, f.at(ICMP));
            assertSame(icmp, icmp.type(Icmp4Header.ECHO_REPLY));
            f.assertOnlyChanged(ICMP, "00");
            assertSame(icmp, icmp.code(Icmp4Header.PORT_UNREACH));
            f.assertOnlyChanged(ICMP + 1, "03");
            assertSame(icmp, icmp.checksum(0xFFFF));
            f.assertOnlyChanged(ICMP + 2, "ffff");
            assertSame(icmp, icmp.identifier(0xBEEF));
            f.assertOnlyChanged(ICMP + 4, "beef");
            assertSame(icmp, icmp.sequence(0x0102));
            f.assertOnlyChanged(ICMP + 6, "0102");
            assertSame(icmp, icmp.nextHopMtu(1400));
            f.assertOnlyChanged(ICMP + 6, "0578");
            assertSame(icmp, icmp.gateway(0x0A00_0001));
            f.assertOnlyChanged(ICMP + 4, "0a000001");
            assertSame(icmp, icmp.pointer(20));
            f.assertOnlyChanged(ICMP + 4, "14");
            assertSame(icmp, icmp.restOfHeader(0));
            f.assertOnlyChanged(ICMP + 4, "00000000");
        }
    }

    @Test
    void shouldClassifyTypesWhenAskedIsError() {
        for (int type : new int[] {3, 4, 5, 11, 12}) {
            assertTrue(Icmp4Header.isError(type), "type " + type);
        }
        for (int type : new int[] {0, 8, 9, 10, 13, 14, 255}) {
            assertFalse(Icmp4Header.isError(type), "type " + type);
        }
    }

    @Test
    void shouldMatchRfc792WhenConstantsAreUsed() {
        assertEquals(0, Icmp4Header.ECHO_REPLY);
        assertEquals(3, Icmp4Header.DEST_UNREACH);
        assertEquals(5, Icmp4Header.REDIRECT);
        assertEquals(8, Icmp4Header.ECHO_REQUEST);
        assertEquals(11, Icmp4Header.TIME_EXCEEDED);
        assertEquals(12, Icmp4Header.PARAMETER_PROBLEM);
        assertEquals(3, Icmp4Header.PORT_UNREACH);
        assertEquals(4, Icmp4Header.FRAG_NEEDED);
        assertEquals(8, Icmp4Header.LENGTH);
    }
}
