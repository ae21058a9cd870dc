package dev.gingham.encap;

import dev.gingham.packet.FrameVector;
import dev.gingham.packet.Verdict;
import dev.gingham.packet.header.EthernetHeader;
import dev.gingham.packet.header.Ipv6Header;

/**
 * Hands frames for pods on this node to their interface (Cilium's {@code ipv4_local_delivery}):
 * the destination MAC becomes the pod's, the source MAC the gateway's (the router pods see, so
 * a frame from a tunnel looks to the pod like one its gateway routed), the destination identity
 * is recorded, and the verdict is TX on the pod's port.
 *
 * <p>Runs after decapsulation (and ingress policy) for frames from the overlay, and for frames
 * from the underlay in native-routing mode. Frames whose destination is no local pod stay
 * {@link Verdict#CONTINUE} for the programs after it (the host's own traffic). Allocates
 * nothing; stateless apart from its maps.
 */
public final class LocalDelivery {
    private final EndpointMap endpoints;
    private final long routerMac;

    public LocalDelivery(EndpointMap endpoints, long routerMac) {
        this.endpoints = endpoints;
        this.routerMac = routerMac;
    }

    /**
     * Runs over every frame whose verdict is {@link Verdict#CONTINUE}.
     *
     * @return the number of frames delivered
     */
    public int process(FrameVector v) {
        int delivered = 0;
        for (int i = 0, n = v.count(); i < n; i++) {
            if (v.verdict(i) != Verdict.CONTINUE) {
                continue;
            }
            long endpoint = lookup(v, i);
            if (endpoint != EndpointMap.MISSING) {
                deliver(v, i, endpoint);
                delivered++;
            }
        }
        return delivered;
    }

    /**
     * Returns: the local endpoint the frame's destination address names, or
     * {@link EndpointMap#MISSING} (not a local pod, or not IP). The node pipeline looks the
     * endpoint up before ingress policy and delivers after it, with this one lookup.
     */
    public long lookup(FrameVector v, int i) {
        if (v.hasFlag(i, FrameVector.FLAG_IPV4)) {
            return endpoints.lookup4(v.dstIp4(i));
        }
        if (v.hasFlag(i, FrameVector.FLAG_IPV6)) {
            return endpoints.lookup6(v.segment(), v.l3Offset(i) + Ipv6Header.DST_OFFSET);
        }
        return EndpointMap.MISSING;
    }

    /**
     * Hands frame {@code i} to {@code endpoint} (from {@link #lookup}): the pod's MAC as
     * destination, the gateway's as source, the endpoint's identity, TX on its port.
     */
    public void deliver(FrameVector v, int i, long endpoint) {
        EthernetHeader.macs(v.segment(), v.start(i), endpoints.mac(endpoint), routerMac);
        v.dstIdentity(i, endpoints.identity(endpoint));
        v.verdict(i, Verdict.tx(endpoints.port(endpoint)));
    }
}
