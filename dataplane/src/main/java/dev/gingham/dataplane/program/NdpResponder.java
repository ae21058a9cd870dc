package dev.gingham.dataplane.program;

import dev.gingham.packet.DropReason;
import dev.gingham.packet.FrameVector;
import dev.gingham.packet.NetworkOrder;
import dev.gingham.packet.Verdict;
import dev.gingham.packet.checksum.TransportChecksum;
import dev.gingham.packet.header.EthernetHeader;
import dev.gingham.packet.header.Icmp6Header;
import dev.gingham.packet.header.Ipv6Header;

import java.lang.foreign.MemorySegment;

/**
 * IPv6 neighbor discovery at the gateway (RFC 4861), the twin of {@link ArpResponder}: a valid
 * neighbor solicitation becomes, in its own buffer, the neighbor advertisement that answers it and
 * goes back out of its ingress port. Nothing is allocated and no neighbor state is kept.
 *
 * <ul>
 *   <li>Pods and the host ({@link #processFromLink}): every target other than the asker's own
 *       address is answered with the gateway's MAC, flags Router, Solicited, Override. Pods are
 *       routed, never bridged, so whatever they resolve (their gateway, or anything an onlink
 *       route names) has the gateway as next hop. Override is set although RFC 4861 §7.2.4 asks
 *       a proxy to clear it: nobody else on a pod's link could answer, and with Override clear a
 *       changed gateway MAC would never replace a cached one.</li>
 *   <li>The underlay ({@link #processFromUnderlay}): only the node's IPv6 addresses are answered,
 *       with the underlay MAC, flags Solicited and Override (the node answers for its own
 *       addresses as a host does); other targets are someone else's
 *       ({@link DropReason#UNKNOWN_TARGET}).</li>
 * </ul>
 *
 * <p>The advertisement comes from the target address (as the target itself would answer) to the
 * solicitation's source, at the Ethernet source of the solicitation (what anti-spoofing checked
 * on pod ports), with hop limit 255, a target link-layer address option and nothing else: 32
 * ICMPv6 bytes, checksum computed whole. A 24-byte solicitation without options grows by 8 bytes
 * into the buffer's tailroom; longer ones shrink.
 *
 * <p>Duplicate address detection (source {@code ::}): a pod or the host probing its own tentative
 * address must not be defended against, or it would give the address up; it gets no answer
 * ({@link DropReason#NDP_DAD_PROBE}). On the underlay a probe for a node address is defended (an
 * advertisement without Solicited to all nodes, ff02::1, RFC 4861 §7.2.4), since the address is
 * the node's.
 *
 * <p>Validity (RFC 4861 §7.1.1), else {@link DropReason#NDP_INVALID}: hop limit 255 (the message
 * was not forwarded), code 0, at least 24 ICMPv6 bytes, target neither multicast nor {@code ::},
 * every option of non-zero length inside the message, and from {@code ::} only to a solicited-node
 * address without a source link-layer option. Gingham also refuses extension headers (RFC 4861's
 * messages carry none; an answer would have to carry them back). The checksum is verified
 * ({@link DropReason#BAD_CHECKSUM}): the parser leaves L4 checksums to whoever consumes a packet,
 * and here Gingham is the consumer; a frame whose checksum the sender left partial (vnet header)
 * is trusted, as Linux trusts CHECKSUM_PARTIAL.
 *
 * <p>Router solicitations are {@link DropReason#NDP_ROUTER_SOLICITATION}: pods get their
 * addresses and default routes from the daemon, statically, and an advertisement would only invite
 * SLAAC addresses no endpoint map knows (Cilium drops them too). Advertisements and redirects are
 * {@link DropReason#NDP_UNEXPECTED}: the gateway never solicits, and a pod is nobody's router.
 * Other ICMPv6 (echo, MLD) is left alone. One instance per worker; allocates nothing.
 */
