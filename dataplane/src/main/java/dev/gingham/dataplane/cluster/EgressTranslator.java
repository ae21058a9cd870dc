package dev.gingham.dataplane.cluster;

import dev.gingham.dataplane.config.NodeConfig;
import dev.gingham.dataplane.identity.SecurityLabels;
import dev.gingham.dataplane.k8s.CiliumEgressGatewayPolicy;
import dev.gingham.dataplane.k8s.ManifestKind;
import dev.gingham.dataplane.k8s.ManifestObject;
import dev.gingham.dataplane.k8s.Namespace;
import dev.gingham.dataplane.k8s.Node;
import dev.gingham.dataplane.k8s.Pod;
import dev.gingham.nat.IpAddress;
import dev.gingham.nat.snat.EgressGateway;
import dev.gingham.nat.snat.EgressPolicy;
import dev.gingham.packet.Cidr;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * CiliumEgressGatewayPolicies to the egress gateway's {@link EgressPolicy}s. A policy applies on
 * the node its {@code egressGateway.nodeSelector} selects (matched against this node's Node
 * labels, or {@code kubernetes.io/hostname} alone when the manifests hold no Node for it): Gingham
 * masquerades there, behind the egress IP, the traffic it would otherwise masquerade behind the node
 * address. (Cilium also steers selected pods' traffic from other nodes to the gateway node; Gingham
 * does not, so on other nodes their traffic leaves as usual.) Sources are the addresses of every pod
 * a selector matches, pod labels seen with Cilium's {@code io.kubernetes.pod.namespace} label added;
 * destinations are the destination CIDRs of the egress IP's family with the excluded CIDRs
 * subtracted.
 */
public final class EgressTranslator {
    /** The label kubelet puts on every node: how a policy names one node when the manifests hold no Node for it. */
    public static final String HOSTNAME_LABEL = "kubernetes.io/hostname";

    private EgressTranslator() {
    }

    /**
     * The policies of a set.
     *
     * @param policies   the policies this node applies, ordered by name
     * @param egressIps  their distinct egress IPs (each needs NAT port pools)
     * @param warnings   policies this node does not apply, and why
     */
    public record Translation(List<EgressPolicy> policies, List<IpAddress> egressIps, List<String> warnings) {
        public Translation {
            policies = List.copyOf(policies);
            egressIps = List.copyOf(egressIps);
            warnings = List.copyOf(warnings);
        }
    }

    /** @throws dev.gingham.dataplane.k8s.ManifestException naming file, policy and field */
    public static Translation translate(ManifestSet set, NodeConfig config) {
        Findings findings = new Findings();
        Map<String, String> nodeLabels = new HashMap<>();
        nodeLabels.put(HOSTNAME_LABEL, config.nodeName());
        set.nodes().stream().filter(n -> n.name().equals(config.nodeName())).findFirst().map(Node::labels).ifPresent(nodeLabels::putAll);
        Map<String, Namespace> namespaces = new HashMap<>();
        set.namespaces().forEach(n -> namespaces.put(n.name(), n));
        List<EgressPolicy> policies = new ArrayList<>();
        Set<IpAddress> egressIps = new LinkedHashSet<>();
        for (ManifestObject object : set.objects(ManifestKind.CILIUM_EGRESS_GATEWAY_POLICY)) {
            CiliumEgressGatewayPolicy policy = object.as(CiliumEgressGatewayPolicy.class);
            if (!policy.nodeSelector().matches(nodeLabels)) {
                findings.warn(object, "its egressGateway.nodeSelector does not select this node (" + config.nodeName() + "): not applied here");
                continue;
            }
            IpAddress egressIp = policy.egressIp();
            boolean ok = true;
            for (int i = 0; i < policy.destinationCidrs().size(); i++) {
                Cidr cidr = policy.destinationCidrs().get(i);
                if (cidr.ipv4() != egressIp.ipv4()) {
                    findings.error(object, "spec.destinationCIDRs[" + i + "]", cidr + " is " + (cidr.ipv4() ? "IPv4" : "IPv6")
                            + " but egressIP " + egressIp + " is not");
                    ok = false;
                } else if (!cidr.ipv4() && cidr.prefixLength() > EgressGateway.MAX_IPV6_PREFIX) {
                    findings.error(object, "spec.destinationCIDRs[" + i + "]", cidr + " is longer than /" + EgressGateway.MAX_IPV6_PREFIX
                            + " (egress destinations are networks)");
                    ok = false;
                }
            }
            if (!ok) {
                continue;
            }
            List<Cidr> excluded = policy.excludedCidrs().stream().filter(c -> c.ipv4() == egressIp.ipv4()).toList();
            List<Cidr> destinations = CidrSets.subtract(policy.destinationCidrs(), excluded);
            policies.add(new EgressPolicy(policy.name(), sources(set, policy, namespaces), destinations, egressIp));
            egressIps.add(egressIp);
        }
        for (boolean ipv4 : new boolean[] {true, false}) {
            long sources = policies.stream().flatMap(p -> p.sources().stream()).filter(a -> a.ipv4() == ipv4).distinct().count();
            if (sources > config.maps().egressSources()) {
                findings.error(set.origin(), "egress gateway policies select " + sources + (ipv4 ? " IPv4" : " IPv6")
                        + " pod addresses, more than maps.egressSources " + config.maps().egressSources());
            }
        }
        int natAddresses = (int) config.nodeAddresses().stream().map(IpAddress::ipv4).distinct().count() + egressIps.size();
        if (natAddresses > config.masquerade().maxNatAddresses()) {
            findings.error(set.origin(), "egress gateway policies name " + egressIps.size() + " egress IPs: with the node's addresses "
                    + natAddresses + " NAT addresses exceed masquerade.maxNatAddresses " + config.masquerade().maxNatAddresses());
        }
        findings.throwIfAny();
        return new Translation(policies, List.copyOf(egressIps), findings.warnings());
    }

    private static List<IpAddress> sources(ManifestSet set, CiliumEgressGatewayPolicy policy, Map<String, Namespace> namespaces) {
        Set<IpAddress> sources = new LinkedHashSet<>();
        for (Pod pod : set.pods()) {
            if (pod.ips().isEmpty()) {
                continue;
            }
            Map<String, String> labels = new HashMap<>(pod.labels());
            labels.put(SecurityLabels.NAMESPACE_LABEL, pod.namespace());
            Namespace namespace = namespaces.getOrDefault(pod.namespace(), Namespace.of(pod.namespace(), Map.of()));
            for (CiliumEgressGatewayPolicy.Selector selector : policy.selectors()) {
                if (selector.podSelector().matches(labels)
                        && selector.namespaceSelector().map(s -> s.matches(namespace.labels())).orElse(true)) {
                    sources.addAll(pod.ips());
                    break;
                }
            }
        }
        return List.copyOf(sources);
    }
}
