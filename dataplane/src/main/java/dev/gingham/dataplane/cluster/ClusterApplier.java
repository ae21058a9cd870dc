package dev.gingham.dataplane.cluster;

import dev.gingham.dataplane.config.NodeConfig;
import dev.gingham.dataplane.k8s.ManifestException;
import dev.gingham.dataplane.k8s.ManifestObject;
import dev.gingham.dataplane.k8s.Namespace;
import dev.gingham.dataplane.k8s.NetworkPolicy;
import dev.gingham.dataplane.k8s.Pod;
import dev.gingham.dataplane.policy.PolicyEngine;
import dev.gingham.encap.IpCache;
import dev.gingham.encap.NodeRoutes;
import dev.gingham.maps.MapErrors;
import dev.gingham.nat.IpAddress;
import dev.gingham.nat.lb.ServiceSpec;
import dev.gingham.nat.lb.ServiceTable;
import dev.gingham.nat.snat.EgressGateway;
import dev.gingham.nat.snat.EgressPolicy;
import dev.gingham.nat.snat.SnatTable;
import dev.gingham.packet.Cidr;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.ToIntFunction;

/**
 * Makes the data path's maps say what a new {@link ManifestSet} says, against what the previous
 * one said: services into the {@link ServiceTable} (changed ones upserted, removed ones deleted),
 * other nodes into {@link NodeRoutes}, every pod's address with its identity (and, for pods on
 * other nodes, its tunnel endpoint) into the {@link IpCache}, egress gateway policies into the
 * {@link EgressGateway} (their egress IPs get NAT port pools in the {@link SnatTable}), namespaces,
 * pods with their endpoint slots and NetworkPolicies into the {@link PolicyEngine}; then tells the
 * {@link LocalPodListener} which pods of this node came, changed and went. Runs on the control
 * thread, the only writer of those maps.
 *
 * <h2>Atomic apply</h2>
 * Everything that can be known before writing is checked before the first write: the set itself
 * (built only when valid), every translation against the node configuration, the service batch
 * with {@link ServiceTable#checkBatch} (validation, frontend ownership, capacity), node, endpoint,
 * NAT-address and ipcache counts against the configured sizes. Any problem throws
 * {@link ManifestException} naming file, object and field, and nothing was written: the previous
 * state stays in force.
 *
 * <p>Then the writes, each of which is all-or-nothing on its own, in this order: NAT port pools
 * for new egress IPs (never removed; they cost a few bitmaps), the egress gateway (one swap), the
 * policy engine (one publication), service deletes then upserts (ordered so a frontend moving
 * between services is released before it is taken), node removals then upserts, pod ipcache
 * entries. Every successful write pushes its inverse on an undo log. Should a write still fail
 * (a map filled by something outside this apply, such as the ipcache's retired entries before a
 * reclaim, or a bug), the undo log is replayed newest first, restoring the previous services,
 * routes, ipcache entries, policy and egress policies, and {@link IllegalStateException} says what
 * failed and whatever could not be restored. In that window workers may have seen part of the new
 * state for the duration of the writes; they never see a half-written entry.
 *
 * <p>The listener is told last, removals first, and its failures do not undo the maps (they are
 * reported, and the pod is offered again on the next apply).
 */
public final class ClusterApplier {
    /**
     * The maps and engines the applier writes. A null target is not written (tests and replay that
     * wire only part of a node).
     */
    public record Targets(ServiceTable services, NodeRoutes nodeRoutes, IpCache ipCache, EgressGateway egressGateway,
                          SnatTable snat, PolicyEngine policy) {
        /** Returns: no targets (translation and listener only). */
        public static Targets none() {
            return new Targets(null, null, null, null, null, null);
        }
    }

    /** What the policy engine was given, to skip an unchanged one and to restore it. */
    private record PolicyInputs(List<Namespace> namespaces, List<Pod> pods, Map<String, Integer> slots,
                                List<NetworkPolicy> policies) {
        static final PolicyInputs EMPTY = new PolicyInputs(List.of(), List.of(), Map.of(), List.of());
    }