public final class NdpResponder {
    /** ICMPv6 bytes of the advertisement: the 24-byte message and one link-layer address option. */
    static final int ADVERTISEMENT_BYTES = Icmp6Header.NEIGHBOR_LENGTH + Icmp6Header.LINK_LAYER_OPTION_LENGTH;
    /** The gateway's answer on a pod or host port. */
    static final int GATEWAY_FLAGS = Icmp6Header.NA_FLAG_ROUTER | Icmp6Header.NA_FLAG_SOLICITED | Icmp6Header.NA_FLAG_OVERRIDE;
    /** The node's answer on the underlay. */
    static final int NODE_FLAGS = Icmp6Header.NA_FLAG_SOLICITED | Icmp6Header.NA_FLAG_OVERRIDE;
    /** The node's defence of its address against another host's duplicate address detection. */
    static final int DEFENCE_FLAGS = Icmp6Header.NA_FLAG_OVERRIDE;

    private static final int ND_HOP_LIMIT = 255;
    /** Version 6, traffic class 0, no flow label. */
    private static final int FIRST_WORD = Ipv6Header.VERSION << 28;
    private static final long ALL_NODES_HI = 0xFF02_0000_0000_0000L;
    private static final long ALL_NODES_LO = 1L;
    /** 33:33 and the group's last four bytes (RFC 2464 §7). */
    private static final long ALL_NODES_MAC = 0x3333_0000_0001L;
    private static final int OFFLOAD_FLAGS = FrameVector.FLAG_CSUM_PARTIAL | FrameVector.FLAG_GSO;

    private final long routerMac;
    private final long underlayMac;
    private final long[] nodeAddresses;

    /**
     * @param routerMac     the pods' gateway MAC (answers on pod and host ports)
     * @param underlayMac   the node's MAC on the underlay
     * @param nodeAddresses the IPv6 addresses answered on the underlay, as pairs {hi, lo, ...}
     *                      ({@link PipelineConfig#nodeIpv6Addresses})
     */
    public NdpResponder(long routerMac, long underlayMac, long[] nodeAddresses) {
        if (nodeAddresses.length % 2 != 0) {
            throw new IllegalArgumentException("nodeAddresses: pairs of {hi, lo} expected, got " + nodeAddresses.length + " longs");
        }
        this.routerMac = routerMac;
        this.underlayMac = underlayMac;
        this.nodeAddresses = nodeAddresses.clone();
    }

    /**
     * Answers neighbor discovery from a pod or the host port.
     *
     * @return the number of solicitations answered
     */
    public int processFromLink(FrameVector v) {
        return process(v, false);
    }

    /**
     * Answers neighbor solicitations from the underlay for the node's addresses.
     *
     * @return the number of solicitations answered
     */
    public int processFromUnderlay(FrameVector v) {
        return process(v, true);
    }

    private int process(FrameVector v, boolean underlay) {
        MemorySegment s = v.segment();
        int answered = 0;
        for (int i = 0, n = v.count(); i < n; i++) {
            if (v.verdict(i) != Verdict.CONTINUE || !isNeighborDiscovery(v, i)
                    || underlay && v.hasFlag(i, FrameVector.FLAG_DECAPSULATED)) { // the inner network's, not the link's
                continue;
            }
            int verdict = underlay ? fromUnderlay(v, s, i) : fromLink(v, s, i);
            v.verdict(i, verdict);
            if (verdict > 0) {
                answered++;
            }
        }
        return answered;
    }

    private static boolean isNeighborDiscovery(FrameVector v, int i) {
        return v.hasFlag(i, FrameVector.FLAG_IPV6) && v.hasFlag(i, FrameVector.FLAG_L4)
                && v.protocol(i) == TransportChecksum.ICMPV6 && Icmp6Header.isNeighborDiscovery(v.icmpTypeCode(i) >>> 8);
    }

