package dev.gingham.packet.header;

import dev.gingham.packet.NetworkOrder;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;

import static dev.gingham.packet.header.Frame.BASE;
import static dev.gingham.packet.header.TcpOptions.NOT_FOUND;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every frame here is IPv4 + TCP with no payload, and the options are read through a segment
 * that ends exactly where the options end: a read past the region would throw
 * IndexOutOfBoundsException and fail the test.
 */
class TcpOptionsTest {
    private static final int TCP = Ipv4Header.MIN_LENGTH;
    private static final int OPTIONS = TCP + TcpHeader.MIN_LENGTH;

    private final TcpHeader tcp = new TcpHeader();
    private final TcpOptions options = new TcpOptions();

    /** Wraps the options of {@code f} over a segment that ends at the last option byte. */
    private TcpOptions optionsOf(Frame f) {
        MemorySegment bounded = f.endingAt(f.length);
        tcp.wrap(bounded, f.at(TCP));
        assertEquals(bounded.byteSize(), tcp.payloadOffset(), "options must end at the segment end");
        assertSame(options, options.wrap(tcp));
        return options;
    }

    @Test
    void shouldVisitEveryOptionWhenListIsWellFormed() {
        // scapy: IP(src="10.0.0.1", dst="10.0.0.2", id=2, flags="DF")/TCP(sport=40000, dport=443, seq=0x01020304,
        //        ack=0, flags="SEC", window=64240, options=[("MSS", 1460), ("SAckOK", b""),
        //        ("Timestamp", (123456789, 0)), ("NOP", None), ("WScale", 7)])
        // options: 020405b4 0402 080a075bcd1500000000 01 030307
        try (Frame f = Frame.of(GoldenFrames.TCP_SYN_OPTIONS)) {
            optionsOf(f);
            assertEquals(BASE + OPTIONS, options.offset());
            assertEquals(20, options.regionLength());
            assertEquals(NOT_FOUND, options.position());

            assertTrue(options.next());
            assertEquals(BASE + OPTIONS, options.position());
            assertEquals(TcpOptions.KIND_MSS, options.kind());
            assertEquals(4, options.optionLength());
            assertEquals(2, options.dataLength());
            assertEquals(1460, NetworkOrder.u16(f.segment, options.dataOffset()));

            assertTrue(options.next());
            assertEquals(BASE + OPTIONS + 4, options.position());
            assertEquals(TcpOptions.KIND_SACK_PERMITTED, options.kind());
            assertEquals(TcpOptions.SACK_PERMITTED_LENGTH, options.optionLength());

            assertTrue(options.next());
            assertEquals(BASE + OPTIONS + 6, options.position());
            assertEquals(TcpOptions.KIND_TIMESTAMP, options.kind());
            assertEquals(TcpOptions.TIMESTAMP_LENGTH, options.optionLength());
            assertEquals(123456789, NetworkOrder.u32(f.segment, options.dataOffset()));
            assertEquals(0, NetworkOrder.u32(f.segment, options.dataOffset() + 4));

            assertTrue(options.next()); // the NOP at +16 is skipped
            assertEquals(BASE + OPTIONS + 17, options.position());
            assertEquals(TcpOptions.KIND_WINDOW_SCALE, options.kind());
            assertEquals(TcpOptions.WINDOW_SCALE_LENGTH, options.optionLength());
            assertEquals(7, NetworkOrder.u8(f.segment, options.dataOffset()));

            assertFalse(options.next());
            assertFalse(options.malformed());
            assertEquals(NOT_FOUND, options.position());
            assertEquals(NOT_FOUND, options.kind());
            assertFalse(options.next());
        }
    }

    @Test
    void shouldFindAndRewriteMssWhenOptionIsFirst() {
        // scapy: IP(src="10.0.0.1", dst="10.0.0.2", id=2, flags="DF")/TCP(sport=40000, dport=443, seq=0x01020304,
        //        ack=0, flags="SEC", window=64240, options=[("MSS", 1460), ("SAckOK", b""), ("Timestamp", (123456789,
        //        0)), ("NOP", None), ("WScale", 7)])
        try (Frame f = Frame.of(GoldenFrames.TCP_SYN_OPTIONS)) {
            optionsOf(f);
            assertEquals(BASE + OPTIONS, options.mssOffset());
            assertEquals(1460, options.mss());
            assertEquals(1460, options.mss(1410));
            f.assertOnlyChanged(OPTIONS + 2, "0582");
            assertEquals(1410, options.mss());
            assertEquals(BASE + OPTIONS + 6, options.find(TcpOptions.KIND_TIMESTAMP));
            assertEquals(BASE + OPTIONS + 17, options.find(TcpOptions.KIND_WINDOW_SCALE));
            assertEquals(NOT_FOUND, options.find(TcpOptions.KIND_SACK));
            f.assertUnchanged();
        }
    }

