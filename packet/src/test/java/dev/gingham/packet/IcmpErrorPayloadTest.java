package dev.gingham.packet;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class IcmpErrorPayloadTest {
    private static final int INVALID = DropReason.ICMP_EMBEDDED_INVALID.verdict();

    private BufferPool pool;
    private FrameVector vector;
    private final Parser parser = new Parser();
    private final IcmpErrorPayload payload = new IcmpErrorPayload();

    @BeforeEach
    void setUp() {
        pool = BufferPool.allocate(8, BufferPool.DEFAULT_BUFFER_SIZE);
        vector = new FrameVector(pool);
    }

    @AfterEach
    void tearDown() {
        vector.releaseAll();
        pool.close();
    }

    private int parsed(byte[] frame) {
        vector.releaseAll();
        int i = PacketBuilder.load(vector, 1, frame);
        assertEquals(Verdict.CONTINUE, parser.parse(vector, i), "outer frame must parse");
        return i;
    }

    @Test
    void shouldExposeQuotedTcpTupleWhenIcmp4FragNeededQuotesASyn() {
        byte[] syn = PacketBuilder.tcp4("10.0.1.5", 40000, "93.184.216.34", 443).flags(PacketBuilder.SYN).mss(1460).build();
        int i = parsed(PacketBuilder.icmp4FragNeeded("192.0.2.1", "10.0.1.5", 1400, PacketBuilder.ipPacketOf(syn)).build());
        assertTrue(vector.hasFlag(i, FrameVector.FLAG_ICMP_ERROR));

        assertEquals(Verdict.CONTINUE, payload.parse(vector, i));
        long quoted = vector.start(i) + 14 + 20 + 8;
        assertEquals(quoted, payload.l3Offset());
        assertEquals(quoted + 20, payload.l4Offset());
        assertEquals(6, payload.protocol());
        assertFalse(payload.ipv6());
        assertEquals(0L, payload.srcHi());
        assertEquals(0x0000_FFFF_0A00_0105L, payload.srcLo());
        assertEquals(0L, payload.dstHi());
        assertEquals(0x0000_FFFF_5DB8_D822L, payload.dstLo());
        assertEquals(40000, payload.srcPort());
        assertEquals(443, payload.dstPort());
        assertEquals(24, payload.quotedL4Bytes(), "the whole SYN with its MSS option was quoted");
    }

    @Test
    void shouldReportEchoIdentifierAsBothPortsWhenQuoteIsAnEchoRequest() {
        byte[] echo = PacketBuilder.icmp4Echo("10.0.1.5", "8.8.8.8", 0x1234, 7).build();
        int i = parsed(PacketBuilder.icmp4Error(11, 0, "192.0.2.1", "10.0.1.5", PacketBuilder.ipPacketOf(echo)).build());
        assertEquals(Verdict.CONTINUE, payload.parse(vector, i));
        assertEquals(1, payload.protocol());
        assertEquals(0x1234, payload.srcPort());
        assertEquals(0x1234, payload.dstPort());
        assertEquals(8 << 8, payload.icmpTypeCode());
    }

    @Test
    void shouldWalkExtensionHeadersWhenIcmp6ErrorQuotesUdp6() {
        byte[] udp = PacketBuilder.udp6("fd00::5", 5353, "2001:db8::9", 53).ipv6ExtensionHeaders(0, 60).payload(30).build();
        int i = parsed(PacketBuilder.icmp6PacketTooBig("2001:db8::1", "fd00::5", 1280, PacketBuilder.ipPacketOf(udp)).build());
        assertEquals(Verdict.CONTINUE, payload.parse(vector, i));
        long quoted = vector.start(i) + 14 + 40 + 8;
        assertTrue(payload.ipv6());
        assertEquals(quoted, payload.l3Offset());
        assertEquals(quoted + 40 + 8 + 8, payload.l4Offset(), "past hop-by-hop and destination options");
        assertEquals(17, payload.protocol());
        assertEquals(0xFD00_0000_0000_0000L, payload.srcHi());
        assertEquals(5L, payload.srcLo());
        assertEquals(0x2001_0DB8_0000_0000L, payload.dstHi());
        assertEquals(9L, payload.dstLo());
        assertEquals(5353, payload.srcPort());
        assertEquals(53, payload.dstPort());
    }

    @Test
    void shouldRejectWhenQuoteIsBogus() {
        byte[] tcp = PacketBuilder.ipPacketOf(PacketBuilder.tcp4("10.0.0.1", 1, "10.0.0.2", 2).build());
        byte[] tcp6 = PacketBuilder.ipPacketOf(PacketBuilder.tcp6("fd00::1", 1, "fd00::2", 2).build());

        byte[] version6 = tcp.clone();
        version6[0] = 0x65;
        assertEquals(INVALID, parseError4(version6), "ICMPv4 error quoting an IPv6 version nibble");

        byte[] ihl4 = tcp.clone();
        ihl4[0] = 0x44;
        assertEquals(INVALID, parseError4(ihl4), "IHL 4");

        byte[] ihlTooLong = tcp.clone();
        ihlTooLong[0] = 0x4F; // 60-byte header in a 40-byte quote: ports would lie past the quote
        assertEquals(INVALID, parseError4(ihlTooLong), "IHL past the quote");

        byte[] totalBelowIhl = tcp.clone();
        totalBelowIhl[2] = 0;
        totalBelowIhl[3] = 19;
        assertEquals(INVALID, parseError4(totalBelowIhl), "total length below the header");

        byte[] laterFragment = tcp.clone();
        laterFragment[7] = 1; // fragment offset 8 bytes: no L4 header in this fragment
        assertEquals(INVALID, parseError4(laterFragment), "non-first fragment");

        assertEquals(INVALID, parseError4(Arrays.copyOf(tcp, 27)), "7 bytes of L4");

        int i = parsed(PacketBuilder.icmp6Error(1, 4, "fd00::9", "fd00::1", tcp).build());
        assertEquals(INVALID, payload.parse(vector, i), "ICMPv6 error quoting IPv4");

        byte[] sixWithFour = tcp6.clone();
        sixWithFour[0] = 0x45;
        i = parsed(PacketBuilder.icmp6Error(1, 4, "fd00::9", "fd00::1", sixWithFour).build());
        assertEquals(INVALID, payload.parse(vector, i), "IPv6 quote with version 4");

        i = parsed(PacketBuilder.tcp4("10.0.0.1", 1, "10.0.0.2", 2).build());
        assertEquals(INVALID, payload.parse(vector, i), "not an ICMP error at all");
        assertEquals(0, payload.protocol(), "a rejected parse leaves no stale tuple");
        assertEquals(0, payload.srcPort());
    }

    private int parseError4(byte[] quote) {
        int i = parsed(PacketBuilder.icmp4Error(3, 3, "10.0.0.2", "10.0.0.1", quote).build());
        return payload.parse(vector, i);
    }

    @Test
    void shouldNotTakeEthernetPaddingForQuotedBytesWhenFrameIsPadded() {
        // 20 + 8 + 20 + 4 quoted bytes = 52-byte IP packet padded to a 70-byte frame: the quote is
        // 4 L4 bytes short and the padding must not make up for it.
        byte[] quote = Arrays.copyOf(PacketBuilder.ipPacketOf(PacketBuilder.udp4("10.0.0.1", 1, "10.0.0.2", 2).build()), 24);
        int i = parsed(PacketBuilder.icmp4Error(3, 3, "10.0.0.2", "10.0.0.1", quote).ethernetPadTo(80).build());
        assertEquals(INVALID, payload.parse(vector, i));
    }

    @Test
    void shouldNeverReadPastTheQuoteWhenEveryPrefixIsParsed() {
        byte[][] quotes = {
                PacketBuilder.ipPacketOf(PacketBuilder.tcp4("10.0.0.1", 1, "10.0.0.2", 2).ipOptions(new byte[]{1, 1, 1, 0}).payload(12).build()),
                PacketBuilder.ipPacketOf(PacketBuilder.udp6("fd00::1", 1, "fd00::2", 2).ipv6ExtensionHeaders(0, 43, 60).ipv6Fragment(0, true, 9).payload(16).build()),
                PacketBuilder.ipPacketOf(PacketBuilder.icmp6Echo("fd00::1", "fd00::2", 3, 4).build()),
        };
        for (int q = 0; q < quotes.length; q++) {
            boolean ipv6 = q > 0;
            assertEquals(Verdict.CONTINUE, payload.parse(MemorySegment.ofArray(quotes[q]), 0, quotes[q].length, ipv6));
            int minimum = (int) payload.l4Offset() + IcmpErrorPayload.MIN_QUOTED_L4_BYTES;
            assertEquals(new int[] {24 + 8, 40 + 8 + 8 + 8 + 8 + 8, 40 + 8}[q], minimum, "header bytes of quote " + q);
            for (int cut = 0; cut <= quotes[q].length; cut++) {
                // A heap segment of exactly the prefix: any read at or past its end throws.
                MemorySegment exact = MemorySegment.ofArray(Arrays.copyOf(quotes[q], cut));
                int verdict = payload.parse(exact, 0, cut, ipv6);
                assertEquals(cut >= minimum ? Verdict.CONTINUE : INVALID, verdict, "quote " + q + " cut at " + cut);
            }
        }
        // The same through the parser and a real frame, for every quote length of a UDP datagram.
        byte[] udp = PacketBuilder.ipPacketOf(PacketBuilder.udp4("10.0.0.1", 4000, "10.0.0.2", 53).payload(20).build());
        for (int cut = 0; cut <= udp.length; cut++) {
            int i = parsed(PacketBuilder.icmp4Error(3, 3, "10.0.0.2", "10.0.0.1", Arrays.copyOf(udp, cut)).build());
            int verdict = payload.parse(vector, i);
            assertEquals(cut >= 28 ? Verdict.CONTINUE : INVALID, verdict, "cut at " + cut);
            if (verdict == Verdict.CONTINUE) {
                assertEquals(4000, payload.srcPort());
                assertEquals(53, payload.dstPort());
            }
        }
    }
}
