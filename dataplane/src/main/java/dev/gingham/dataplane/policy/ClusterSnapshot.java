package dev.gingham.dataplane.policy;

import dev.gingham.dataplane.identity.SecurityLabels;
import dev.gingham.dataplane.k8s.Namespace;
import dev.gingham.dataplane.k8s.NetworkPolicy;
import dev.gingham.dataplane.k8s.Pod;
import dev.gingham.packet.Cidr;

import java.util.Map;

/**
 * Everything the compiler reads, frozen: the cluster's namespaces, pods and policies and the
 * identities allocated for them. The compiler is a pure function of this (and of which pods are
 * local), so a compile can run off to the side while the previous policy stays published.
 *
 * @param namespaces   namespaces by name
 * @param pods         every pod of the cluster by "namespace/name" (peers and named ports)
 * @param podIdentity  each pod's identity by "namespace/name"
 * @param identities   every pod identity and its labels
 * @param cidrs        every CIDR identity and its prefix
 * @param policies     every policy by its id
 */
public record ClusterSnapshot(Map<String, Namespace> namespaces, Map<String, Pod> pods, Map<String, Integer> podIdentity,
                              Map<Integer, SecurityLabels> identities, Map<Integer, Cidr> cidrs,
                              Map<Integer, NetworkPolicy> policies) {
    public ClusterSnapshot {
        namespaces = Map.copyOf(namespaces);
        pods = Map.copyOf(pods);
        podIdentity = Map.copyOf(podIdentity);
        identities = Map.copyOf(identities);
        cidrs = Map.copyOf(cidrs);
        policies = Map.copyOf(policies);
    }
}
