package dev.gingham.encap;

import dev.gingham.packet.DropReason;
import dev.gingham.packet.FrameVector;
import dev.gingham.packet.IcmpErrorWriter;
import dev.gingham.packet.NetworkOrder;
import dev.gingham.packet.Verdict;
import dev.gingham.packet.checksum.TransportChecksum;
import dev.gingham.packet.header.EthernetHeader;
import dev.gingham.packet.header.GeneveHeader;
import dev.gingham.packet.header.Ipv4Header;
import dev.gingham.packet.header.Ipv6Header;
import dev.gingham.packet.header.TcpHeader;
import dev.gingham.packet.header.UdpHeader;
import dev.gingham.packet.header.VxlanHeader;

import java.lang.foreign.MemorySegment;

/**
 * Sends frames for pods on other nodes to those nodes (Cilium's {@code encap_and_redirect}, the
 * to-overlay half of bpf_lxc): the {@link IpCache} entry of the inner destination names the
 * tunnel endpoint, {@link TunnelPeers} the MAC to send to; the MTU is enforced on the inner
 * packet; then the mode's outer headers are written into the headroom (nothing of the inner
 * frame is copied) and the verdict is TX on the underlay port.
 *
 * <h2>Outer frame per mode (IPv4 underlay; offsets from the new frame start)</h2>
 * <pre>
 * vxlan   0 Ethernet(14) 14 IPv4(20) 34 UDP(8) 42 VXLAN(8)  50 inner Ethernet frame
 * geneve  0 Ethernet(14) 14 IPv4(20) 34 UDP(8) 42 Geneve(8) 50 inner Ethernet frame
 *           (inner MACs: source the gateway's, destination the peer's VTEP MAC, as a Linux
 *           VXLAN device sends them and requires them)
 * ipip    0 Ethernet(14) 14 IPv4(20, protocol 4; 41 for IPv6) 34 inner IP packet
 *           (the inner Ethernet header is overwritten: IPIP carries no L2)
 * native  the frame itself, MACs rewritten: destination the next hop, source the underlay's
 * </pre>
 * Outer IPv4: TOS copied from the inner packet (DSCP and ECN, RFC 6040's normal mode), TTL and
 * DF per {@link TunnelConfig}, identification from a per-worker counter, checksum from the field
 * values. Outer UDP: source port {@link OuterSourcePort} of the inner flow, checksum 0 (RFC 7348 §5 for
 * IPv4) unless configured. VNI: the configured one, or the frame's source identity when
 * {@link TunnelConfig#identityInVni()}.
 *
 * <h2>Which frames</h2>
 * Frames with verdict CONTINUE whose destination's ipcache entry has {@link IpCache#FLAG_TUNNEL};
 * every other frame (local pods, the outside world, ARP) is left for the programs after this
 * one. Ethernet padding is cut before encapsulation.
 *
 * <h2>MTU (the pod MTU = underlay MTU - mode overhead)</h2>
 * SYN and SYN-ACK segments have their MSS clamped first ({@link MssClamp}, when configured). An
 * inner packet longer than the pod MTU (a GSO frame: one segment of it) is
 * <ul>
 * <li>IPv4 with DF, or IPv6: turned in place into ICMP fragmentation needed (type 3 code 4,
 *     next-hop MTU = pod MTU) or ICMPv6 packet too big (MTU = pod MTU) from the pods' gateway
 *     address, TX back out of its ingress port; at most {@link TunnelConfig#icmpErrorsPerSecond()}
 *     errors per second ({@link TokenBucket}), the rest dropped. Either way counted in
 *     {@link #fragNeededCount()}; a dropped one carries {@link DropReason#FRAG_NEEDED}.</li>
 * <li>IPv4 without DF: fragmented ({@link Fragmenter}; later fragments are appended to the
 *     vector and encapsulated in this same pass) or, when fragmentation is off,
 *     {@link DropReason#FRAG_NOT_SUPPORTED}.</li>
 * </ul>
 *
 * <p>Drops: {@link DropReason#NO_TUNNEL_ENDPOINT} (route without a known peer),
 * {@link DropReason#INVALID_IDENTITY} (identity-in-VNI with an identity of 0 or beyond 24 bits),
 * {@link DropReason#WRITE_ERROR} (no headroom left), {@link DropReason#BUFFER_POOL_EXHAUSTED}
 * (no buffers for fragments). One instance per worker; allocates nothing per packet.
 */
