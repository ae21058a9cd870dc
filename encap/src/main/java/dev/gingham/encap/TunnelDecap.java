package dev.gingham.encap;

import dev.gingham.packet.DropReason;
import dev.gingham.packet.FrameVector;
import dev.gingham.packet.NetworkOrder;
import dev.gingham.packet.Parser;
import dev.gingham.packet.Verdict;
import dev.gingham.packet.checksum.InternetChecksum;
import dev.gingham.packet.checksum.TransportChecksum;
import dev.gingham.packet.header.EthernetHeader;
import dev.gingham.packet.header.GeneveHeader;
import dev.gingham.packet.header.GeneveOption;
import dev.gingham.packet.header.Ipv4Header;
import dev.gingham.packet.header.Ipv6Header;
import dev.gingham.packet.header.UdpHeader;
import dev.gingham.packet.header.VxlanHeader;

import java.lang.foreign.MemorySegment;

/**
 * Takes tunnel packets from other nodes apart (Cilium's bpf_overlay, what the kernel's VXLAN
 * device does for flannel): validates the outer headers, strips them (the frame's start moves,
 * nothing is copied; only a UDP GSO datagram is, merged into one TCP frame or cut into its
 * pieces, see {@link UdpTunnelGro}), parses the inner frame, and records the source identity; the frame stays
 * {@link Verdict#CONTINUE} for ingress policy and {@link LocalDelivery}.
 *
 * <h2>Which frames are claimed</h2>
 * Parsed frames from the underlay whose outer IPv4 destination is this node's underlay address
 * and that are tunnel packets of the configured mode: UDP to the tunnel port (VXLAN, Geneve),
 * IP protocol 4 or 41 (IPIP). Other frames for the node are left alone (the host's traffic),
 * except tunnel packets of another mode or port (UDP to 8472, 4789 or 6081, IPIP to a UDP-tunnel
 * node): a peer configured differently, dropped as {@link DropReason#TUNNEL_MODE_MISMATCH} so
 * the misconfiguration shows in the counters instead of as a silent black hole.
 *
 * <h2>Checks, in order, and their reasons</h2>
 * <pre>
 * outer IPv4 is a fragment                         FRAG_NOT_SUPPORTED (157)
 * outer IPv4 header checksum wrong                  BAD_CHECKSUM (1015)
 * outer source is not a node (TunnelPeers)          UNKNOWN_SENDER (172)
 * UDP GSO datagram not mergeable and not cuttable   GSO_MALFORMED (1072), GSO_TOO_MANY_SEGMENTS
 *                                                   (1073), BUFFER_POOL_EXHAUSTED (1016); merged:
 *                                                   the parser's reason for the merged frame
 * outer UDP checksum non-zero, not partial, wrong   BAD_CHECKSUM (1015) (when verification is on)
 * tunnel header or inner Ethernet header cut short  TUNNEL_TRUNCATED (1031)
 * VXLAN: flags word not exactly I, reserved byte    VXLAN_BAD_FLAGS (1032)
 * Geneve: version not 0                             GENEVE_BAD_VERSION (1033)
 * Geneve: options length past the UDP payload       GENEVE_BAD_OPTIONS_LENGTH (1034)
 * Geneve: O bit (control packet)                    GENEVE_OAM (1036)
 * Geneve: protocol type not 0x6558                  GENEVE_BAD_PROTOCOL (1035)
 * Geneve: truncated option, or a critical one       INVALID_GENEVE_OPTION (149)
 *         (this node understands none)
 * VNI not the configured one (identity mode: 0)     INVALID_VNI (183)
 * inner frame malformed                             the parser's reason
 * </pre>
 * Linux's VXLAN driver likewise drops packets with flags or reserved VNI bits it does not
 * understand. Lengths come from the outer UDP length (the parser checked it against the IP
 * total length, and that against the frame), so outer Ethernet padding never reaches the inner
 * frame.
 *
 * <h2>One pass for the common case ({@link #receive})</h2>
 * A frame from the underlay is normally parsed (outer headers into the vector's metadata), then
 * checked and decapsulated here, then its inner frame parsed again: the outer parse is work no
 * program uses once the outer headers are gone. {@link #receive} replaces the underlay's parse:
 * a frame with the shape nearly every tunnel packet has (IPv4 without options or VLAN tag, not
 * a fragment, to this node's address, the configured mode's protocol and port, UDP length equal
 * to what the IP header says, not a GSO datagram) is checked from its bytes and decapsulated
 * directly, and only its inner frame is parsed. Every other frame, and every tunnel packet that
 * fails a check, is parsed as usual and left to {@link #process}, which runs the checks again on
 * the parsed frame and names the drop reason: the drop counters and events see the frame as they
 * always did, and the result of the one-pass route is by construction the result
 * {@code parse} + {@link #process} gives (TunnelDecapTest compares them frame by frame).
 *
 * <h2>After decapsulation</h2>
 * VXLAN and Geneve: the frame starts at the inner Ethernet header. IPIP: an Ethernet header is
 * written in front of the inner IP packet (over the outer IPv4 header's tail; MACs copied from
 * the outer frame until {@link LocalDelivery} sets the pod's). Source identity: the VNI when
 * {@link TunnelConfig#identityInVni()}, otherwise the {@link IpCache} identity of the inner
 * source (0 when unknown). The frame carries {@link FrameVector#FLAG_DECAPSULATED}. One
 * instance per worker; allocates nothing per packet.
 */
