package dev.gingham.nat;

import dev.gingham.packet.DropReason;
import dev.gingham.packet.FrameTrace;
import dev.gingham.packet.FrameVector;
import dev.gingham.packet.MappedAddress;
import dev.gingham.packet.NetworkOrder;
import dev.gingham.packet.Verdict;
import dev.gingham.packet.checksum.IncrementalChecksum;
import dev.gingham.packet.header.Icmp4Header;
import dev.gingham.packet.header.Ipv4Header;
import dev.gingham.packet.header.Ipv6Header;
import dev.gingham.packet.header.TcpHeader;
import dev.gingham.packet.header.UdpHeader;

import java.lang.foreign.MemorySegment;

/**
 * Rewrites one side (source or destination) of a packet's address and port in place, patching
 * every checksum that covers them incrementally (RFC 1624): the IPv4 header checksum, the
 * TCP/UDP/ICMPv6 checksum through its pseudo-header, and the L4 checksum for the port or ICMP
 * echo identifier. This is the one place DNAT, reverse NAT, SNAT and ICMP-error translation
 * change bytes, so every NAT path shares the same checksum rules.
 *
 * <p>Rules it applies:
 * <ul>
 *   <li>UDP over IPv4 with checksum 0 ("none") keeps 0; a computed 0 is written as 0xFFFF.</li>
 *   <li>A frame whose L4 checksum is CHECKSUM_PARTIAL (from a vnet-header TAP, still to be
 *       completed by the kernel or by software segmentation) holds the folded pseudo-header sum,
 *       not complemented: an address change is added to it; a port change does not touch it,
 *       because ports are in the data the final sum covers.</li>
 *   <li>A later IP fragment has no L4 header: the address is rewritten, a port change is
 *       impossible and gives {@link DropReason#FRAG_NOT_SUPPORTED}.</li>
 *   <li>ICMPv4's checksum has no pseudo-header, so an address change leaves it alone.</li>
 *   <li>When only part of an L4 header is present (the 8 bytes an ICMP error embeds), fields
 *       beyond it (the TCP checksum) are left as they are.</li>
 * </ul>
 *
 * <p>Hot path: no allocation, no exceptions; bad requests come back as drop verdicts.
 */
public final class NatRewriter {
    /** Rewrite the source address and port. */
    public static final int SOURCE = 0;
    /** Rewrite the destination address and port. */
    public static final int DESTINATION = 1;
    /** Pass as the new port to keep the port as it is. */
    public static final int KEEP_PORT = -1;

    private static final int PROTOCOL_TCP = Ipv4Header.PROTOCOL_TCP;
    private static final int PROTOCOL_UDP = Ipv4Header.PROTOCOL_UDP;
    private static final int PROTOCOL_ICMP = Ipv4Header.PROTOCOL_ICMP;
    private static final int PROTOCOL_ICMPV6 = Ipv4Header.PROTOCOL_ICMPV6;
    private static final int ICMP4_ECHO_REQUEST = 8;
    private static final int ICMP4_ECHO_REPLY = 0;
    private static final int ICMP6_ECHO_REQUEST = 128;
    private static final int ICMP6_ECHO_REPLY = 129;

    private NatRewriter() {
    }