    @Test
    void shouldFindMssWhenOptionStartsAtOddOffset() {
        // scapy: IP(src="10.0.0.1", dst="10.0.0.2", id=10)/TCP(sport=1000, dport=2000, flags="S", dataofs=7)
        //        /b"\x01\x02\x04\x05\xb4\x00\x00\x00"
        try (Frame f = Frame.of(GoldenFrames.TCP_OPT_MSS_ODD)) {
            optionsOf(f);
            assertEquals(BASE + OPTIONS + 1, options.mssOffset());
            assertEquals(1460, options.mss());
            assertEquals(1460, options.mss(536));
            f.assertOnlyChanged(OPTIONS + 3, "0218");
            // After MSS come end-of-list and padding: a clean end, not malformed.
            assertEquals(NOT_FOUND, options.find(TcpOptions.KIND_TIMESTAMP));
            assertFalse(options.malformed());
        }
    }

    @Test
    void shouldReturnNotFoundWhenOptionLengthIsZero() {
        // scapy: IP(src="10.0.0.1", dst="10.0.0.2", id=11)/TCP(sport=1000, dport=2000, flags="S", dataofs=6)
        //        /b"\x02\x00\x05\xb4"
        assertMalformedWithoutMss(GoldenFrames.TCP_OPT_LEN0);
    }

    @Test
    void shouldReturnNotFoundWhenOptionLengthIsOne() {
        // scapy: IP(src="10.0.0.1", dst="10.0.0.2", id=12)/TCP(sport=1000, dport=2000, flags="S", dataofs=7)
        //        /b"\x01\x08\x01\x02\x04\x05\xb4\x00"   (a timestamp of length 1 hides a valid MSS after it)
        assertMalformedWithoutMss(GoldenFrames.TCP_OPT_LEN1);
    }

    @Test
    void shouldReturnNotFoundWhenOptionRunsPastTheEndBeforeMss() {
        // scapy: IP(src="10.0.0.1", dst="10.0.0.2", id=18)/TCP(sport=1000, dport=2000, flags="S", dataofs=7)
        //        /b"\x01\x03\x08\x02\x04\x05\xb4\x00"   (window scale claims 8 bytes, 7 remain)
        assertMalformedWithoutMss(GoldenFrames.TCP_OPT_PAST_END_BEFORE_MSS);
    }

    @Test
    void shouldReturnNotFoundWhenMssIsTruncated() {
        // scapy: IP(src="10.0.0.1", dst="10.0.0.2", id=14)/TCP(sport=1000, dport=2000, flags="S", dataofs=6)
        //        /b"\x01\x01\x02\x04"   (MSS of length 4 with 2 bytes left)
        assertMalformedWithoutMss(GoldenFrames.TCP_OPT_MSS_TRUNCATED);
    }

    @Test
    void shouldReturnNotFoundWhenMssKindIsTheLastByte() {
        // scapy: IP(src="10.0.0.1", dst="10.0.0.2", id=15)/TCP(sport=1000, dport=2000, flags="S", dataofs=6)
        //        /b"\x01\x01\x01\x02"   (no room for the length byte)
        assertMalformedWithoutMss(GoldenFrames.TCP_OPT_KIND_AT_END);
    }

    private void assertMalformedWithoutMss(String hex) {
        try (Frame f = Frame.of(hex)) {
            optionsOf(f);
            assertEquals(NOT_FOUND, options.mssOffset());
            assertTrue(options.malformed());
            assertEquals(NOT_FOUND, options.mss());
            assertEquals(NOT_FOUND, options.mss(1000));
            f.assertUnchanged();
            options.rewind();
            while (options.next()) {
                assertTrue(options.position() + options.optionLength() <= BASE + f.length);
            }
            assertTrue(options.malformed());
            assertFalse(options.next());
        }
    }

