package dev.gingham.packet;

import dev.gingham.packet.header.ArpHeader;
import dev.gingham.packet.header.EthernetHeader;
import dev.gingham.packet.header.Icmp4Header;
import dev.gingham.packet.header.Icmp6Header;
import dev.gingham.packet.header.Ipv4Header;
import dev.gingham.packet.header.Ipv6ExtensionHeader;
import dev.gingham.packet.header.Ipv6FragmentHeader;
import dev.gingham.packet.header.Ipv6Header;
import dev.gingham.packet.header.TcpHeader;
import dev.gingham.packet.header.UdpHeader;

import java.lang.foreign.MemorySegment;

import static dev.gingham.packet.NetworkOrder.u16;
import static dev.gingham.packet.NetworkOrder.u32;
import static dev.gingham.packet.NetworkOrder.u64;
import static dev.gingham.packet.NetworkOrder.u8;

/**
 * One pass over a frame that validates it and fills the vector's L2/L3/L4 offsets and flow
 * tuple, or names the drop reason. Programs after it read the metadata and trust it; header
 * accessors do not re-validate (DESIGN.md §3).
 *
 * <p>What is checked: the Ethernet header and at most one 802.1Q tag (QinQ is
 * {@link DropReason#UNSUPPORTED_L2}); ARP is Ethernet/IPv4 and whole; IPv4 version, IHL, total
 * length against IHL and the frame, options well formed, fragment fields consistent (a fragment
 * that would end past 65535 bytes, a non-last fragment whose payload is not a multiple of 8);
 * IPv6 version, payload length against the frame, the extension-header chain walked to the
 * upper layer (at most {@link #MAX_IPV6_EXTENSION_HEADERS}, each inside the packet, hop-by-hop
 * only first); TCP data offset, UDP length, ICMP/ICMPv6/SCTP header present in full. Frames with
 * other EtherTypes and packets with other protocols are parsed as far as their known layers
 * and left to the programs to accept or drop. Checksums are not verified here: like a NIC
 * with checksum offload, the fast path leaves that to the receiver's stack.
 *
 * <p>Ethernet padding (bytes after the IP packet in a minimum-size frame) is allowed and
 * excluded from {@link FrameVector#l3Length}. The parser never reads outside
 * {@code [start, start + length)} of the frame, never throws for any content, and allocates
 * nothing.
 */
public final class Parser {
    /** Cap on IPv6 extension headers walked, so a crafted chain cannot cost unbounded work. */
    public static final int MAX_IPV6_EXTENSION_HEADERS = 8;

    /** Flag bits the parser owns; offload flags set by the driver survive a re-parse. */
    private static final int PARSE_FLAGS = FrameVector.FLAG_VLAN | FrameVector.FLAG_IPV4 | FrameVector.FLAG_IPV6
            | FrameVector.FLAG_ARP | FrameVector.FLAG_FRAGMENT | FrameVector.FLAG_LATER_FRAGMENT
            | FrameVector.FLAG_L4 | FrameVector.FLAG_IPV4_OPTIONS | FrameVector.FLAG_IPV6_EXTENSIONS
            | FrameVector.FLAG_ICMP_ERROR;

    private static final int SCTP_COMMON_HEADER_LENGTH = 12;
    private static final int IPV4_OPTION_END = 0;
    private static final int IPV4_OPTION_NOP = 1;
    private static final int MAX_IP_PACKET_BYTES = 65535;

    /**
     * Parses every frame of the vector whose verdict is still {@link Verdict#CONTINUE}; a frame
     * that fails gets its drop verdict.
     *
     * @return the number of frames parsed successfully
     */
    public int parseAll(FrameVector vector) {
        int parsed = 0;
        for (int i = 0, n = vector.count(); i < n; i++) {
            if (vector.verdict(i) == Verdict.CONTINUE) {
                int result = parse(vector, i);
                if (result == Verdict.CONTINUE) {
                    parsed++;
                } else {
                    vector.verdict(i, result);
                }
            }
        }
        return parsed;
    }

