package dev.gingham.packet;

import dev.gingham.packet.header.Icmp4Header;
import dev.gingham.packet.header.Icmp6Header;
import dev.gingham.packet.header.Ipv4Header;
import dev.gingham.packet.header.Ipv6ExtensionHeader;
import dev.gingham.packet.header.Ipv6FragmentHeader;
import dev.gingham.packet.header.Ipv6Header;

import java.lang.foreign.MemorySegment;

import static dev.gingham.packet.NetworkOrder.u16;
import static dev.gingham.packet.NetworkOrder.u64;
import static dev.gingham.packet.NetworkOrder.u8;

/**
 * The datagram an ICMP or ICMPv6 error quotes, validated once and exposed as a flow tuple:
 * what conntrack needs to tie the error to a connection (RELATED), and what NAT and encap need
 * to rewrite or answer it.
 *
 * <pre>
 *  outer IP | ICMP type code csum | rest of header | quoted IP header     | quoted L4, >= 8 bytes |
 *                                                   ^ l3Offset()           ^ l4Offset()
 *                                                   (frame's payloadOffset)
 * </pre>
 *
 * <p>An error is sent <em>about</em> a packet, back towards that packet's sender, so the quoted
 * tuple runs opposite to the error itself: source = whoever sent the offending packet.
 *
 * <p>What is checked: the quote's IP version is the outer family's (ICMPv4 quotes IPv4, ICMPv6
 * quotes IPv6); IPv4 IHL at least 5 and header plus 8 bytes of L4 inside the quote (RFC 792
 * guarantees 8; RFC 1812 routers quote more); the quoted IPv4 total length is not below its IHL
 * (it may exceed the quote: quotes are truncated); the quoted IPv6 extension-header chain is
 * walked (at most {@link Parser#MAX_IPV6_EXTENSION_HEADERS}, hop-by-hop only first) and 8 L4
 * bytes follow it; a quoted non-first fragment carries no ports and cannot be matched to a flow,
 * so it is invalid here. Anything else is {@link DropReason#ICMP_EMBEDDED_INVALID}.
 *
 * <p>Ports: TCP, UDP and SCTP ports; for a quoted ICMP echo (request or reply) the identifier as
 * both ports, as {@link FrameVector} reports it for echo frames; 0 for other protocols.
 *
 * <p>Reads stay inside {@code [datagram offset, end)}: the end is the outer IP packet's end,
 * which the parser has validated against the frame, so Ethernet padding is never taken for
 * quoted bytes. Allocates nothing; one instance per worker, re-filled per frame.
 */
public final class IcmpErrorPayload {
    /** Bytes of the quoted L4 header that must be present (RFC 792: "64 bits of data"). */
    public static final int MIN_QUOTED_L4_BYTES = 8;


    private boolean ipv6;
    private long l3Offset;
    private long l4Offset;
    private long end;
    private int protocol;
    private long srcHi;
    private long srcLo;
    private long dstHi;
    private long dstLo;
    private int srcPort;
    private int dstPort;
    private int icmpTypeCode;

    /**
     * Validates the datagram quoted by frame {@code i}, an ICMP error the parser flagged with
     * {@link FrameVector#FLAG_ICMP_ERROR}.
     *
     * @return {@link Verdict#CONTINUE}, or {@code DropReason.ICMP_EMBEDDED_INVALID.verdict()} (also
     *         when the frame is not a parsed ICMP error)
     */
    public int parse(FrameVector vector, int i) {
        if (!vector.hasFlag(i, FrameVector.FLAG_ICMP_ERROR) || vector.payloadOffset(i) == FrameVector.NO_OFFSET) {
            return DropReason.ICMP_EMBEDDED_INVALID.verdict();
        }
        long packetEnd = Math.min(vector.l3Offset(i) + vector.l3Length(i), vector.end(i));
        return parse(vector.segment(), vector.payloadOffset(i), packetEnd, vector.hasFlag(i, FrameVector.FLAG_IPV6));
    }

