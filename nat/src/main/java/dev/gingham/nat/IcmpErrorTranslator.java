package dev.gingham.nat;

import dev.gingham.packet.FrameVector;
import dev.gingham.packet.MappedAddress;
import dev.gingham.packet.NetworkOrder;
import dev.gingham.packet.Verdict;
import dev.gingham.packet.DropReason;
import dev.gingham.packet.checksum.InternetChecksum;
import dev.gingham.packet.checksum.TransportChecksum;
import dev.gingham.packet.header.Icmp4Header;
import dev.gingham.packet.header.Ipv4Header;
import dev.gingham.packet.header.Ipv6Header;

import java.lang.foreign.MemorySegment;

/**
 * NAT for ICMP errors (RFC 5508 §4.2): an error about a translated flow quotes the packet as it
 * was on the wire after translation, so the quoted packet is translated back too, or the sender
 * could not match the error to its socket (path MTU discovery through a Service or SNAT would
 * break).
 *
 * <p>The quoted packet travelled the other way from the error: an error coming back to a client
 * quotes the client's packet. So when the error's destination is translated (SNAT reply: node
 * address back to the pod), the quoted packet's source is translated (node:natPort back to
 * pod:port); when the error's source is translated (service reply: backend back to the VIP), the
 * quoted destination is. The error's own address is rewritten only when it is the translated
 * address itself: an error from a router on the path keeps the router's address, which the
 * receiver does not use to match the error anyway.
 *
 * <p>Checksums: the quoted IPv4 header and quoted L4 checksum (when quoted whole) are updated
 * incrementally by {@link NatRewriter}; the ICMP checksum, which covers all of it, is computed
 * again over the message (ICMP errors are at most 576 / 1280 bytes and rare: not the per-packet
 * path of a healthy flow).
 */
public final class IcmpErrorTranslator {
    private IcmpErrorTranslator() {
    }

    /**
     * Translates the ICMP error in frame {@code i}.
     *
     * @param outerSide    the side of the error packet being translated ({@link NatRewriter#SOURCE}
     *                     or {@link NatRewriter#DESTINATION}); the quoted packet's other side is
     *                     translated
     * @param innerL3      offset of the quoted IP header (validated by the caller)
     * @param innerL4      offset of the quoted L4 header
     * @param innerL4Bytes bytes of quoted L4 header and data present (at least 8 for ports)
     * @param oldHi        the address being replaced (hi half), to recognise it in the outer header
     * @param newPort      the quoted packet's new port or echo identifier, or {@link NatRewriter#KEEP_PORT}
     * @return {@link Verdict#CONTINUE}, or {@code INVALID} for addresses of the other family
     */
    public static int translate(FrameVector v, int i, int outerSide, long innerL3, long innerL4, int innerL4Bytes,
                                int innerProtocol, long oldHi, long oldLo, long newHi, long newLo, int newPort) {
        boolean ipv6 = v.hasFlag(i, FrameVector.FLAG_IPV6);
        if (ipv6 == MappedAddress.isIpv4(newHi, newLo) || !v.hasFlag(i, FrameVector.FLAG_L4)) {
            return DropReason.INVALID.verdict();
        }
        MemorySegment s = v.segment();
        int innerSide = outerSide == NatRewriter.SOURCE ? NatRewriter.DESTINATION : NatRewriter.SOURCE;
        NatRewriter.rewriteHeaders(s, innerL3, ipv6, innerProtocol, innerL4, innerL4Bytes, false, innerSide,
                newHi, newLo, newPort);
        boolean outerMatches = outerSide == NatRewriter.SOURCE
                ? v.srcHi(i) == oldHi && v.srcLo(i) == oldLo
                : v.dstHi(i) == oldHi && v.dstLo(i) == oldLo;
        if (outerMatches) {
            // The ICMP checksum is recomputed below, so the L4 part of this rewrite is irrelevant.
            int verdict = NatRewriter.rewrite(v, i, outerSide, newHi, newLo, NatRewriter.KEEP_PORT);
            if (verdict != Verdict.CONTINUE) {
                return verdict;
            }
        }
        refreshIcmpChecksum(v, i, ipv6);
        return Verdict.CONTINUE;
    }

    private static void refreshIcmpChecksum(FrameVector v, int i, boolean ipv6) {
        MemorySegment s = v.segment();
        long icmp = v.l4Offset(i);
        int length = (int) (v.l3Offset(i) + v.l3Length(i) - icmp);
        NetworkOrder.u16(s, icmp + Icmp4Header.CHECKSUM_OFFSET, 0);
        int checksum;
        if (ipv6) {
            long l3 = v.l3Offset(i);
            checksum = TransportChecksum.l4Over6(s, icmp, length,
                    NetworkOrder.u64(s, l3 + Ipv6Header.SRC_OFFSET), NetworkOrder.u64(s, l3 + Ipv6Header.SRC_OFFSET + 8),
                    NetworkOrder.u64(s, l3 + Ipv6Header.DST_OFFSET), NetworkOrder.u64(s, l3 + Ipv6Header.DST_OFFSET + 8),
                    Ipv4Header.PROTOCOL_ICMPV6);
        } else {
            checksum = InternetChecksum.compute(s, icmp, length);
        }
        NetworkOrder.u16(s, icmp + Icmp4Header.CHECKSUM_OFFSET, checksum);
    }
}