    /**
     * Parses frame {@code i} from {@link FrameVector#start}, replacing what an earlier parse
     * recorded (so decapsulation can re-parse the inner frame).
     *
     * @return {@link Verdict#CONTINUE}, or the drop verdict ({@code -DropReason.code()})
     */
    public int parse(FrameVector vector, int i) {
        clearParsed(vector, i);
        MemorySegment segment = vector.segment();
        long start = vector.start(i);
        long end = start + vector.length(i);
        if (vector.length(i) < EthernetHeader.LENGTH) {
            return DropReason.FRAME_TOO_SHORT.verdict();
        }
        int etherType = u16(segment, start + EthernetHeader.ETHER_TYPE_OFFSET);
        long l3 = start + EthernetHeader.LENGTH;
        if (etherType == EthernetHeader.ETHER_TYPE_VLAN) {
            if (end - start < EthernetHeader.VLAN_LENGTH) {
                return DropReason.FRAME_TOO_SHORT.verdict();
            }
            vector.addFlags(i, FrameVector.FLAG_VLAN);
            vector.vlanTci(i, u16(segment, start + EthernetHeader.TCI_OFFSET));
            etherType = u16(segment, start + EthernetHeader.INNER_ETHER_TYPE_OFFSET);
            l3 = start + EthernetHeader.VLAN_LENGTH;
        }
        if (etherType == EthernetHeader.ETHER_TYPE_VLAN || etherType == EthernetHeader.ETHER_TYPE_QINQ) {
            return DropReason.UNSUPPORTED_L2.verdict();
        }
        vector.etherType(i, etherType);
        vector.l3Offset(i, l3);
        return switch (etherType) {
            case EthernetHeader.ETHER_TYPE_IPV4 -> parseIpv4(vector, i, segment, l3, end);
            case EthernetHeader.ETHER_TYPE_IPV6 -> parseIpv6(vector, i, segment, l3, end);
            case EthernetHeader.ETHER_TYPE_ARP -> parseArp(vector, i, segment, l3, end);
            default -> Verdict.CONTINUE;
        };
    }

    private static void clearParsed(FrameVector vector, int i) {
        vector.flags(i, vector.flags(i) & ~PARSE_FLAGS);
        vector.etherType(i, 0);
        vector.vlanTci(i, 0);
        vector.l3Offset(i, FrameVector.NO_OFFSET);
        vector.l3Length(i, 0);
        vector.l4Offset(i, FrameVector.NO_OFFSET);
        vector.payloadOffset(i, FrameVector.NO_OFFSET);
        vector.protocol(i, 0);
        vector.src6(i, 0, 0);
        vector.dst6(i, 0, 0);
        vector.srcPort(i, 0);
        vector.dstPort(i, 0);
        vector.tcpFlags(i, 0);
        vector.icmpTypeCode(i, 0);
        vector.fragmentId(i, 0);
    }

    private static int parseArp(FrameVector vector, int i, MemorySegment segment, long l3, long end) {
        if (end - l3 < ArpHeader.LENGTH
                || u16(segment, l3 + ArpHeader.HTYPE_OFFSET) != ArpHeader.HTYPE_ETHERNET
                || u16(segment, l3 + ArpHeader.PTYPE_OFFSET) != ArpHeader.PTYPE_IPV4
                || u8(segment, l3 + ArpHeader.HLEN_OFFSET) != ArpHeader.HLEN_ETHERNET
                || u8(segment, l3 + ArpHeader.PLEN_OFFSET) != ArpHeader.PLEN_IPV4) {
            return DropReason.ARP_MALFORMED.verdict();
        }
        vector.addFlags(i, FrameVector.FLAG_ARP);
        vector.l3Length(i, ArpHeader.LENGTH);
        vector.src4(i, u32(segment, l3 + ArpHeader.SPA_OFFSET));
        vector.dst4(i, u32(segment, l3 + ArpHeader.TPA_OFFSET));
        return Verdict.CONTINUE;
    }

