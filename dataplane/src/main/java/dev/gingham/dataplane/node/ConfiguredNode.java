package dev.gingham.dataplane.node;

import dev.gingham.dataplane.cluster.ApplyReport;
import dev.gingham.dataplane.cluster.ClusterApplier;
import dev.gingham.dataplane.cluster.LocalPod;
import dev.gingham.dataplane.cluster.LocalPodListener;
import dev.gingham.dataplane.cluster.ManifestSet;
import dev.gingham.dataplane.config.NodeConfig;
import dev.gingham.dataplane.program.PipelineConfig;
import dev.gingham.encap.EndpointMap;
import dev.gingham.encap.IpCache;
import dev.gingham.maps.MapErrors;
import dev.gingham.nat.IpAddress;
import dev.gingham.nat.lb.ServiceSpec;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Set;
import java.util.Map;

/**
 * A node built from its configuration file and a manifests directory, the way the daemon and
 * replay both build one: ports laid out, maps created ({@link NodeState}), the cluster state
 * applied ({@link ClusterApplier}: services, node routes, pod identities in the ipcache, policy,
 * egress gateway), and local pods entered in the endpoint map.
 *
 * <p>Port layout: a local pod's port is its endpoint slot (0 .. endpoints-1, stable across
 * reloads; also its policy slot), the underlay is port {@code endpoints}, the host port
 * {@code endpoints + 1}. Port names: {@code namespace/name} for pods, {@code underlay}, {@code host}.
 */
public final class ConfiguredNode implements AutoCloseable {
    /** The underlay MAC when neither the configuration nor an interface gives one (replay). */
    public static final long DEFAULT_UNDERLAY_MAC = 0x02_67_68_00_00_10L;
    /** The host interface's MAC when no host device gives one (replay). */
    public static final long DEFAULT_HOST_MAC = 0x02_67_68_00_00_02L;
    public static final String UNDERLAY = "underlay";
    public static final String HOST = "host";

    private final NodeConfig config;
    private final NodeState state;
    private final ClusterApplier applier;
    private final int underlayPort;
    private final int hostPort;
    private final String[] portNames;
    private final Map<String, Integer> portsByName = new HashMap<>();
    private ApplyReport initialReport;
    private String restoreSummary;
    private volatile Applied applied = new Applied(ManifestSet.empty(), Map.of(), Map.of());

    /**
     * What the maps say now, as immutable values for readers on other threads (the admin API):
     * the applier's own fields belong to the control thread, so after every apply (accepted or
     * rejected) the node publishes them here with one volatile store.
     *
     * @param manifests the manifest set in force
     * @param services  installed service specs by "namespace/name"
     * @param localPods this node's pods by "namespace/name" (slot, MAC, identity)
     */
    public record Applied(ManifestSet manifests, Map<String, ServiceSpec> services, Map<String, LocalPod> localPods) {
    }

    private ConfiguredNode(NodeConfig config, NodeState state, int underlayPort, int hostPort, LocalPodListener extra) {
        this.config = config;
        this.state = state;
        this.underlayPort = underlayPort;
        this.hostPort = hostPort;
        this.portNames = new String[hostPort + 1];
        portNames[underlayPort] = UNDERLAY;
        portNames[hostPort] = HOST;
        portsByName.put(UNDERLAY, underlayPort);
        portsByName.put(HOST, hostPort);
        this.applier = new ClusterApplier(config, new ClusterApplier.Targets(state.services(), state.nodeRoutes(),
                state.maps().ipCache(), state.maps().egressGateway(), state.maps().snat(), state.policy()),
                new Endpoints(extra));
    }

    /**
     * Builds the node and applies {@code manifests}.
     *
     * @param interfaceUnderlayMac the underlay interface's MAC, or 0 (replay: {@link #DEFAULT_UNDERLAY_MAC})
     * @param hostMac              the host interface's MAC, or 0 ({@link #DEFAULT_HOST_MAC})
     * @param pinned               pin the maps under the configuration's {@code pinDirectory}
     * @param hashSeed             hash seed of anonymous maps (fixed for reproducible replays)
     * @param listener             told about local pods after the endpoint map (the daemon creates TAPs), or null
     */
    public static ConfiguredNode create(NodeConfig config, ManifestSet manifests, long interfaceUnderlayMac, long hostMac,
                                        boolean pinned, long hashSeed, LocalPodListener listener) {
        return create(config, manifests, interfaceUnderlayMac, hostMac, pinned, hashSeed, listener, PinnedBoot.currentBootId());
    }