public final class TunnelDecap {
    private static final int VXLAN_FIRST_WORD = VxlanHeader.FLAG_I << 24;

    private final TunnelMode mode;
    private final IpCache ipCache;
    private final TunnelPeers peers;
    private final int underlayAddress;
    private final int tunnelPort;
    private final int vni;
    private final boolean identityInVni;
    private final boolean verifyUdpChecksum;
    private final Parser parser = new Parser();
    private final GeneveOption geneveOptions = new GeneveOption();
    private final UdpTunnelGro gro = new UdpTunnelGro();
    private final TcpSegmenter segmenter = new TcpSegmenter();
    private long decapsulatedCount;
    /**
     * The last outer source found to be a node, and its node id: frames of a vector come from a
     * few peers, so most peer checks are one load of the node's address in {@link TunnelPeers}
     * (which a removed or renumbered node no longer matches) instead of a hash lookup.
     */
    private int lastPeerAddress;
    private int lastPeerNodeId;

    public TunnelDecap(TunnelConfig config, IpCache ipCache, TunnelPeers peers) {
        this.mode = config.mode();
        this.ipCache = ipCache;
        this.peers = peers;
        this.underlayAddress = config.underlayAddress();
        this.tunnelPort = config.tunnelPort();
        this.vni = config.vni();
        this.identityInVni = config.identityInVni();
        this.verifyUdpChecksum = config.verifyOuterUdpChecksum();
    }

    /**
     * The underlay's parse, with decapsulation done on the way for the tunnel packets that have
     * the common shape (see the class comment): each frame whose verdict is
     * {@link Verdict#CONTINUE} is either decapsulated and its inner frame parsed, or parsed as
     * received (a parse failure sets the drop verdict). Call {@link #process} afterwards for the
     * frames this pass left as received.
     *
     * @return the number of frames decapsulated
     */
    public int receive(FrameVector v) {
        int decapsulated = 0;
        for (int i = 0, n = v.count(); i < n; i++) {
            if (v.verdict(i) != Verdict.CONTINUE) {
                continue;
            }
            int result = mode == TunnelMode.NATIVE ? NOT_TAKEN : decapsulateUnparsed(v, i);
            if (result == DECAPSULATED) {
                decapsulated++;
                continue;
            }
            if (result == NOT_TAKEN) {
                result = parser.parse(v, i);
            }
            if (result != Verdict.CONTINUE) {
                v.verdict(i, result);
            }
        }
        decapsulatedCount += decapsulated;
        return decapsulated;
    }

    /**
     * Runs over every frame whose verdict is {@link Verdict#CONTINUE} (the pieces of a UDP GSO
     * datagram this pass cuts apart are appended to the vector and handled in the pass too).
     *
     * @return the number of frames decapsulated
     */
    public int process(FrameVector v, long nowNs) {
        int decapsulated = 0;
        for (int i = 0; i < v.count(); i++) {
            if (v.verdict(i) != Verdict.CONTINUE || (v.flags(i) & (FrameVector.FLAG_IPV4 | FrameVector.FLAG_DECAPSULATED))
                    != FrameVector.FLAG_IPV4 || v.dstIp4(i) != underlayAddress) {
                continue;
            }
            int verdict = decapsulate(v, i);
            if (verdict == DECAPSULATED) {
                decapsulated++;
            } else {
                v.verdict(i, verdict);
            }
        }
        decapsulatedCount += decapsulated;
        return decapsulated;
    }