    @Test
    void shouldFindMssWhenGarbageFollowsIt() {
        // scapy: IP(src="10.0.0.1", dst="10.0.0.2", id=13)/TCP(sport=1000, dport=2000, flags="S", dataofs=7)
        //        /b"\x02\x04\x05\xb4\x01\x01\x03\x05"   (valid MSS, then window scale running past the end)
        // Like Linux tcp_parse_options, options before the malformed one still count.
        try (Frame f = Frame.of(GoldenFrames.TCP_OPT_PAST_END)) {
            optionsOf(f);
            assertEquals(1460, options.mss());
            assertFalse(options.malformed());
            options.rewind();
            assertTrue(options.next());
            assertEquals(TcpOptions.KIND_MSS, options.kind());
            assertFalse(options.next());
            assertTrue(options.malformed());
        }
    }

    @Test
    void shouldReturnNotFoundWhenMssLengthIsNotFour() {
        // scapy: IP(src="10.0.0.1", dst="10.0.0.2", id=16)/TCP(sport=1000, dport=2000, flags="S", dataofs=6)
        //        /b"\x02\x03\x05\x00"
        try (Frame f = Frame.of(GoldenFrames.TCP_OPT_MSS_BAD_LENGTH)) {
            optionsOf(f);
            assertEquals(BASE + OPTIONS, options.find(TcpOptions.KIND_MSS));
            assertEquals(3, options.optionLength());
            assertEquals(NOT_FOUND, options.mssOffset());
            assertEquals(NOT_FOUND, options.mss(1000));
            f.assertUnchanged();
        }
    }

    @Test
    void shouldStopAtEndOfListWhenMssFollowsIt() {
        // scapy: IP(src="10.0.0.1", dst="10.0.0.2", id=17)/TCP(sport=1000, dport=2000, flags="S", dataofs=7)
        //        /b"\x01\x00\x00\x00\x02\x04\x05\xb4"
        try (Frame f = Frame.of(GoldenFrames.TCP_OPT_EOL_BEFORE_MSS)) {
            optionsOf(f);
            assertEquals(NOT_FOUND, options.mss());
            assertFalse(options.malformed());
        }
    }

    @Test
    void shouldReturnNotFoundWhenRegionIsEmpty() {
        // scapy: IP(src="10.0.0.2", dst="10.0.0.1", id=3)/TCP(sport=443, dport=40000, seq=0xfedcba98,
        //        ack=0xa0b0c0d0, flags="FPAU", window=512, urgptr=5)/b"hello"
        try (Frame f = Frame.of(GoldenFrames.TCP_DATA_URG)) {
            // A zero-length region at the very end of the segment must not read at all.
            MemorySegment bounded = f.endingAt(OPTIONS);
            options.wrap(bounded, f.at(OPTIONS), 0);
            assertFalse(options.next());
            assertFalse(options.malformed());
            assertEquals(NOT_FOUND, options.mss());
            tcp.wrap(f.segment, f.at(TCP));
            assertEquals(NOT_FOUND, options.wrap(tcp).mssOffset());
        }
    }

    @Test
    void shouldIgnoreBytesAfterRegionWhenRegionIsShorterThanTheBuffer() {
        // Only the MSS option is inside the wrapped region; the timestamp after it is not seen.
        // scapy: IP(src="10.0.0.1", dst="10.0.0.2", id=2, flags="DF")/TCP(sport=40000, dport=443, seq=0x01020304,
        //        ack=0, flags="SEC", window=64240, options=[("MSS", 1460), ("SAckOK", b""), ("Timestamp", (123456789,
        //        0)), ("NOP", None), ("WScale", 7)])
        try (Frame f = Frame.of(GoldenFrames.TCP_SYN_OPTIONS)) {
            options.wrap(f.segment, f.at(OPTIONS), 4);
            assertEquals(1460, options.mss());
            assertEquals(NOT_FOUND, options.find(TcpOptions.KIND_TIMESTAMP));
            assertFalse(options.malformed());
            // A region cut inside the SACK-permitted option is malformed.
            options.wrap(f.segment, f.at(OPTIONS), 5);
            assertEquals(NOT_FOUND, options.find(TcpOptions.KIND_TIMESTAMP));
            assertTrue(options.malformed());
        }
    }
}
