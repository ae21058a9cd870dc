package dev.gingham.dataplane.k8s;

import dev.gingham.dataplane.config.YamlField;
import dev.gingham.packet.Cidr;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Reads cilium.io/v2 CiliumEgressGatewayPolicy manifests. Gingham masquerades behind the policy's
 * {@code egressIP} itself, so that field is required; an {@code interface} to take the address
 * from, or several gateways ({@code egressGateways}), are refused by name rather than half-applied.
 */
final class EgressGatewayPolicyYaml {
    private EgressGatewayPolicyYaml() {
    }

    static CiliumEgressGatewayPolicy policy(YamlField root, ObjectFields.Meta meta) {
        root.mapping("apiVersion", "kind", "metadata", "spec", "status");
        YamlField spec = root.get("spec").mapping("selectors", "destinationCIDRs", "excludedCIDRs", "egressGateway",
                "egressGateways");
        if (!spec.present()) {
            spec.error("is required");
        }
        if (spec.get("egressGateways").present()) {
            spec.get("egressGateways").error("is not supported (one gateway per policy: use egressGateway)");
        }
        List<CiliumEgressGatewayPolicy.Selector> selectors = new ArrayList<>();
        List<YamlField> selectorItems = spec.get("selectors").list();
        if (selectorItems.isEmpty()) {
            spec.get("selectors").error("at least one selector is required");
        }
        for (YamlField item : selectorItems) {
            item.mapping("podSelector", "namespaceSelector");
            YamlField namespaces = item.get("namespaceSelector");
            selectors.add(new CiliumEgressGatewayPolicy.Selector(ObjectFields.selector(item.get("podSelector")),
                    namespaces.present() ? Optional.of(ObjectFields.selector(namespaces)) : Optional.empty()));
        }
        List<Cidr> destinations = cidrs(spec.get("destinationCIDRs"));
        if (destinations.isEmpty()) {
            spec.get("destinationCIDRs").error("at least one CIDR is required");
        }
        List<Cidr> excluded = cidrs(spec.get("excludedCIDRs"));
        YamlField gateway = spec.get("egressGateway").mapping("nodeSelector", "egressIP", "interface");
        if (!gateway.present()) {
            gateway.error("is required");
        }
        YamlField egressIp = gateway.get("egressIP");
        if (!egressIp.present()) {
            egressIp.error("is required: Gingham masquerades behind this address"
                    + (gateway.get("interface").present() ? " and does not read it from an interface" : ""));
        }
        return new CiliumEgressGatewayPolicy(meta.name(), selectors, destinations, excluded, ObjectFields.address(egressIp),
                ObjectFields.selector(gateway.get("nodeSelector")));
    }

    private static List<Cidr> cidrs(YamlField field) {
        List<Cidr> cidrs = new ArrayList<>();
        for (YamlField item : field.list()) {
            if (!item.present()) {
                item.error("is required");
            }
            cidrs.add(ObjectFields.cidr(item));
        }
        return cidrs;
    }
}
