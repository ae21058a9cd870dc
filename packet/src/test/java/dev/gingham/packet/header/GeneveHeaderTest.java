package dev.gingham.packet.header;

import dev.gingham.packet.NetworkOrder;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;

import static dev.gingham.packet.header.Frame.BASE;
import static dev.gingham.packet.header.GeneveOption.NOT_FOUND;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Geneve header and options of one golden packet:
 *
 * <pre>
 *  0  IPv4, 20  UDP 54321 -&gt; 6081
 * 28  Geneve   05 c0 6558 123456 00         opt len 5 words, O and C set, VNI 0x123456
 * 36  option   0102 80 01 01020304          class OVN, type 0x80 (critical), 4 data bytes
 * 44  option   ffff 05 02 a1a2a3a4b1b2b3b4  class experimental, type 5, 8 data bytes
 * 56  inner Ethernet
 * </pre>
 */
class GeneveHeaderTest {
    // scapy: IP(src="192.168.0.1", dst="192.168.0.2", id=8)/UDP(sport=54321, dport=6081)
    //        /GENEVE(version=0, oam=1, critical=1, proto=0x6558, vni=0x123456, options=[
    //            GeneveOptions(classid=0x0102, type=0x80, data=b"\x01\x02\x03\x04"),
    //            GeneveOptions(classid=0xffff, type=0x05, data=b"\xa1\xa2\xa3\xa4\xb1\xb2\xb3\xb4")])
    //        /Ether(dst="0a:00:00:00:00:02", src="0a:00:00:00:00:01")/IP(src="10.0.1.1", dst="10.0.2.2", id=9)
    //        /UDP(sport=7, dport=7)
    private static final String GENEVE = GoldenFrames.GENEVE;
    private static final int HEADER = Ipv4Header.MIN_LENGTH + UdpHeader.LENGTH;
    private static final int OPTIONS = HEADER + GeneveHeader.LENGTH;
    private static final int INNER = OPTIONS + 20;

    private final GeneveHeader geneve = new GeneveHeader();
    private final GeneveOption option = new GeneveOption();

    @Test
    void shouldReadEveryFieldWhenHeaderHasTwoOptions() {
        // scapy: the GENEVE expression at the top of this class
        try (Frame f = Frame.of(GENEVE)) {
            assertEquals(GeneveHeader.PORT, new UdpHeader().wrap(f.segment, f.at(Ipv4Header.MIN_LENGTH)).dstPort());
            assertSame(geneve, geneve.wrap(f.segment, f.at(HEADER)));
            assertEquals(BASE + HEADER, geneve.offset());
            assertEquals(0, geneve.version());
            assertEquals(20, geneve.optionsLength());
            assertTrue(geneve.oam());
            assertTrue(geneve.critical());
            assertEquals(0xC0, geneve.flags());
            assertEquals(GeneveHeader.PROTOCOL_TRANS_ETHER_BRIDGING, geneve.protocolType());
            assertEquals(0x123456, geneve.vni());
            assertEquals(BASE + OPTIONS, geneve.optionsOffset());
            assertEquals(28, geneve.headerLength());
            assertEquals(BASE + INNER, geneve.payloadOffset());

            EthernetHeader inner = new EthernetHeader().wrap(f.segment, geneve.payloadOffset());
            assertEquals(0x0A00_0000_0002L, inner.dst());
            assertEquals(EthernetHeader.ETHER_TYPE_IPV4, inner.etherType());
            assertEquals(0x63C6, new Ipv4Header().wrap(f.segment, inner.payloadOffset()).checksum());
        }
    }