    /**
     * Rewrites frame {@code i}'s source or destination to ({@code newHi}, {@code newLo}) and
     * {@code newPort}, and updates the vector's flow tuple to match.
     *
     * @param side    {@link #SOURCE} or {@link #DESTINATION}
     * @param newPort the new TCP/UDP port or ICMP echo identifier, or {@link #KEEP_PORT}
     * @return {@link Verdict#CONTINUE}, or a drop verdict: {@code INVALID} for an address of the
     *         other family (no NAT46), {@code FRAG_NOT_SUPPORTED} for a port change on a later
     *         fragment, {@code NAT_UNSUPPORTED_PROTOCOL} for a port change on a protocol without
     *         ports
     */
    public static int rewrite(FrameVector v, int i, int side, long newHi, long newLo, int newPort) {
        boolean ipv6 = v.hasFlag(i, FrameVector.FLAG_IPV6);
        if (!ipv6 && !v.hasFlag(i, FrameVector.FLAG_IPV4)) {
            return DropReason.UNKNOWN_L3.verdict();
        }
        if (ipv6 == MappedAddress.isIpv4(newHi, newLo)) {
            return DropReason.INVALID.verdict();
        }
        boolean hasL4 = v.hasFlag(i, FrameVector.FLAG_L4) && !v.hasFlag(i, FrameVector.FLAG_LATER_FRAGMENT);
        int protocol = v.protocol(i);
        if (newPort != KEEP_PORT && !(hasL4 && hasPorts(protocol, v.icmpTypeCode(i) >>> 8))) {
            return hasL4 || !v.hasFlag(i, FrameVector.FLAG_LATER_FRAGMENT)
                    ? DropReason.NAT_UNSUPPORTED_PROTOCOL.verdict()
                    : DropReason.FRAG_NOT_SUPPORTED.verdict();
        }
        MemorySegment s = v.segment();
        long l4 = hasL4 ? v.l4Offset(i) : FrameVector.NO_OFFSET;
        int l4Bytes = hasL4 ? (int) (v.end(i) - l4) : 0;
        boolean partial = v.hasFlag(i, FrameVector.FLAG_CSUM_PARTIAL);
        FrameTrace trace = v.trace(); // null outside replay: NAT'd frames only, one branch each
        if (trace != null) {
            trace.beforeRewrite(v, i);
        }
        rewriteHeaders(s, v.l3Offset(i), ipv6, protocol, l4, l4Bytes, partial, side, newHi, newLo, newPort);
        if (side == SOURCE) {
            v.src6(i, newHi, newLo);
            if (newPort != KEEP_PORT) {
                v.srcPort(i, newPort);
                if (isIcmp(protocol)) {
                    v.dstPort(i, newPort); // the echo identifier stands for both ports
                }
            }
        } else {
            v.dst6(i, newHi, newLo);
            if (newPort != KEEP_PORT) {
                v.dstPort(i, newPort);
                if (isIcmp(protocol)) {
                    v.srcPort(i, newPort);
                }
            }
        }
        if (trace != null) {
            trace.afterRewrite(v, i, side == SOURCE ? FrameTrace.NAT_SOURCE : FrameTrace.NAT_DESTINATION);
        }
        return Verdict.CONTINUE;
    }