    private static int parseIpv4(FrameVector vector, int i, MemorySegment segment, long l3, long end) {
        long available = end - l3;
        if (available < Ipv4Header.MIN_LENGTH) {
            return DropReason.IPV4_TRUNCATED.verdict();
        }
        int versionIhl = u8(segment, l3 + Ipv4Header.VERSION_IHL_OFFSET);
        if (versionIhl >>> 4 != Ipv4Header.VERSION) {
            return DropReason.IPV4_BAD_VERSION.verdict();
        }
        int headerLength = (versionIhl & 0x0F) * 4;
        int totalLength = u16(segment, l3 + Ipv4Header.TOTAL_LENGTH_OFFSET);
        if (headerLength < Ipv4Header.MIN_LENGTH || headerLength > totalLength) {
            return DropReason.IPV4_BAD_HEADER_LENGTH.verdict();
        }
        if (totalLength > available) {
            return DropReason.IPV4_BAD_TOTAL_LENGTH.verdict();
        }
        if (headerLength > Ipv4Header.MIN_LENGTH) {
            if (!optionsWellFormed(segment, l3 + Ipv4Header.OPTIONS_OFFSET, headerLength - Ipv4Header.MIN_LENGTH)) {
                return DropReason.IPV4_BAD_OPTIONS.verdict();
            }
            vector.addFlags(i, FrameVector.FLAG_IPV4_OPTIONS);
        }
        vector.addFlags(i, FrameVector.FLAG_IPV4);
        vector.l3Length(i, totalLength);
        int protocol = u8(segment, l3 + Ipv4Header.PROTOCOL_OFFSET);
        vector.protocol(i, protocol);
        vector.src4(i, u32(segment, l3 + Ipv4Header.SRC_OFFSET));
        vector.dst4(i, u32(segment, l3 + Ipv4Header.DST_OFFSET));

        int flagsAndOffset = u16(segment, l3 + Ipv4Header.FLAGS_OFFSET);
        int fragmentOffsetBytes = (flagsAndOffset & Ipv4Header.FRAGMENT_OFFSET_MASK) * 8;
        boolean moreFragments = (flagsAndOffset & Ipv4Header.FLAG_MF) != 0;
        int payloadLength = totalLength - headerLength;
        if (moreFragments || fragmentOffsetBytes != 0) {
            if (fragmentOffsetBytes + payloadLength > MAX_IP_PACKET_BYTES
                    || (moreFragments && (payloadLength == 0 || payloadLength % 8 != 0))) {
                return DropReason.IPV4_BAD_FRAGMENT.verdict();
            }
            vector.addFlags(i, FrameVector.FLAG_FRAGMENT);
            vector.fragmentId(i, u16(segment, l3 + Ipv4Header.IDENTIFICATION_OFFSET));
            if (fragmentOffsetBytes != 0) {
                vector.addFlags(i, FrameVector.FLAG_LATER_FRAGMENT);
                return Verdict.CONTINUE;
            }
        }
        return parseL4(vector, i, segment, l3 + headerLength, payloadLength, protocol, false);
    }

    /** Returns: true when every IPv4 option lies inside the options area (RFC 791 §3.1). */
    private static boolean optionsWellFormed(MemorySegment segment, long offset, int length) {
        int position = 0;
        while (position < length) {
            int type = u8(segment, offset + position);
            if (type == IPV4_OPTION_END) {
                return true;
            }
            if (type == IPV4_OPTION_NOP) {
                position++;
                continue;
            }
            if (position + 2 > length) {
                return false;
            }
            int optionLength = u8(segment, offset + position + 1);
            if (optionLength < 2 || position + optionLength > length) {
                return false;
            }
            position += optionLength;
        }
        return true;
    }