    /**
     * Validates a quoted datagram at {@code offset}, reading nothing at or past {@code end}.
     *
     * @param ipv6 true when the error is ICMPv6 (the quote must then be IPv6), false for ICMPv4
     * @return {@link Verdict#CONTINUE} or {@code DropReason.ICMP_EMBEDDED_INVALID.verdict()}
     */
    public int parse(MemorySegment segment, long offset, long end, boolean ipv6) {
        clear();
        this.ipv6 = ipv6;
        this.l3Offset = offset;
        this.end = end;
        int result = ipv6 ? parseIpv6(segment, offset, end) : parseIpv4(segment, offset, end);
        if (result != Verdict.CONTINUE) {
            clear();
            return result;
        }
        readPorts(segment);
        return Verdict.CONTINUE;
    }

    private void clear() {
        ipv6 = false;
        l3Offset = FrameVector.NO_OFFSET;
        l4Offset = FrameVector.NO_OFFSET;
        end = FrameVector.NO_OFFSET;
        protocol = 0;
        srcHi = 0;
        srcLo = 0;
        dstHi = 0;
        dstLo = 0;
        srcPort = 0;
        dstPort = 0;
        icmpTypeCode = 0;
    }

    private int parseIpv4(MemorySegment segment, long l3, long end) {
        long available = end - l3;
        if (available < Ipv4Header.MIN_LENGTH) {
            return DropReason.ICMP_EMBEDDED_INVALID.verdict();
        }
        int versionIhl = u8(segment, l3 + Ipv4Header.VERSION_IHL_OFFSET);
        int headerLength = (versionIhl & 0x0F) * 4;
        if (versionIhl >>> 4 != Ipv4Header.VERSION
                || headerLength < Ipv4Header.MIN_LENGTH
                || headerLength + MIN_QUOTED_L4_BYTES > available
                || u16(segment, l3 + Ipv4Header.TOTAL_LENGTH_OFFSET) < headerLength
                || (u16(segment, l3 + Ipv4Header.FLAGS_OFFSET) & Ipv4Header.FRAGMENT_OFFSET_MASK) != 0) {
            return DropReason.ICMP_EMBEDDED_INVALID.verdict();
        }
        protocol = u8(segment, l3 + Ipv4Header.PROTOCOL_OFFSET);
        srcHi = 0;
        srcLo = MappedAddress.lo4(NetworkOrder.u32(segment, l3 + Ipv4Header.SRC_OFFSET));
        dstHi = 0;
        dstLo = MappedAddress.lo4(NetworkOrder.u32(segment, l3 + Ipv4Header.DST_OFFSET));
        l4Offset = l3 + headerLength;
        return Verdict.CONTINUE;
    }

    private int parseIpv6(MemorySegment segment, long l3, long end) {
        if (end - l3 < Ipv6Header.LENGTH + MIN_QUOTED_L4_BYTES || u8(segment, l3) >>> 4 != Ipv6Header.VERSION) {
            return DropReason.ICMP_EMBEDDED_INVALID.verdict();
        }
        srcHi = u64(segment, l3 + Ipv6Header.SRC_OFFSET);
        srcLo = u64(segment, l3 + Ipv6Header.SRC_OFFSET + 8);
        dstHi = u64(segment, l3 + Ipv6Header.DST_OFFSET);
        dstLo = u64(segment, l3 + Ipv6Header.DST_OFFSET + 8);
        int nextHeader = u8(segment, l3 + Ipv6Header.NEXT_HEADER_OFFSET);
        long position = l3 + Ipv6Header.LENGTH;
        for (int walked = 0; isExtension(nextHeader); walked++) {
            if (walked == Parser.MAX_IPV6_EXTENSION_HEADERS
                    || (nextHeader == Ipv6ExtensionHeader.HOP_BY_HOP && walked > 0)
                    || end - position < Ipv6ExtensionHeader.MIN_LENGTH) {
                return DropReason.ICMP_EMBEDDED_INVALID.verdict();
            }
            int following = u8(segment, position + Ipv6ExtensionHeader.NEXT_HEADER_OFFSET);
            int headerBytes;
            if (nextHeader == Ipv6ExtensionHeader.FRAGMENT) {
                if ((u16(segment, position + Ipv6FragmentHeader.FRAGMENT_OFFSET_OFFSET) & 0xFFF8) != 0) {
                    return DropReason.ICMP_EMBEDDED_INVALID.verdict(); // a later fragment: no ports
                }
                headerBytes = Ipv6FragmentHeader.LENGTH;
            } else if (nextHeader == Ipv6ExtensionHeader.AH) {
                headerBytes = (u8(segment, position + Ipv6ExtensionHeader.HDR_EXT_LENGTH_OFFSET) + 2) * 4;
            } else {
                headerBytes = (u8(segment, position + Ipv6ExtensionHeader.HDR_EXT_LENGTH_OFFSET) + 1) * 8;
            }
            position += headerBytes;
            nextHeader = following;
        }
        if (end - position < MIN_QUOTED_L4_BYTES) {
            return DropReason.ICMP_EMBEDDED_INVALID.verdict();
        }
        protocol = nextHeader;
        l4Offset = position;
        return Verdict.CONTINUE;
    }