    /** One pod address in the ipcache. */
    private record PodEntry(int identity, int tunnelEndpoint, int nodeId, int flags) {
    }

    private final NodeConfig config;
    private final Targets targets;
    private final LocalPodListener listener;

    private ManifestSet current = ManifestSet.empty();
    private Map<String, ServiceSpec> specs = Map.of();
    private Map<String, NodeRoute> routes = Map.of();
    private StableIds nodeIds = StableIds.range(1, NodeRoutes.MAX_NODE_ID);
    private StableIds slots;
    private List<EgressPolicy> egress = List.of();
    private Set<IpAddress> natAddresses = Set.of();
    private PolicyInputs policyInputs = PolicyInputs.EMPTY;
    private Map<Cidr, PodEntry> podEntries = Map.of();
    private Map<String, LocalPod> attached = new LinkedHashMap<>();
    private Map<String, LocalPod> locals = Map.of();
    /** Until the first apply commits: the endpoint slot a pinned endpoint map gave each address, or null. */
    private ToIntFunction<IpAddress> restoredSlots;

    /**
     * @param listener told about local pods; use {@link InMemoryPodListener} where no interfaces are made
     */
    public ClusterApplier(NodeConfig config, Targets targets, LocalPodListener listener) {
        this.config = config;
        this.targets = targets;
        this.listener = listener;
        this.slots = StableIds.range(0, config.maps().endpoints() - 1);
        if (targets.policy() != null) {
            boolean audit = config.policyAuditMode();
            targets.policy().auditMode(pod -> audit);
        }
    }