    private static final int DECAPSULATED = Integer.MAX_VALUE;
    /** {@link #decapsulateUnparsed}: not the common shape, or a check failed; parse and leave it to {@link #process}. */
    private static final int NOT_TAKEN = Integer.MAX_VALUE - 1;
    /** The smallest frame the one-pass route takes: outer Ethernet, IPv4, UDP, VXLAN and an inner Ethernet header. */
    private static final int MIN_UNPARSED_BYTES = EthernetHeader.LENGTH + Ipv4Header.MIN_LENGTH + UdpHeader.LENGTH
            + VxlanHeader.LENGTH + EthernetHeader.LENGTH;
    /** EtherType IPv4 followed by version 4, IHL 5: the first three bytes of a 32-bit load at the EtherType. */
    private static final int IPV4_NO_OPTIONS = EthernetHeader.ETHER_TYPE_IPV4 << 8 | 0x45;
    /** Fragment offset and MF: a tunnel packet with either goes the parsed route (and is dropped there). */
    private static final int FRAGMENT_BITS = Ipv4Header.FLAG_MF | Ipv4Header.FRAGMENT_OFFSET_MASK;

    /**
     * The one-pass route for frame {@code i}, not yet parsed: when it has the common shape and
     * passes every check, decapsulates it and parses the inner frame.
     *
     * @return {@link #DECAPSULATED}; the inner parse's drop verdict; or {@link #NOT_TAKEN} with the
     *         frame untouched
     */
    private int decapsulateUnparsed(FrameVector v, int i) {
        int frameBytes = v.length(i);
        if (frameBytes < MIN_UNPARSED_BYTES || v.hasFlag(i, FrameVector.FLAG_GSO)) {
            return NOT_TAKEN;
        }
        MemorySegment s = v.segment();
        long l3 = v.start(i) + EthernetHeader.LENGTH;
        int ipBytes = NetworkOrder.u16(s, l3 + Ipv4Header.TOTAL_LENGTH_OFFSET);
        int protocol = NetworkOrder.u8(s, l3 + Ipv4Header.PROTOCOL_OFFSET);
        if (NetworkOrder.u32(s, l3 - 2) >>> 8 != IPV4_NO_OPTIONS
                || (NetworkOrder.u16(s, l3 + Ipv4Header.FLAGS_OFFSET) & FRAGMENT_BITS) != 0
                || NetworkOrder.u32(s, l3 + Ipv4Header.DST_OFFSET) != underlayAddress
                || ipBytes > frameBytes - EthernetHeader.LENGTH
                || !(mode.udp() ? protocol == Ipv4Header.PROTOCOL_UDP
                        : protocol == Ipv4Header.PROTOCOL_IPIP || protocol == Ipv4Header.PROTOCOL_IPV6)) {
            return NOT_TAKEN;
        }
        long udp = l3 + Ipv4Header.MIN_LENGTH;
        int udpBytes = NetworkOrder.u16(s, udp + UdpHeader.LENGTH_OFFSET);
        // the UDP port and length first: they tell the host's own UDP apart without a checksum or a peer lookup
        if (mode.udp() && (NetworkOrder.u16(s, udp + UdpHeader.DST_PORT_OFFSET) != tunnelPort
                || udpBytes != ipBytes - Ipv4Header.MIN_LENGTH)) {
            return NOT_TAKEN;
        }
        int outerSource = NetworkOrder.u32(s, l3 + Ipv4Header.SRC_OFFSET);
        if (!InternetChecksum.verifies20(s, l3) || !isPeer(outerSource)) {
            return NOT_TAKEN;
        }
        int result;
        if (mode.udp()) {
            if (!udpChecksumOk(v, i, s, udp, udpBytes, outerSource)) {
                return NOT_TAKEN;
            }
            long header = udp + UdpHeader.LENGTH;
            int payloadBytes = udpBytes - UdpHeader.LENGTH;
            result = mode == TunnelMode.VXLAN ? vxlan(v, i, s, header, payloadBytes) : geneve(v, i, s, header, payloadBytes);
        } else {
            result = ipip(v, i, s, l3, Ipv4Header.MIN_LENGTH, ipBytes, protocol);
        }
        // a check failed before the frame was touched: the parsed route names the reason
        return result < 0 ? NOT_TAKEN : parseInner(v, i, result);
    }