    /** {@link #create} on a boot with id {@code bootId} ({@link PinnedBoot}; tests pretend reboots with it). */
    static ConfiguredNode create(NodeConfig config, ManifestSet manifests, long interfaceUnderlayMac, long hostMac,
                                 boolean pinned, long hashSeed, LocalPodListener listener, String bootId) {
        NodeSizes sizes = new NodeSizes(config.maps().endpoints(), config.maps().ipcacheEntries(), config.maps().nodes(),
                config.maps().policyRows(), config.maps().policyPortSets(), config.flows().ringRecords(),
                config.maps().egressSources(), config.maps().egressRules());
        int underlayPort = sizes.maxEndpoints();
        int hostPort = underlayPort + 1;
        PipelineConfig pipeline = new PipelineConfig(
                config.tunnelConfig(underlayPort, interfaceUnderlayMac != 0 ? interfaceUnderlayMac : DEFAULT_UNDERLAY_MAC),
                config.snatConfig(), hostPort, hostMac != 0 ? hostMac : DEFAULT_HOST_MAC, config.underlay().nextHopMac(),
                config.nodeAddresses(), config.services().hairpinAddress());
        Path pins = pinned ? config.pinDirectory().orElse(null) : null;
        String discarded = pins == null ? null : PinnedBoot.prepare(pins, bootId, NodeState.PINNED_ENTRIES);
        NodeState state = NodeState.create(pipeline, config.lbConfig(), config.ctConfig(), sizes, config.workers(), pins, hashSeed);
        ConfiguredNode node = new ConfiguredNode(config, state, underlayPort, hostPort, listener);
        try {
            Map<IpAddress, Integer> restoredSlots = pins == null ? Map.of() : endpointSlots(state.maps().endpoints());
            if (!restoredSlots.isEmpty()) {
                node.applier.restoreSlots(ip -> restoredSlots.getOrDefault(ip, -1));
            }
            int restoredPrefixes = pins == null ? 0 : state.maps().ipCache().beginRestore();
            node.initialReport = node.apply(manifests);
            if (pins != null) {
                String restored = node.pruneRestored(restoredSlots, restoredPrefixes);
                node.restoreSummary = discarded == null ? restored : discarded + "; " + restored;
            }
        } catch (RuntimeException e) {
            node.close();
            throw e;
        }
        return node;
    }

    /** Returns: the slot of every pod address in a (pinned, reopened) endpoint map. */
    private static Map<IpAddress, Integer> endpointSlots(EndpointMap endpoints) {
        Map<IpAddress, Integer> slots = new HashMap<>();
        endpoints.forEachAddress((hi, lo, port) -> slots.put(new IpAddress(hi, lo), port));
        return slots;
    }

    /**
     * After the first apply over reopened pinned maps (Cilium's restore-then-sync): removes what
     * the manifests no longer have. Services nobody claimed ({@link dev.gingham.nat.lb.ServiceTable#pruneRestored}),
     * endpoint addresses and port MACs of pods that were deleted while the daemon was down (left in
     * place, an address would still be delivered to a port a newcomer may get), ipcache prefixes
     * the apply did not write again (deleted pods' addresses with their old identities, deleted
     * nodes' pod CIDR routes, CIDRs no policy names any more) and the tunnel peers of deleted nodes.
     *
     * @return what was kept and removed, for the start-up log
     */
    private String pruneRestored(Map<IpAddress, Integer> restoredSlots, int restoredPrefixes) {
        int services = state.services().pruneRestored();
        IpCache ipCache = state.maps().ipCache();
        int stalePrefixes = ipCache.pruneUnclaimed().size();
        ipCache.reclaim(); // no worker has run yet
        int stalePeers = state.nodeRoutes().pruneRestoredPeers();
        Set<IpAddress> addresses = new HashSet<>();
        Set<Integer> slots = new HashSet<>();
        applier.localPods().values().forEach(pod -> {
            addresses.addAll(pod.pod().ips());
            slots.add(pod.slot());
        });
        EndpointMap endpoints = state.maps().endpoints();
        int removed = 0;
        for (Map.Entry<IpAddress, Integer> e : restoredSlots.entrySet()) {
            if (!addresses.contains(e.getKey())) {
                endpoints.remove(e.getKey().hi(), e.getKey().lo());
                removed++;
            }
            if (!slots.contains(e.getValue())) {
                endpoints.removePortMac(e.getValue());
            }
        }
        return "restored from pinned maps: " + restoredSlots.size() + " endpoint address(es) (" + removed
                + " of deleted pods removed), " + (state.maps().conntrack().tcpCount() + state.maps().conntrack().nonTcpCount()) + " conntrack entries, "
                + services + " service frontend(s) of deleted services removed, " + restoredPrefixes + " ipcache prefix(es) ("
                + stalePrefixes + " no longer in the cluster removed), " + stalePeers + " tunnel peer entr"
                + (stalePeers == 1 ? "y" : "ies") + " of deleted nodes removed";
    }