    /**
     * Rewrites the headers at explicit offsets: the outer packet of a frame, or the packet an
     * ICMP error embeds (whose L4 part may be cut after 8 bytes). The caller has checked that
     * the address family matches and that {@code l4Bytes} bytes exist at {@code l4}.
     *
     * @param l4      offset of the L4 header, or {@link FrameVector#NO_OFFSET} when absent
     * @param l4Bytes bytes of L4 header and data present at {@code l4}
     * @param partial the L4 checksum field holds a CHECKSUM_PARTIAL pseudo-header sum
     */
    public static void rewriteHeaders(MemorySegment s, long l3, boolean ipv6, int protocol, long l4, int l4Bytes,
                                      boolean partial, int side, long newHi, long newLo, int newPort) {
        boolean source = side == SOURCE;
        int checksumAt = l4 == FrameVector.NO_OFFSET ? -1 : l4ChecksumOffset(protocol, l4Bytes);
        int checksum = checksumAt < 0 ? 0 : NetworkOrder.u16(s, l4 + checksumAt);
        boolean udpZero = protocol == PROTOCOL_UDP && !ipv6 && checksum == 0 && !partial;
        if (ipv6) {
            long at = l3 + (source ? Ipv6Header.SRC_OFFSET : Ipv6Header.DST_OFFSET);
            long oldHi = NetworkOrder.u64(s, at);
            long oldLo = NetworkOrder.u64(s, at + 8);
            NetworkOrder.u64(s, at, newHi);
            NetworkOrder.u64(s, at + 8, newLo);
            if (checksumAt >= 0 && protocol != PROTOCOL_ICMP) {
                checksum = partial
                        ? ~IncrementalChecksum.replace128(~checksum & 0xFFFF, oldHi, oldLo, newHi, newLo) & 0xFFFF
                        : IncrementalChecksum.replace128(checksum, oldHi, oldLo, newHi, newLo);
            }
        } else {
            long at = l3 + (source ? Ipv4Header.SRC_OFFSET : Ipv4Header.DST_OFFSET);
            int oldAddress = NetworkOrder.u32(s, at);
            int newAddress = MappedAddress.ip4(newLo);
            NetworkOrder.u32(s, at, newAddress);
            long ipChecksumAt = l3 + Ipv4Header.CHECKSUM_OFFSET;
            NetworkOrder.u16(s, ipChecksumAt,
                    IncrementalChecksum.replace32(NetworkOrder.u16(s, ipChecksumAt), oldAddress, newAddress));
            if (checksumAt >= 0 && protocol != PROTOCOL_ICMP && !udpZero) {
                checksum = partial
                        ? ~IncrementalChecksum.replace32(~checksum & 0xFFFF, oldAddress, newAddress) & 0xFFFF
                        : IncrementalChecksum.replace32(checksum, oldAddress, newAddress);
            }
        }
        if (newPort != KEEP_PORT && l4 != FrameVector.NO_OFFSET) {
            int portAt = portOffset(protocol, source);
            if (portAt >= 0 && l4Bytes >= portAt + 2) {
                int oldPort = NetworkOrder.u16(s, l4 + portAt);
                NetworkOrder.u16(s, l4 + portAt, newPort);
                // Ports are data, not pseudo-header: a partial sum does not include them. The
                // ICMP echo identifier is in the ICMP header, which even a partial sum leaves out.
                if (checksumAt >= 0 && !udpZero && !(partial && !isIcmp(protocol))) {
                    checksum = IncrementalChecksum.replace16(checksum, oldPort, newPort);
                }
            }
        }
        if (checksumAt >= 0 && !udpZero) {
            if (protocol == PROTOCOL_UDP && checksum == 0 && !partial) {
                checksum = 0xFFFF; // a computed zero is sent as all ones (RFC 768)
            }
            NetworkOrder.u16(s, l4 + checksumAt, checksum);
        }
    }

    /** Returns: the L4 checksum's offset in the L4 header, or -1 when absent or cut off. */
    private static int l4ChecksumOffset(int protocol, int l4Bytes) {
        int at = switch (protocol) {
            case PROTOCOL_TCP -> TcpHeader.CHECKSUM_OFFSET;
            case PROTOCOL_UDP -> UdpHeader.CHECKSUM_OFFSET;
            case PROTOCOL_ICMP, PROTOCOL_ICMPV6 -> Icmp4Header.CHECKSUM_OFFSET;
            default -> -1;
        };
        return at >= 0 && l4Bytes >= at + 2 ? at : -1;
    }

    /** Returns: where the port (or echo identifier) of {@code side} is, or -1. */
    private static int portOffset(int protocol, boolean source) {
        return switch (protocol) {
            case PROTOCOL_TCP, PROTOCOL_UDP -> source ? 0 : 2;
            case PROTOCOL_ICMP, PROTOCOL_ICMPV6 -> Icmp4Header.IDENTIFIER_OFFSET;
            default -> -1;
        };
    }

    private static boolean hasPorts(int protocol, int icmpType) {
        return switch (protocol) {
            case PROTOCOL_TCP, PROTOCOL_UDP -> true;
            case PROTOCOL_ICMP -> icmpType == ICMP4_ECHO_REQUEST || icmpType == ICMP4_ECHO_REPLY;
            case PROTOCOL_ICMPV6 -> icmpType == ICMP6_ECHO_REQUEST || icmpType == ICMP6_ECHO_REPLY;
            default -> false;
        };
    }

    private static boolean isIcmp(int protocol) {
        return protocol == PROTOCOL_ICMP || protocol == PROTOCOL_ICMPV6;
    }
}
