package dev.gingham.dataplane.policy;

import dev.gingham.dataplane.identity.ReservedIdentity;
import dev.gingham.dataplane.identity.SecurityLabels;
import dev.gingham.dataplane.k8s.Namespace;
import dev.gingham.dataplane.k8s.NetworkPolicy;
import dev.gingham.dataplane.k8s.NetworkPolicyPeer;
import dev.gingham.dataplane.k8s.NetworkPolicyPort;
import dev.gingham.dataplane.k8s.NetworkPolicyRule;
import dev.gingham.dataplane.k8s.Pod;
import dev.gingham.dataplane.k8s.PolicyType;
import dev.gingham.packet.Cidr;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * Turns NetworkPolicy semantics into per-endpoint allow rows ({@link EndpointPolicy}), exactly as
 * networking.k8s.io/v1 defines them:
 * <ul>
 *   <li>a policy selects pods of its own namespace with its podSelector; a pod selected by no
 *       policy isolating a direction is open in that direction; selected, it is denied by default
 *       and allowed the union of every selecting policy's rules of that direction;</li>
 *   <li>a rule allows its peers (OR) on its ports (OR); no peers = every peer, no ports = every
 *       protocol and port; a pod peer is podSelector AND namespaceSelector (absent
 *       namespaceSelector = the policy's namespace); an ipBlock peer is every CIDR identity whose
 *       prefix lies inside the block and inside no except, plus the world identities for /0;</li>
 *   <li>ports: a number, a range (port..endPort) or a name, resolved on the destination pod: for
 *       ingress that is the endpoint itself; for egress each peer identity's pods (the union when
 *       pods sharing an identity declare different numbers). An egress rule with no peers and a
 *       named port allows that port to every pod identity that declares it, not to the world
 *       (nothing outside the cluster has named ports).</li>
 * </ul>
 * The compiler is pure (a function of a {@link ClusterSnapshot}) and caches per compile run:
 * peer selections per (peer, namespace), and whole results per (identity, container ports,
 * audit), since replicas of a deployment compile to the same policy.
 */
public final class PolicyCompiler {
    private final ClusterSnapshot cluster;
    private final Map<Integer, List<Pod>> podsByIdentity = new HashMap<>();
    private final Map<String, List<Integer>> policiesByNamespace = new HashMap<>();
    private final Map<PeerKey, int[]> selections = new HashMap<>();
    private final Map<ResultKey, EndpointPolicy> results = new HashMap<>();
    private final int[] podIdentities;

    public PolicyCompiler(ClusterSnapshot cluster) {
        this.cluster = cluster;
        cluster.pods().forEach((key, pod) -> {
            Integer id = cluster.podIdentity().get(key);
            if (id != null) {
                podsByIdentity.computeIfAbsent(id, k -> new ArrayList<>()).add(pod);
            }
        });
        cluster.policies().entrySet().stream()
                .sorted(Map.Entry.comparingByKey())
                .forEach(e -> policiesByNamespace.computeIfAbsent(e.getValue().namespace(), k -> new ArrayList<>()).add(e.getKey()));
        this.podIdentities = cluster.identities().keySet().stream().mapToInt(Integer::intValue).sorted().toArray();
    }

    /** Compiles every local endpoint (slot &rarr; pod), deciding audit mode per pod. */
    public Map<Integer, EndpointPolicy> compileAll(Map<Integer, Pod> endpoints, Predicate<Pod> audit) {
        Map<Integer, EndpointPolicy> compiled = new HashMap<>();
        endpoints.forEach((slot, pod) -> compiled.put(slot, compile(pod, audit.test(pod))));
        return compiled;
    }

    /**
     * Compiles one endpoint.
     *
     * @throws IllegalArgumentException when the pod has no identity in the snapshot
     */
    public EndpointPolicy compile(Pod pod, boolean audit) {
        Integer identity = cluster.podIdentity().get(pod.key());
        if (identity == null) {
            throw new IllegalArgumentException("pod " + pod.key() + " has no identity");
        }
        ResultKey key = new ResultKey(identity, pod.ports(), audit);
        EndpointPolicy cached = results.get(key);
        if (cached == null) {
            cached = new EndpointPolicy(identity, direction(pod, identity, PolicyType.INGRESS, audit),
                    direction(pod, identity, PolicyType.EGRESS, audit));
            results.put(key, cached);
        }
        return cached;
    }

    private DirectionPolicy direction(Pod pod, int identity, PolicyType type, boolean audit) {
        SecurityLabels labels = cluster.identities().get(identity);
        Map<String, String> podLabels = labels == null ? pod.labels() : labels.podLabels();
        Map<Integer, PolicyRow> rows = new HashMap<>();
        boolean enforced = false;
        for (int policyId : policiesByNamespace.getOrDefault(pod.namespace(), List.of())) {
            NetworkPolicy policy = cluster.policies().get(policyId);
            if (!policy.isolates(type) || !policy.podSelector().matches(podLabels)) {
                continue;
            }
            enforced = true;
            for (NetworkPolicyRule rule : type == PolicyType.INGRESS ? policy.ingress() : policy.egress()) {
                if (type == PolicyType.INGRESS) {
                    addIngressRule(rows, rule, policy.namespace(), pod, policyId);
                } else {
                    addEgressRule(rows, rule, policy.namespace(), policyId);
                }
            }
        }
        if (!enforced) {
            return DirectionPolicy.OPEN;
        }
        PolicyRow wildcard = rows.get(ReservedIdentity.UNKNOWN);
        if (wildcard != null) {
            rows.replaceAll((peer, row) -> peer == ReservedIdentity.UNKNOWN ? row : row.union(wildcard));
        }
        return new DirectionPolicy(true, audit, rows);
    }

