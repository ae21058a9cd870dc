package dev.gingham.dataplane.policy;

import dev.gingham.dataplane.identity.CidrIdentityAllocator;
import dev.gingham.dataplane.identity.IdentityAllocator;
import dev.gingham.dataplane.identity.SecurityLabels;
import dev.gingham.dataplane.k8s.Namespace;
import dev.gingham.dataplane.k8s.NetworkPolicy;
import dev.gingham.dataplane.k8s.NetworkPolicyPeer;
import dev.gingham.dataplane.k8s.NetworkPolicyRule;
import dev.gingham.dataplane.k8s.Pod;
import dev.gingham.packet.Cidr;
import dev.gingham.nat.IpAddress;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Predicate;

/**
 * Keeps the published policy in step with the cluster: the control agent tells it about
 * namespaces, pods (and which of them are local, in which endpoint slot) and policies; every
 * change allocates the identities the new state needs, compiles, publishes, and only then lets go
 * of what the old state held.
 *
 * <p>A change is all or nothing. If an identity range, the ipcache or the policy maps run out, the
 * change throws, every identity it took is given back, and the previous policy stays published
 * and in force. Identities stay stable across changes: an unchanged label set keeps its number
 * (its reference never drops to zero during the swap); a pod whose labels change gets the number
 * of its new label set, and every endpoint's rows are recompiled, so peers that selected the old
 * labels stop matching it at the same instant as peers that select the new ones start.
 *
 * <p>Control plane only; synchronized (the flow reader resolves names through it from another thread).
 */
public final class PolicyEngine {
    private final IdentityAllocator identities;
    private final CidrIdentityAllocator cidrs;
    private final PolicyPublisher publisher;

    private Map<String, Namespace> namespaces = Map.of();
    private Map<String, Pod> pods = Map.of();
    private Map<String, Integer> slots = Map.of();
    private Map<String, NetworkPolicy> policies = Map.of();
    private Predicate<Pod> audit = pod -> false;

    private Map<String, Integer> podIdentity = Map.of();
    private List<Integer> podIdentityHeld = List.of();
    private List<Cidr> heldPrefixes = List.of();
    private Map<IpAddress, String> podsByAddress = Map.of();
    private final Map<String, Integer> policyIds = new HashMap<>();
    private final Map<Integer, String> policyKeys = new HashMap<>();
    private int nextPolicyId = 1;
    private Map<Integer, EndpointPolicy> compiled = Map.of();

    public PolicyEngine(IdentityAllocator identities, CidrIdentityAllocator cidrs, PolicyPublisher publisher) {
        this.identities = identities;
        this.cidrs = cidrs;
        this.publisher = publisher;
    }

    public synchronized void upsertNamespace(Namespace namespace) {
        Map<String, Namespace> next = new HashMap<>(namespaces);
        next.put(namespace.name(), namespace);
        apply(next, pods, slots, policies, audit);
    }

    /**
     * Adds or replaces a pod.
     *
     * @param slot the local endpoint slot, or -1 for a pod on another node
     */
    public synchronized void upsertPod(Pod pod, int slot) {
        Map<String, Pod> nextPods = new HashMap<>(pods);
        nextPods.put(pod.key(), pod);
        Map<String, Integer> nextSlots = new HashMap<>(slots);
        nextSlots.remove(pod.key());
        if (slot >= 0) {
            if (nextSlots.containsValue(slot)) {
                throw new IllegalArgumentException("endpoint slot " + slot + " is already used by another pod");
            }
            nextSlots.put(pod.key(), slot);
        }
        apply(namespaces, nextPods, nextSlots, policies, audit);
    }

    public synchronized void deletePod(String namespace, String name) {
        String key = namespace + "/" + name;
        Map<String, Pod> nextPods = new HashMap<>(pods);
        Map<String, Integer> nextSlots = new HashMap<>(slots);
        nextPods.remove(key);
        nextSlots.remove(key);
        apply(namespaces, nextPods, nextSlots, policies, audit);
    }

