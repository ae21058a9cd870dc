package dev.gingham.dataplane.cluster;

import dev.gingham.dataplane.config.NodeConfig;
import dev.gingham.dataplane.k8s.ManifestException;
import dev.gingham.encap.NodeRoutes;
import dev.gingham.nat.IpAddress;
import dev.gingham.packet.Cidr;
import dev.gingham.packet.header.Addresses;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class NodeTranslatorTest {
    private static final NodeConfig CONFIG = ShopCluster.config();
    private static final String NODES = ShopCluster.files().get("nodes.yaml");

    private static ManifestSet nodes(String yaml) {
        return ManifestSet.of("shop", Map.of("nodes.yaml", yaml));
    }

    @Test
    void shouldRouteEveryOtherNodeWhenGinghamAndFlannelNodesMix() {
        NodeConfig withNextHop = CONFIG.toBuilder().underlay(new NodeConfig.Underlay("eth0", null, 0,
                Addresses.parseMac("52:54:00:00:00:0c"), 1500)).build();
        assertEquals(List.of(
                new NodeRoute("node-b", 1, IpAddress.parse("192.168.50.11"), Addresses.parseMac("52:54:00:00:00:0b"),
                        NodeConfig.DEFAULT_GATEWAY_MAC, List.of(Cidr.parse("10.244.2.0/24"))),
                new NodeRoute("node-c", 2, IpAddress.parse("192.168.50.12"), Addresses.parseMac("52:54:00:00:00:0c"),
                        Addresses.parseMac("6e:1f:2a:3b:4c:5d"), List.of(Cidr.parse("10.244.3.0/24")))),
                NodeTranslator.translate(ShopCluster.set(), withNextHop),
                "node-b: its InternalIP, its underlay-mac annotation, a Gingham gateway MAC; node-c (flannel): its public-ip "
                        + "(not its InternalIP), its VtepMAC, the configured next hop");
    }

    @Test
    void shouldUseTheConfiguredNextHopWhenANodeGivesNoUnderlayMac() {
        NodeConfig withNextHop = CONFIG.toBuilder().underlay(new NodeConfig.Underlay("eth0", null, 0,
                Addresses.parseMac("52:54:00:00:00:0c"), 1500)).build();
        List<NodeRoute> routes = NodeTranslator.translate(ShopCluster.set(), withNextHop);
        assertEquals(Addresses.parseMac("52:54:00:00:00:0b"), routes.get(0).nextHopMac(), "the node's own annotation wins");
        assertEquals(Addresses.parseMac("52:54:00:00:00:0c"), routes.get(1).nextHopMac());
    }

    @Test
    void shouldLeaveTheNextHopToNeighbourResolutionWhenNothingGivesAMac() {
        List<NodeRoute> routes = NodeTranslator.translate(ShopCluster.set(), CONFIG);
        assertEquals(Addresses.parseMac("52:54:00:00:00:0b"), routes.get(0).nextHopMac(), "node-b's annotation is a static override");
        assertEquals(0, routes.get(1).nextHopMac(), "node-c gives no MAC and the configuration no next hop: 0, resolved by ARP");
    }

    @Test
    void shouldKeepNodeIdsAcrossReloadsAndNotReuseAFreedOneAtOnce() {
        NodeConfig config = CONFIG.toBuilder().underlay(new NodeConfig.Underlay("eth0", null, 0, 0x52_54_00_00_00_0CL, 1500)).build();
        NodeTranslator.Translation first = NodeTranslator.translate(ShopCluster.set(), config, StableIds.range(1, NodeRoutes.MAX_NODE_ID));
        assertEquals(Map.of("node-b", 1, "node-c", 2), first.ids().all());
        String withoutB = NODES.substring(0, NODES.indexOf("# Another Gingham node")) + NODES.substring(NODES.indexOf("# A flannel node"))
                + "---\napiVersion: v1\nkind: Node\nmetadata: {name: node-d}\nspec: {podCIDR: 10.244.4.0/24}\n"
                + "status: {addresses: [{type: InternalIP, address: 192.168.50.13}]}\n";
        NodeTranslator.Translation second = NodeTranslator.translate(nodes(withoutB), config, first.ids());
        assertEquals(Map.of("node-c", 2, "node-d", 3), second.ids().all(), "node-d does not take node-b's freed id");
    }

    @Test
    void shouldNameNodeAndFieldWhenANodeContradictsThisNode() {
        NodeConfig config = CONFIG.toBuilder().underlay(new NodeConfig.Underlay("eth0", null, 0, 0x52_54_00_00_00_0CL, 1500)).build();
        String yaml = """
                apiVersion: v1
                kind: Node
                metadata: {name: node-a}
                spec: {podCIDR: 10.244.9.0/24}
                ---
                apiVersion: v1
                kind: Node
                metadata: {name: node-x}
                spec: {podCIDR: 10.99.0.0/24}
                status: {addresses: [{type: InternalIP, address: 192.168.50.20}]}
                ---
                apiVersion: v1
                kind: Node
                metadata: {name: node-y}
                status: {addresses: [{type: InternalIP, address: 192.168.50.10}]}
                ---
                apiVersion: v1
                kind: Node
                metadata: {name: node-z}
                status: {addresses: [{type: Hostname, address: node-z}]}
                """;
        ManifestException e = assertThrows(ManifestException.class, () -> NodeTranslator.translate(nodes(yaml), config));
        assertEquals(List.of(
                "nodes.yaml: document 1 (line 1): Node node-a: spec.podCIDRs: [10.244.9.0/24] differs from podCIDRs [10.244.1.0/24] "
                        + "of the node configuration (this is the node Gingham runs on)",
                "nodes.yaml: document 2 (line 6): Node node-x: spec.podCIDRs[0]: 10.99.0.0/24 is not inside the node configuration's "
                        + "clusterCIDRs [10.244.0.0/16] (traffic to it would be masqueraded)",
                "nodes.yaml: document 3 (line 12): Node node-y: status.addresses: 192.168.50.10 is this node's own address "
                        + "(is metadata.name meant to be node-a?)",
                "nodes.yaml: document 4 (line 17): Node node-z: status.addresses: has no IPv4 InternalIP (and no "
                        + "flannel.alpha.coreos.com/public-ip annotation): Gingham cannot reach node node-z"),
                e.problems().stream().map(Object::toString).toList());
    }
}