    private int decapsulate(FrameVector v, int i) {
        int protocol = v.protocol(i);
        boolean ipip = protocol == Ipv4Header.PROTOCOL_IPIP || protocol == Ipv4Header.PROTOCOL_IPV6;
        if (protocol == Ipv4Header.PROTOCOL_UDP) {
            if (v.hasFlag(i, FrameVector.FLAG_LATER_FRAGMENT)) {
                return Verdict.CONTINUE; // no ports to tell; the host reassembles its own datagrams
            }
            int port = v.dstPort(i);
            if (!mode.udp() || port != tunnelPort) {
                return isTunnelPort(port) ? DropReason.TUNNEL_MODE_MISMATCH.verdict() : Verdict.CONTINUE;
            }
        } else if (ipip) {
            if (mode != TunnelMode.IPIP) {
                return DropReason.TUNNEL_MODE_MISMATCH.verdict();
            }
        } else {
            return Verdict.CONTINUE;
        }
        if (v.hasFlag(i, FrameVector.FLAG_FRAGMENT)) {
            return DropReason.FRAG_NOT_SUPPORTED.verdict();
        }
        MemorySegment s = v.segment();
        long l3 = v.l3Offset(i);
        int ipHeaderBytes = (NetworkOrder.u8(s, l3) & 0x0F) << 2;
        if (!InternetChecksum.verifies(s, l3, ipHeaderBytes)) {
            return DropReason.BAD_CHECKSUM.verdict();
        }
        int outerSource = v.srcIp4(i);
        if (!isPeer(outerSource)) {
            return DropReason.UNKNOWN_SENDER.verdict();
        }
        // A UDP GSO datagram is merged or cut only once its outer header and sender have passed:
        // both rewrite the outer header checksum, and a stranger's datagram is not worth a copy.
        if (mode.udp() && v.hasFlag(i, FrameVector.FLAG_GSO)) {
            int joined = joinOrCut(v, i);
            if (joined != Verdict.CONTINUE) {
                return joined;
            }
        }
        int result;
        if (mode.udp()) {
            long udp = v.l4Offset(i);
            int udpBytes = NetworkOrder.u16(s, udp + UdpHeader.LENGTH_OFFSET);
            if (!udpChecksumOk(v, i, s, udp, udpBytes, outerSource)) {
                return DropReason.BAD_CHECKSUM.verdict();
            }
            long header = udp + UdpHeader.LENGTH;
            int payloadBytes = udpBytes - UdpHeader.LENGTH;
            result = mode == TunnelMode.VXLAN ? vxlan(v, i, s, header, payloadBytes) : geneve(v, i, s, header, payloadBytes);
        } else {
            result = ipip(v, i, s, l3, ipHeaderBytes, v.l3Length(i), protocol);
        }
        return result < 0 ? result : parseInner(v, i, result);
    }

    /**
     * Parses the inner frame of a decapsulated frame and records its source identity.
     *
     * @param vni what the tunnel header carried (the identity when it rides in the VNI)
     * @return {@link #DECAPSULATED} or the parser's drop verdict
     */
    private int parseInner(FrameVector v, int i, int vni) {
        int parsed = parser.parse(v, i);
        if (parsed != Verdict.CONTINUE) {
            return parsed;
        }
        int identity = vni;
        if (!identityInVni || !mode.udp()) {
            long entry = ipCache.lookup(v.srcHi(i), v.srcLo(i));
            identity = entry == IpCache.MISSING ? 0 : ipCache.identity(entry);
        }
        v.srcIdentity(i, identity);
        v.addFlags(i, FrameVector.FLAG_DECAPSULATED);
        return DECAPSULATED;
    }

    /** Returns: true when {@code outerSource} is a node's underlay address ({@link #lastPeerAddress}). */
    private boolean isPeer(int outerSource) {
        // node() refuses address 0, so the memo's initial state matches nothing
        if (outerSource == lastPeerAddress && peers.node(lastPeerNodeId, outerSource) != TunnelPeers.MISSING) {
            return true;
        }
        int nodeId = peers.nodeIdOf(outerSource);
        if (nodeId == 0) {
            return false;
        }
        lastPeerAddress = outerSource;
        lastPeerNodeId = nodeId;
        return true;
    }

