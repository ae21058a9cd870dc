package dev.gingham.dataplane.node;

import dev.gingham.conntrack.CtConfig;
import dev.gingham.conntrack.CtSweeper;
import dev.gingham.conntrack.CtTable;
import dev.gingham.dataplane.flow.FlowEvents;
import dev.gingham.dataplane.flow.FlowFilter;
import dev.gingham.dataplane.flow.FlowRing;
import dev.gingham.dataplane.identity.CidrIdentityAllocator;
import dev.gingham.dataplane.identity.IdentityAllocator;
import dev.gingham.dataplane.k8s.Pod;
import dev.gingham.dataplane.policy.PolicyEngine;
import dev.gingham.dataplane.policy.PolicyMaps;
import dev.gingham.dataplane.policy.PolicyPublisher;
import dev.gingham.dataplane.program.DropCounters;
import dev.gingham.dataplane.program.NodePipeline;
import dev.gingham.dataplane.program.PipelineConfig;
import dev.gingham.dataplane.program.PipelineMaps;
import dev.gingham.encap.EndpointMap;
import dev.gingham.encap.IpCache;
import dev.gingham.encap.NodeRoutes;
import dev.gingham.encap.TunnelPeers;
import dev.gingham.maps.MapErrors;
import dev.gingham.nat.SnatExpiry;
import dev.gingham.nat.lb.LbConfig;
import dev.gingham.nat.lb.LbMaps;
import dev.gingham.nat.lb.ServiceTable;
import dev.gingham.nat.snat.EgressGateway;
import dev.gingham.nat.snat.MasqueradePolicy;
import dev.gingham.nat.snat.SnatTable;
import dev.gingham.packet.Cidr;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Everything one node holds: the maps every worker reads, the control-plane objects that write
 * them, the per-worker flow rings and the drop counters. The daemon builds one from its
 * configuration; replay builds one the same way (anonymous maps, a fixed hash seed); tests build
 * small ones.
 *
 * <p>Endpoints: {@link #upsertLocalPod} and {@link #upsertRemotePod} keep the policy engine, the
 * endpoint map and the ipcache in step: a pod's identity comes from its labels (the policy
 * engine allocates it); a local pod's port is its endpoint slot; every pod's /32 is in the ipcache
 * with its identity (remote ones with their node's tunnel endpoint), so a packet's peer identity
 * is one lookup. When labels change identities, every pod's entries are rewritten
 * ({@link #syncIdentities}).
 *
 * <p>Control-plane methods are for the control agent's thread (synchronized, so the API thread
 * may read); the maps are lock-free for the workers.
 */
public final class NodeState implements AutoCloseable {
    private static final int SWEEP_SLOTS_PER_CALL = 4096;

    private final PipelineConfig config;
    private final PipelineMaps maps;
    private final ServiceTable services;
    private final NodeRoutes nodeRoutes;
    private final PolicyPublisher policyPublisher;
    private final PolicyEngine policy;
    private final DropCounters drops;
    private final FlowRing[] flowRings;
    private final FlowEvents[] flowEvents;
    private final CtSweeper sweeper;
    private final Map<String, LocalPod> localPods = new HashMap<>();
    private final Map<String, RemotePod> remotePods = new HashMap<>();

    private record LocalPod(Pod pod, int port, long mac, int identity) {
    }

    private record RemotePod(Pod pod, int nodeId, int tunnelEndpoint, int identity) {
    }

    private NodeState(PipelineConfig config, PipelineMaps maps, DropCounters drops, int workers, NodeSizes sizes) {
        this.config = config;
        this.maps = maps;
        this.drops = drops;
        this.services = new ServiceTable(maps.services());
        this.nodeRoutes = new NodeRoutes(maps.ipCache(), maps.peers());
        this.policyPublisher = new PolicyPublisher(maps.policy());
        this.policy = new PolicyEngine(new IdentityAllocator(), new CidrIdentityAllocator(new IpCacheIdentitySink(maps.ipCache())),
                policyPublisher);
        this.flowRings = new FlowRing[workers];
        this.flowEvents = new FlowEvents[workers];
        for (int w = 0; w < workers; w++) {
            flowRings[w] = new FlowRing(sizes.flowRecords());
            flowEvents[w] = new FlowEvents(flowRings[w], FlowFilter.ALL);
        }
        this.sweeper = new CtSweeper(maps.conntrack(), new SnatExpiry(maps.snat()), SWEEP_SLOTS_PER_CALL);
    }

    /**
     * Builds a node with anonymous maps ({@code pinDirectory} null) or maps pinned under
     * {@code pinDirectory} (reopened with their contents when they exist).
     *
     * @param hashSeed the hash seed of anonymous maps (fixed in replay so outputs are reproducible)
     */
    public static NodeState create(PipelineConfig config, LbConfig lb, CtConfig ct, NodeSizes sizes, int workers,
                                   Path pinDirectory, long hashSeed) {
        List<AutoCloseable> opened = new ArrayList<>();
        try {
            boolean pinned = pinDirectory != null;
            if (pinned) {
                Files.createDirectories(pinDirectory);
            }
            LbConfig lbForWorkers = lb.withWorkers(workers);
            CtTable conntrack = track(opened, pinned ? CtTable.pinned(pinDirectory.resolve("conntrack"), ct)
                    : CtTable.create(ct, hashSeed));
            LbMaps lbMaps = track(opened, pinned ? LbMaps.pinned(pinDirectory.resolve("lb"), lbForWorkers)
                    : LbMaps.create(lbForWorkers, hashSeed + 1));
            SnatTable snat = track(opened, pinned ? SnatTable.pinned(pinDirectory.resolve("snat"), config.snat())
                    : SnatTable.create(config.snat(), hashSeed + 2));
            MasqueradePolicy masquerade = track(opened, MasqueradePolicy.create(config.snat()));
            EgressGateway egress = track(opened, EgressGateway.create(sizes.egressSources(), sizes.egressRules()));
            IpCache ipCache = track(opened, pinned ? IpCache.pinned(pinDirectory.resolve("ipcache"), sizes.ipCacheEntries())
                    : IpCache.create(sizes.ipCacheEntries()));
            TunnelPeers peers = track(opened, pinned ? TunnelPeers.pinned(pinDirectory.resolve("peers"), sizes.maxNodes())
                    : TunnelPeers.create(sizes.maxNodes()));
            EndpointMap endpoints = track(opened, pinned ? EndpointMap.pinned(pinDirectory.resolve("endpoints"), sizes.maxEndpoints())
                    : EndpointMap.create(sizes.maxEndpoints()));
            PolicyMaps policyMaps = track(opened, PolicyMaps.create(sizes.maxPorts(), sizes.policyRows(), sizes.policyPortSets()));
            DropCounters drops = track(opened, pinned ? DropCounters.pinned(pinDirectory, workers) : DropCounters.create(workers));
            PipelineMaps maps = new PipelineMaps(conntrack, lbMaps, snat, masquerade, egress, ipCache, peers, endpoints, policyMaps);
            return new NodeState(config, maps, drops, workers, sizes);
        } catch (Exception e) {
            for (int k = opened.size() - 1; k >= 0; k--) {
                try {
                    opened.get(k).close();
                } catch (Exception suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            if (e instanceof RuntimeException runtime) {
                throw runtime;
            }
            throw new IllegalStateException("cannot create the node's maps: " + e.getMessage(), e);
        }
    }

    private static <T extends AutoCloseable> T track(List<AutoCloseable> opened, T resource) {
        opened.add(resource);
        return resource;
    }

    /** Returns: a new pipeline for {@code worker} (0-based), writing that worker's counters and flow ring. */
    public NodePipeline pipeline(int worker) {
        return new NodePipeline(config, maps, worker, flowEvents[worker], drops);
    }

    /**
     * Adds or updates a pod on this node.
     *
     * @param port its TAP port (also its policy endpoint slot)
     * @param mac  the MAC of the pod's interface
     * @throws IllegalArgumentException when the pod has no IP, or the maps are full (nothing is left half-written)
     */
    public synchronized void upsertLocalPod(Pod pod, int port, long mac) {
        if (pod.ip() == null) {
            throw new IllegalArgumentException("pod " + pod.key() + ": has no IP address");
        }
        if (port < 0 || port >= maps.policy().maxEndpoints() || config.role(port) != dev.gingham.dataplane.program.PortRole.POD) {
            throw new IllegalArgumentException("pod " + pod.key() + ": port " + port + " is not a pod port below "
                    + maps.policy().maxEndpoints());
        }
        LocalPod old = localPods.get(pod.key());
        policy.upsertPod(pod, port);
        int identity = policy.identityOf(pod.key());
        if (old != null && !old.pod().ip().equals(pod.ip())) {
            maps.endpoints().remove(old.pod().ip().hi(), old.pod().ip().lo());
            removeHostRoute(old.pod());
        }
        check(maps.endpoints().upsert(pod.ip().hi(), pod.ip().lo(), port, mac, identity), pod, "endpoint map");
        check(maps.ipCache().upsert(hostRoute(pod), identity, 0, 0, 0), pod, "ipcache");
        localPods.put(pod.key(), new LocalPod(pod, port, mac, identity));
        syncIdentities();
    }

    /** Removes a pod of this node (no-op when unknown). */
    public synchronized void removeLocalPod(String namespace, String name) {
        LocalPod old = localPods.remove(namespace + "/" + name);
        if (old == null) {
            return;
        }
        maps.endpoints().remove(old.pod().ip().hi(), old.pod().ip().lo());
        removeHostRoute(old.pod());
        policy.deletePod(namespace, name);
        syncIdentities();
    }

    /**
     * Adds or updates a pod on another node: its identity for policy, its /32 in the ipcache with
     * the node's tunnel endpoint.
     */
    public synchronized void upsertRemotePod(Pod pod, int nodeId, int tunnelEndpoint) {
        if (pod.ip() == null) {
            return; // not scheduled or not started yet: nothing to route
        }
        RemotePod old = remotePods.get(pod.key());
        policy.upsertPod(pod, -1);
        int identity = policy.identityOf(pod.key());
        if (old != null && !old.pod().ip().equals(pod.ip())) {
            removeHostRoute(old.pod());
        }
        check(maps.ipCache().upsert(hostRoute(pod), identity, tunnelEndpoint, nodeId, IpCache.FLAG_TUNNEL), pod, "ipcache");
        remotePods.put(pod.key(), new RemotePod(pod, nodeId, tunnelEndpoint, identity));
        syncIdentities();
    }

    /** Removes a pod of another node (no-op when unknown). */
    public synchronized void removeRemotePod(String namespace, String name) {
        RemotePod old = remotePods.remove(namespace + "/" + name);
        if (old == null) {
            return;
        }
        removeHostRoute(old.pod());
        policy.deletePod(namespace, name);
        syncIdentities();
    }

    /**
     * Rewrites the endpoint-map and ipcache entries of every pod whose identity changed (after a
     * label or namespace change re-numbered it).
     */
    public synchronized void syncIdentities() {
        for (Map.Entry<String, LocalPod> e : localPods.entrySet()) {
            LocalPod pod = e.getValue();
            int identity = policy.identityOf(e.getKey());
            if (identity != pod.identity()) {
                maps.endpoints().upsert(pod.pod().ip().hi(), pod.pod().ip().lo(), pod.port(), pod.mac(), identity);
                maps.ipCache().upsert(hostRoute(pod.pod()), identity, 0, 0, 0);
                e.setValue(new LocalPod(pod.pod(), pod.port(), pod.mac(), identity));
            }
        }
        for (Map.Entry<String, RemotePod> e : remotePods.entrySet()) {
            RemotePod pod = e.getValue();
            int identity = policy.identityOf(e.getKey());
            if (identity != pod.identity()) {
                maps.ipCache().upsert(hostRoute(pod.pod()), identity, pod.tunnelEndpoint(), pod.nodeId(), IpCache.FLAG_TUNNEL);
                e.setValue(new RemotePod(pod.pod(), pod.nodeId(), pod.tunnelEndpoint(), identity));
            }
        }
        policyPublisher.reclaim();
    }

    private void removeHostRoute(Pod pod) {
        maps.ipCache().remove(hostRoute(pod));
        maps.ipCache().reclaim();
    }

    private static Cidr hostRoute(Pod pod) {
        boolean ipv4 = pod.ip().ipv4();
        return new Cidr(ipv4, pod.ip().hi(), pod.ip().lo(), ipv4 ? 32 : 128);
    }

    private static void check(int result, Pod pod, String map) {
        if (result != MapErrors.OK) {
            throw new IllegalArgumentException("pod " + pod.key() + ": the " + map + " refused it: " + MapErrors.name(result));
        }
    }

    /**
     * Runs one budgeted conntrack sweep (the control agent calls this every duty cycle); expired
     * flows release their SNAT ports.
     *
     * @return entries deleted
     */
    public int sweepConntrack(long nowNs) {
        return sweeper.sweep(nowNs);
    }

    public PipelineConfig config() {
        return config;
    }

    public PipelineMaps maps() {
        return maps;
    }

    public ServiceTable services() {
        return services;
    }

    public NodeRoutes nodeRoutes() {
        return nodeRoutes;
    }

    public PolicyEngine policy() {
        return policy;
    }

    public DropCounters drops() {
        return drops;
    }

    public FlowRing[] flowRings() {
        return flowRings.clone();
    }

    public int workers() {
        return flowRings.length;
    }

    @Override
    public void close() {
        for (FlowRing ring : flowRings) {
            ring.close();
        }
        drops.close();
        maps.policy().close();
        maps.endpoints().close();
        maps.peers().close();
        maps.ipCache().close();
        maps.egressGateway().close();
        maps.masquerade().close();
        maps.snat().close();
        maps.services().close();
        maps.conntrack().close();
    }
}