public final class TunnelEncap {
    /** Outer Ethernet + IPv4 + UDP + VXLAN (or Geneve without options). */
    static final int UDP_TUNNEL_HEADERS_BYTES = EthernetHeader.LENGTH + Ipv4Header.MIN_LENGTH + UdpHeader.LENGTH
            + VxlanHeader.LENGTH;
    private static final int OUTER_L2_L3_BYTES = EthernetHeader.LENGTH + Ipv4Header.MIN_LENGTH;
    private static final int VXLAN_FIRST_WORD = VxlanHeader.FLAG_I << 24;

    private final TunnelMode mode;
    private final IpCache ipCache;
    private final TunnelPeers peers;
    private final int podMtuBytes;
    private final int underlayPort;
    private final long underlayMac;
    private final long routerMac;
    private final int underlayAddress;
    private final int tunnelPort;
    /** VXLAN: the I flag; Geneve: version 0, no options, no flags, protocol 0x6558. */
    private final int tunnelFirstWord;
    private final int vni;
    private final boolean identityInVni;
    private final boolean outerUdpChecksum;
    private final int outerTtl;
    /** {@link OuterDf#INHERIT}: the outer DF is the inner packet's; otherwise it is {@link #constantDf}. */
    private final boolean inheritDf;
    private final int constantDf;
    private final boolean fragmentInner;
    private final int routerIpv4;
    private final long routerIpv6Hi;
    private final long routerIpv6Lo;
    private final boolean hasRouterIpv6;
    private final MssClamp mssClamp;
    private final Fragmenter fragmenter = new Fragmenter();
    private final TokenBucket icmpErrors;
    /** Sends TCP GSO frames whole as UDP GSO datagrams; null when not configured or not a UDP tunnel. */
    private final UdpTunnelGso udpGso;

    private int nextIdentification;
    private long encapsulatedCount;
    private long fragNeededCount;
    private long icmpErrorsSentCount;
    private long fragmentsCreatedCount;

    public TunnelEncap(TunnelConfig config, IpCache ipCache, TunnelPeers peers) {
        this.mode = config.mode();
        this.ipCache = ipCache;
        this.peers = peers;
        this.podMtuBytes = config.podMtuBytes();
        this.underlayPort = config.underlayPort();
        this.underlayMac = config.underlayMac();
        this.routerMac = config.routerMac();
        this.underlayAddress = config.underlayAddress();
        this.tunnelPort = config.tunnelPort();
        this.tunnelFirstWord = mode == TunnelMode.VXLAN ? VXLAN_FIRST_WORD : GeneveHeader.PROTOCOL_TRANS_ETHER_BRIDGING;
        this.vni = config.vni();
        this.identityInVni = config.identityInVni();
        this.outerUdpChecksum = config.outerUdpChecksum();
        this.outerTtl = config.outerTtl();
        this.inheritDf = config.outerDf() == OuterDf.INHERIT;
        this.constantDf = config.outerDf() == OuterDf.SET ? Ipv4Header.FLAG_DF : 0;
        this.fragmentInner = config.fragmentInner();
        this.routerIpv4 = config.routerIpv4();
        this.routerIpv6Hi = config.routerIpv6Hi();
        this.routerIpv6Lo = config.routerIpv6Lo();
        this.hasRouterIpv6 = config.hasRouterIpv6();
        this.mssClamp = config.clampMss() ? MssClamp.of(config) : null;
        this.icmpErrors = new TokenBucket(config.icmpErrorsPerSecond(), config.icmpErrorBurst());
        this.udpGso = config.udpGso() && mode.udp() ? new UdpTunnelGso(underlayPort) : null;
    }