    private int fromLink(FrameVector v, MemorySegment s, int i) {
        int verdict = checkSolicitation(v, s, i);
        if (verdict != Verdict.CONTINUE) {
            return verdict;
        }
        long l4 = v.l4Offset(i);
        long targetHi = NetworkOrder.u64(s, l4 + Icmp6Header.TARGET_OFFSET);
        long targetLo = NetworkOrder.u64(s, l4 + Icmp6Header.TARGET_OFFSET + 8);
        if (Ipv6Header.isUnspecified(v.srcHi(i), v.srcLo(i))) {
            return DropReason.NDP_DAD_PROBE.verdict();
        }
        if (targetHi == v.srcHi(i) && targetLo == v.srcLo(i)) {
            return DropReason.UNKNOWN_TARGET.verdict(); // its own address: answering would claim it for the gateway
        }
        return advertise(v, s, i, routerMac, GATEWAY_FLAGS, false);
    }

    private int fromUnderlay(FrameVector v, MemorySegment s, int i) {
        int verdict = checkSolicitation(v, s, i);
        if (verdict != Verdict.CONTINUE) {
            return verdict;
        }
        long l4 = v.l4Offset(i);
        if (!PipelineConfig.contains(nodeAddresses, NetworkOrder.u64(s, l4 + Icmp6Header.TARGET_OFFSET),
                NetworkOrder.u64(s, l4 + Icmp6Header.TARGET_OFFSET + 8))) {
            return DropReason.UNKNOWN_TARGET.verdict();
        }
        boolean defence = Ipv6Header.isUnspecified(v.srcHi(i), v.srcLo(i));
        return advertise(v, s, i, underlayMac, defence ? DEFENCE_FLAGS : NODE_FLAGS, defence);
    }

    /**
     * Returns: {@link Verdict#CONTINUE} for a neighbor solicitation that passes RFC 4861 §7.1.1,
     * otherwise the drop verdict of the frame (router solicitations, advertisements and redirects
     * included).
     */
    private static int checkSolicitation(FrameVector v, MemorySegment s, int i) {
        int type = v.icmpTypeCode(i) >>> 8;
        if (type == Icmp6Header.ROUTER_SOLICITATION) {
            return DropReason.NDP_ROUTER_SOLICITATION.verdict();
        }
        if (type != Icmp6Header.NEIGHBOR_SOLICITATION) {
            return DropReason.NDP_UNEXPECTED.verdict();
        }
        long l3 = v.l3Offset(i);
        long l4 = v.l4Offset(i);
        int length = v.l4Length(i);
        if (NetworkOrder.u8(s, l3 + Ipv6Header.HOP_LIMIT_OFFSET) != ND_HOP_LIMIT || (v.icmpTypeCode(i) & 0xFF) != 0
                || length < Icmp6Header.NEIGHBOR_LENGTH
                || v.hasFlag(i, FrameVector.FLAG_IPV6_EXTENSIONS | FrameVector.FLAG_FRAGMENT)) {
            return DropReason.NDP_INVALID.verdict();
        }
        long targetHi = NetworkOrder.u64(s, l4 + Icmp6Header.TARGET_OFFSET);
        long targetLo = NetworkOrder.u64(s, l4 + Icmp6Header.TARGET_OFFSET + 8);
        if (Ipv6Header.isMulticast(targetHi) || Ipv6Header.isUnspecified(targetHi, targetLo)) {
            return DropReason.NDP_INVALID.verdict();
        }
        boolean sourceLinkLayer = false;
        long end = l4 + length;
        long at = l4 + Icmp6Header.NEIGHBOR_OPTIONS_OFFSET;
        while (at < end) { // each step advances at least 8 bytes
            if (at + 2 > end) {
                return DropReason.NDP_INVALID.verdict();
            }
            int optionBytes = NetworkOrder.u8(s, at + 1) * Icmp6Header.OPTION_UNIT_BYTES;
            if (optionBytes == 0 || at + optionBytes > end) {
                return DropReason.NDP_INVALID.verdict();
            }
            sourceLinkLayer |= NetworkOrder.u8(s, at) == Icmp6Header.OPTION_SOURCE_LINK_LAYER;
            at += optionBytes;
        }
        if (Ipv6Header.isUnspecified(v.srcHi(i), v.srcLo(i))
                && (sourceLinkLayer || !Ipv6Header.isSolicitedNode(v.dstHi(i), v.dstLo(i)))) {
            return DropReason.NDP_INVALID.verdict();
        }
        if (!v.hasFlag(i, FrameVector.FLAG_CSUM_PARTIAL) && !TransportChecksum.verifies6(s, l4, length,
                v.srcHi(i), v.srcLo(i), v.dstHi(i), v.dstLo(i), TransportChecksum.ICMPV6)) {
            return DropReason.BAD_CHECKSUM.verdict();
        }
        return Verdict.CONTINUE;
    }

