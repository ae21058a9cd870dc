package dev.gingham.packet;

import dev.gingham.packet.checksum.InternetChecksum;
import dev.gingham.packet.checksum.TransportChecksum;
import dev.gingham.packet.header.EthernetHeader;
import dev.gingham.packet.header.Icmp4Header;
import dev.gingham.packet.header.Icmp6Header;
import dev.gingham.packet.header.Ipv4Header;
import dev.gingham.packet.header.Ipv6Header;

import java.lang.foreign.MemorySegment;

/**
 * Turns a frame, in place, into the ICMP error about it, addressed back to its sender: port
 * unreachable for a service without backends (kube-proxy's REJECT), fragmentation needed /
 * packet too big for the MTU check, time exceeded for an expired TTL.
 *
 * <p>Why in place: the error quotes the offending packet from its IP header on, and that packet
 * already sits in the buffer. The new Ethernet, IP and ICMP headers are written into the
 * headroom in front of the quoted IP header (IPv4: 14 + 20 + 8 bytes, IPv6: 14 + 40 + 8), so
 * nothing is copied and no buffer is taken from the pool. The quote is as much of the packet as
 * fits in 576 bytes for IPv4 (RFC 1812 §4.3.2.3) and 1280 for IPv6 (RFC 4443 §2.4(c)).
 *
 * <p>A quoted packet whose L4 checksum is still partial (a vnet-header TAP's CHECKSUM_PARTIAL) is
 * finished first ({@link PartialChecksum}): the error leaves without any offload request, and its
 * receiver matches the quote to its socket, so the quote must show what the sender's packet
 * would have carried on a wire. The checksum start or field outside the packet: {@code false}.
 *
 * <p>RFC 1122 §3.2.2 and RFC 4443 §2.4(e) forbid errors about errors, about non-first
 * fragments and about packets to or from multicast/broadcast/unspecified addresses;
 * {@code false} says so, and the caller drops the frame with its own reason. Rate limiting is
 * the caller's (it knows the destination and the clock).
 *
 * <p>After a {@code true} return the frame's metadata is reset: parse it again before other
 * programs look at it. The VLAN tag of the original frame, if any, is not carried over.
 */
public final class IcmpErrorWriter {
    /** ICMPv4 destination unreachable; codes below. */
    public static final int ICMP4_DEST_UNREACHABLE = 3;
    public static final int ICMP4_CODE_PORT_UNREACHABLE = 3;
    public static final int ICMP4_CODE_FRAG_NEEDED = 4;
    public static final int ICMP4_TIME_EXCEEDED = 11;
    /** ICMPv6 destination unreachable; code 4 = port unreachable. */
    public static final int ICMP6_DEST_UNREACHABLE = 1;
    public static final int ICMP6_CODE_PORT_UNREACHABLE = 4;
    public static final int ICMP6_PACKET_TOO_BIG = 2;
    public static final int ICMP6_TIME_EXCEEDED = 3;

    /** Largest ICMPv4 error datagram (RFC 1812) and ICMPv6 error packet (RFC 4443). */
    static final int ICMP4_MAX_DATAGRAM = 576;
    static final int ICMP6_MAX_PACKET = 1280;
    private static final int ICMP_HEADER = 8;
    private static final int IP_TTL = 64;
    /** Precedence "internetwork control", as Linux marks the ICMP errors it sends. */
    private static final int ICMP_TOS = 0xC0;

    private IcmpErrorWriter() {
    }

    /**
     * Rewrites parsed IPv4 frame {@code i} into an ICMPv4 error from {@code sourceAddress}.
     *
     * @param restOfHeader the ICMP header's last 4 bytes (for fragmentation needed: the next-hop
     *                     MTU in the low 16 bits)
     * @return true when the frame now holds the error; false when none may be sent for it
     */
    public static boolean toIcmp4Error(FrameVector v, int i, int type, int code, int restOfHeader, int sourceAddress) {
        if (!v.hasFlag(i, FrameVector.FLAG_IPV4) || v.hasFlag(i, FrameVector.FLAG_LATER_FRAGMENT)
                || v.hasFlag(i, FrameVector.FLAG_ICMP_ERROR)) {
            return false;
        }
        MemorySegment s = v.segment();
        long l3 = v.l3Offset(i);
        int originalSource = NetworkOrder.u32(s, l3 + Ipv4Header.SRC_OFFSET);
        int originalDestination = NetworkOrder.u32(s, l3 + Ipv4Header.DST_OFFSET);
        if (!isUnicast4(originalSource) || !isUnicast4(originalDestination) || !PartialChecksum.complete(v, i)) {
            return false;
        }
        int quoted = Math.min(v.l3Length(i), ICMP4_MAX_DATAGRAM - Ipv4Header.MIN_LENGTH - ICMP_HEADER);
        long newL3 = l3 - Ipv4Header.MIN_LENGTH - ICMP_HEADER;
        if (!reframe(v, i, newL3 - EthernetHeader.LENGTH, EthernetHeader.ETHER_TYPE_IPV4)) {
            return false;
        }
        int totalLength = Ipv4Header.MIN_LENGTH + ICMP_HEADER + quoted;
        // id 0, no flags, offset 0
        Ipv4Header.write(s, newL3, ICMP_TOS, totalLength, 0, 0, IP_TTL, Ipv4Header.PROTOCOL_ICMP, sourceAddress, originalSource);
        long icmp = newL3 + Ipv4Header.MIN_LENGTH;
        writeIcmpHeader(s, icmp, type, code, restOfHeader);
        NetworkOrder.u16(s, icmp + Icmp4Header.CHECKSUM_OFFSET, InternetChecksum.compute(s, icmp, ICMP_HEADER + quoted));
        v.length(i, EthernetHeader.LENGTH + totalLength);
        v.resetMetadata(i);
        return true;
    }

