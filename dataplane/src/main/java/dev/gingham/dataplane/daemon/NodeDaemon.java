package dev.gingham.dataplane.daemon;

import dev.gingham.dataplane.agent.ControlAgent;
import dev.gingham.dataplane.api.AdminServer;
import dev.gingham.dataplane.api.NodeTelemetry;
import dev.gingham.dataplane.agent.PortCounters;
import dev.gingham.dataplane.agent.WorkerAgent;
import dev.gingham.dataplane.cluster.ApplyReport;
import dev.gingham.dataplane.cluster.ClusterSource;
import dev.gingham.dataplane.cluster.LocalPod;
import dev.gingham.dataplane.cni.CniService;
import dev.gingham.dataplane.cluster.ManifestSet;
import dev.gingham.dataplane.cluster.ManifestWatcher;
import dev.gingham.dataplane.config.NodeConfig;
import dev.gingham.dataplane.k8s.ManifestException;
import dev.gingham.dataplane.neighbour.NeighbourResolver;
import dev.gingham.dataplane.neighbour.NeighbourSnapshot;
import dev.gingham.dataplane.neighbour.NeighbourTable;
import dev.gingham.dataplane.node.ConfiguredNode;
import dev.gingham.encap.TunnelMode;
import dev.gingham.packet.BufferPool;
import dev.gingham.tap.KernelRelease;
import dev.gingham.tap.NetworkNamespace;
import dev.gingham.tap.PacketSender;
import dev.gingham.tap.PacketSocket;
import org.HdrHistogram.SingleWriterRecorder;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.SystemNanoClock;