    /** Replaces the whole set of policies (a manifests directory read anew). */
    public synchronized void replacePolicies(Collection<NetworkPolicy> all) {
        Map<String, NetworkPolicy> next = new HashMap<>();
        for (NetworkPolicy policy : all) {
            if (next.put(policy.key(), policy) != null) {
                throw new IllegalArgumentException("policy " + policy.key() + " is given twice");
            }
        }
        apply(namespaces, pods, slots, next, audit);
    }

    /**
     * Replaces namespaces, pods, local slots and policies in one change: one compile and one
     * publication, so workers see the old cluster or the new one, never a mix (a manifests
     * directory read anew). All or nothing, like every change.
     *
     * @param slots local endpoint slot by pod key ("namespace/name"); pods without one are on other nodes
     * @throws IllegalArgumentException for a name given twice or a slot used twice (nothing changed)
     */
    public synchronized void replaceAll(Collection<Namespace> allNamespaces, Collection<Pod> allPods,
                                        Map<String, Integer> slots, Collection<NetworkPolicy> allPolicies) {
        Map<String, Namespace> nextNamespaces = new HashMap<>();
        for (Namespace namespace : allNamespaces) {
            if (nextNamespaces.put(namespace.name(), namespace) != null) {
                throw new IllegalArgumentException("namespace " + namespace.name() + " is given twice");
            }
        }
        Map<String, Pod> nextPods = new HashMap<>();
        for (Pod pod : allPods) {
            if (nextPods.put(pod.key(), pod) != null) {
                throw new IllegalArgumentException("pod " + pod.key() + " is given twice");
            }
        }
        Map<String, Integer> nextSlots = new HashMap<>();
        Map<Integer, String> bySlot = new HashMap<>();
        slots.forEach((key, slot) -> {
            if (!nextPods.containsKey(key)) {
                throw new IllegalArgumentException("endpoint slot " + slot + " names pod " + key + ", which is not given");
            }
            String other = bySlot.put(slot, key);
            if (other != null) {
                throw new IllegalArgumentException("endpoint slot " + slot + " is given to both " + other + " and " + key);
            }
            nextSlots.put(key, slot);
        });
        Map<String, NetworkPolicy> nextPolicies = new HashMap<>();
        for (NetworkPolicy policy : allPolicies) {
            if (nextPolicies.put(policy.key(), policy) != null) {
                throw new IllegalArgumentException("policy " + policy.key() + " is given twice");
            }
        }
        apply(nextNamespaces, nextPods, nextSlots, nextPolicies, audit);
    }

    public synchronized void upsertPolicy(NetworkPolicy policy) {
        Map<String, NetworkPolicy> next = new HashMap<>(policies);
        next.put(policy.key(), policy);
        apply(namespaces, pods, slots, next, audit);
    }

    public synchronized void deletePolicy(String namespace, String name) {
        Map<String, NetworkPolicy> next = new HashMap<>(policies);
        next.remove(namespace + "/" + name);
        apply(namespaces, pods, slots, next, audit);
    }

    /** Sets which local pods run their policy in audit mode (would-deny passes and is reported). */
    public synchronized void auditMode(Predicate<Pod> inAudit) {
        apply(namespaces, pods, slots, policies, Objects.requireNonNull(inAudit));
    }

