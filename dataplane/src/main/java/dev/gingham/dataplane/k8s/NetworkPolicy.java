package dev.gingham.dataplane.k8s;

import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * A networking.k8s.io/v1 NetworkPolicy. It selects pods of its own namespace with
 * {@code podSelector}; for each direction in {@code policyTypes} those pods become isolated
 * (deny by default) and the rules of that direction say what is allowed. Several policies
 * selecting a pod add up (union); nothing ever subtracts.
 *
 * @param namespace   where the policy lives: it selects pods of this namespace only
 * @param name        its name
 * @param podSelector pods it applies to ({@link LabelSelector#ALL}: every pod of the namespace)
 * @param policyTypes directions it isolates; see {@link #defaultPolicyTypes} for the default
 * @param ingress     ingress rules (ignored unless INGRESS is a policy type)
 * @param egress      egress rules (ignored unless EGRESS is a policy type)
 */
public record NetworkPolicy(String namespace, String name, LabelSelector podSelector, Set<PolicyType> policyTypes,
                            List<NetworkPolicyRule> ingress, List<NetworkPolicyRule> egress) {
    public NetworkPolicy {
        if (namespace == null || namespace.isEmpty() || name == null || name.isEmpty()) {
            throw new IllegalArgumentException("policy namespace and name must not be empty");
        }
        if (policyTypes.isEmpty()) {
            throw new IllegalArgumentException("policyTypes must not be empty (use defaultPolicyTypes)");
        }
        policyTypes = Set.copyOf(EnumSet.copyOf(policyTypes));
        ingress = List.copyOf(ingress);
        egress = List.copyOf(egress);
    }

    /**
     * The API server's default when {@code policyTypes} is left out: Ingress always, Egress only
     * when the policy has egress rules (an empty {@code egress: []} does not count).
     */
    public static Set<PolicyType> defaultPolicyTypes(List<NetworkPolicyRule> egress) {
        return egress.isEmpty() ? EnumSet.of(PolicyType.INGRESS) : EnumSet.of(PolicyType.INGRESS, PolicyType.EGRESS);
    }

    /** A policy with the default policy types. */
    public static NetworkPolicy of(String namespace, String name, LabelSelector podSelector,
                                   List<NetworkPolicyRule> ingress, List<NetworkPolicyRule> egress) {
        return new NetworkPolicy(namespace, name, podSelector, defaultPolicyTypes(egress), ingress, egress);
    }

    public boolean isolates(PolicyType type) {
        return policyTypes.contains(type);
    }

    /** Returns: "namespace/name". */
    public String key() {
        return namespace + "/" + name;
    }
}