    /**
     * Applies {@code next} against the state the previous apply left.
     *
     * @return what changed
     * @throws ManifestException when {@code next} contradicts the node configuration or does not
     *         fit the maps; nothing was written
     * @throws IllegalStateException when a write failed after the checks; what was written was
     *         undone where possible, and the message says what was not
     */
    public ApplyReport apply(ManifestSet next) {
        // ---- translate and check: no writes -------------------------------------------------------
        ServiceTranslator.Translation services = ServiceTranslator.translate(next, config);
        NodeTranslator.Translation nodes = NodeTranslator.translate(next, config, nodeIds);
        LocalPods.Selection local = LocalPods.select(next, config, slots);
        if (restoredSlots != null) {
            local = LocalPods.select(next, config, restoredSlots(local.pods()));
        }
        EgressTranslator.Translation egressTranslation = EgressTranslator.translate(next, config);

        Map<String, ServiceSpec> nextSpecs = new LinkedHashMap<>();
        services.specs().forEach(s -> nextSpecs.put(s.id(), s));
        List<ServiceSpec> upserts = new ArrayList<>();
        for (ServiceSpec spec : services.specs()) {
            if (!spec.equals(specs.get(spec.id()))) {
                upserts.add(spec);
            }
        }
        List<String> deletes = specs.keySet().stream().filter(id -> !nextSpecs.containsKey(id)).toList();
        if (targets.services() != null) {
            upserts = checkServices(upserts, deletes, services, next);
        }

        Map<String, NodeRoute> nextRoutes = new LinkedHashMap<>();
        nodes.routes().forEach(r -> nextRoutes.put(r.name(), r));
        Map<String, Integer> slotByPod = new HashMap<>();
        local.pods().forEach(p -> slotByPod.put(p.key(), p.slot()));
        PolicyInputs nextPolicy = new PolicyInputs(next.namespaces(), next.pods(), Map.copyOf(slotByPod), next.networkPolicies());
        if (targets.ipCache() != null) {
            long addresses = next.pods().stream().mapToLong(p -> p.ips().size()).sum()
                    + nodes.routes().stream().mapToLong(r -> r.podCidrs().size()).sum();
            if (addresses > config.maps().ipcacheEntries()) {
                Findings findings = new Findings();
                findings.error(next.origin(), addresses + " pod addresses and node pod CIDRs exceed maps.ipcacheEntries "
                        + config.maps().ipcacheEntries() + " of the node configuration");
                findings.throwIfAny();
            }
        }

        // ---- write, with an undo log ----------------------------------------------------------------
        Deque<Runnable> undo = new ArrayDeque<>();
        int nodesUpserted = 0;
        int nodesRemoved = 0;
        Map<Cidr, PodEntry> nextEntries = podEntries;
        Set<IpAddress> nextNat = new HashSet<>(natAddresses);
        try {
            if (targets.snat() != null) {
                for (IpAddress ip : egressTranslation.egressIps()) {
                    if (nextNat.add(ip) && targets.snat().addNatAddress(ip.hi(), ip.lo()) != MapErrors.OK) {
                        throw new IllegalStateException("SNAT port pools: no room for egress IP " + ip + " (masquerade.maxNatAddresses)");
                    }
                }
            }
            if (targets.egressGateway() != null && !egressTranslation.policies().equals(egress)) {
                List<EgressPolicy> previous = egress;
                targets.egressGateway().apply(egressTranslation.policies());
                undo.push(() -> targets.egressGateway().apply(previous));
            }
            if (targets.policy() != null && !nextPolicy.equals(policyInputs)) {
                PolicyInputs previous = policyInputs;
                replacePolicy(nextPolicy);
                undo.push(() -> replacePolicy(previous));
            }
            if (targets.services() != null) {
                ServiceTable table = targets.services();
                for (String id : deletes) {
                    ServiceSpec old = specs.get(id);
                    table.delete(old.namespace(), old.name());
                    undo.push(() -> table.upsert(old));
                }
                for (ServiceSpec spec : upserts) {
                    ServiceSpec old = specs.get(spec.id());
                    table.upsert(spec);
                    undo.push(() -> {
                        if (old == null) {
                            table.delete(spec.namespace(), spec.name());
                        } else {
                            table.upsert(old);
                        }
                    });
                }
            }
            if (targets.nodeRoutes() != null) {
                NodeRoutes nodeRoutes = targets.nodeRoutes();
                for (NodeRoute old : routes.values()) {
                    if (!nextRoutes.containsKey(old.name())) {
                        nodeRoutes.removeNode(old.nodeId());
                        undo.push(() -> upsertNode(old));
                        nodesRemoved++;
                    }
                }
                for (NodeRoute route : nextRoutes.values()) {
                    NodeRoute old = routes.get(route.name());
                    if (route.equals(old)) {
                        continue;
                    }
                    undo.push(() -> {
                        if (old == null) {
                            nodeRoutes.removeNode(route.nodeId());
                        } else {
                            upsertNode(old);
                        }
                    });
                    upsertNode(route);
                    nodesUpserted++;
                }
            }
            nextEntries = podEntries(next, nextRoutes);
            if (targets.ipCache() != null) {
                writePodEntries(nextEntries, undo);
            }
        } catch (RuntimeException failure) {
            List<String> notRestored = new ArrayList<>();
            while (!undo.isEmpty()) {
                try {
                    undo.pop().run();
                } catch (RuntimeException e) {
                    notRestored.add(e.getMessage());
                }
            }
            throw new IllegalStateException("manifests " + next.origin() + ": applying failed after the checks: "
                    + failure.getMessage() + "; " + (notRestored.isEmpty() ? "the previous state was restored"
                    : "could not restore: " + String.join("; ", notRestored)), failure);
        }

        // ---- commit ---------------------------------------------------------------------------------
        current = next;
        specs = Map.copyOf(nextSpecs);
        routes = Map.copyOf(nextRoutes);
        nodeIds = nodes.ids();
        slots = local.slots();
        restoredSlots = null;
        egress = egressTranslation.policies();
        natAddresses = Set.copyOf(nextNat);
        if (targets.policy() != null) {
            policyInputs = nextPolicy;
        }
        podEntries = Map.copyOf(nextEntries);
        Map<String, LocalPod> nextLocals = new LinkedHashMap<>();
        for (LocalPod pod : local.pods()) {
            nextLocals.put(pod.key(), pod.withIdentity(identity(pod.key())));
        }
        locals = java.util.Collections.unmodifiableMap(nextLocals);

        // ---- tell the daemon about local pods ------------------------------------------------------
        List<String> failures = new ArrayList<>();
        int[] counts = notifyListener(failures);
        List<String> warnings = new ArrayList<>(next.warnings());
        warnings.addAll(services.warnings());
        warnings.addAll(egressTranslation.warnings());
        return new ApplyReport(upserts.size(), deletes.size(), nodesUpserted, nodesRemoved, counts[0], counts[1], counts[2],
                warnings, failures);
    }