    @Test
    void shouldVisitBothOptionsWhenRegionEndsAtSegmentEnd() {
        // scapy: the GENEVE expression at the top of this class
        try (Frame f = Frame.of(GENEVE)) {
            MemorySegment bounded = f.endingAt(INNER);
            geneve.wrap(bounded, f.at(HEADER));
            assertSame(option, option.wrap(geneve));
            assertEquals(BASE + OPTIONS, option.offset());
            assertEquals(20, option.regionLength());
            assertEquals(NOT_FOUND, option.position());

            assertTrue(option.next());
            assertEquals(BASE + OPTIONS, option.position());
            assertEquals(0x0102, option.optionClass());
            assertEquals(0x80, option.type());
            assertTrue(option.critical());
            assertEquals(4, option.dataLength());
            assertEquals(8, option.optionLength());
            assertEquals(BASE + OPTIONS + 4, option.dataOffset());
            assertEquals(0x0102_0304, NetworkOrder.u32(bounded, option.dataOffset()));

            assertTrue(option.next());
            assertEquals(BASE + OPTIONS + 8, option.position());
            assertEquals(0xFFFF, option.optionClass());
            assertEquals(0x05, option.type());
            assertFalse(option.critical());
            assertEquals(8, option.dataLength());
            assertEquals(12, option.optionLength());
            assertEquals(0xA1A2_A3A4_B1B2_B3B4L, NetworkOrder.u64(bounded, option.dataOffset()));

            assertFalse(option.next());
            assertFalse(option.malformed());
            assertEquals(NOT_FOUND, option.position());
            assertFalse(option.next());
        }
    }

    @Test
    void shouldFindOptionWhenClassAndTypeMatchIgnoringCriticalBit() {
        // scapy: the GENEVE expression at the top of this class
        try (Frame f = Frame.of(GENEVE)) {
            option.wrap(f.endingAt(INNER), f.at(OPTIONS), 20);
            assertEquals(BASE + OPTIONS + 8, option.find(0xFFFF, 0x05));
            assertEquals(BASE + OPTIONS, option.find(0x0102, 0x00));
            assertEquals(BASE + OPTIONS, option.find(0x0102, 0x80));
            assertEquals(0x80, option.type()); // cursor left on the match
            assertEquals(NOT_FOUND, option.find(0x0102, 0x01));
            assertEquals(NOT_FOUND, option.find(0x0104, 0x80));
        }
    }

    @Test
    void shouldStopMalformedWhenOptionDataIsTruncated() {
        // Region cut 2 bytes into the second option's data: its length field promises 8.
        // scapy: the GENEVE expression at the top of this class
        try (Frame f = Frame.of(GENEVE)) {
            option.wrap(f.endingAt(OPTIONS + 14), f.at(OPTIONS), 14);
            assertTrue(option.next());
            assertFalse(option.next());
            assertTrue(option.malformed());
            assertEquals(NOT_FOUND, option.find(0xFFFF, 0x05));
            assertTrue(option.malformed());
        }
    }

    @Test
    void shouldStopMalformedWhenOptionHeaderIsTruncated() {
        // Region cut 2 bytes into the second option's 4-byte header.
        // scapy: the GENEVE expression at the top of this class
        try (Frame f = Frame.of(GENEVE)) {
            option.wrap(f.endingAt(OPTIONS + 10), f.at(OPTIONS), 10);
            assertTrue(option.next());
            assertFalse(option.next());
            assertTrue(option.malformed());
        }
    }

    @Test
    void shouldReturnFalseWhenRegionIsEmpty() {
        // scapy: the GENEVE expression at the top of this class
        try (Frame f = Frame.of(GENEVE)) {
            NetworkOrder.u8(f.segment, f.at(HEADER), 0x00); // opt len 0
            geneve.wrap(f.endingAt(OPTIONS), f.at(HEADER));
            assertEquals(0, geneve.optionsLength());
            option.wrap(geneve);
            assertFalse(option.next());
            assertFalse(option.malformed());
        }
    }