import java.io.IOException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A running node ({@code gingham run}): the configured node's pipeline on real devices.
 *
 * <p>Start-up, in an order that fails fast and leaves nothing behind: the cluster state is read
 * from its {@link ClusterSource} (a manifests directory or a Kubernetes API server) and checked as
 * a whole (a bad file or object stops the start with its name and field); the
 * underlay sockets and the host TAP are opened (missing device, no permission: a clear error);
 * the node's maps are built and the manifests applied, which creates a TAP per local pod in its
 * namespace ({@link PodDevices}); then the agents start, and the source's watch. Anything that
 * fails on the way closes what was opened before it.
 *
 * <p>While running: workers poll every port (their own queue of each device), the control agent
 * applies manifest changes the watcher publishes (atomically; a rejected directory leaves the
 * previous state and is logged once), retries pod setups that failed (a namespace created after
 * the Pod was written) every {@value #POD_RETRY_SECONDS} s, closes the devices of removed pods
 * when no worker can still use them, and sweeps conntrack.
 *
 * <p>{@link #close()} (SIGTERM) stops the watcher, then the agents at the end of their cycle, then
 * closes every device (the kernel deletes the pod and host TAPs, unless {@code restart.keepDevices}
 * keeps them for the next start) and the maps (pinned maps stay on disk for the next start).
 *
 * <p>Restart: with a {@code pinDirectory} the maps are pinned and the devices persistent, so after
 * a {@code kill -9} the next start reopens the maps with their connections, re-attaches the pods'
 * TAPs and {@code gingham_host}, restores the pods' endpoint slots, and prunes what was deleted
 * meanwhile (see {@link ConfiguredNode#restoreSummary()}, {@link PodDevices#deleteLeftovers}).
 */
public final class NodeDaemon implements AutoCloseable {
    /** Frames a worker reads from one port per duty cycle. */
    public static final int BURST_FRAMES = 64;
    /**
     * Frames read per cycle from a TSO port (pods, host) when a tunnel mode is on: a 64 KB TSO
     * frame for another node is cut into up to 45 segments before encapsulation, and the 256
     * frames of a vector must hold the segments of a whole burst (5 x 45 = 225).
     */
    public static final int TSO_TUNNEL_BURST_FRAMES = 5;
    /**
     * Buffers per worker: TSO-sized (a pod's kernel hands over up to 64 KB per frame), enough for
     * every port's burst of one cycle plus the segments and fragments programs add.
     */
    public static final int BUFFERS_PER_WORKER = 1024;
    static final int POD_RETRY_SECONDS = 5;
    /** Under the pin directory: the CNI plugin's addresses and attachments. */
    public static final String CNI_STATE_DIRECTORY = "cni";
    private static final int LATENCY_SIGNIFICANT_DIGITS = 3;

    private final NodeConfig config;
    private final DaemonLog log;
    private final String netns;
    private final NanoClock clock = SystemNanoClock.INSTANCE;
    private final List<AutoCloseable> opened = new ArrayList<>();
    private volatile NodeTelemetry.ManifestState manifestState = new NodeTelemetry.ManifestState("", null, "", null);
    private final long startedNs = System.nanoTime();
    private ConfiguredNode node;
    private PortTable ports;
    private PodDevices pods;
    private HostDevice host;
    private UnderlayDevice underlay;
    private PortCounters counters;
    private WorkerAgent[] workers;
    private SingleWriterRecorder[] latencies;
    private ControlAgent control;
    private NeighbourResolver neighbours;
    private AgentThreads threads;
    private ClusterSource watcher;
    private AdminServer api;
    /** The cluster's set in force, without the CNI attachments (control thread). */
    private ManifestSet applied;
    private CniService cni;
    private volatile ApplyReport lastReport;
    private long nextPodRetryNs;
    private boolean closed;

    private NodeDaemon(NodeConfig config, DaemonLog log, String netns) {
        this.netns = netns;
        this.config = withKernelOffloads(config, log);
        this.log = log;
    }

    /**
     * Returns: {@code config}, with {@code underlay.udpGso} turned off (and said so) when this
     * kernel would refuse UDP GSO frames on the underlay's packet socket (before Linux 6.2): every
     * bulk TCP frame into the tunnel would otherwise fail to send.
     */
    private static NodeConfig withKernelOffloads(NodeConfig config, DaemonLog log) {
        if (!config.underlay().udpGso() || KernelRelease.takesUdpGsoVnetHeader()) {
            return config;
        }
        log.info("underlay.udpGso: off, kernel " + System.getProperty("os.version") + " is older than Linux "
                + KernelRelease.UDP_GSO_VNET_MAJOR + "." + KernelRelease.UDP_GSO_VNET_MINOR
                + " (no UDP GSO through a packet socket); TCP frames into the tunnel are cut into segments first");
        return config.toBuilder().underlay(config.underlay().withUdpGso(false)).build();
    }

    /**
     * Starts a node. Returns once the agents run and the initial manifests are applied.
     *
     * @throws ManifestException       the manifests directory is invalid (nothing was created)
     * @throws dev.gingham.tap.NetDeviceException a device could not be made (no permission, no /dev/net/tun, name in use)
     * @throws IllegalArgumentException the underlay interface does not exist
     */
    public static NodeDaemon start(NodeConfig config, Path manifests, DaemonLog log) {
        return start(config, manifests, null, log);
    }

    /**
     * Starts a node whose devices live in network namespace {@code netns} (the host TAP, the
     * underlay; pods' TAPs are made there and moved to their own namespaces): several nodes on one
     * machine, the demo, and the end-to-end tests. Null: the caller's namespace.
     */
    public static NodeDaemon start(NodeConfig config, Path manifests, String netns, DaemonLog log) {
        return start(config, new ManifestWatcher(manifests), netns, log);
    }

    /**
     * Starts a node whose cluster state comes from {@code source} (the daemon owns it from here:
     * it is closed with the daemon, or at once when the start fails).
     *
     * @throws IllegalStateException the source cannot be read (an unreachable API server); nothing was created
     */
    public static NodeDaemon start(NodeConfig config, ClusterSource source, String netns, DaemonLog log) {
        ManifestSet initial;
        try {
            initial = source.initial();
        } catch (RuntimeException | Error e) {
            source.close();
            throw e;
        }
        NodeDaemon daemon = new NodeDaemon(config, log, netns);
        try {
            daemon.startWith(initial, source);
            return daemon;
        } catch (RuntimeException | Error e) {
            daemon.close();
            throw e;
        }
    }

    private void startWith(ManifestSet initial, ClusterSource source) {
        int workerCount = config.workers();
        int podMtu = config.tunnelConfig(0, 1).podMtuBytes();
        int tsoBurst = config.tunnel().mode() == TunnelMode.NATIVE ? 0 : TSO_TUNNEL_BURST_FRAMES;
        log.info("node " + config.nodeName() + (netns == null ? "" : " in netns " + netns) + ": " + workerCount + " worker(s), " + config.threading().spelling()
                + " threading, idle " + config.idleStrategy().kind().spelling() + ", tunnel " + config.tunnel().mode()
                + ", pod MTU " + podMtu);
        boolean pinned = config.pinDirectory().isPresent();
        // First: a second daemon on the same pin directory stops before it touches a device.
        DeviceRecords records = pinned ? track(DeviceRecords.open(config.pinDirectory().get())) : null;
        underlay = track(UnderlayDevice.open(config, workerCount, log, netns)); // a wrong interface name changes nothing
        log.info("underlay port " + underlay.link().name() + " (ifindex " + underlay.link().ifindex() + ", MTU "
                + underlay.link().mtuBytes() + (underlay.kernelBlocked() ? ", kernel stack kept off it" : "") + ")");
        host = track(HostDevice.create(config, workerCount, podMtu, netns, pinned, config.keepDevicesOnStop(), log));
        log.info("host port " + HostDevice.NAME + ": " + String.join(", ", host.configured()));

        int maxPorts = config.maps().endpoints() + 2;
        ports = new PortTable(workerCount, maxPorts, this::error);
        // The CNI plugin's state lives beside the pinned maps: a daemon without pinDirectory keeps
        // nothing across restarts, so it serves no CNI plugin (its API answers 503 there).
        cni = config.pinDirectory().map(dir -> CniService.open(config, podMtu, dir.resolve(CNI_STATE_DIRECTORY), log::info,
                CniService.DEFAULT_TIMEOUT)).orElse(null);
        CniService cniState = cni;
        pods = new PodDevices(ports, workerCount, podMtu, tsoBurst, config.gateway().addresses(), log, netns,
                cniState == null ? key -> null : cniState::interfaceName, records, config.keepDevicesOnStop(),
                config.underlay().batch());
        opened.add(pods); // before the node: a failed initial apply still closes the pods' devices
        // The seed only seeds anonymous maps: a pinned hash map keeps the seed its file was created
        // with (in the map's header), so a restarted node finds its entries whatever is drawn here.
        node = track(ConfiguredNode.create(config, withAttachments(initial), underlay.mac(), host.mac(), pinned,
                new SecureRandom().nextLong(), pods));
        if (pinned) {
            log.info(node.restoreSummary() + ", " + pods.deleteLeftovers(node.applied().localPods().keySet())
                    + " device(s) of deleted pods deleted");
        }
        applied = initial;
        manifestState = new NodeTelemetry.ManifestState(initial.fingerprint(), Instant.now(), "", null);
        report("initial manifests (" + initial.objects().size() + " objects)", node.initialReport());
        ports.set(node.underlayPort(), underlay.ports(node.underlayPort()));
        ports.set(node.hostPort(), host.ports(node.hostPort(), tsoBurst, config.underlay().batch()));

        counters = track(new PortCounters(maxPorts, workerCount));
        workers = new WorkerAgent[workerCount];
        latencies = new SingleWriterRecorder[workerCount];
        for (int w = 0; w < workerCount; w++) {
            BufferPool pool = track(BufferPool.allocate(BUFFERS_PER_WORKER, BufferPool.TSO_BUFFER_SIZE));
            latencies[w] = new SingleWriterRecorder(WorkerAgent.MAX_RECORDED_LATENCY_NS, LATENCY_SIGNIFICANT_DIGITS);
            workers[w] = new WorkerAgent(w, node.state().pipeline(w), pool, clock, counters, latencies[w], BURST_FRAMES);
        }
        ports.attach(workers);
        control = new ControlAgent(node.state(), clock, this::error);
        control.addDuty(() -> applyPublished(source));
        control.addDuty(ports::reclaim);
        control.addDuty(() -> ports.sampleRxErrors(clock.nanoTime()));
        control.addDuty(this::retryFailedPods);
        neighbours = neighbourResolution();
        control.addDuty(neighbours);
        threads = track(AgentThreads.start(config.threading(), config.idleStrategy(), List.of(workers), control, this::error));
        if (cni != null) {
            cni.bind(new CniService.Node() {
                @Override
                public boolean submit(Runnable task) {
                    return control.submit(task);
                }

                @Override
                public ManifestSet cluster() {
                    return applied;
                }

                @Override
                public ApplyReport apply(ManifestSet merged) {
                    ApplyReport r = node.apply(merged);
                    report("CNI attachments applied", r);
                    return r;
                }

                @Override
                public Map<String, LocalPod> localPods() {
                    return node.applied().localPods();
                }
            });
        }
        api = track(new AdminServer(config.api(), node, new DaemonTelemetry(this), cni));
        api.start();
        log.info("admin API on " + api.endpoint());

        watcher = track(source);
        ClusterSource.Listener listener = new ClusterSource.Listener() {
            @Override
            public void loaded(ManifestSet set) {
                // nothing to do here: the control agent's duty takes the newest set from the source's mailbox
            }

            @Override
            public void rejected(ManifestException problems) {
                NodeDaemon.this.rejected(problems.getMessage());
                log.error("manifests rejected, the previous state stays: " + problems.getMessage());
            }
        };
        try {
            watcher.start(listener);
        } catch (IOException e) {
            throw new IllegalStateException("cannot watch " + source.describe() + ": " + e.getMessage(), e);
        }
        log.info("running: " + node.state().services().services().size() + " service(s), " + pods.size() + " local pod(s) with devices");
    }

    /**
     * Underlay neighbour resolution as a control duty: ARP requests leave through a send-only
     * packet socket of the control thread's own; next hops of nodes without a static MAC, and
     * the underlay gateway, are resolved from then on (the initial apply wrote 0 for them).
     */
    private NeighbourResolver neighbourResolution() {
        String name = config.underlay().interfaceName();
        PacketSender sender = track(NetworkNamespace.call(netns, () -> PacketSender.open(name)));
        NodeConfig.Underlay u = config.underlay();
        NeighbourResolver resolver = new NeighbourResolver(u.address().v4(), underlay.mac(),
                u.gateway() == null ? 0 : u.gateway().v4(), u.subnet(), node.state().nodeRoutes(), node.state().maps().peers(),
                node.state().maps().neighbours(), sender::send, clock, NeighbourTable.Timers.DEFAULTS, log::info);
        node.state().nodeRoutes().nextHops(resolver);
        log.info("neighbour resolution on " + name + ": " + node.state().nodeRoutes().resolvedAddresses().length
                + " peer(s) by ARP" + (u.gateway() == null ? "" : ", gateway " + u.gateway())
                + (u.nextHopMac() == 0 ? "" : ", static next hop " + String.format("%012x", u.nextHopMac())));
        return resolver;
    }

    /**
     * Control duty: applies the newest set the source published, if any (one atomic read when
     * there is none). A duty rather than a task the listener submits: a full control queue could
     * otherwise leave a published set waiting until the next change.
     *
     * @return 1 when a set was taken (applied or rejected), else 0
     */
    private int applyPublished(ClusterSource source) {
        ManifestSet set = source.poll();
        if (set == null) {
            return 0;
        }
        try {
            ApplyReport r = node.apply(withAttachments(set));
            applied = set;
            manifestState = new NodeTelemetry.ManifestState(set.fingerprint(), Instant.now(), "", null);
            report("manifests reloaded (" + set.objects().size() + " objects)", r);
        } catch (RuntimeException e) {
            rejected(e.getMessage());
        }
        return 1;
    }

    /** Control thread: the cluster's set with the pods the CNI plugin attached merged in (see {@link CniService}). */
    private ManifestSet withAttachments(ManifestSet cluster) {
        return cni == null ? cluster : cni.merge(cluster);
    }

    private void rejected(String problem) {
        String message = problem == null || problem.isEmpty() ? "rejected without a message" : problem;
        NodeTelemetry.ManifestState before = manifestState;
        manifestState = new NodeTelemetry.ManifestState(before.fingerprint(), before.appliedAt(), message, Instant.now());
        log.error("manifests rejected, the previous state stays: " + message);
    }

    /** Control thread duty: offers pods whose setup failed again, every few seconds. */
    private int retryFailedPods() {
        ApplyReport last = lastReport;
        if (last == null || last.listenerFailures().isEmpty()) {
            return 0;
        }
        long now = clock.nanoTime();
        if (now < nextPodRetryNs) {
            return 0;
        }
        nextPodRetryNs = now + Duration.ofSeconds(POD_RETRY_SECONDS).toNanos();
        ApplyReport r = node.apply(withAttachments(applied));
        if (r.listenerFailures().size() < last.listenerFailures().size()) {
            report("pod setup retried", r);
        } else {
            lastReport = r;
        }
        return 1;
    }

    private void report(String what, ApplyReport r) {
        lastReport = r;
        log.info(what + ": " + r.summary());
        for (String warning : r.warnings()) {
            log.warn(warning);
        }
        for (String failure : r.listenerFailures()) {
            log.error(failure + " (retried every " + POD_RETRY_SECONDS + " s)");
        }
    }

    private void error(Throwable t) {
        log.error(t.getClass().getSimpleName() + ": " + t.getMessage());
    }

    private <T extends AutoCloseable> T track(T resource) {
        opened.add(resource);
        return resource;
    }

    /** Returns: the node (maps, services, policy, flow rings) for inspection; workers write it concurrently. */
    public ConfiguredNode node() {
        return node;
    }

    /** Returns: the underlay's packet sockets, one queue per worker (their counters tell frames per system call). */
    public PacketSocket underlaySockets() {
        return underlay.sockets();
    }

    /** Returns: port {@code port}'s failed reads, summed over workers, as sampled each second (any thread). */
    public long portRxErrors(int port) {
        return ports.rxErrors(port);
    }

    /** Returns: packets and bytes per port, summed over workers. */
    public PortCounters counters() {
        return counters;
    }

    /** Returns: the workers (duty cycles, busy time). */
    public List<WorkerAgent> workers() {
        return List.of(workers);
    }

    /** Returns: worker w's per-burst pipeline latency recorder (sample with {@code getIntervalHistogram}). */
    public SingleWriterRecorder latency(int worker) {
        return latencies[worker];
    }

    /** Returns: the node clock (monotonic ns), the one conntrack and flow events use. */
    public long clockNs() {
        return clock.nanoTime();
    }

    /** Returns: the underlay neighbour table as the control agent last published it (any thread). */
    NeighbourSnapshot neighbours() {
        return neighbours == null ? NeighbourSnapshot.EMPTY : neighbours.snapshot();
    }

    /** Returns: the manifest reload state for the admin API. */
    NodeTelemetry.ManifestState manifestState() {
        return manifestState;
    }

    /** Returns: the CNI plugin's side of the daemon, or null when it serves none (no pinDirectory). */
    public CniService cni() {
        return cni;
    }

    /** Returns: the admin API server (its bound endpoint), or null before it started. */
    public AdminServer api() {
        return api;
    }

    /** Returns: what the last apply did (initial, reload or retry). */
    public ApplyReport lastReport() {
        return lastReport;
    }

    /** Returns: the last rejection of the manifests directory, or null when the current contents were applied. */
    public String lastRejection() {
        String message = manifestState.lastRejection();
        return message.isEmpty() ? null : message;
    }

    /** Returns: whether every agent thread runs. */
    public boolean healthy() {
        return threads != null && threads.allRunning() && !closed;
    }

    /** Returns: nanoseconds since start. */
    public long uptimeNs() {
        return System.nanoTime() - startedNs;
    }

    public NodeConfig config() {
        return config;
    }

    /** Stops the node: watcher, agents, devices, maps; idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (int k = opened.size() - 1; k >= 0; k--) {
            AutoCloseable resource = opened.get(k);
            try {
                resource.close();
            } catch (Exception e) {
                log.warn("stopping: closing " + resource.getClass().getSimpleName() + " failed: " + e.getMessage());
            }
            if (resource instanceof AgentThreads && ports != null) {
                ports.closeRetired(); // workers stopped: retired devices can go now
            }
        }
        opened.clear();
    }
}
