package dev.gingham.packet;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ParserTest {
    private BufferPool pool;
    private FrameVector vector;
    private final Parser parser = new Parser();

    @BeforeEach
    void setUp() {
        pool = BufferPool.allocate(64, BufferPool.DEFAULT_BUFFER_SIZE);
        vector = new FrameVector(pool);
    }

    @AfterEach
    void tearDown() {
        vector.releaseAll();
        pool.close();
    }

    private int load(byte[] frame) {
        return PacketBuilder.load(vector, 7, frame);
    }

    @Test
    void shouldFillOffsetsAndTupleWhenFrameIsTcp4() {
        int i = load(PacketBuilder.tcp4("10.0.0.1", 40000, "10.0.0.2", 80).flags(PacketBuilder.SYN).mss(1460).payload(10).build());
        assertEquals(Verdict.CONTINUE, parser.parse(vector, i));
        long start = vector.start(i);
        assertEquals(start + 14, vector.l3Offset(i));
        assertEquals(start + 34, vector.l4Offset(i));
        assertEquals(start + 34 + 24, vector.payloadOffset(i), "MSS option makes the TCP header 24 bytes");
        assertEquals(20 + 24 + 10, vector.l3Length(i));
        assertEquals(24 + 10, vector.l4Length(i));
        assertEquals(0x0800, vector.etherType(i));
        assertEquals(6, vector.protocol(i));
        assertEquals(PacketBuilder.ip4("10.0.0.1"), vector.srcIp4(i));
        assertEquals(PacketBuilder.ip4("10.0.0.2"), vector.dstIp4(i));
        assertEquals(0L, vector.srcHi(i));
        assertEquals(0x0000_FFFF_0A00_0001L, vector.srcLo(i), "IPv4-mapped IPv6 form");
        assertEquals(40000, vector.srcPort(i));
        assertEquals(80, vector.dstPort(i));
        assertEquals(PacketBuilder.SYN, vector.tcpFlags(i));
        assertTrue(vector.hasFlag(i, FrameVector.FLAG_IPV4));
        assertTrue(vector.hasFlag(i, FrameVector.FLAG_L4));
        assertFalse(vector.hasFlag(i, FrameVector.FLAG_FRAGMENT));
        assertEquals(7, vector.ingressPort(i));
    }

    @Test
    void shouldSkipVlanTagWhenTagged() {
        int i = load(PacketBuilder.udp4("10.0.0.1", 5353, "10.0.0.2", 53).vlan(100).payload(3).build());
        assertEquals(Verdict.CONTINUE, parser.parse(vector, i));
        assertTrue(vector.hasFlag(i, FrameVector.FLAG_VLAN));
        assertEquals(100, vector.vlanTci(i) & 0x0FFF);
        assertEquals(vector.start(i) + 18, vector.l3Offset(i));
        assertEquals(vector.start(i) + 38, vector.l4Offset(i));
        assertEquals(vector.start(i) + 46, vector.payloadOffset(i));
        assertEquals(5353, vector.srcPort(i));
        assertEquals(53, vector.dstPort(i));
        assertEquals(17, vector.protocol(i));
    }

    @Test
    void shouldExcludeEthernetPaddingWhenFrameIsPadded() {
        // A 20+8+1 byte IP packet in a 60-byte minimum Ethernet frame.
        int i = load(PacketBuilder.udp4("10.0.0.1", 1, "10.0.0.2", 2).payload(1).ethernetPadTo(60).build());
        assertEquals(60, vector.length(i));
        assertEquals(Verdict.CONTINUE, parser.parse(vector, i));
        assertEquals(29, vector.l3Length(i));
        assertEquals(9, vector.l4Length(i));
    }

    @Test
    void shouldSkipOptionsWhenIpv4HasOptions() {
        byte[] options = {1, 1, 7, 7, 4, 0, 0, 0, 0, 0, 0, 0}; // NOP, NOP, Record Route (len 7, ptr 4, 1 slot), EOL pad
        int i = load(PacketBuilder.tcp4("10.0.0.1", 1, "10.0.0.2", 2).ipOptions(options).build());
        assertEquals(Verdict.CONTINUE, parser.parse(vector, i));
        assertTrue(vector.hasFlag(i, FrameVector.FLAG_IPV4_OPTIONS));
        assertEquals(vector.start(i) + 14 + 32, vector.l4Offset(i));
        assertEquals(1, vector.srcPort(i));
    }

    @Test
    void shouldReportIcmpEchoIdentifierAsPortsWhenEcho() {
        int i = load(PacketBuilder.icmp4Echo("10.0.0.1", "10.0.0.2", 0x1234, 1).build());
        assertEquals(Verdict.CONTINUE, parser.parse(vector, i));
        assertEquals(0x1234, vector.srcPort(i));
        assertEquals(0x1234, vector.dstPort(i));
        assertEquals(8 << 8, vector.icmpTypeCode(i));
        assertFalse(vector.hasFlag(i, FrameVector.FLAG_ICMP_ERROR));
    }

    @Test
    void shouldFlagIcmpErrorWhenFragNeeded() {
        byte[] original = PacketBuilder.ipPacketOf(PacketBuilder.tcp4("10.0.0.1", 40000, "10.9.0.2", 80).dontFragment().payload(1400).build());
        int i = load(PacketBuilder.icmp4FragNeeded("10.0.0.254", "10.0.0.1", 1450, original).build());
        assertEquals(Verdict.CONTINUE, parser.parse(vector, i));
        assertTrue(vector.hasFlag(i, FrameVector.FLAG_ICMP_ERROR));
        assertEquals(3 << 8 | 4, vector.icmpTypeCode(i));
        assertEquals(vector.l4Offset(i) + 8, vector.payloadOffset(i), "the embedded datagram follows the 8-byte ICMP header");
    }

    @Test
    void shouldRecordFirstFragmentPortsAndLaterFragmentNone() {
        int first = load(PacketBuilder.udp4("10.0.0.1", 1000, "10.0.0.2", 2000).ipId(77).moreFragments().payload(1472).truncateIpPayloadTo(1480).build());
        assertEquals(Verdict.CONTINUE, parser.parse(vector, first));
        assertTrue(vector.hasFlag(first, FrameVector.FLAG_FRAGMENT));
        assertFalse(vector.hasFlag(first, FrameVector.FLAG_LATER_FRAGMENT));
        assertEquals(1000, vector.srcPort(first));
        assertEquals(77, vector.fragmentId(first));

        int later = load(PacketBuilder.udp4("10.0.0.1", 1000, "10.0.0.2", 2000).ipId(77).fragmentOffset(1480).payload(100).build());
        assertEquals(Verdict.CONTINUE, parser.parse(vector, later));
        assertTrue(vector.hasFlag(later, FrameVector.FLAG_LATER_FRAGMENT));
        assertFalse(vector.hasFlag(later, FrameVector.FLAG_L4));
        assertEquals(0, vector.srcPort(later));
        assertEquals(FrameVector.NO_OFFSET, vector.l4Offset(later));
        assertEquals(77, vector.fragmentId(later));
    }

    @Test
    void shouldWalkExtensionChainWhenIpv6HasExtensionHeaders() {
        int i = load(PacketBuilder.udp6("fd00::1", 1111, "fd00::2", 2222).ipv6ExtensionHeaders(0, 43, 60).payload(5).build());
        assertEquals(Verdict.CONTINUE, parser.parse(vector, i));
        assertTrue(vector.hasFlag(i, FrameVector.FLAG_IPV6));
        assertTrue(vector.hasFlag(i, FrameVector.FLAG_IPV6_EXTENSIONS));
        assertEquals(17, vector.protocol(i));
        assertEquals(vector.start(i) + 14 + 40 + 24, vector.l4Offset(i), "three 8-byte extension headers");
        assertEquals(1111, vector.srcPort(i));
        assertEquals(2222, vector.dstPort(i));
        long[] src = PacketBuilder.ip6("fd00::1");
        assertEquals(src[0], vector.srcHi(i));
        assertEquals(src[1], vector.srcLo(i));
    }

    @Test
    void shouldStopAtLaterIpv6FragmentWhenOffsetNonZero() {
        int i = load(PacketBuilder.udp6("fd00::1", 1, "fd00::2", 2).ipv6Fragment(1232, false, 0xABCDEF).payload(40).build());
        assertEquals(Verdict.CONTINUE, parser.parse(vector, i));
        assertTrue(vector.hasFlag(i, FrameVector.FLAG_LATER_FRAGMENT));
        assertEquals(0xABCDEF, vector.fragmentId(i));
        assertEquals(17, vector.protocol(i));
        assertEquals(0, vector.srcPort(i));
    }

    @Test
    void shouldParseArpWhenArpRequest() {
        int i = load(PacketBuilder.arpRequest("02:00:00:00:00:01", "10.0.0.1", "10.0.0.254").build());
        assertEquals(Verdict.CONTINUE, parser.parse(vector, i));
        assertTrue(vector.hasFlag(i, FrameVector.FLAG_ARP));
        assertEquals(PacketBuilder.ip4("10.0.0.1"), vector.srcIp4(i));
        assertEquals(PacketBuilder.ip4("10.0.0.254"), vector.dstIp4(i));
    }

    @Test
    void shouldLeaveUnknownEtherTypeToProgramsWhenNotIp() {
        byte[] frame = PacketBuilder.udp4("10.0.0.1", 1, "10.0.0.2", 2).build();
        frame[12] = (byte) 0x88;
        frame[13] = (byte) 0xCC; // LLDP
        int i = load(frame);
        assertEquals(Verdict.CONTINUE, parser.parse(vector, i));
        assertEquals(0x88CC, vector.etherType(i));
        assertFalse(vector.hasFlag(i, FrameVector.FLAG_IPV4));
    }

    @Test
    void shouldKeepOffloadFlagsAndClearParseStateWhenReparsed() {
        int i = load(PacketBuilder.tcp4("10.0.0.1", 1, "10.0.0.2", 2).build());
        vector.addFlags(i, FrameVector.FLAG_CSUM_PARTIAL);
        assertEquals(Verdict.CONTINUE, parser.parse(vector, i));
        vector.srcPort(i, 999);
        vector.addFlags(i, FrameVector.FLAG_FRAGMENT);
        assertEquals(Verdict.CONTINUE, parser.parse(vector, i));
        assertEquals(1, vector.srcPort(i));
        assertFalse(vector.hasFlag(i, FrameVector.FLAG_FRAGMENT));
        assertTrue(vector.hasFlag(i, FrameVector.FLAG_CSUM_PARTIAL));
    }

    @Test
    void shouldParseInnerFrameWhenVxlanIsTrimmedAndReparsed() {
        byte[] inner = PacketBuilder.tcp4("10.1.0.5", 33000, "10.2.0.7", 8080).build();
        int i = load(PacketBuilder.vxlan("192.168.1.1", "192.168.1.2", 42, inner).build());
        assertEquals(Verdict.CONTINUE, parser.parse(vector, i));
        assertEquals(8472, vector.dstPort(i));
        assertTrue(vector.trimFront(i, 50));
        assertEquals(Verdict.CONTINUE, parser.parse(vector, i));
        assertEquals(PacketBuilder.ip4("10.1.0.5"), vector.srcIp4(i));
        assertEquals(8080, vector.dstPort(i));
    }

    @Test
    void shouldDropOnlyBadFramesWhenParsingAll() {
        load(PacketBuilder.tcp4("10.0.0.1", 1, "10.0.0.2", 2).build());
        load(PacketBuilder.tcp4("10.0.0.1", 1, "10.0.0.2", 2).truncateTo(20).build());
        load(PacketBuilder.udp4("10.0.0.1", 1, "10.0.0.2", 2).build());
        assertEquals(2, parser.parseAll(vector));
        assertEquals(Verdict.CONTINUE, vector.verdict(0));
        assertEquals(DropReason.IPV4_TRUNCATED.verdict(), vector.verdict(1));
        assertEquals(Verdict.CONTINUE, vector.verdict(2));
    }

    static Stream<Arguments> malformed() {
        return Stream.of(
                Arguments.of("empty frame", new byte[0], DropReason.FRAME_TOO_SHORT),
                Arguments.of("13-byte frame", PacketBuilder.tcp4("10.0.0.1", 1, "10.0.0.2", 2).truncateTo(13).build(), DropReason.FRAME_TOO_SHORT),
                Arguments.of("VLAN tag cut", PacketBuilder.tcp4("10.0.0.1", 1, "10.0.0.2", 2).vlan(5).truncateTo(16).build(), DropReason.FRAME_TOO_SHORT),
                Arguments.of("QinQ", qinq(), DropReason.UNSUPPORTED_L2),
                Arguments.of("ARP cut", PacketBuilder.arpRequest("02:00:00:00:00:01", "10.0.0.1", "10.0.0.2").truncateTo(14 + 27).build(), DropReason.ARP_MALFORMED),
                Arguments.of("IPv4 header cut", PacketBuilder.tcp4("10.0.0.1", 1, "10.0.0.2", 2).truncateTo(14 + 19).build(), DropReason.IPV4_TRUNCATED),
                Arguments.of("IPv4 version 5", PacketBuilder.tcp4("10.0.0.1", 1, "10.0.0.2", 2).ipVersion(5).build(), DropReason.IPV4_BAD_VERSION),
                Arguments.of("IHL 4", PacketBuilder.tcp4("10.0.0.1", 1, "10.0.0.2", 2).ihl(4).build(), DropReason.IPV4_BAD_HEADER_LENGTH),
                Arguments.of("IHL past total length", PacketBuilder.udp4("10.0.0.1", 1, "10.0.0.2", 2).ihl(15).ipTotalLength(28).build(), DropReason.IPV4_BAD_HEADER_LENGTH),
                Arguments.of("total length past frame", PacketBuilder.tcp4("10.0.0.1", 1, "10.0.0.2", 2).ipTotalLength(1000).build(), DropReason.IPV4_BAD_TOTAL_LENGTH),
                Arguments.of("total length below IHL", PacketBuilder.tcp4("10.0.0.1", 1, "10.0.0.2", 2).ipTotalLength(19).build(), DropReason.IPV4_BAD_HEADER_LENGTH),
                Arguments.of("option length 0", PacketBuilder.tcp4("10.0.0.1", 1, "10.0.0.2", 2).ipOptions(new byte[]{7, 0, 0, 0}).build(), DropReason.IPV4_BAD_OPTIONS),
                Arguments.of("option past header", PacketBuilder.tcp4("10.0.0.1", 1, "10.0.0.2", 2).ipOptions(new byte[]{1, 7, 9, 4}).build(), DropReason.IPV4_BAD_OPTIONS),
                Arguments.of("fragment past 64K", PacketBuilder.udp4("10.0.0.1", 1, "10.0.0.2", 2).fragmentOffset(65528).payload(100).build(), DropReason.IPV4_BAD_FRAGMENT),
                Arguments.of("MF with odd payload", PacketBuilder.udp4("10.0.0.1", 1, "10.0.0.2", 2).moreFragments().payload(3).build(), DropReason.IPV4_BAD_FRAGMENT),
                Arguments.of("TCP header cut", PacketBuilder.tcp4("10.0.0.1", 1, "10.0.0.2", 2).truncateIpPayloadTo(19).build(), DropReason.L4_TRUNCATED),
                Arguments.of("TCP data offset 4", PacketBuilder.tcp4("10.0.0.1", 1, "10.0.0.2", 2).tcpDataOffset(4).build(), DropReason.TCP_BAD_HEADER_LENGTH),
                Arguments.of("TCP data offset past segment", PacketBuilder.tcp4("10.0.0.1", 1, "10.0.0.2", 2).tcpDataOffset(15).build(), DropReason.TCP_BAD_HEADER_LENGTH),
                Arguments.of("UDP header cut", PacketBuilder.udp4("10.0.0.1", 1, "10.0.0.2", 2).truncateIpPayloadTo(7).build(), DropReason.L4_TRUNCATED),
                Arguments.of("UDP length 7", PacketBuilder.udp4("10.0.0.1", 1, "10.0.0.2", 2).udpLength(7).build(), DropReason.UDP_BAD_LENGTH),
                Arguments.of("UDP length past payload", PacketBuilder.udp4("10.0.0.1", 1, "10.0.0.2", 2).payload(4).udpLength(200).build(), DropReason.UDP_BAD_LENGTH),
                Arguments.of("ICMP header cut", PacketBuilder.icmp4Echo("10.0.0.1", "10.0.0.2", 1, 1).truncateIpPayloadTo(7).build(), DropReason.L4_TRUNCATED),
                Arguments.of("IPv6 header cut", PacketBuilder.udp6("fd00::1", 1, "fd00::2", 2).truncateTo(14 + 39).build(), DropReason.IPV6_TRUNCATED),
                Arguments.of("IPv6 version 4", PacketBuilder.udp6("fd00::1", 1, "fd00::2", 2).ipVersion(4).build(), DropReason.IPV6_BAD_VERSION),
                Arguments.of("IPv6 payload length past frame", PacketBuilder.udp6("fd00::1", 1, "fd00::2", 2).ipTotalLength(500).build(), DropReason.IPV6_BAD_PAYLOAD_LENGTH),
                Arguments.of("hop-by-hop not first", PacketBuilder.udp6("fd00::1", 1, "fd00::2", 2).ipv6ExtensionHeaders(60, 0).build(), DropReason.INVALID_EXTENSION_HEADER),
                Arguments.of("extension header past packet", PacketBuilder.udp6("fd00::1", 1, "fd00::2", 2).ipv6ExtensionHeaders(60).truncateIpPayloadTo(4).build(), DropReason.INVALID_EXTENSION_HEADER),
                Arguments.of("nine extension headers", PacketBuilder.udp6("fd00::1", 1, "fd00::2", 2).ipv6ExtensionHeaders(0, 60, 60, 60, 60, 60, 60, 60, 60).build(), DropReason.INVALID_EXTENSION_HEADER),
                Arguments.of("IPv6 fragment odd payload", PacketBuilder.udp6("fd00::1", 1, "fd00::2", 2).ipv6Fragment(0, true, 1).payload(3).build(), DropReason.IPV6_BAD_FRAGMENT),
                Arguments.of("ICMPv6 header cut", PacketBuilder.icmp6Echo("fd00::1", "fd00::2", 1, 1).truncateIpPayloadTo(6).build(), DropReason.L4_TRUNCATED));
    }

    private static byte[] qinq() {
        byte[] frame = PacketBuilder.tcp4("10.0.0.1", 1, "10.0.0.2", 2).vlan(5).build();
        frame[16] = (byte) 0x81; // inner EtherType: another 802.1Q tag
        frame[17] = 0x00;
        return frame;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("malformed")
    void shouldReturnDropReasonWhenFrameIsMalformed(String name, byte[] frame, DropReason expected) {
        int i = load(frame);
        assertEquals(expected.verdict(), parser.parse(vector, i),
                () -> name + ": expected " + expected + ", got " + Verdict.toString(parser.parse(vector, i)));
    }

    @Test
    void shouldNeverReadPastFrameWhenEveryPrefixOfAFrameIsParsed() {
        // Every truncation of every kind of frame: the parser must return a verdict, never throw.
        byte[][] frames = {
                PacketBuilder.tcp4("10.0.0.1", 1, "10.0.0.2", 2).vlan(3).ipOptions(new byte[]{1, 1, 1, 0}).mss(1400).payload(20).build(),
                PacketBuilder.udp6("fd00::1", 1, "fd00::2", 2).ipv6ExtensionHeaders(0, 43, 60).payload(20).build(),
                PacketBuilder.icmp6Echo("fd00::1", "fd00::2", 1, 1).build(),
                PacketBuilder.arpReply("02:00:00:00:00:02", "10.0.0.254", "02:00:00:00:00:01", "10.0.0.1").build(),
        };
        for (byte[] frame : frames) {
            for (int cut = 0; cut <= frame.length; cut++) {
                vector.releaseAll();
                byte[] prefix = java.util.Arrays.copyOf(frame, cut);
                int i = load(prefix);
                int verdict = parser.parse(vector, i);
                assertTrue(verdict == Verdict.CONTINUE || verdict < 0, "cut at " + cut);
                if (cut < frame.length && cut >= 14 + (frame == frames[0] ? 4 : 0)) {
                    // Every strict prefix of an IP frame loses bytes its headers count on.
                    if (frame != frames[3]) {
                        assertTrue(verdict < 0, "a frame cut to " + cut + " of " + frame.length + " bytes must be dropped");
                    }
                }
            }
        }
    }
}