    /**
     * Returns: true when frame {@code i}, a GSO frame routed into the tunnel, is sent whole as UDP
     * GSO datagrams ({@link UdpTunnelGso}); false when it must be cut into segments before
     * {@link #process} (IPIP, UDP GSO not configured, or a frame that class does not take).
     */
    public boolean sendsWhole(FrameVector v, int i) {
        return udpGso != null && UdpTunnelGso.takes(v, i);
    }

    /**
     * Runs over every frame whose verdict is {@link Verdict#CONTINUE} (fragments this pass
     * appends are handled in the pass too).
     *
     * @return the number of frames sent to the underlay (fragments counted one by one)
     */
    public int process(FrameVector v, long nowNs) {
        int sent = 0;
        // The last destination's route and its peer's MACs, for the frames after it with the same
        // destination (a stream's segments fill most of a vector): valid for this call only, as an
        // ipcache slot is only reclaimed once every worker has finished its vector (a MAC that ARP
        // resolves meanwhile is used from the next vector).
        boolean remembered = false;
        long lastHi = 0;
        long lastLo = 0;
        int endpoint = 0;
        long peer = NOT_TUNNELLED;
        long peerMac = 0;
        long vtepMac = 0;
        for (int i = 0, n = v.count(); i < n; i++) {
            if (v.verdict(i) != Verdict.CONTINUE
                    || !v.hasFlag(i, FrameVector.FLAG_IPV4 | FrameVector.FLAG_IPV6)) {
                continue;
            }
            long hi = v.dstHi(i);
            long lo = v.dstLo(i);
            if (!remembered || hi != lastHi || lo != lastLo) {
                remembered = true;
                lastHi = hi;
                lastLo = lo;
                long route = ipCache.lookup(hi, lo);
                if (route == IpCache.MISSING || (ipCache.flags(route) & IpCache.FLAG_TUNNEL) == 0) {
                    peer = NOT_TUNNELLED;
                } else {
                    endpoint = ipCache.tunnelEndpoint(route);
                    int nodeId = ipCache.nodeId(route);
                    // An entry installed with a tunnel endpoint but no node id (node 0) finds its node by address.
                    peer = peers.node(nodeId != 0 ? nodeId : peers.nodeIdOf(endpoint), endpoint);
                    if (peer != TunnelPeers.MISSING) {
                        peerMac = peers.nextHopMac(peer);
                        vtepMac = peers.vtepMac(peer);
                    }
                }
            }
            if (peer == NOT_TUNNELLED) {
                continue;
            }
            int verdict = forward(v, i, endpoint, peer, peerMac, vtepMac, nowNs);
            if (verdict == FRAGMENTED) {
                sent += sendFragments(v, i);
            } else {
                v.verdict(i, verdict);
                if (verdict == Verdict.tx(underlayPort)) {
                    sent++;
                }
            }
        }
        return sent;
    }

    /** {@link #process}: the destination's ipcache entry is not a tunnel route. */
    private static final long NOT_TUNNELLED = Long.MIN_VALUE;

    /**
     * Internal result of {@link #forward} and {@link #tooBig}: frame i now holds the first
     * fragment and {@link #pendingFragments} more follow it at the end of the vector; the
     * pending fields hold what encapsulating them needs.
     */
    private static final int FRAGMENTED = Integer.MAX_VALUE;
    private int pendingFragments;
    private long pendingPeerMac;
    private long pendingVtepMac;
    private int pendingEndpoint;
    private int pendingSourcePort;
    private int pendingVni;

