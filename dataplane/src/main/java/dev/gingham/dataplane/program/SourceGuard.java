package dev.gingham.dataplane.program;

import dev.gingham.dataplane.policy.PolicyEnforcer;
import dev.gingham.encap.EndpointMap;
import dev.gingham.packet.DropReason;
import dev.gingham.packet.FrameVector;
import dev.gingham.packet.NetworkOrder;
import dev.gingham.packet.Verdict;
import dev.gingham.packet.header.ArpHeader;
import dev.gingham.packet.header.EthernetHeader;
import dev.gingham.packet.header.Ipv6Header;

import java.lang.foreign.MemorySegment;

/**
 * Anti-spoofing for frames from pods (Cilium's source checks in bpf_lxc): a pod may only send
 * with its own IP address and its own MAC address, from its own port. The endpoint map (keyed by
 * address) already says which port and MAC own an address, so the check is one lookup of the
 * source address: the owner's port must be the ingress port and the owner's MAC the frame's
 * source MAC. ARP is checked the same way on its sender fields (an ARP probe, sender 0.0.0.0, is
 * allowed: it claims nothing).
 *
 * <p>IPv6 from a link-local source (fe80::/10, EUI-64 or random: the kernel picks it, no endpoint
 * map knows it) or from {@code ::} (duplicate address detection) claims no pod address either:
 * it passes only when the frame's source MAC is the MAC of the pod on the ingress port
 * ({@link EndpointMap#portMac}), so a pod cannot speak for another pod's link-local address
 * through someone else's MAC. Such frames are link-scoped: {@link NdpResponder} answers the
 * neighbor solicitations among them and {@link RouteLookup} routes none of the rest.
 *
 * <p>Frames that pass get the pod's identity as their source identity and the pod's port as
 * their endpoint slot (the egress policy's input); ARP and link-scoped frames get neither (they
 * never reach policy). Drops: {@link DropReason#INVALID_SOURCE_IP} (address not the port's pod),
 * {@link DropReason#INVALID_SOURCE_MAC}, {@link DropReason#UNKNOWN_L3} (neither IP nor ARP).
 * One instance per worker; allocates nothing.
 */
public final class SourceGuard {
    private final EndpointMap endpoints;

    public SourceGuard(EndpointMap endpoints) {
        this.endpoints = endpoints;
    }

    /**
     * Checks every frame whose verdict is {@link Verdict#CONTINUE}.
     *
     * @param sourceSlots out: the source pod's slot (its port) per frame, or
     *                    {@link PolicyEnforcer#NOT_LOCAL} for frames dropped here or not IP
     * @return the number of frames dropped
     */
    public int process(FrameVector v, int[] sourceSlots) {
        MemorySegment s = v.segment();
        int dropped = 0;
        for (int i = 0, n = v.count(); i < n; i++) {
            sourceSlots[i] = PolicyEnforcer.NOT_LOCAL;
            if (v.verdict(i) != Verdict.CONTINUE) {
                continue;
            }
            int verdict = check(v, s, i);
            if (verdict != Verdict.CONTINUE) {
                v.verdict(i, verdict);
                dropped++;
            } else if (!v.hasFlag(i, FrameVector.FLAG_ARP) && !isLinkScopeSource(v, i)) {
                sourceSlots[i] = v.ingressPort(i);
            }
        }
        return dropped;
    }

    private int check(FrameVector v, MemorySegment s, int i) {
        long endpoint;
        long senderMac = EthernetHeader.mac(s, v.start(i) + EthernetHeader.SRC_OFFSET);
        if (v.hasFlag(i, FrameVector.FLAG_IPV4)) {
            endpoint = endpoints.lookup4(v.srcIp4(i));
        } else if (v.hasFlag(i, FrameVector.FLAG_IPV6)) {
            if (isLinkScopeSource(v, i)) {
                return endpoints.portMac(v.ingressPort(i)) == senderMac ? Verdict.CONTINUE : DropReason.INVALID_SOURCE_MAC.verdict();
            }
            endpoint = endpoints.lookup6(s, v.l3Offset(i) + Ipv6Header.SRC_OFFSET);
        } else if (v.hasFlag(i, FrameVector.FLAG_ARP)) {
            int sender = NetworkOrder.u32(s, v.l3Offset(i) + ArpHeader.SPA_OFFSET);
            if (EthernetHeader.mac(s, v.l3Offset(i) + ArpHeader.SHA_OFFSET) != senderMac) {
                return DropReason.INVALID_SOURCE_MAC.verdict();
            }
            if (sender == 0) {
                return Verdict.CONTINUE; // an address probe claims no address
            }
            endpoint = endpoints.lookup4(sender);
        } else {
            return DropReason.UNKNOWN_L3.verdict();
        }
        if (endpoint == EndpointMap.MISSING || endpoints.port(endpoint) != v.ingressPort(i)) {
            return DropReason.INVALID_SOURCE_IP.verdict();
        }
        if (endpoints.mac(endpoint) != senderMac) {
            return DropReason.INVALID_SOURCE_MAC.verdict();
        }
        v.srcIdentity(i, endpoints.identity(endpoint));
        return Verdict.CONTINUE;
    }

    /** Returns: true for an IPv6 frame from a link-local or the unspecified address. */
    private static boolean isLinkScopeSource(FrameVector v, int i) {
        return v.hasFlag(i, FrameVector.FLAG_IPV6)
                && (Ipv6Header.isLinkLocal(v.srcHi(i)) || Ipv6Header.isUnspecified(v.srcHi(i), v.srcLo(i)));
    }
}