    /** Returns: what reopening pinned maps kept and removed, or null when the maps are not pinned. */
    public String restoreSummary() {
        return restoreSummary;
    }

    /** Returns: what applying the manifests given to {@link #create} did (pod setups that failed are listed). */
    public ApplyReport initialReport() {
        return initialReport;
    }

    /** Applies a new manifest set (atomically: see {@link ClusterApplier#apply}). */
    public ApplyReport apply(ManifestSet manifests) {
        try {
            return applier.apply(manifests);
        } finally {
            applied = new Applied(applier.current(), applier.serviceSpecs(), applier.localPods());
        }
    }

    /** Returns: the state the last apply left, safe to read from any thread. */
    public Applied applied() {
        return applied;
    }

    /** Fills the endpoint map for local pods, then tells the daemon's listener. */
    private final class Endpoints implements LocalPodListener {
        private final LocalPodListener next;

        Endpoints(LocalPodListener next) {
            this.next = next;
        }

        /** Every address of the pod (a dual-stack pod has one per family), then its port's MAC. */
        @Override
        public void podAdded(LocalPod pod) {
            EndpointMap endpoints = state.maps().endpoints();
            for (IpAddress ip : pod.pod().ips()) {
                int rc = endpoints.upsert(ip.hi(), ip.lo(), pod.slot(), pod.mac(), pod.identity());
                if (rc != MapErrors.OK) {
                    throw new IllegalStateException("pod " + pod.key() + ": the endpoint map refused " + ip + ": "
                            + MapErrors.name(rc) + " (raise maps.endpoints)");
                }
            }
            int rc = endpoints.upsertPortMac(pod.slot(), pod.mac());
            if (rc != MapErrors.OK) {
                throw new IllegalStateException("pod " + pod.key() + ": slot " + pod.slot() + " is not a pod port: " + MapErrors.name(rc));
            }
            portNames[pod.slot()] = pod.key();
            portsByName.put(pod.key(), pod.slot());
            if (next != null) {
                next.podAdded(pod);
            }
        }

        @Override
        public void podRemoved(LocalPod pod) {
            EndpointMap endpoints = state.maps().endpoints();
            for (IpAddress ip : pod.pod().ips()) {
                endpoints.remove(ip.hi(), ip.lo());
            }
            endpoints.removePortMac(pod.slot());
            portNames[pod.slot()] = null;
            portsByName.remove(pod.key());
            if (next != null) {
                next.podRemoved(pod);
            }
        }
    }

    /** Returns: the port of a name ("underlay", "host", "namespace/name", or a pod name unique on the node), or -1. */
    public int port(String name) {
        Integer port = portsByName.get(name);
        if (port != null) {
            return port;
        }
        int found = -1;
        for (Map.Entry<String, Integer> e : portsByName.entrySet()) {
            if (e.getKey().endsWith("/" + name)) {
                if (found >= 0) {
                    return -1; // ambiguous: the same pod name in two namespaces
                }
                found = e.getValue();
            }
        }
        return found;
    }

    /** Returns: the name of a port, or null when no pod has it. */
    public String portName(int port) {
        return port >= 0 && port < portNames.length ? portNames[port] : null;
    }

    /** Returns: every named port, by number (null where no pod is). */
    public String[] portNames() {
        return Arrays.copyOf(portNames, portNames.length);
    }

    public int underlayPort() {
        return underlayPort;
    }

    public int hostPort() {
        return hostPort;
    }

    public NodeConfig config() {
        return config;
    }

    public NodeState state() {
        return state;
    }

    @Override
    public void close() {
        state.close();
    }
}
