package dev.gingham.dataplane.program;

import dev.gingham.encap.LocalDelivery;
import dev.gingham.encap.TunnelPeers;
import dev.gingham.packet.DropReason;
import dev.gingham.packet.FrameVector;
import dev.gingham.packet.NetworkOrder;
import dev.gingham.packet.Verdict;
import dev.gingham.packet.header.EthernetHeader;
import dev.gingham.packet.header.Ipv4Header;

import java.lang.foreign.MemorySegment;

/**
 * The last hop of the routing decision: frames whose route class {@link RouteLookup} chose, and
 * which every program in between let through, get the Ethernet addresses of their next hop and
 * their TX verdict. Run in three steps, because masquerade and encapsulation sit between local
 * delivery and the way out:
 *
 * <pre>
 *  deliverLocal  LOCAL -> the pod's MAC (from the endpoint map), the gateway's as source, its port
 *  deliverHost   HOST  -> the host interface's MAC, the gateway's as source, the host port
 *  deliverWorld  WORLD -> the uplink's MAC, the underlay MAC as source, the underlay port. The
 *                uplink is underlay.nextHopMac when configured (a static override), else the
 *                underlay gateway's MAC as neighbour resolution found it (TunnelPeers' uplink
 *                slot, read once per vector). A gateway not resolved yet: NEIGHBOUR_UNRESOLVED;
 *                no uplink at all: NO_FIB. Both counted, instead of frames sent to MAC
 *                00:00:00:00:00:00 that no router takes. Exception: an IPv4 destination that is
 *                another node's underlay address goes to that node's own next hop (its MAC on
 *                the link, or the router's), as a host sends to an on-link neighbour: replies of
 *                a NodePort flow another node forwarded here (masqueraded to that node's
 *                address) must go back to it, not to the uplink
 *  finish        anything still undecided: UNROUTABLE (IP) or UNKNOWN_L3 (everything else)
 * </pre>
 * Allocates nothing; one instance per worker.
 */
public final class RouteDelivery {
    private final LocalDelivery local;
    private final long routerMac;
    private final long hostMac;
    private final int hostPort;
    private final long staticUplinkMac;
    private final TunnelPeers peers;
    private final long underlayMac;
    private final int underlayPort;

    public RouteDelivery(PipelineConfig config, LocalDelivery local, TunnelPeers peers) {
        this.local = local;
        this.routerMac = config.tunnel().routerMac();
        this.hostMac = config.hostMac();
        this.hostPort = config.hostPort();
        this.staticUplinkMac = config.uplinkMac();
        this.peers = peers;
        this.underlayMac = config.tunnel().underlayMac();
        this.underlayPort = config.tunnel().underlayPort();
    }

    /** Delivers LOCAL frames still undecided to their pods. */
    public void deliverLocal(FrameVector v, int[] routes, long[] endpoints, int count) {
        for (int i = 0; i < count; i++) {
            if (routes[i] == RouteLookup.LOCAL && v.verdict(i) == Verdict.CONTINUE) {
                local.deliver(v, i, endpoints[i]);
            }
        }
    }

    /** Sends HOST frames still undecided to the host port. */
    public void deliverHost(FrameVector v, int[] routes, int count) {
        send(v, routes, count, RouteLookup.HOST, hostMac, routerMac, hostPort);
    }

    /**
     * Sends WORLD frames still undecided to the underlay's next hop (another node's, when the
     * destination is that node's address), or drops them when there is none (NO_FIB) or its MAC
     * is not resolved yet (NEIGHBOUR_UNRESOLVED).
     */
    public void deliverWorld(FrameVector v, int[] routes, int count) {
        long uplinkMac = staticUplinkMac != 0 ? staticUplinkMac : peers.uplinkMac();
        int noUplink = (peers.uplinkAddress() != 0 ? DropReason.NEIGHBOUR_UNRESOLVED : DropReason.NO_FIB).verdict();
        MemorySegment s = v.segment();
        for (int i = 0; i < count; i++) {
            if (routes[i] != RouteLookup.WORLD || v.verdict(i) != Verdict.CONTINUE) {
                continue;
            }
            long mac = uplinkMac;
            if (v.hasFlag(i, FrameVector.FLAG_IPV4) && peers.count() > 0) {
                int destination = NetworkOrder.u32(s, v.l3Offset(i) + Ipv4Header.DST_OFFSET);
                int node = peers.nodeIdOf(destination);
                if (node != 0) {
                    long slot = peers.node(node, destination);
                    mac = slot == TunnelPeers.MISSING ? 0 : peers.nextHopMac(slot);
                    if (mac == 0) {
                        v.verdict(i, DropReason.NEIGHBOUR_UNRESOLVED.verdict());
                        continue;
                    }
                }
            }
            if (mac == 0) {
                v.verdict(i, noUplink);
                continue;
            }
            EthernetHeader.macs(s, v.start(i), mac, underlayMac);
            v.verdict(i, Verdict.tx(underlayPort));
        }
    }

    private static void send(FrameVector v, int[] routes, int count, int route, long dstMac, long srcMac, int port) {
        for (int i = 0; i < count; i++) {
            if (routes[i] == route && v.verdict(i) == Verdict.CONTINUE) {
                EthernetHeader.macs(v.segment(), v.start(i), dstMac, srcMac);
                v.verdict(i, Verdict.tx(port));
            }
        }
    }

    /** Gives every frame no program decided a drop verdict, so nothing leaves the pipeline undecided. */
    public void finish(FrameVector v) {
        for (int i = 0, n = v.count(); i < n; i++) {
            if (v.verdict(i) == Verdict.CONTINUE) {
                v.drop(i, v.hasFlag(i, FrameVector.FLAG_IPV4 | FrameVector.FLAG_IPV6)
                        ? DropReason.UNROUTABLE : DropReason.UNKNOWN_L3);
            }
        }
    }
}