    private static int parseIpv6(FrameVector vector, int i, MemorySegment segment, long l3, long end) {
        long available = end - l3;
        if (available < Ipv6Header.LENGTH) {
            return DropReason.IPV6_TRUNCATED.verdict();
        }
        if (u8(segment, l3) >>> 4 != Ipv6Header.VERSION) {
            return DropReason.IPV6_BAD_VERSION.verdict();
        }
        int payloadLength = u16(segment, l3 + Ipv6Header.PAYLOAD_LENGTH_OFFSET);
        if (Ipv6Header.LENGTH + payloadLength > available) {
            return DropReason.IPV6_BAD_PAYLOAD_LENGTH.verdict();
        }
        vector.addFlags(i, FrameVector.FLAG_IPV6);
        vector.l3Length(i, Ipv6Header.LENGTH + payloadLength);
        vector.src6(i, u64(segment, l3 + Ipv6Header.SRC_OFFSET), u64(segment, l3 + Ipv6Header.SRC_OFFSET + 8));
        vector.dst6(i, u64(segment, l3 + Ipv6Header.DST_OFFSET), u64(segment, l3 + Ipv6Header.DST_OFFSET + 8));

        long packetEnd = l3 + Ipv6Header.LENGTH + payloadLength;
        long position = l3 + Ipv6Header.LENGTH;
        int nextHeader = u8(segment, l3 + Ipv6Header.NEXT_HEADER_OFFSET);
        int walked = 0;
        while (isWalkedExtension(nextHeader)) {
            if (walked == MAX_IPV6_EXTENSION_HEADERS
                    || (nextHeader == Ipv6ExtensionHeader.HOP_BY_HOP && walked > 0)
                    || packetEnd - position < Ipv6ExtensionHeader.MIN_LENGTH) {
                return DropReason.INVALID_EXTENSION_HEADER.verdict();
            }
            walked++;
            vector.addFlags(i, FrameVector.FLAG_IPV6_EXTENSIONS);
            int following = u8(segment, position + Ipv6ExtensionHeader.NEXT_HEADER_OFFSET);
            if (nextHeader == Ipv6ExtensionHeader.FRAGMENT) {
                int offsetAndFlags = u16(segment, position + Ipv6FragmentHeader.FRAGMENT_OFFSET_OFFSET);
                int fragmentOffsetBytes = offsetAndFlags & 0xFFF8;
                boolean moreFragments = (offsetAndFlags & Ipv6FragmentHeader.FLAG_M) != 0;
                long fragmentPayload = packetEnd - (position + Ipv6FragmentHeader.LENGTH);
                if (fragmentOffsetBytes + fragmentPayload > MAX_IP_PACKET_BYTES
                        || (moreFragments && (fragmentPayload == 0 || fragmentPayload % 8 != 0))) {
                    return DropReason.IPV6_BAD_FRAGMENT.verdict();
                }
                vector.addFlags(i, FrameVector.FLAG_FRAGMENT);
                vector.fragmentId(i, u32(segment, position + Ipv6FragmentHeader.IDENTIFICATION_OFFSET));
                position += Ipv6FragmentHeader.LENGTH;
                nextHeader = following;
                if (fragmentOffsetBytes != 0) {
                    vector.addFlags(i, FrameVector.FLAG_LATER_FRAGMENT);
                    vector.protocol(i, nextHeader);
                    return Verdict.CONTINUE;
                }
                continue;
            }
            int headerBytes = nextHeader == Ipv6ExtensionHeader.AH
                    ? (u8(segment, position + Ipv6ExtensionHeader.HDR_EXT_LENGTH_OFFSET) + 2) * 4
                    : (u8(segment, position + Ipv6ExtensionHeader.HDR_EXT_LENGTH_OFFSET) + 1) * 8;
            if (headerBytes > packetEnd - position) {
                return DropReason.INVALID_EXTENSION_HEADER.verdict();
            }
            position += headerBytes;
            nextHeader = following;
        }
        vector.protocol(i, nextHeader);
        return parseL4(vector, i, segment, position, (int) (packetEnd - position), nextHeader, true);
    }

    /** Extension headers the parser steps over; ESP (50) and No Next Header (59) end the chain. */
    private static boolean isWalkedExtension(int nextHeader) {
        return switch (nextHeader) {
            case Ipv6ExtensionHeader.HOP_BY_HOP, Ipv6ExtensionHeader.ROUTING, Ipv6ExtensionHeader.FRAGMENT,
                 Ipv6ExtensionHeader.AH, Ipv6ExtensionHeader.DESTINATION_OPTIONS, Ipv6ExtensionHeader.MOBILITY,
                 Ipv6ExtensionHeader.HIP, Ipv6ExtensionHeader.SHIM6 -> true;
            default -> false;
        };
    }