    /**
     * Turns the solicitation into its advertisement in place: "target is at {@code mac}", back to
     * the asker, or to all nodes when {@code toAllNodes}.
     */
    private static int advertise(FrameVector v, MemorySegment s, int i, long mac, int flags, boolean toAllNodes) {
        long l3 = v.l3Offset(i);
        long l4 = v.l4Offset(i);
        long end = l4 + ADVERTISEMENT_BYTES;
        if (end - v.end(i) > v.tailroom(i)) {
            return DropReason.WRITE_ERROR.verdict(); // only with a buffer too small for an 86-byte frame
        }
        long start = v.start(i);
        long askerMac = EthernetHeader.mac(s, start + EthernetHeader.SRC_OFFSET);
        long targetHi = NetworkOrder.u64(s, l4 + Icmp6Header.TARGET_OFFSET);
        long targetLo = NetworkOrder.u64(s, l4 + Icmp6Header.TARGET_OFFSET + 8);
        long dstHi = toAllNodes ? ALL_NODES_HI : v.srcHi(i);
        long dstLo = toAllNodes ? ALL_NODES_LO : v.srcLo(i);

        EthernetHeader.macs(s, start, toAllNodes ? ALL_NODES_MAC : askerMac, mac);
        NetworkOrder.u32(s, l3 + Ipv6Header.VERSION_CLASS_FLOW_OFFSET, FIRST_WORD);
        NetworkOrder.u16(s, l3 + Ipv6Header.PAYLOAD_LENGTH_OFFSET, ADVERTISEMENT_BYTES);
        NetworkOrder.u64(s, l3 + Ipv6Header.SRC_OFFSET, targetHi);
        NetworkOrder.u64(s, l3 + Ipv6Header.SRC_OFFSET + 8, targetLo);
        NetworkOrder.u64(s, l3 + Ipv6Header.DST_OFFSET, dstHi);
        NetworkOrder.u64(s, l3 + Ipv6Header.DST_OFFSET + 8, dstLo);
        NetworkOrder.u8(s, l4 + Icmp6Header.TYPE_OFFSET, Icmp6Header.NEIGHBOR_ADVERTISEMENT);
        NetworkOrder.u16(s, l4 + Icmp6Header.CHECKSUM_OFFSET, 0);
        NetworkOrder.u32(s, l4 + Icmp6Header.REST_OF_HEADER_OFFSET, flags);
        long option = l4 + Icmp6Header.NEIGHBOR_OPTIONS_OFFSET;
        NetworkOrder.u8(s, option, Icmp6Header.OPTION_TARGET_LINK_LAYER);
        NetworkOrder.u8(s, option + 1, Icmp6Header.LINK_LAYER_OPTION_LENGTH / Icmp6Header.OPTION_UNIT_BYTES);
        EthernetHeader.mac(s, option + 2, mac);
        NetworkOrder.u16(s, l4 + Icmp6Header.CHECKSUM_OFFSET, TransportChecksum.l4Over6(s, l4, ADVERTISEMENT_BYTES,
                targetHi, targetLo, dstHi, dstLo, TransportChecksum.ICMPV6));

        v.length(i, (int) (end - start));
        v.l3Length(i, (int) (end - l3));
        v.flags(i, v.flags(i) & ~OFFLOAD_FLAGS); // the checksum is whole: nothing left for the device
        v.src6(i, targetHi, targetLo);
        v.dst6(i, dstHi, dstLo);
        v.icmpTypeCode(i, Icmp6Header.NEIGHBOR_ADVERTISEMENT << 8);
        return Verdict.tx(v.ingressPort(i));
    }
}