    /**
     * Rewrites parsed IPv6 frame {@code i} into an ICMPv6 error from ({@code sourceHi}, {@code sourceLo}).
     *
     * @param restOfHeader the ICMPv6 header's last 4 bytes (packet too big: the MTU)
     * @return true when the frame now holds the error; false when none may be sent for it
     */
    public static boolean toIcmp6Error(FrameVector v, int i, int type, int code, int restOfHeader,
                                       long sourceHi, long sourceLo) {
        if (!v.hasFlag(i, FrameVector.FLAG_IPV6) || v.hasFlag(i, FrameVector.FLAG_LATER_FRAGMENT)
                || v.hasFlag(i, FrameVector.FLAG_ICMP_ERROR)) {
            return false;
        }
        MemorySegment s = v.segment();
        long l3 = v.l3Offset(i);
        long originalSourceHi = NetworkOrder.u64(s, l3 + Ipv6Header.SRC_OFFSET);
        long originalSourceLo = NetworkOrder.u64(s, l3 + Ipv6Header.SRC_OFFSET + 8);
        long originalDestinationHi = NetworkOrder.u64(s, l3 + Ipv6Header.DST_OFFSET);
        boolean multicastDestination = (originalDestinationHi >>> 56) == 0xFF;
        boolean unspecifiedSource = originalSourceHi == 0 && originalSourceLo == 0;
        if (unspecifiedSource || (originalSourceHi >>> 56) == 0xFF
                || (multicastDestination && type != ICMP6_PACKET_TOO_BIG)) {
            return false; // RFC 4443 §2.4(e): packet too big is the one error sent about multicast
        }
        if (!PartialChecksum.complete(v, i)) {
            return false;
        }
        int quoted = Math.min(v.l3Length(i), ICMP6_MAX_PACKET - Ipv6Header.LENGTH - ICMP_HEADER);
        long newL3 = l3 - Ipv6Header.LENGTH - ICMP_HEADER;
        if (!reframe(v, i, newL3 - EthernetHeader.LENGTH, EthernetHeader.ETHER_TYPE_IPV6)) {
            return false;
        }
        int payloadLength = ICMP_HEADER + quoted;
        NetworkOrder.u32(s, newL3, 6 << 28);
        NetworkOrder.u16(s, newL3 + Ipv6Header.PAYLOAD_LENGTH_OFFSET, payloadLength);
        NetworkOrder.u8(s, newL3 + Ipv6Header.NEXT_HEADER_OFFSET, Ipv4Header.PROTOCOL_ICMPV6);
        NetworkOrder.u8(s, newL3 + Ipv6Header.HOP_LIMIT_OFFSET, IP_TTL);
        NetworkOrder.u64(s, newL3 + Ipv6Header.SRC_OFFSET, sourceHi);
        NetworkOrder.u64(s, newL3 + Ipv6Header.SRC_OFFSET + 8, sourceLo);
        NetworkOrder.u64(s, newL3 + Ipv6Header.DST_OFFSET, originalSourceHi);
        NetworkOrder.u64(s, newL3 + Ipv6Header.DST_OFFSET + 8, originalSourceLo);
        long icmp = newL3 + Ipv6Header.LENGTH;
        writeIcmpHeader(s, icmp, type, code, restOfHeader);
        NetworkOrder.u16(s, icmp + Icmp6Header.CHECKSUM_OFFSET, TransportChecksum.l4Over6(s, icmp, payloadLength,
                sourceHi, sourceLo, originalSourceHi, originalSourceLo, TransportChecksum.ICMPV6));
        v.length(i, EthernetHeader.LENGTH + Ipv6Header.LENGTH + payloadLength);
        v.resetMetadata(i);
        return true;
    }

    /**
     * Moves the frame's start to {@code newStart} (into the headroom) and writes an Ethernet
     * header there that answers the original: destination = original source MAC, source =
     * original destination MAC (the gateway MAC the sender used).
     */
    private static boolean reframe(FrameVector v, int i, long newStart, int etherType) {
        long start = v.start(i);
        int grow = (int) (start - newStart);
        MemorySegment s = v.segment();
        long originalDestinationMac = NetworkOrder.u64(s, start) >>> 16;
        long originalSourceMac = NetworkOrder.u64(s, start + 6) >>> 16;
        if (!v.prepend(i, grow)) {
            return false;
        }
        NetworkOrder.u16(s, newStart, (int) (originalSourceMac >>> 32));
        NetworkOrder.u32(s, newStart + 2, (int) originalSourceMac);
        NetworkOrder.u16(s, newStart + 6, (int) (originalDestinationMac >>> 32));
        NetworkOrder.u32(s, newStart + 8, (int) originalDestinationMac);
        NetworkOrder.u16(s, newStart + 12, etherType);
        return true;
    }

    private static void writeIcmpHeader(MemorySegment s, long icmp, int type, int code, int restOfHeader) {
        NetworkOrder.u8(s, icmp, type);
        NetworkOrder.u8(s, icmp + 1, code);
        NetworkOrder.u16(s, icmp + 2, 0);
        NetworkOrder.u32(s, icmp + 4, restOfHeader);
    }

    /** Not 0.0.0.0/8, not multicast or reserved (224/3), not the limited broadcast. */
    private static boolean isUnicast4(int address) {
        int first = address >>> 24;
        return first != 0 && first < 224;
    }
}
