package dev.gingham.dataplane.k8s;

import dev.gingham.nat.IpAddress;
import dev.gingham.packet.Cidr;

import java.util.List;
import java.util.Optional;

/**
 * A cilium.io/v2 CiliumEgressGatewayPolicy (cluster-scoped): traffic from the selected pods to
 * the destination CIDRs, except the excluded ones, leaves the cluster with a fixed source
 * address, the stable "NAT exit" an external allow-list can name.
 *
 * @param name             metadata.name
 * @param selectors        spec.selectors: a pod is selected when any entry selects it
 * @param destinationCidrs spec.destinationCIDRs
 * @param excludedCidrs    spec.excludedCIDRs: destinations inside these keep the normal path
 * @param egressIp         spec.egressGateway.egressIP
 * @param nodeSelector     spec.egressGateway.nodeSelector: the gateway node(s); {@link LabelSelector#ALL} when absent
 */
public record CiliumEgressGatewayPolicy(String name, List<Selector> selectors, List<Cidr> destinationCidrs,
                                        List<Cidr> excludedCidrs, IpAddress egressIp, LabelSelector nodeSelector) {
    public static final String API_VERSION = "cilium.io/v2";
    public static final String KIND = "CiliumEgressGatewayPolicy";

    /**
     * One entry of spec.selectors. The pod selector may name the namespace through Cilium's
     * {@code io.kubernetes.pod.namespace} label.
     *
     * @param podSelector       pods to select ({@link LabelSelector#ALL} when absent)
     * @param namespaceSelector namespaces to select them in; empty for every namespace
     */
    public record Selector(LabelSelector podSelector, Optional<LabelSelector> namespaceSelector) {
    }

    public CiliumEgressGatewayPolicy {
        selectors = List.copyOf(selectors);
        destinationCidrs = List.copyOf(destinationCidrs);
        excludedCidrs = List.copyOf(excludedCidrs);
    }
}
