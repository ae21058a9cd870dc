package dev.gingham.dataplane.fuzz;

import dev.gingham.packet.FrameVector;
import dev.gingham.packet.NetworkOrder;
import dev.gingham.packet.checksum.InternetChecksum;
import dev.gingham.packet.checksum.TransportChecksum;
import dev.gingham.packet.header.Ipv4Header;
import dev.gingham.packet.header.TcpHeader;
import dev.gingham.packet.header.UdpHeader;

import java.lang.foreign.MemorySegment;

/**
 * Recomputes every checksum of a parsed frame from scratch and says which one is wrong, and what
 * it should have been: the IPv4 header checksum, TCP and UDP over IPv4 and IPv6 (pseudo-header
 * with the real addresses and L4 length), ICMP, ICMPv6 (with its pseudo-header) and SCTP's CRC32c.
 * A full recompute on purpose: the pipeline updates checksums incrementally (RFC 1624), and
 * checking those updates with the same arithmetic would prove nothing.
 *
 * <p>Rules: UDP over IPv4 may carry 0 (no checksum, RFC 768); over IPv6 it may not (RFC 8200
 * §8.1). A frame marked {@link FrameVector#FLAG_CSUM_PARTIAL} (a vnet-header TAP's
 * CHECKSUM_PARTIAL) must point its checksum start and offset at its L4 checksum field and hold the
 * folded pseudo-header sum there, not complemented, which the kernel or NIC completes. Fragments
 * are checked at IPv4 only: their L4 checksum covers the reassembled datagram.
 *
 * <p>{@link #verifies} allocates nothing; {@link #verify} allocates only the description of a
 * failure. One instance per thread.
 */
public final class ChecksumVerifier {
    private static final int TCP = 6;
    private static final int UDP = 17;
    private static final int ICMP = 1;
    private static final int ICMPV6 = 58;
    private static final int SCTP = 132;

    private final SctpChecksum sctp = new SctpChecksum();

    private static final int RIGHT = 0;
    private static final int IPV4_HEADER = 1;
    private static final int L4 = 2;
    private static final int UDP6_ZERO = 3;
    private static final int PARTIAL_POINTERS = 4;
    private static final int PARTIAL_SUM = 5;
    private static final int SCTP_CRC = 6;

    // What the last check found, for the description (one verifier per thread).
    private int actual;
    private int expected;
    private int checksumStart;

    /** Returns: true when every checksum of parsed frame {@code i} is right (allocates nothing). */
    public boolean verifies(FrameVector v, int i) {
        return check(v, i) == RIGHT;
    }

    /** Returns: null when every checksum of parsed frame {@code i} is right, else what is wrong. */
    public String verify(FrameVector v, int i) {
        int problem = check(v, i);
        if (problem == RIGHT) {
            return null;
        }
        String name = protocolName(v.protocol(i), v.hasFlag(i, FrameVector.FLAG_IPV6));
        return switch (problem) {
            case IPV4_HEADER -> String.format("IPv4 header checksum 0x%04x is wrong (expected 0x%04x)", actual, expected);
            case L4 -> String.format("%s checksum 0x%04x is wrong (expected 0x%04x)", name, actual, expected);
            case UDP6_ZERO -> "UDP over IPv6 with checksum 0 (RFC 8200 requires one)";
            case PARTIAL_POINTERS -> String.format("%s CHECKSUM_PARTIAL points at start %d offset %d, but the L4 header is at"
                    + " %d, its checksum at +%d", name, v.csumStart(i), v.csumOffset(i), checksumStart, actual);
            case PARTIAL_SUM -> String.format("%s CHECKSUM_PARTIAL pseudo-header sum 0x%04x is wrong (expected 0x%04x)", name,
                    actual, expected);
            default -> String.format("SCTP CRC32c 0x%08x is wrong (expected 0x%08x)", actual, expected);
        };
    }

    private int check(FrameVector v, int i) {
        MemorySegment s = v.segment();
        long l3 = v.l3Offset(i);
        if (v.hasFlag(i, FrameVector.FLAG_IPV4)) {
            int headerLength = (NetworkOrder.u8(s, l3) & 0x0F) * 4;
            if (!InternetChecksum.verifies(s, l3, headerLength)) {
                actual = NetworkOrder.u16(s, l3 + Ipv4Header.CHECKSUM_OFFSET);
                expected = TransportChecksum.ipv4Header(s, l3, headerLength);
                return IPV4_HEADER;
            }
        }
        if (v.hasFlag(i, FrameVector.FLAG_FRAGMENT) || !v.hasFlag(i, FrameVector.FLAG_L4)) {
            return RIGHT;
        }
        boolean ipv6 = v.hasFlag(i, FrameVector.FLAG_IPV6);
        int protocol = v.protocol(i);
        long l4 = v.l4Offset(i);
        int length = v.l4Length(i);
        int fieldOffset = switch (protocol) {
            case TCP -> TcpHeader.CHECKSUM_OFFSET;
            case UDP -> UdpHeader.CHECKSUM_OFFSET;
            case ICMP, ICMPV6 -> 2;
            case SCTP -> SctpChecksum.CHECKSUM_OFFSET;
            default -> -1;
        };
        if (fieldOffset < 0) {
            return RIGHT;
        }
        if (protocol == SCTP) {
            expected = sctp.compute(s, l4, length);
            actual = SctpChecksum.field(s, l4);
            return actual == expected ? RIGHT : SCTP_CRC;
        }
        int field = NetworkOrder.u16(s, l4 + fieldOffset);
        long pseudo = protocol == ICMP ? 0 : ipv6
                ? TransportChecksum.pseudoHeader6(v.srcHi(i), v.srcLo(i), v.dstHi(i), v.dstLo(i), protocol, length)
                : TransportChecksum.pseudoHeader4(v.srcIp4(i), v.dstIp4(i), protocol, length);
        if (v.hasFlag(i, FrameVector.FLAG_CSUM_PARTIAL)) {
            checksumStart = (int) (l4 - v.start(i));
            if (v.csumStart(i) != checksumStart || v.csumOffset(i) != fieldOffset) {
                actual = fieldOffset;
                return PARTIAL_POINTERS;
            }
            actual = field;
            expected = InternetChecksum.fold(pseudo);
            // 0 and 0xFFFF are the same number in ones' complement.
            return (field == 0 ? 0xFFFF : field) == (expected == 0 ? 0xFFFF : expected) ? RIGHT : PARTIAL_SUM;
        }
        if (protocol == UDP && field == 0) {
            return ipv6 ? UDP6_ZERO : RIGHT;
        }
        long sum = InternetChecksum.add(s, l4, length, pseudo);
        if (InternetChecksum.fold(sum) == 0xFFFF) {
            return RIGHT;
        }
        actual = field;
        expected = InternetChecksum.finish(sum + (~field & 0xFFFF));
        if (protocol == UDP && expected == 0) {
            expected = 0xFFFF;
        }
        return L4;
    }

    private static String protocolName(int protocol, boolean ipv6) {
        return switch (protocol) {
            case TCP -> ipv6 ? "TCP/IPv6" : "TCP/IPv4";
            case UDP -> ipv6 ? "UDP/IPv6" : "UDP/IPv4";
            case ICMP -> "ICMP";
            case ICMPV6 -> "ICMPv6";
            default -> "protocol " + protocol;
        };
    }
}