    @Test
    void shouldIgnoreReservedBitsWhenReadingOptionLength() {
        // scapy: the GENEVE expression at the top of this class
        try (Frame f = Frame.of(GENEVE)) {
            NetworkOrder.u8(f.segment, f.at(OPTIONS + 3), 0xE1); // R R R set, length 1
            option.wrap(f.segment, f.at(OPTIONS), 20);
            assertTrue(option.next());
            assertEquals(4, option.dataLength());
            assertTrue(option.next());
            assertEquals(0xFFFF, option.optionClass());
        }
    }

    @Test
    void shouldWriteOnlyTheFieldWhenEachHeaderSetterIsCalled() {
        // 05 c0 6558 123456 00
        // scapy: the GENEVE expression at the top of this class
        try (Frame f = Frame.of(GENEVE)) {
            geneve.wrap(f.segment, f.at(HEADER));
            assertSame(geneve, geneve.version(1));
            f.assertOnlyChanged(HEADER, "45");
            geneve.version(0);
            f.assertOnlyChanged(HEADER, "05");
            assertSame(geneve, geneve.optionsLength(8));
            f.assertOnlyChanged(HEADER, "02");
            geneve.optionsLength(GeneveHeader.MAX_OPTIONS_LENGTH);
            f.assertOnlyChanged(HEADER, "3f");
            assertEquals(252, geneve.optionsLength());
            assertEquals(0, geneve.version());
            assertSame(geneve, geneve.oam(false));
            f.assertOnlyChanged(HEADER + 1, "40");
            assertSame(geneve, geneve.critical(false));
            f.assertOnlyChanged(HEADER + 1, "00");
            geneve.critical(true);
            f.assertOnlyChanged(HEADER + 1, "40");
            assertSame(geneve, geneve.flags(0x80));
            f.assertOnlyChanged(HEADER + 1, "80");
            assertSame(geneve, geneve.protocolType(EthernetHeader.ETHER_TYPE_IPV4));
            f.assertOnlyChanged(HEADER + 2, "0800");
            assertSame(geneve, geneve.vni(0xABCDEF));
            f.assertOnlyChanged(HEADER + 4, "abcdef");
        }
    }

    @Test
    void shouldWriteEveryByteWhenInitOverwritesOldHeadroom() {
        // scapy: the GENEVE expression at the top of this class
        try (Frame f = Frame.of(GENEVE)) {
            f.segment.asSlice(f.at(HEADER), GeneveHeader.LENGTH).fill((byte) 0xFF);
            f.snapshot();
            geneve.wrap(f.segment, f.at(HEADER)).init(0x42, GeneveHeader.PROTOCOL_TRANS_ETHER_BRIDGING);
            f.assertOnlyChanged(HEADER, "0000655800004200");
            assertEquals(0, geneve.optionsLength());
            assertEquals(BASE + OPTIONS, geneve.payloadOffset());
        }
    }

    @Test
    void shouldWriteOnlyTheFieldWhenEachOptionSetterIsCalled() {
        // 0102 80 01 01020304 | ffff 05 02 ...
        // scapy: the GENEVE expression at the top of this class
        try (Frame f = Frame.of(GENEVE)) {
            option.wrap(f.segment, f.at(OPTIONS), 20);
            assertTrue(option.next());
            assertSame(option, option.optionClass(0x0100));
            f.assertOnlyChanged(OPTIONS, "0100");
            assertSame(option, option.critical(false));
            f.assertOnlyChanged(OPTIONS + 2, "00");
            assertSame(option, option.type(0x7F));
            f.assertOnlyChanged(OPTIONS + 2, "7f");
            option.critical(true);
            f.assertOnlyChanged(OPTIONS + 2, "ff");
            assertSame(option, option.dataLength(8));
            f.assertOnlyChanged(OPTIONS + 3, "02");
            NetworkOrder.u8(f.segment, f.at(OPTIONS + 3), 0xE2);
            f.snapshot();
            option.dataLength(12); // reserved bits kept
            f.assertOnlyChanged(OPTIONS + 3, "e3");
        }
    }
}