    private static boolean isExtension(int nextHeader) {
        return switch (nextHeader) {
            case Ipv6ExtensionHeader.HOP_BY_HOP, Ipv6ExtensionHeader.ROUTING, Ipv6ExtensionHeader.FRAGMENT,
                 Ipv6ExtensionHeader.AH, Ipv6ExtensionHeader.DESTINATION_OPTIONS, Ipv6ExtensionHeader.MOBILITY,
                 Ipv6ExtensionHeader.HIP, Ipv6ExtensionHeader.SHIM6 -> true;
            default -> false;
        };
    }

    /** Reads ports from the 8 quoted L4 bytes that {@code parse*} proved present. */
    private void readPorts(MemorySegment segment) {
        switch (protocol) {
            case Ipv4Header.PROTOCOL_TCP, Ipv4Header.PROTOCOL_UDP, Ipv4Header.PROTOCOL_SCTP -> {
                srcPort = u16(segment, l4Offset);
                dstPort = u16(segment, l4Offset + 2);
            }
            case Ipv4Header.PROTOCOL_ICMP, Ipv4Header.PROTOCOL_ICMPV6 -> {
                if ((protocol == Ipv4Header.PROTOCOL_ICMPV6) != ipv6) {
                    return; // ICMP over IPv6 or ICMPv6 over IPv4: an unknown protocol, no ports
                }
                int type = u8(segment, l4Offset);
                icmpTypeCode = type << 8 | u8(segment, l4Offset + 1);
                boolean echo = ipv6
                        ? type == Icmp6Header.ECHO_REQUEST || type == Icmp6Header.ECHO_REPLY
                        : type == Icmp4Header.ECHO_REQUEST || type == Icmp4Header.ECHO_REPLY;
                if (echo) {
                    int identifier = u16(segment, l4Offset + Icmp4Header.IDENTIFIER_OFFSET);
                    srcPort = identifier;
                    dstPort = identifier;
                }
            }
            default -> { }
        }
    }

    /** Returns: true when the quote (and the error) is IPv6. */
    public boolean ipv6() {
        return ipv6;
    }

    /** Returns: the offset of the quoted IP header. */
    public long l3Offset() {
        return l3Offset;
    }

    /** Returns: the offset of the quoted L4 header (past any IPv4 options or IPv6 extension headers). */
    public long l4Offset() {
        return l4Offset;
    }

    /** Returns: the offset just past the last quoted byte (the outer IP packet's end). */
    public long end() {
        return end;
    }

    /** Returns: the number of quoted bytes from the L4 header on (at least {@link #MIN_QUOTED_L4_BYTES}). */
    public int quotedL4Bytes() {
        return (int) (end - l4Offset);
    }

    /** Returns: the quoted packet's L4 protocol. */
    public int protocol() {
        return protocol;
    }

    /** Returns: the quoted packet's source, bytes 0-7 (0 for IPv4, which is IPv4-mapped). */
    public long srcHi() {
        return srcHi;
    }

    /** Returns: the quoted packet's source, bytes 8-15 ({@code 0x0000FFFF_aabbccdd} for IPv4). */
    public long srcLo() {
        return srcLo;
    }

    public long dstHi() {
        return dstHi;
    }

    public long dstLo() {
        return dstLo;
    }

    /** Returns: the quoted source port; the echo identifier for a quoted echo; 0 otherwise. */
    public int srcPort() {
        return srcPort;
    }

    /** Returns: the quoted destination port; the echo identifier for a quoted echo; 0 otherwise. */
    public int dstPort() {
        return dstPort;
    }

    /** Returns: {@code type << 8 | code} of a quoted ICMP/ICMPv6 message, 0 for other protocols. */
    public int icmpTypeCode() {
        return icmpTypeCode;
    }
}