    /**
     * @param peer    the endpoint's {@link TunnelPeers} slot, or {@link TunnelPeers#MISSING}
     * @param peerMac the MAC outer frames go to (0 while ARP resolves it), read with the route
     * @param vtepMac the MAC inner frames are addressed to, read with the route
     */
    private int forward(FrameVector v, int i, int endpoint, long peer, long peerMac, long vtepMac, long nowNs) {
        if (peer == TunnelPeers.MISSING) {
            return DropReason.NO_TUNNEL_ENDPOINT.verdict();
        }
        int frameVni = vni;
        if (identityInVni && mode.udp()) {
            frameVni = v.srcIdentity(i);
            if (frameVni <= 0 || frameVni > VxlanHeader.MAX_VNI) {
                return DropReason.INVALID_IDENTITY.verdict();
            }
        }
        if (mssClamp != null && (v.tcpFlags(i) & TcpHeader.SYN) != 0) {
            mssClamp.clamp(v, i); // out of line: only handshakes have their MSS clamped
        }
        // read once here and passed on: every load of a vector field costs a bounds check, and
        // the stores in between make the compiler load them again
        int flags = v.flags(i);
        long start = v.start(i);
        long l3 = v.l3Offset(i);
        int l3Length = v.l3Length(i);
        int length = (int) (l3 - start) + l3Length;
        v.length(i, length); // Ethernet padding stays behind
        int sourcePort = mode.udp() ? OuterSourcePort.of(v, i, flags, l3) : 0; // IPIP and native have no outer UDP
        if (packetBytes(v, i, flags, l3, l3Length) > podMtuBytes) {
            int verdict = tooBig(v, i, nowNs);
            if (verdict == FRAGMENTED) {
                pendingPeerMac = peerMac;
                pendingVtepMac = vtepMac;
                pendingEndpoint = endpoint;
                pendingSourcePort = sourcePort;
                pendingVni = frameVni;
            }
            return verdict;
        }
        return encapsulate(v, i, flags, start, l3, length, endpoint, peerMac, vtepMac, sourcePort, frameVni);
    }

    /**
     * Returns: true when frame {@code i}'s IP packets (a GSO frame's segments) fit the pod MTU.
     * The pipeline segments a GSO frame for the tunnel only then: one that does not fit is left
     * whole, so {@link #process} answers it with one ICMP error, as the kernel's forwarding path
     * answers a GSO packet whose segments exceed the MTU, instead of one per segment.
     */
    public boolean fitsPodMtu(FrameVector v, int i) {
        return packetBytes(v, i) <= podMtuBytes;
    }

    /** Returns: the IP packet size the MTU applies to (for a GSO frame: one segment). */
    private static int packetBytes(FrameVector v, int i) {
        return packetBytes(v, i, v.flags(i), v.l3Offset(i), v.l3Length(i));
    }

    /** {@link #packetBytes(FrameVector, int)} with the frame's fields the caller has loaded. */
    private static int packetBytes(FrameVector v, int i, int flags, long l3, int l3Length) {
        if ((flags & FrameVector.FLAG_GSO) != 0 && v.gsoSize(i) > 0) {
            return (int) (v.payloadOffset(i) - l3) + v.gsoSize(i);
        }
        return l3Length;
    }

    private int tooBig(FrameVector v, int i, long nowNs) {
        MemorySegment s = v.segment();
        if (v.hasFlag(i, FrameVector.FLAG_IPV4)
                && (NetworkOrder.u16(s, v.l3Offset(i) + Ipv4Header.FLAGS_OFFSET) & Ipv4Header.FLAG_DF) == 0
                && !v.hasFlag(i, FrameVector.FLAG_GSO)) {
            if (!fragmentInner) {
                return DropReason.FRAG_NOT_SUPPORTED.verdict();
            }
            int appended = fragmenter.fragment(v, i, podMtuBytes);
            if (appended < 0) {
                return appended;
            }
            pendingFragments = appended;
            fragmentsCreatedCount += appended + 1;
            return FRAGMENTED;
        }
        fragNeededCount++;
        int port = v.ingressPort(i);
        if (!icmpErrors.tryTake(nowNs)) {
            return DropReason.FRAG_NEEDED.verdict();
        }
        boolean written = v.hasFlag(i, FrameVector.FLAG_IPV4)
                ? IcmpErrorWriter.toIcmp4Error(v, i, IcmpErrorWriter.ICMP4_DEST_UNREACHABLE,
                IcmpErrorWriter.ICMP4_CODE_FRAG_NEEDED, podMtuBytes & 0xFFFF, routerIpv4)
                : hasRouterIpv6 && IcmpErrorWriter.toIcmp6Error(v, i, IcmpErrorWriter.ICMP6_PACKET_TOO_BIG, 0,
                podMtuBytes, routerIpv6Hi, routerIpv6Lo);
        if (!written) {
            return DropReason.FRAG_NEEDED.verdict();
        }
        icmpErrorsSentCount++;
        return Verdict.tx(port);
    }

