package dev.gingham.dataplane.cluster;

import dev.gingham.dataplane.config.NodeConfig;
import dev.gingham.dataplane.k8s.ManifestException;
import dev.gingham.nat.IpAddress;
import dev.gingham.nat.snat.EgressPolicy;
import dev.gingham.packet.Cidr;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class EgressTranslatorTest {

    private static List<Cidr> cidrs(String... texts) {
        return Arrays.stream(texts).map(Cidr::parse).toList();
    }

    @Test
    void shouldLeaveOnePrefixPerLevelWhenAHoleIsSubtracted() {
        assertEquals(cidrs("198.51.100.0/25", "198.51.100.192/26"),
                CidrSets.subtract(cidrs("198.51.100.0/24"), cidrs("198.51.100.128/26")));
        assertEquals(cidrs("128.0.0.0/1", "64.0.0.0/2", "32.0.0.0/3", "16.0.0.0/4", "0.0.0.0/5", "12.0.0.0/6", "8.0.0.0/7",
                        "11.0.0.0/8"),
                CidrSets.subtract(cidrs("0.0.0.0/0"), cidrs("10.0.0.0/8")));
        assertEquals(cidrs("fd00::8000:0:0:0/65"), CidrSets.subtract(cidrs("fd00::/64"), cidrs("fd00::/65")));
        assertEquals(List.of(), CidrSets.subtract(cidrs("10.1.0.0/16"), cidrs("10.0.0.0/8")), "a hole covering the prefix removes it");
        assertEquals(cidrs("10.1.0.0/16"), CidrSets.subtract(cidrs("10.1.0.0/16"), cidrs("10.2.0.0/16", "fd00::/8")));
        assertEquals(cidrs("10.0.0.128/25", "10.0.0.0/26", "10.0.0.64/27"),
                CidrSets.subtract(cidrs("10.0.0.0/24"), cidrs("10.0.0.96/28", "10.0.0.96/27")), "a second hole swallows a piece");
    }

    @Test
    void shouldSelectPodsByLabelsAndNamespaceWhenThePolicySelectsThisNode() {
        EgressTranslator.Translation t = EgressTranslator.translate(ShopCluster.set(), ShopCluster.config());
        assertEquals(List.of(new EgressPolicy("web-to-partner",
                List.of(IpAddress.parse("10.244.1.10"), IpAddress.parse("10.244.1.11"), IpAddress.parse("10.244.2.10")),
                cidrs("198.51.100.0/25", "198.51.100.192/26"), IpAddress.parse("192.168.50.100"))), t.policies());
        assertEquals(List.of(IpAddress.parse("192.168.50.100")), t.egressIps());
    }

    @Test
    void shouldNotApplyAPolicyWhenItsNodeSelectorPicksAnotherNode() {
        String egress = ShopCluster.files().get("egress.yaml").replace("kubernetes.io/hostname: node-a", "kubernetes.io/hostname: node-b");
        EgressTranslator.Translation t = EgressTranslator.translate(ManifestSet.of("shop", ShopCluster.with("egress.yaml", egress)),
                ShopCluster.config());
        assertEquals(List.of(), t.policies());
        assertEquals(List.of("egress.yaml: document 1 (line 1): CiliumEgressGatewayPolicy web-to-partner: its egressGateway.nodeSelector "
                + "does not select this node (node-a): not applied here"), t.warnings());
    }

    @Test
    void shouldSelectByNamespaceLabelsWhenANamespaceSelectorIsGiven() {
        String egress = """
                apiVersion: cilium.io/v2
                kind: CiliumEgressGatewayPolicy
                metadata: {name: retail}
                spec:
                  selectors: [{podSelector: {matchLabels: {app: db}}, namespaceSelector: {matchLabels: {team: retail}}}]
                  destinationCIDRs: [0.0.0.0/0]
                  egressGateway: {egressIP: 192.168.50.101}
                """;
        EgressTranslator.Translation t = EgressTranslator.translate(ManifestSet.of("shop", ShopCluster.with("egress.yaml", egress)),
                ShopCluster.config());
        assertEquals(List.of(IpAddress.parse("10.244.1.20")), t.policies().getFirst().sources());
    }

    @Test
    void shouldRefuseTheSetWhenThePoliciesSelectMorePodsThanTheMapHolds() {
        NodeConfig small = ShopCluster.config().toBuilder()
                .maps(new NodeConfig.Capacities(65_536, 8, 256, 2, 4096, 65_536, 256)).build();
        ManifestException e = assertThrows(ManifestException.class, () -> EgressTranslator.translate(ShopCluster.set(), small));
        assertEquals("shop: egress gateway policies select 3 IPv4 pod addresses, more than maps.egressSources 2", e.getMessage());
    }

    @Test
    void shouldNameTheFieldWhenADestinationIsOfTheOtherFamily() {
        String egress = ShopCluster.files().get("egress.yaml").replace("destinationCIDRs: [198.51.100.0/24]",
                "destinationCIDRs: [198.51.100.0/24, \"2001:db8::/32\"]");
        ManifestException e = assertThrows(ManifestException.class, () -> EgressTranslator.translate(
                ManifestSet.of("shop", ShopCluster.with("egress.yaml", egress)), ShopCluster.config()));
        assertEquals("egress.yaml: document 1 (line 1): CiliumEgressGatewayPolicy web-to-partner: spec.destinationCIDRs[1]: "
                + "2001:db8::/32 is IPv6 but egressIP 192.168.50.100 is not", e.getMessage());
    }
}
