package dev.gingham.dataplane.node;

import dev.gingham.conntrack.CtConfig;
import dev.gingham.conntrack.CtSweeper;
import dev.gingham.conntrack.CtTable;
import dev.gingham.dataplane.flow.FlowEvents;
import dev.gingham.dataplane.flow.FlowFilter;
import dev.gingham.dataplane.flow.FlowRing;
import dev.gingham.dataplane.identity.CidrIdentityAllocator;
import dev.gingham.dataplane.identity.IdentityAllocator;
import dev.gingham.dataplane.neighbour.NeighbourObservations;
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
import dev.gingham.nat.SnatExpiry;
import dev.gingham.nat.lb.LbConfig;
import dev.gingham.nat.lb.LbMaps;
import dev.gingham.nat.lb.ServiceTable;
import dev.gingham.nat.snat.EgressGateway;
import dev.gingham.nat.snat.MasqueradePolicy;
import dev.gingham.nat.snat.SnatTable;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Everything one node holds: the maps every worker reads, the control-plane objects that write
 * them, the per-worker flow rings and the drop counters. The daemon builds one from its
 * configuration; replay builds one the same way (anonymous maps, a fixed hash seed); tests build
 * small ones.
 *
 * <p>Cluster state (services, node routes, pods' identities in the ipcache, policy) is written by
 * {@code cluster.ClusterApplier} and local pods' endpoint-map entries by {@link ConfiguredNode}:
 * this class only owns the maps and the objects that write them.
 *
 * <p>Control-plane objects are for the control agent's thread; the maps are lock-free for the workers.
 */
public final class NodeState implements AutoCloseable {
    /**
     * The most conntrack slots one paced sweep call examines. An idle control thread wakes every
     * 10 ms (ControlAgent.MAX_IDLE_PARK_NS); a one-second round at Cilium's default sizes
     * (1,572,864 slots) needs 15,729 slots a wake-up, so the budget is 16,384 (a call then reads
     * at most that many slot headers). A busy agent calls more often and gets smaller budgets,
     * since the sweeper pays out slots by elapsed time.
     */
    private static final int SWEEP_SLOTS_PER_CALL = 16_384;

    /** Directories of the pinned maps under the pin directory, one per map family. */
    static final String CONNTRACK_PIN = "conntrack";
    static final String LB_PIN = "lb";
    static final String SNAT_PIN = "snat";
    static final String IPCACHE_PIN = "ipcache";
    static final String PEERS_PIN = "peers";
    static final String ENDPOINTS_PIN = "endpoints";
    /** Everything {@link #create} pins under the pin directory (directories and the drop counters' file). */
    static final List<String> PINNED_ENTRIES = List.of(CONNTRACK_PIN, LB_PIN, SNAT_PIN, IPCACHE_PIN, PEERS_PIN,
            ENDPOINTS_PIN, DropCounters.PIN_FILE);

    private final PipelineConfig config;
    private final PipelineMaps maps;
    private final ServiceTable services;
    private final NodeRoutes nodeRoutes;
    private final PolicyEngine policy;
    private final DropCounters drops;
    private final FlowRing[] flowRings;
    private final FlowEvents[] flowEvents;
    private final CtSweeper sweeper;
    private NodeState(PipelineConfig config, PipelineMaps maps, DropCounters drops, int workers, NodeSizes sizes) {
        this.config = config;
        this.maps = maps;
        this.drops = drops;
        this.services = new ServiceTable(maps.services());
        this.nodeRoutes = new NodeRoutes(maps.ipCache(), maps.peers());
        this.policy = new PolicyEngine(new IdentityAllocator(), new CidrIdentityAllocator(new IpCacheIdentitySink(maps.ipCache())),
                new PolicyPublisher(maps.policy()));
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
            CtTable conntrack = track(opened, pinned ? CtTable.pinned(pinDirectory.resolve(CONNTRACK_PIN), ct)
                    : CtTable.create(ct, hashSeed));
            LbMaps lbMaps = track(opened, pinned ? LbMaps.pinned(pinDirectory.resolve(LB_PIN), lbForWorkers)
                    : LbMaps.create(lbForWorkers, hashSeed + 1));
            SnatTable snat = track(opened, pinned ? SnatTable.pinned(pinDirectory.resolve(SNAT_PIN), config.snat())
                    : SnatTable.create(config.snat(), hashSeed + 2));
            MasqueradePolicy masquerade = track(opened, MasqueradePolicy.create(config.snat()));
            EgressGateway egress = track(opened, EgressGateway.create(sizes.egressSources(), sizes.egressRules()));
            IpCache ipCache = track(opened, pinned ? IpCache.pinned(pinDirectory.resolve(IPCACHE_PIN), sizes.ipCacheEntries())
                    : IpCache.create(sizes.ipCacheEntries()));
            TunnelPeers peers = track(opened, pinned ? TunnelPeers.pinned(pinDirectory.resolve(PEERS_PIN), sizes.maxNodes())
                    : TunnelPeers.create(sizes.maxNodes()));
            EndpointMap endpoints = track(opened, pinned ? EndpointMap.pinned(pinDirectory.resolve(ENDPOINTS_PIN), sizes.maxEndpoints())
                    : EndpointMap.create(sizes.maxEndpoints()));
            PolicyMaps policyMaps = track(opened, PolicyMaps.create(sizes.maxPorts(), sizes.policyRows(), sizes.policyPortSets()));
            DropCounters drops = track(opened, pinned ? DropCounters.pinned(pinDirectory, workers) : DropCounters.create(workers));
            PipelineMaps maps = new PipelineMaps(conntrack, lbMaps, snat, masquerade, egress, ipCache, peers, endpoints, policyMaps,
                    new NeighbourObservations());
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
     * Runs one conntrack sweep of the fixed budget (tests and benchmarks step it so); expired
     * flows release their SNAT ports.
     *
     * @return entries deleted
     */
    public int sweepConntrack(long nowNs) {
        return sweeper.sweep(nowNs);
    }

    /**
     * One paced step of the conntrack sweep for the control agent's duty cycle: the slots the time
     * since the last step is due, a full round a second while the agent wakes at least
     * {@link CtSweeper#callsPerRound()} times a second ({@link CtSweeper#sweepDue}).
     *
     * @return entries deleted
     */
    public int sweepConntrackDue(long nowNs) {
        return sweeper.sweepDue(nowNs);
    }

    /**
     * Sweeps until the sweeper's current round ends (tests, fuzzing, shutdown; not for a duty
     * cycle): every entry expired at {@code nowNs} is deleted and its SNAT port released.
     *
     * @return entries deleted
     */
    public int sweepConntrackRound(long nowNs) {
        return sweeper.sweepRound(nowNs);
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