    /** Encapsulates frame {@code i} (the first fragment) and the fragments appended for it; returns how many were sent. */
    private int sendFragments(FrameVector v, int i) {
        int sent = 0;
        int n = v.count();
        for (int k = i, firstAppended = n - pendingFragments; k < n; k = k == i ? firstAppended : k + 1) {
            if (v.verdict(k) != Verdict.CONTINUE) {
                continue;
            }
            int verdict = encapsulate(v, k, v.flags(k), v.start(k), v.l3Offset(k), v.length(k), pendingEndpoint,
                    pendingPeerMac, pendingVtepMac, pendingSourcePort, pendingVni);
            v.verdict(k, verdict);
            if (verdict == Verdict.tx(underlayPort)) {
                sent++;
            }
        }
        return sent;
    }

    /**
     * Writes the outer headers of the configured mode. Returns: TX on the underlay,
     * NEIGHBOUR_UNRESOLVED, or WRITE_ERROR. Small on purpose, with the rare cases (UDP GSO, the
     * outer UDP checksum) in methods of their own: the compiler then inlines it into the loop over
     * the vector, which saves a call per frame and the spilling of the loop's state around it.
     */
    private int encapsulate(FrameVector v, int i, int flags, long start, long l3, int length, int endpoint,
                            long peerMac, long vtepMac, int sourcePort, int frameVni) {
        if (peerMac == 0) {
            // the next hop's MAC is being resolved (ARP): no frame to 00:00:00:00:00:00
            return DropReason.NEIGHBOUR_UNRESOLVED.verdict();
        }
        MemorySegment s = v.segment();
        if (mode == TunnelMode.NATIVE) {
            EthernetHeader.macs(s, start, peerMac, underlayMac);
            encapsulatedCount++;
            return Verdict.tx(underlayPort);
        }
        boolean udpTunnel = mode != TunnelMode.IPIP;
        boolean whole = sendsWhole(v, i); // never for IPIP
        int grow = udpTunnel ? UDP_TUNNEL_HEADERS_BYTES : OUTER_L2_L3_BYTES - (int) (l3 - start);
        if (!v.prepend(i, grow)) {
            return DropReason.WRITE_ERROR.verdict();
        }
        moveChecksumStart(v, i, grow);
        long outer = start - grow;
        int outerIpBytes = length + grow - EthernetHeader.LENGTH;
        int identification = nextIdentification++;
        writeOuterL2L3(s, outer, outerIpBytes, identification, (flags & FrameVector.FLAG_IPV4) != 0, l3, endpoint,
                peerMac);
        if (udpTunnel) {
            int udpBytes = outerIpBytes - Ipv4Header.MIN_LENGTH;
            writeUdpTunnelHeaders(s, outer, udpBytes, sourcePort, frameVni, vtepMac);
            if (whole) {
                return sendWhole(v, i, identification);
            }
            if (outerUdpChecksum) {
                writeOuterUdpChecksum(s, outer + OUTER_L2_L3_BYTES, udpBytes, endpoint);
            }
        }
        encapsulatedCount++;
        return Verdict.tx(underlayPort);
    }

    /**
     * The outer Ethernet and IPv4 headers: TOS from the inner packet, DF per {@link OuterDf}, the
     * protocol per mode (UDP; IPIP: 4 for an inner IPv4 packet, 41 for IPv6).
     */
    private void writeOuterL2L3(MemorySegment s, long outer, int outerIpBytes, int identification, boolean ipv4,
                                long l3, int endpoint, long peerMac) {
        int tos;
        int innerDf;
        if (ipv4) {
            // version, TOS, total length, identification, flags and fragment offset: one load
            long firstWords = NetworkOrder.u64(s, l3);
            tos = (int) (firstWords >>> 48) & 0xFF;
            innerDf = (int) firstWords & Ipv4Header.FLAG_DF;
        } else {
            tos = (NetworkOrder.u16(s, l3 + Ipv6Header.VERSION_CLASS_FLOW_OFFSET) >>> 4) & 0xFF;
            innerDf = Ipv4Header.FLAG_DF;
        }
        int df = inheritDf ? innerDf : constantDf;
        int protocol = mode != TunnelMode.IPIP ? Ipv4Header.PROTOCOL_UDP
                : ipv4 ? Ipv4Header.PROTOCOL_IPIP : Ipv4Header.PROTOCOL_IPV6;
        EthernetHeader.write(s, outer, peerMac, underlayMac, EthernetHeader.ETHER_TYPE_IPV4);
        Ipv4Header.write(s, outer + EthernetHeader.LENGTH, tos, outerIpBytes, identification, df, outerTtl, protocol,
                underlayAddress, endpoint);
    }