    /**
     * Makes the first apply give each local pod the endpoint slot its address had before a restart
     * ({@code slotOfAddress}: the slot, or -1 when the address is unknown), so the pod keeps its
     * port, policy slot and endpoint-map entries; pods without one get the free slots. Call before
     * the first {@link #apply}.
     */
    public void restoreSlots(ToIntFunction<IpAddress> slotOfAddress) {
        if (!current.objects().isEmpty()) {
            throw new IllegalStateException("slots can only be restored before the first apply");
        }
        this.restoredSlots = slotOfAddress;
    }

    /** Returns: slots for {@code pods} as the restored addresses say (first address that has a free one wins). */
    private StableIds restoredSlots(List<LocalPod> pods) {
        int max = config.maps().endpoints() - 1;
        Map<String, Integer> kept = new HashMap<>();
        Set<Integer> taken = new HashSet<>();
        for (LocalPod pod : pods) {
            for (IpAddress ip : pod.pod().ips()) {
                int slot = restoredSlots.applyAsInt(ip);
                if (slot >= 0 && slot <= max && taken.add(slot)) {
                    kept.put(pod.key(), slot);
                    break;
                }
            }
        }
        return StableIds.restored(0, max, kept);
    }

    /** Runs {@link ServiceTable#checkBatch}, turning its refusals into problems of the Service they are about. */
    private List<ServiceSpec> checkServices(List<ServiceSpec> upserts, List<String> deletes,
                                            ServiceTranslator.Translation services, ManifestSet next) {
        try {
            return targets.services().checkBatch(upserts, deletes);
        } catch (IllegalArgumentException e) {
            for (Map.Entry<String, ManifestObject> origin : services.origins().entrySet()) {
                String prefix = "service " + origin.getKey() + ": ";
                if (e.getMessage().startsWith(prefix)) {
                    ManifestObject object = origin.getValue();
                    throw new ManifestException(new ManifestException.Problem(object.source(), object.ref().toString(), "",
                            e.getMessage().substring(prefix.length())));
                }
            }
            throw new ManifestException(new ManifestException.Problem(new ManifestObject.Source(next.origin(), 0, 0), "", "",
                    e.getMessage()));
        } catch (IllegalStateException e) {
            throw new ManifestException(new ManifestException.Problem(new ManifestObject.Source(next.origin(), 0, 0), "", "",
                    e.getMessage() + " (raise the services capacities in the node configuration)"));
        }
    }

    private void replacePolicy(PolicyInputs inputs) {
        targets.policy().replaceAll(inputs.namespaces(), inputs.pods(), inputs.slots(), inputs.policies());
    }

    private void upsertNode(NodeRoute route) {
        int rc = targets.nodeRoutes().upsertNode(route.nodeId(), route.underlayAddress().v4(), route.nextHopMac(), route.vtepMac(),
                route.podCidrs());
        if (rc != MapErrors.OK) {
            throw new IllegalStateException("routes of node " + route.name() + ": " + MapErrors.name(rc)
                    + " (ipcache or tunnel peers full: raise maps.ipcacheEntries or maps.nodes)");
        }
    }

    private int identity(String podKey) {
        return targets.policy() == null ? 0 : targets.policy().identityOf(podKey);
    }

