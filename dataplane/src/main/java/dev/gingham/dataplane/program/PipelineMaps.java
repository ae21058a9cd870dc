package dev.gingham.dataplane.program;

import dev.gingham.conntrack.CtTable;
import dev.gingham.dataplane.neighbour.NeighbourObservations;
import dev.gingham.dataplane.policy.PolicyMaps;
import dev.gingham.encap.EndpointMap;
import dev.gingham.encap.IpCache;
import dev.gingham.encap.TunnelPeers;
import dev.gingham.nat.lb.LbMaps;
import dev.gingham.nat.snat.EgressGateway;
import dev.gingham.nat.snat.MasqueradePolicy;
import dev.gingham.nat.snat.SnatTable;

import java.util.Objects;

/**
 * The node's shared maps, as every worker's pipeline reads them (the control agent writes them).
 * Owned and closed by whoever created them (the daemon's node state, replay, a test).
 *
 * @param egressGateway null when the node runs no egress gateway policies
 * @param neighbours    where the workers report neighbours seen on the underlay; null: nothing is learned
 */
public record PipelineMaps(CtTable conntrack, LbMaps services, SnatTable snat, MasqueradePolicy masquerade,
                           EgressGateway egressGateway, IpCache ipCache, TunnelPeers peers, EndpointMap endpoints,
                           PolicyMaps policy, NeighbourObservations neighbours) {
    public PipelineMaps {
        Objects.requireNonNull(conntrack, "conntrack");
        Objects.requireNonNull(services, "services");
        Objects.requireNonNull(snat, "snat");
        Objects.requireNonNull(masquerade, "masquerade");
        Objects.requireNonNull(ipCache, "ipCache");
        Objects.requireNonNull(peers, "peers");
        Objects.requireNonNull(endpoints, "endpoints");
        Objects.requireNonNull(policy, "policy");
    }
}