    /**
     * The outer UDP header (checksum 0) and the tunnel header, and the inner frame's MACs (source
     * the gateway's, destination the peer's VTEP MAC, as a Linux VXLAN device sends and requires).
     */
    private void writeUdpTunnelHeaders(MemorySegment s, long outer, int udpBytes, int sourcePort, int frameVni,
                                       long vtepMac) {
        long udp = outer + OUTER_L2_L3_BYTES;
        // ports, length, checksum 0; then the tunnel header's two words: 8 bytes a store. A frame
        // sent whole can be longer than a UDP length holds (UdpTunnelGso writes each datagram's):
        // masked, so it cannot spill into the destination port.
        NetworkOrder.u64(s, udp, (long) (sourcePort << 16 | tunnelPort) << 32 | (long) (udpBytes & 0xFFFF) << 16);
        NetworkOrder.u64(s, udp + UdpHeader.LENGTH, (long) tunnelFirstWord << 32 | (frameVni & 0xFFFF_FFFFL) << 8);
        EthernetHeader.macs(s, outer + UDP_TUNNEL_HEADERS_BYTES, vtepMac, routerMac);
    }

    /** Sends frame {@code i}, its outer headers written, whole as UDP GSO datagrams ({@link UdpTunnelGso}). */
    private int sendWhole(FrameVector v, int i, int identification) {
        int segments = udpGso.send(v, i, identification);
        if (segments < 0) {
            return segments;
        }
        nextIdentification += segments - 1;
        encapsulatedCount++;
        return Verdict.tx(underlayPort);
    }

    private void writeOuterUdpChecksum(MemorySegment s, long udp, int udpBytes, int endpoint) {
        NetworkOrder.u16(s, udp + UdpHeader.CHECKSUM_OFFSET, TransportChecksum.tcpUdp4(s, udp, udpBytes,
                underlayAddress, endpoint, TransportChecksum.UDP));
    }

    /**
     * A partial checksum's start counts from the frame start (virtio-net csum_start): when the
     * start moves by {@code bytes}, so must it, or the driver would finish the wrong field.
     */
    static void moveChecksumStart(FrameVector v, int i, int bytes) {
        if (v.hasFlag(i, FrameVector.FLAG_CSUM_PARTIAL)) {
            v.offload(i, v.gsoType(i), v.gsoSize(i), v.csumStart(i) + bytes, v.csumOffset(i));
        }
    }

    /** Returns: the UDP GSO sender, or null when TCP GSO frames are cut into segments before encapsulation. */
    public UdpTunnelGso udpGso() {
        return udpGso;
    }

    /** Returns: frames (and fragments) sent into the tunnel. */
    public long encapsulatedCount() {
        return encapsulatedCount;
    }

    /** Returns: packets too big with DF (or IPv6): errors sent plus those the rate limit dropped. */
    public long fragNeededCount() {
        return fragNeededCount;
    }

    /** Returns: ICMP fragmentation-needed and ICMPv6 packet-too-big errors sent back. */
    public long icmpErrorsSentCount() {
        return icmpErrorsSentCount;
    }

    /** Returns: fragments made from packets too big without DF (every fragment, the first included). */
    public long fragmentsCreatedCount() {
        return fragmentsCreatedCount;
    }

    /** Returns: the pod MTU this program enforces. */
    public int podMtuBytes() {
        return podMtuBytes;
    }
}
