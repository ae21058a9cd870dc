package dev.gingham.dataplane.cluster;

import dev.gingham.dataplane.config.NodeConfig;
import dev.gingham.dataplane.k8s.ManifestKind;
import dev.gingham.dataplane.k8s.ManifestObject;
import dev.gingham.dataplane.k8s.Node;
import dev.gingham.encap.NodeRoutes;
import dev.gingham.nat.IpAddress;
import dev.gingham.packet.Cidr;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Node objects (other than this node's) to routes: each node's pod CIDRs go to its underlay
 * address. The underlay address is flannel's public-ip annotation when present (the address
 * flannel's VXLAN device sends from), else the node's first IPv4 InternalIP. The inner
 * destination MAC is flannel's VtepMAC when present (a Linux VXLAN device drops frames to any
 * other MAC), else this node's gateway MAC (a Gingham node accepts any). The outer destination MAC
 * is the node's {@code gingham.dev/underlay-mac} annotation, else {@code underlay.nextHopMac} of
 * the node configuration (a router, or the only peer): static overrides. Without either the route
 * carries MAC 0 and the node's neighbour resolution finds it by ARP (the node itself, or
 * {@code underlay.gateway} when the node is outside {@code underlay.subnet}). Node ids are stable
 * while a node exists.
 *
 * <p>This node's own Node object is only checked: its pod CIDRs must be the configuration's.
 */
public final class NodeTranslator {
    private NodeTranslator() {
    }

    /**
     * The routes of a set.
     *
     * @param routes   one per other node, in manifest order
     * @param ids      the node id of every other node, by name
     */
    record Translation(List<NodeRoute> routes, StableIds ids) {
    }

    /**
     * Returns: the routes of {@code set}, with fresh node ids (for callers that keep no state).
     *
     * @throws dev.gingham.dataplane.k8s.ManifestException naming file, Node and field
     */
    public static List<NodeRoute> translate(ManifestSet set, NodeConfig config) {
        return translate(set, config, StableIds.range(1, NodeRoutes.MAX_NODE_ID)).routes();
    }

    /** Returns: the routes, keeping the ids {@code previous} gave nodes that remain. */
    static Translation translate(ManifestSet set, NodeConfig config, StableIds previous) {
        Findings findings = new Findings();
        List<ManifestObject> others = new ArrayList<>();
        for (ManifestObject object : set.objects(ManifestKind.NODE)) {
            Node node = object.as(Node.class);
            if (node.name().equals(config.nodeName())) {
                if (!node.podCidrs().isEmpty() && !node.podCidrs().equals(config.podCidrs())) {
                    findings.error(object, "spec.podCIDRs", node.podCidrs() + " differs from podCIDRs " + config.podCidrs()
                            + " of the node configuration (this is the node Gingham runs on)");
                }
            } else {
                others.add(object);
            }
        }
        if (others.size() > config.maps().nodes()) {
            findings.error(set.origin(), others.size() + " other nodes exceed maps.nodes " + config.maps().nodes()
                    + " of the node configuration");
            findings.throwIfAny();
        }
        StableIds ids = previous.assign(others.stream().map(o -> o.ref().name()).toList());
        List<NodeRoute> routes = new ArrayList<>();
        Map<IpAddress, ManifestObject> underlays = new HashMap<>();
        for (ManifestObject object : others) {
            Node node = object.as(Node.class);
            IpAddress underlay = underlay(object, node, findings);
            if (underlay == null) {
                continue;
            }
            if (config.nodeAddresses().contains(underlay) || underlay.equals(config.underlay().address())) {
                findings.error(object, "status.addresses", underlay + " is this node's own address (is metadata.name meant to be "
                        + config.nodeName() + "?)");
                continue;
            }
            ManifestObject other = underlays.putIfAbsent(underlay, object);
            if (other != null) {
                findings.error(object, "status.addresses", underlay + " is also the address of " + other.ref());
                continue;
            }
            // 0: neither the Node nor the configuration gives one, so the node's neighbour resolution asks ARP
            long nextHop = node.underlayMac() != 0 ? node.underlayMac() : config.underlay().nextHopMac();
            for (int i = 0; i < node.podCidrs().size(); i++) {
                Cidr cidr = node.podCidrs().get(i);
                if (config.clusterCidrs().stream().noneMatch(c -> c.contains(cidr))) {
                    findings.error(object, "spec.podCIDRs[" + i + "]", cidr + " is not inside the node configuration's clusterCIDRs "
                            + config.clusterCidrs() + " (traffic to it would be masqueraded)");
                }
                for (Cidr own : config.podCidrs()) {
                    if (own.contains(cidr) || cidr.contains(own)) {
                        findings.error(object, "spec.podCIDRs[" + i + "]", cidr + " overlaps this node's podCIDR " + own);
                    }
                }
            }
            long vtep = node.flannelVtepMac() != 0 ? node.flannelVtepMac() : config.gateway().mac();
            routes.add(new NodeRoute(node.name(), ids.id(node.name()), underlay, nextHop, vtep, node.podCidrs()));
        }
        findings.throwIfAny();
        return new Translation(routes, ids);
    }

    private static IpAddress underlay(ManifestObject object, Node node, Findings findings) {
        if (node.flannelPublicIp() != null) {
            if (!node.flannelPublicIp().ipv4()) {
                findings.error(object, "metadata.annotations[" + Node.FLANNEL_PUBLIC_IP + "]", node.flannelPublicIp()
                        + " is IPv6; the underlay is IPv4");
                return null;
            }
            return node.flannelPublicIp();
        }
        for (IpAddress address : node.internalIps()) {
            if (address.ipv4()) {
                return address;
            }
        }
        findings.error(object, "status.addresses", "has no IPv4 InternalIP (and no " + Node.FLANNEL_PUBLIC_IP
                + " annotation): Gingham cannot reach node " + node.name());
        return null;
    }
}
