package dev.gingham.dataplane.cluster;

import dev.gingham.nat.IpAddress;
import dev.gingham.packet.Cidr;

import java.util.List;

/**
 * What {@code encap.NodeRoutes.upsertNode} needs for one other node.
 *
 * @param name            the Node's name
 * @param nodeId          1..65535, stable while the node exists
 * @param underlayAddress where its tunnel packets go (IPv4)
 * @param nextHopMac      the outer Ethernet destination towards it; 0: resolved by ARP (neighbour resolution)
 * @param vtepMac         the inner Ethernet destination it expects
 * @param podCidrs        its pod CIDRs
 */
public record NodeRoute(String name, int nodeId, IpAddress underlayAddress, long nextHopMac, long vtepMac, List<Cidr> podCidrs) {
    public NodeRoute {
        podCidrs = List.copyOf(podCidrs);
    }
}