    private void apply(Map<String, Namespace> nextNamespaces, Map<String, Pod> nextPods, Map<String, Integer> nextSlots,
                       Map<String, NetworkPolicy> nextPolicies, Predicate<Pod> nextAudit) {
        List<Integer> takenIds = new ArrayList<>();
        List<Cidr> takenPrefixes = new ArrayList<>();
        Map<String, Integer> newIds = new HashMap<>();
        try {
            Map<String, Integer> nextIdentity = new HashMap<>();
            Map<Integer, SecurityLabels> usedIdentities = new HashMap<>();
            for (Pod pod : nextPods.values()) {
                Namespace namespace = nextNamespaces.getOrDefault(pod.namespace(), Namespace.of(pod.namespace(), Map.of()));
                SecurityLabels labels = SecurityLabels.of(pod, namespace);
                int id = identities.acquire(labels);
                takenIds.add(id);
                nextIdentity.put(pod.key(), id);
                usedIdentities.put(id, labels);
            }
            Map<Integer, Cidr> usedPrefixes = new HashMap<>();
            Map<Integer, NetworkPolicy> byId = new HashMap<>();
            for (NetworkPolicy policy : nextPolicies.values()) {
                for (Cidr prefix : prefixes(policy)) {
                    int id = cidrs.acquire(prefix);
                    takenPrefixes.add(prefix);
                    usedPrefixes.put(id, prefix);
                }
                Integer id = policyIds.get(policy.key());
                if (id == null) {
                    id = nextPolicyId + newIds.size();
                    newIds.put(policy.key(), id);
                }
                byId.put(id, policy);
            }
            ClusterSnapshot snapshot = new ClusterSnapshot(nextNamespaces, nextPods, nextIdentity, usedIdentities, usedPrefixes, byId);
            Map<Integer, Pod> locals = new HashMap<>();
            nextSlots.forEach((key, slot) -> locals.put(slot, nextPods.get(key)));
            Map<Integer, EndpointPolicy> nextCompiled = new PolicyCompiler(snapshot).compileAll(locals, nextAudit);
            publisher.publish(nextCompiled);
            compiled = Map.copyOf(nextCompiled);
            podIdentity = Map.copyOf(nextIdentity);
        } catch (RuntimeException failure) {
            takenIds.forEach(identities::release);
            takenPrefixes.forEach(cidrs::release);
            throw failure;
        }
        // Published: let go of what the previous state held.
        for (int id : podIdentityHeld) {
            identities.release(id);
        }
        heldPrefixes.forEach(cidrs::release);
        podIdentityHeld = List.copyOf(takenIds);
        heldPrefixes = List.copyOf(takenPrefixes);
        newIds.forEach((key, id) -> {
            policyIds.put(key, id);
            policyKeys.put(id, key);
        });
        nextPolicyId += newIds.size();
        policyIds.keySet().retainAll(nextPolicies.keySet());
        policyKeys.values().retainAll(nextPolicies.keySet());
        namespaces = Map.copyOf(nextNamespaces);
        pods = Map.copyOf(nextPods);
        Map<IpAddress, String> addresses = new HashMap<>();
        nextPods.values().forEach(pod -> pod.ips().forEach(ip -> addresses.put(ip, pod.key())));
        podsByAddress = Map.copyOf(addresses);
        slots = Map.copyOf(nextSlots);
        policies = Map.copyOf(nextPolicies);
        audit = nextAudit;
    }

    /** Returns: every prefix a policy's ipBlocks name (cidr and excepts), each holding a CIDR identity. */
    private static List<Cidr> prefixes(NetworkPolicy policy) {
        List<Cidr> prefixes = new ArrayList<>();
        for (List<NetworkPolicyRule> rules : List.of(policy.ingress(), policy.egress())) {
            for (NetworkPolicyRule rule : rules) {
                for (NetworkPolicyPeer peer : rule.peers()) {
                    if (peer instanceof NetworkPolicyPeer.IpBlock block) {
                        prefixes.add(block.cidr());
                        prefixes.addAll(block.except());
                    }
                }
            }
        }
        return prefixes;
    }

    // ---- reads ------------------------------------------------------------------------------------

    /** Returns: the identity of a pod ("namespace/name"), or 0 when unknown. */
    public synchronized int identityOf(String podKey) {
        return podIdentity.getOrDefault(podKey, 0);
    }

    /** Returns: the compiled policy of an endpoint slot, or null. */
    public synchronized EndpointPolicy compiled(int slot) {
        return compiled.get(slot);
    }

    /** Returns: "namespace/name" of a policy id, or "". */
    public synchronized String policyName(int policyId) {
        return policyKeys.getOrDefault(policyId, "");
    }

    /** Returns: the id flow events carry for a policy, or 0. */
    public synchronized int policyId(String namespace, String name) {
        return policyIds.getOrDefault(namespace + "/" + name, 0);
    }

    /** Returns: "namespace/name" of the pod with this address, or "". */
    public synchronized String podAt(long hi, long lo) {
        return podsByAddress.getOrDefault(new IpAddress(hi, lo), "");
    }

    public IdentityAllocator identities() {
        return identities;
    }

    public CidrIdentityAllocator cidrs() {
        return cidrs;
    }
}