    /**
     * A UDP GSO datagram to the tunnel port (another node's {@link UdpTunnelGso}): merged into one
     * tunnel packet carrying a TCP GSO frame when its pieces continue one flow ({@link UdpTunnelGro}),
     * otherwise cut into its pieces, plain tunnel packets appended to the vector and decapsulated
     * one by one later in this pass (this frame keeps the first); a GSO type that is not UDP's is
     * dropped as the segmenter's reason says.
     *
     * @return {@link Verdict#CONTINUE} to decapsulate frame {@code i} as it now is, or a drop verdict
     */
    private int joinOrCut(FrameVector v, int i) {
        int merged = gro.merge(v, i);
        if (merged != UdpTunnelGro.NOT_MERGED) {
            return merged;
        }
        int appended = segmenter.segment(v, i);
        return appended < 0 ? appended : Verdict.CONTINUE;
    }

    /** Returns: the receiving half of UDP GSO (its counters). */
    public UdpTunnelGro gro() {
        return gro;
    }

    /**
     * @param header       offset of the VXLAN header (the UDP payload)
     * @param payloadBytes UDP payload length
     * @return the VNI (0 or more) with the frame trimmed to the inner frame, or a drop verdict
     */
    private int vxlan(FrameVector v, int i, MemorySegment s, long header, int payloadBytes) {
        int innerBytes = payloadBytes - VxlanHeader.LENGTH;
        if (innerBytes < EthernetHeader.LENGTH) {
            return DropReason.TUNNEL_TRUNCATED.verdict();
        }
        int vniWord = NetworkOrder.u32(s, header + VxlanHeader.VNI_OFFSET);
        if (NetworkOrder.u32(s, header) != VXLAN_FIRST_WORD || (vniWord & 0xFF) != 0) {
            return DropReason.VXLAN_BAD_FLAGS.verdict();
        }
        return keepInner(v, i, vniWord >>> 8, header + VxlanHeader.LENGTH, innerBytes);
    }

    /** As {@link #vxlan}, for a Geneve header. */
    private int geneve(FrameVector v, int i, MemorySegment s, long header, int payloadBytes) {
        if (payloadBytes < GeneveHeader.LENGTH) {
            return DropReason.TUNNEL_TRUNCATED.verdict();
        }
        int first = NetworkOrder.u8(s, header + GeneveHeader.VERSION_OPTIONS_LENGTH_OFFSET);
        if (first >>> 6 != 0) {
            return DropReason.GENEVE_BAD_VERSION.verdict();
        }
        int optionsBytes = (first & 0x3F) << 2;
        int innerBytes = payloadBytes - GeneveHeader.LENGTH - optionsBytes;
        if (innerBytes < 0) {
            return DropReason.GENEVE_BAD_OPTIONS_LENGTH.verdict();
        }
        if (innerBytes < EthernetHeader.LENGTH) {
            return DropReason.TUNNEL_TRUNCATED.verdict();
        }
        if ((NetworkOrder.u8(s, header + GeneveHeader.FLAGS_OFFSET) & GeneveHeader.FLAG_OAM) != 0) {
            return DropReason.GENEVE_OAM.verdict();
        }
        if (NetworkOrder.u16(s, header + GeneveHeader.PROTOCOL_TYPE_OFFSET) != GeneveHeader.PROTOCOL_TRANS_ETHER_BRIDGING) {
            return DropReason.GENEVE_BAD_PROTOCOL.verdict();
        }
        if (optionsBytes > 0) {
            GeneveOption options = geneveOptions.wrap(s, header + GeneveHeader.OPTIONS_OFFSET, optionsBytes);
            while (options.next()) {
                if (options.critical()) {
                    return DropReason.INVALID_GENEVE_OPTION.verdict(); // RFC 8926 §3.5: unknown critical option
                }
            }
            if (options.malformed()) {
                return DropReason.INVALID_GENEVE_OPTION.verdict();
            }
        }
        int frameVni = NetworkOrder.u32(s, header + GeneveHeader.VNI_OFFSET) >>> 8; // reserved byte ignored (RFC 8926)
        return keepInner(v, i, frameVni, header + GeneveHeader.LENGTH + optionsBytes, innerBytes);
    }