    /** Every pod address as an ipcache prefix: its identity and, for pods on other known nodes, their tunnel. */
    private Map<Cidr, PodEntry> podEntries(ManifestSet next, Map<String, NodeRoute> nextRoutes) {
        Map<Cidr, PodEntry> entries = new LinkedHashMap<>();
        for (Pod pod : next.pods()) {
            NodeRoute route = nextRoutes.get(pod.nodeName());
            PodEntry entry = route == null
                    ? new PodEntry(identity(pod.key()), 0, 0, 0)
                    : new PodEntry(identity(pod.key()), route.underlayAddress().v4(), route.nodeId(), IpCache.FLAG_TUNNEL);
            for (IpAddress ip : pod.ips()) {
                entries.put(new Cidr(ip.ipv4(), ip.hi(), ip.lo(), ip.ipv4() ? 32 : 128), entry);
            }
        }
        return entries;
    }

    private void writePodEntries(Map<Cidr, PodEntry> next, Deque<Runnable> undo) {
        IpCache ipCache = targets.ipCache();
        for (Map.Entry<Cidr, PodEntry> old : podEntries.entrySet()) {
            if (!next.containsKey(old.getKey())) {
                ipCache.remove(old.getKey());
                undo.push(() -> upsertEntry(old.getKey(), old.getValue()));
            }
        }
        for (Map.Entry<Cidr, PodEntry> entry : next.entrySet()) {
            PodEntry old = podEntries.get(entry.getKey());
            if (entry.getValue().equals(old)) {
                continue;
            }
            undo.push(() -> {
                if (old == null) {
                    ipCache.remove(entry.getKey());
                } else {
                    upsertEntry(entry.getKey(), old);
                }
            });
            upsertEntry(entry.getKey(), entry.getValue());
        }
    }

    private void upsertEntry(Cidr prefix, PodEntry entry) {
        int rc = targets.ipCache().upsert(prefix, entry.identity(), entry.tunnelEndpoint(), entry.nodeId(), entry.flags());
        if (rc != MapErrors.OK) {
            throw new IllegalStateException("ipcache entry " + prefix + ": " + MapErrors.name(rc) + " (raise maps.ipcacheEntries)");
        }
    }

    /** Returns: {added, changed, removed}. */
    private int[] notifyListener(List<String> failures) {
        int[] counts = new int[3];
        for (LocalPod before : List.copyOf(attached.values())) {
            if (!locals.containsKey(before.key())) {
                attached.remove(before.key());
                counts[2]++;
                call(failures, before.key(), "podRemoved", () -> listener.podRemoved(before));
            }
        }
        for (LocalPod pod : locals.values()) {
            LocalPod before = attached.get(pod.key());
            if (pod.equals(before)) {
                continue;
            }
            boolean ok;
            if (before == null) {
                counts[0]++;
                ok = call(failures, pod.key(), "podAdded", () -> listener.podAdded(pod));
            } else {
                counts[1]++;
                ok = call(failures, pod.key(), "podChanged", () -> listener.podChanged(before, pod));
            }
            if (ok) {
                attached.put(pod.key(), pod);
            } else {
                attached.remove(pod.key());
            }
        }
        return counts;
    }

    private static boolean call(List<String> failures, String key, String what, Runnable call) {
        try {
            call.run();
            return true;
        } catch (RuntimeException e) {
            failures.add(key + ": " + what + ": " + e.getMessage());
            return false;
        }
    }

    // ---- reads (control thread) -------------------------------------------------------------------

    /** Returns: the set the maps say now (the empty set before the first apply). */
    public ManifestSet current() {
        return current;
    }

    /** Returns: this node's pods by "namespace/name", with slots, MACs and identities. */
    public Map<String, LocalPod> localPods() {
        return locals;
    }

    /** Returns: the service specs installed, by id. */
    public Map<String, ServiceSpec> serviceSpecs() {
        return specs;
    }

    /** Returns: the routes installed, by node name. */
    public Map<String, NodeRoute> nodeRoutes() {
        return routes;
    }

    /** Returns: the egress gateway policies in force. */
    public List<EgressPolicy> egressPolicies() {
        return egress;
    }
}