    private void addIngressRule(Map<Integer, PolicyRow> rows, NetworkPolicyRule rule, String namespace, Pod destination, int policyId) {
        PolicyRow row = numericPorts(rule, policyId);
        for (NetworkPolicyPort port : rule.ports()) {
            if (port.named()) {
                row = union(row, PolicyRow.ports(port.protocol(), PortRanges.ofPorts(destination.resolve(port.portName(), port.protocol())), policyId));
            }
        }
        if (row == null || row.allowsNothing()) {
            return; // only named ports this pod does not declare: the rule allows nothing here
        }
        for (int peer : peers(rule, namespace)) {
            rows.merge(peer, row, PolicyRow::union);
        }
    }

    private void addEgressRule(Map<Integer, PolicyRow> rows, NetworkPolicyRule rule, String namespace, int policyId) {
        int[] peers = peers(rule, namespace);
        PolicyRow numeric = numericPorts(rule, policyId);
        if (numeric != null && !numeric.allowsNothing()) {
            for (int peer : peers) {
                rows.merge(peer, numeric, PolicyRow::union);
            }
        }
        int[] named = rule.peers().isEmpty() ? podIdentities : peers;
        for (NetworkPolicyPort port : rule.ports()) {
            if (!port.named()) {
                continue;
            }
            for (int peer : named) {
                PortRanges resolved = PortRanges.NONE;
                for (Pod pod : podsByIdentity.getOrDefault(peer, List.of())) {
                    resolved = resolved.union(PortRanges.ofPorts(pod.resolve(port.portName(), port.protocol())));
                }
                if (!resolved.isEmpty()) {
                    rows.merge(peer, PolicyRow.ports(port.protocol(), resolved, policyId), PolicyRow::union);
                }
            }
        }
    }

    /** Returns: the row of a rule's numeric ports (every port when it lists none), or null when it lists only names. */
    private static PolicyRow numericPorts(NetworkPolicyRule rule, int policyId) {
        if (rule.ports().isEmpty()) {
            return PolicyRow.any(policyId);
        }
        PolicyRow row = null;
        for (NetworkPolicyPort port : rule.ports()) {
            if (port.named()) {
                continue;
            }
            PortRanges ranges = port.port() == 0 ? PortRanges.ALL : PortRanges.of(port.port(), port.lastPort());
            row = union(row, PolicyRow.ports(port.protocol(), ranges, policyId));
        }
        return row;
    }

    private static PolicyRow union(PolicyRow a, PolicyRow b) {
        return a == null ? b : a.union(b);
    }

    /** Returns: the identities a rule's peers select; {0} (every peer) when it lists none. */
    private int[] peers(NetworkPolicyRule rule, String namespace) {
        if (rule.peers().isEmpty()) {
            return new int[] {ReservedIdentity.UNKNOWN};
        }
        if (rule.peers().size() == 1) {
            return select(rule.peers().get(0), namespace);
        }
        return rule.peers().stream()
                .flatMapToInt(peer -> java.util.Arrays.stream(select(peer, namespace)))
                .distinct().toArray();
    }

    private int[] select(NetworkPolicyPeer peer, String namespace) {
        PeerKey key = new PeerKey(peer, peer instanceof NetworkPolicyPeer.Pods pods && pods.namespaceSelector().isEmpty() ? namespace : "");
        int[] selected = selections.get(key);
        if (selected == null) {
            selected = switch (peer) {
                case NetworkPolicyPeer.Pods pods -> selectPods(pods, namespace);
                case NetworkPolicyPeer.IpBlock block -> selectBlock(block);
            };
            selections.put(key, selected);
        }
        return selected;
    }

    private int[] selectPods(NetworkPolicyPeer.Pods peer, String policyNamespace) {
        List<Integer> selected = new ArrayList<>();
        for (int id : podIdentities) {
            SecurityLabels labels = cluster.identities().get(id);
            boolean namespaceMatches = peer.namespaceSelector()
                    .map(selector -> selector.matches(namespaceLabels(labels)))
                    .orElse(labels.namespace().equals(policyNamespace));
            if (namespaceMatches && peer.podSelector().matches(labels.podLabels())) {
                selected.add(id);
            }
        }
        return selected.stream().mapToInt(Integer::intValue).toArray();
    }

    /** Returns: the namespace labels of an identity, with the name label even for a namespace not seen yet. */
    private Map<String, String> namespaceLabels(SecurityLabels labels) {
        Namespace current = cluster.namespaces().get(labels.namespace());
        return current != null ? current.labels() : Namespace.of(labels.namespace(), labels.namespaceLabels()).labels();
    }

    private int[] selectBlock(NetworkPolicyPeer.IpBlock block) {
        List<Integer> selected = new ArrayList<>();
        if (block.cidr().prefixLength() == 0) {
            selected.add(ReservedIdentity.WORLD);
            selected.add(block.cidr().ipv4() ? ReservedIdentity.WORLD_IPV4 : ReservedIdentity.WORLD_IPV6);
        }
        cluster.cidrs().entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e -> {
            Cidr prefix = e.getValue();
            if (block.cidr().contains(prefix) && block.except().stream().noneMatch(x -> x.contains(prefix))) {
                selected.add(e.getKey());
            }
        });
        return selected.stream().mapToInt(Integer::intValue).toArray();
    }

    /** A peer selection depends on the peer and, without a namespace selector, on the policy's namespace. */
    private record PeerKey(NetworkPolicyPeer peer, String namespace) {
    }

    /** Endpoints compile alike when identity (labels and namespace), container ports and audit mode agree. */
    private record ResultKey(int identity, List<?> ports, boolean audit) {
    }
}
