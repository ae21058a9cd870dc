package dev.gingham.packet.header;

import dev.gingham.packet.NetworkOrder;
import org.junit.jupiter.api.Test;

import static dev.gingham.packet.header.Frame.BASE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TcpHeaderTest {
    private static final int TCP = Ipv4Header.MIN_LENGTH;
    private final TcpHeader tcp = new TcpHeader();

    @Test
    void shouldReadEveryFieldWhenSegmentIsSynWithOptions() {
        // scapy: IP(src="10.0.0.1", dst="10.0.0.2", id=2, flags="DF")/TCP(sport=40000, dport=443, seq=0x01020304,
        //        ack=0, flags="SEC", window=64240, options=[("MSS", 1460), ("SAckOK", b""),
        //        ("Timestamp", (123456789, 0)), ("NOP", None), ("WScale", 7)])
        try (Frame f = Frame.of(GoldenFrames.TCP_SYN_OPTIONS)) {
            assertSame(tcp, tcp.wrap(f.segment, f.at(TCP)));
            assertEquals(BASE + TCP, tcp.offset());
            assertEquals(40000, tcp.srcPort());
            assertEquals(443, tcp.dstPort());
            assertEquals(0x0102_0304, tcp.seq());
            assertEquals(0, tcp.ack());
            assertEquals(10, tcp.dataOffset());
            assertEquals(40, tcp.headerLength());
            assertEquals(TcpHeader.SYN | TcpHeader.ECE | TcpHeader.CWR, tcp.flags());
            assertTrue(tcp.hasFlags(TcpHeader.SYN | TcpHeader.ECE));
            assertFalse(tcp.hasFlags(TcpHeader.SYN | TcpHeader.ACK));
            assertEquals(64240, tcp.window());
            assertEquals(0xC1DA, tcp.checksum());
            assertEquals(0, tcp.urgentPointer());
            assertEquals(BASE + 40, tcp.optionsOffset());
            assertEquals(20, tcp.optionsLength());
            assertEquals(BASE + 60, tcp.payloadOffset());
            assertEquals(f.length, tcp.payloadOffset() - BASE);
        }
    }

    @Test
    void shouldReadUnsignedValuesWhenHighBitsAreSet() {
        // scapy: IP(src="10.0.0.2", dst="10.0.0.1", id=3)/TCP(sport=443, dport=40000, seq=0xfedcba98,
        //        ack=0xa0b0c0d0, flags="FPAU", window=512, urgptr=5)/b"hello"
        try (Frame f = Frame.of(GoldenFrames.TCP_DATA_URG)) {
            tcp.wrap(f.segment, f.at(TCP));
            assertEquals(443, tcp.srcPort());
            assertEquals(40000, tcp.dstPort());
            assertEquals(0xFEDC_BA98, tcp.seq());
            assertEquals(0xFEDC_BA98L, Integer.toUnsignedLong(tcp.seq())); // scapy: seq = 4275878552
            assertEquals(0xA0B0_C0D0, tcp.ack());
            assertEquals(5, tcp.dataOffset());
            assertEquals(TcpHeader.MIN_LENGTH, tcp.headerLength());
            assertEquals(0, tcp.optionsLength());
            assertEquals(TcpHeader.FIN | TcpHeader.PSH | TcpHeader.ACK | TcpHeader.URG, tcp.flags());
            assertEquals(512, tcp.window());
            assertEquals(0x9CDA, tcp.checksum());
            assertEquals(5, tcp.urgentPointer());
            assertEquals(BASE + 40, tcp.payloadOffset());
            assertEquals(0x6865_6C6C, NetworkOrder.u32(f.segment, tcp.payloadOffset())); // "hell"
        }
    }

    @Test
    void shouldWriteOnlyTheFieldWhenEachSetterIsCalled() {
        // 01bb 9c40 fedcba98 a0b0c0d0 50 39 0200 9cda 0005
        // scapy: IP(src="10.0.0.2", dst="10.0.0.1", id=3)/TCP(sport=443, dport=40000, seq=0xfedcba98, ack=0xa0b0c0d0,
        //        flags="FPAU", window=512, urgptr=5)/b"hello"
        try (Frame f = Frame.of(GoldenFrames.TCP_DATA_URG)) {
            tcp.wrap(f.segment, f.at(TCP));
            assertSame(tcp, tcp.srcPort(8080));
            f.assertOnlyChanged(TCP, "1f90");
            assertSame(tcp, tcp.dstPort(65535));
            f.assertOnlyChanged(TCP + 2, "ffff");
            assertSame(tcp, tcp.seq(0x0102_0304));
            f.assertOnlyChanged(TCP + 4, "01020304");
            assertSame(tcp, tcp.ack(0xFFFF_FFFF));
            f.assertOnlyChanged(TCP + 8, "ffffffff");
            assertSame(tcp, tcp.dataOffset(15));
            f.assertOnlyChanged(TCP + 12, "f0");
            assertSame(tcp, tcp.headerLength(24));
            f.assertOnlyChanged(TCP + 12, "60");
            assertSame(tcp, tcp.flags(TcpHeader.SYN | TcpHeader.ACK));
            f.assertOnlyChanged(TCP + 13, "12");
            tcp.flags(TcpHeader.RST);
            f.assertOnlyChanged(TCP + 13, "04");
            assertSame(tcp, tcp.window(1));
            f.assertOnlyChanged(TCP + 14, "0001");
            assertSame(tcp, tcp.checksum(0xFFFF));
            f.assertOnlyChanged(TCP + 16, "ffff");
            assertSame(tcp, tcp.urgentPointer(0x1234));
            f.assertOnlyChanged(TCP + 18, "1234");
        }
    }

    @Test
    void shouldKeepReservedNibbleWhenDataOffsetIsSet() {
        // scapy: IP(src="10.0.0.2", dst="10.0.0.1", id=3)/TCP(sport=443, dport=40000, seq=0xfedcba98, ack=0xa0b0c0d0,
        //        flags="FPAU", window=512, urgptr=5)/b"hello"
        try (Frame f = Frame.of(GoldenFrames.TCP_DATA_URG)) {
            NetworkOrder.u8(f.segment, f.at(TCP + 12), 0x5F);
            f.snapshot();
            tcp.wrap(f.segment, f.at(TCP)).dataOffset(8);
            f.assertOnlyChanged(TCP + 12, "8f");
            assertEquals(8, tcp.dataOffset());
        }
    }

    @Test
    void shouldMatchRfcBitsWhenFlagConstantsAreUsed() {
        assertEquals(0x01, TcpHeader.FIN);
        assertEquals(0x02, TcpHeader.SYN);
        assertEquals(0x04, TcpHeader.RST);
        assertEquals(0x08, TcpHeader.PSH);
        assertEquals(0x10, TcpHeader.ACK);
        assertEquals(0x20, TcpHeader.URG);
        assertEquals(0x40, TcpHeader.ECE);
        assertEquals(0x80, TcpHeader.CWR);
    }
}