    private static int parseL4(FrameVector vector, int i, MemorySegment segment, long l4, int l4Length,
                               int protocol, boolean ipv6) {
        boolean fragment = vector.hasFlag(i, FrameVector.FLAG_FRAGMENT);
        switch (protocol) {
            case Ipv4Header.PROTOCOL_TCP -> {
                if (l4Length < TcpHeader.MIN_LENGTH) {
                    return DropReason.L4_TRUNCATED.verdict();
                }
                int headerLength = (u8(segment, l4 + TcpHeader.DATA_OFFSET_OFFSET) >>> 4) * 4;
                if (headerLength < TcpHeader.MIN_LENGTH || headerLength > l4Length) {
                    return DropReason.TCP_BAD_HEADER_LENGTH.verdict();
                }
                vector.srcPort(i, u16(segment, l4 + TcpHeader.SRC_PORT_OFFSET));
                vector.dstPort(i, u16(segment, l4 + TcpHeader.DST_PORT_OFFSET));
                vector.tcpFlags(i, u8(segment, l4 + TcpHeader.FLAGS_OFFSET));
                vector.payloadOffset(i, l4 + headerLength);
            }
            case Ipv4Header.PROTOCOL_UDP -> {
                if (l4Length < UdpHeader.LENGTH) {
                    return DropReason.L4_TRUNCATED.verdict();
                }
                int udpLength = u16(segment, l4 + UdpHeader.LENGTH_OFFSET);
                // A first fragment's UDP length covers the whole datagram, not this fragment.
                if (udpLength < UdpHeader.LENGTH || (!fragment && udpLength > l4Length)) {
                    return DropReason.UDP_BAD_LENGTH.verdict();
                }
                vector.srcPort(i, u16(segment, l4));
                vector.dstPort(i, u16(segment, l4 + 2));
                vector.payloadOffset(i, l4 + UdpHeader.LENGTH);
            }
            case Ipv4Header.PROTOCOL_ICMP, Ipv4Header.PROTOCOL_ICMPV6 -> {
                if ((protocol == Ipv4Header.PROTOCOL_ICMPV6) != ipv6) {
                    return Verdict.CONTINUE; // ICMP over IPv6 or ICMPv6 over IPv4: an unknown protocol
                }
                if (l4Length < Icmp4Header.LENGTH) {
                    return DropReason.L4_TRUNCATED.verdict();
                }
                int type = u8(segment, l4);
                vector.icmpTypeCode(i, type << 8 | u8(segment, l4 + 1));
                if (ipv6 ? isIcmp6Echo(type) : isIcmp4Echo(type)) {
                    int identifier = u16(segment, l4 + 4);
                    vector.srcPort(i, identifier);
                    vector.dstPort(i, identifier);
                } else if (ipv6 ? Icmp6Header.isError(type) : Icmp4Header.isError(type)) {
                    vector.addFlags(i, FrameVector.FLAG_ICMP_ERROR);
                }
                vector.payloadOffset(i, l4 + Icmp4Header.LENGTH);
            }
            case Ipv4Header.PROTOCOL_SCTP -> {
                if (l4Length < SCTP_COMMON_HEADER_LENGTH) {
                    return DropReason.L4_TRUNCATED.verdict();
                }
                vector.srcPort(i, u16(segment, l4));
                vector.dstPort(i, u16(segment, l4 + 2));
                vector.payloadOffset(i, l4 + SCTP_COMMON_HEADER_LENGTH);
            }
            default -> {
                // Unknown upper layer (IPIP, GRE, ESP...): its offset is still useful to decapsulators.
                vector.l4Offset(i, l4);
                return Verdict.CONTINUE;
            }
        }
        vector.l4Offset(i, l4);
        vector.addFlags(i, FrameVector.FLAG_L4);
        return Verdict.CONTINUE;
    }

    private static boolean isIcmp4Echo(int type) {
        return type == 0 || type == 8;
    }

    private static boolean isIcmp6Echo(int type) {
        return type == 128 || type == 129;
    }
}