    /** Checks the VNI and trims the frame to the inner Ethernet frame. Returns: the VNI or a drop verdict. */
    private int keepInner(FrameVector v, int i, int frameVni, long inner, int innerBytes) {
        if (identityInVni ? frameVni == 0 : frameVni != vni) {
            return DropReason.INVALID_VNI.verdict();
        }
        int outerBytes = (int) (inner - v.start(i));
        dropOuterPartialChecksum(v, i, outerBytes);
        v.trimFront(i, outerBytes);
        v.length(i, innerBytes);
        TunnelEncap.moveChecksumStart(v, i, -outerBytes);
        return frameVni;
    }

    /**
     * A Linux VXLAN device with UDP checksums on (the default of {@code ip link add ... type vxlan})
     * leaves the outer UDP checksum partial when the inner packet has none to finish (ICMP, or an
     * already complete one), and the packet socket hands the frame over with checksum start
     * pointing into the outer headers. Those headers go away with decapsulation, and the inner
     * checksums are complete: the frame is no longer partial (a start before the frame would make
     * the pod's TAP refuse the write with EINVAL).
     */
    private static void dropOuterPartialChecksum(FrameVector v, int i, int outerBytes) {
        if (v.hasFlag(i, FrameVector.FLAG_CSUM_PARTIAL) && v.csumStart(i) < outerBytes) {
            v.flags(i, v.flags(i) & ~FrameVector.FLAG_CSUM_PARTIAL);
            v.offload(i, v.gsoType(i), v.gsoSize(i), 0, 0);
        }
    }

    /** @param ipBytes the outer IPv4 total length */
    private int ipip(FrameVector v, int i, MemorySegment s, long l3, int ipHeaderBytes, int ipBytes, int protocol) {
        int innerBytes = ipBytes - ipHeaderBytes;
        int minimum = protocol == Ipv4Header.PROTOCOL_IPIP ? Ipv4Header.MIN_LENGTH : Ipv6Header.LENGTH;
        if (innerBytes < minimum) {
            return DropReason.TUNNEL_TRUNCATED.verdict();
        }
        long start = v.start(i);
        long newStart = l3 + ipHeaderBytes - EthernetHeader.LENGTH;
        // the outer MACs stand in until delivery sets the pod's: two loads and stores (a 12-byte
        // MemorySegment.copy costs more than the rest of this method)
        long destinationAndHalf = NetworkOrder.u64(s, start);
        int sourceRest = NetworkOrder.u32(s, start + Long.BYTES);
        NetworkOrder.u64(s, newStart, destinationAndHalf);
        NetworkOrder.u32(s, newStart + Long.BYTES, sourceRest);
        NetworkOrder.u16(s, newStart + EthernetHeader.ETHER_TYPE_OFFSET, protocol == Ipv4Header.PROTOCOL_IPIP
                ? EthernetHeader.ETHER_TYPE_IPV4 : EthernetHeader.ETHER_TYPE_IPV6);
        v.trimFront(i, (int) (newStart - start));
        v.length(i, EthernetHeader.LENGTH + innerBytes);
        TunnelEncap.moveChecksumStart(v, i, (int) (start - newStart));
        return 0;
    }

    /**
     * A zero checksum is "none" (RFC 768, RFC 7348). A frame whose checksum the driver marks
     * partial (virtio-net NEEDS_CSUM, as a veth or TAP peer hands over locally built tunnel
     * packets: the inner checksum unfinished, the outer one computed ahead for it) cannot be
     * verified and is trusted, as Linux trusts CHECKSUM_PARTIAL.
     */
    private boolean udpChecksumOk(FrameVector v, int i, MemorySegment s, long udp, int udpBytes, int outerSource) {
        return !verifyUdpChecksum || NetworkOrder.u16(s, udp + UdpHeader.CHECKSUM_OFFSET) == 0
                || v.hasFlag(i, FrameVector.FLAG_CSUM_PARTIAL)
                || TransportChecksum.verifies4(s, udp, udpBytes, outerSource, underlayAddress, TransportChecksum.UDP);
    }

    private static boolean isTunnelPort(int port) {
        return port == VxlanHeader.PORT_LINUX || port == VxlanHeader.PORT_IANA || port == GeneveHeader.PORT;
    }

    /** Returns: frames decapsulated since creation. */
    public long decapsulatedCount() {
        return decapsulatedCount;
    }
}
