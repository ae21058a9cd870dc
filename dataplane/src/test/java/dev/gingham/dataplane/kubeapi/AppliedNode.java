package dev.gingham.dataplane.kubeapi;

import dev.gingham.dataplane.cluster.ClusterSource;
import dev.gingham.dataplane.cluster.ManifestSet;
import dev.gingham.dataplane.config.NodeConfig;
import dev.gingham.dataplane.k8s.ManifestException;
import dev.gingham.dataplane.node.ConfiguredNode;
import dev.gingham.maps.MapErrors;
import dev.gingham.nat.IpAddress;
import dev.gingham.nat.lb.L4Protocol;
import dev.gingham.nat.lb.Scope;
import dev.gingham.nat.lb.ServiceLookup;

import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * node-a as the daemon runs it, minus devices: a {@link ConfiguredNode} (anonymous maps) built
 * from a source's initial set, a listener that records what the source publishes or rejects, and
 * the control thread's part (take the published set, apply it) done by the test thread. Every
 * assertion is a lookup the data path would make.
 */
final class AppliedNode implements ClusterSource.Listener, AutoCloseable {
    static final String NODE_YAML = """
            nodeName: node-a
            nodeAddresses: [192.168.50.10]
            podCIDRs: [10.244.1.0/24]
            clusterCIDRs: [10.244.0.0/16]
            serviceCIDRs: [10.96.0.0/12]
            underlay: {interface: eth0}
            maps: {endpoints: 8}
            """;
    private static final long WAIT_NS = TimeUnit.SECONDS.toNanos(30);

    private final ClusterSource source;
    private final ConfiguredNode node;
    private final ServiceLookup services;
    private final BlockingQueue<Object> reports = new LinkedBlockingQueue<>();
    private volatile String lastRejection;

    /** Reads the source's initial set into a new node and starts the source with this as its listener. */
    AppliedNode(ClusterSource source) throws Exception {
        this(source, NodeConfig.parse(NODE_YAML, "node.yaml"));
    }

    AppliedNode(ClusterSource source, NodeConfig config) throws Exception {
        this.source = source;
        this.node = ConfiguredNode.create(config, source.initial(), 0, 0, false, 1L, null);
        this.services = new ServiceLookup(node.state().maps().services(), 0);
        source.start(this);
    }

    @Override
    public void loaded(ManifestSet set) {
        reports.add(set);
    }

    @Override
    public void rejected(ManifestException problems) {
        lastRejection = problems.getMessage();
        reports.add(problems);
    }

    /**
     * Applies what the source publishes, as the control thread does, until {@code state} holds.
     *
     * @throws AssertionError when it does not hold within the deadline (with what was last applied)
     */
    AppliedNode await(String what, Predicate<AppliedNode> state) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT_NS;
        while (!state.test(this)) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new AssertionError("not applied within " + TimeUnit.NANOSECONDS.toSeconds(WAIT_NS) + " s: " + what
                        + "; applied: " + node.applied().manifests().files() + "; last rejection: " + lastRejection);
            }
            reports.poll(Math.min(left, TimeUnit.MILLISECONDS.toNanos(100)), TimeUnit.NANOSECONDS);
            ManifestSet set = source.poll();
            if (set != null) {
                node.apply(set);
            }
        }
        return this;
    }

    /** Returns: the next rejection the source reports (failing after the deadline), applying what it publishes meanwhile. */
    String awaitRejection() throws InterruptedException {
        lastRejection = null;
        await("a rejection", n -> lastRejection != null);
        return lastRejection;
    }

    /** Returns: "address:port" of every backend a new TCP flow to the frontend may get; empty when there is no frontend. */
    Set<String> backends(String address, int port) {
        IpAddress a = IpAddress.parse(address);
        Set<String> found = new TreeSet<>();
        if (!hasFrontend(address, port)) {
            return found;
        }
        long frontend = services.frontend(a.hi(), a.lo(), port, L4Protocol.TCP_NUMBER, Scope.EXTERNAL);
        int[] ids = new int[64];
        int n = services.backends(frontend, ids);
        for (int i = 0; i < n; i++) {
            long b = services.backend(ids[i]);
            found.add(new IpAddress(services.backendAddrHi(b), services.backendAddrLo(b)) + ":" + services.backendPort(b));
        }
        return found;
    }

    /** Returns: whether the service map has a TCP frontend at address:port. */
    boolean hasFrontend(String address, int port) {
        IpAddress a = IpAddress.parse(address);
        return services.frontend(a.hi(), a.lo(), port, L4Protocol.TCP_NUMBER, Scope.EXTERNAL) != MapErrors.MISSING;
    }

    /** Returns: the local pods in the endpoint map by "namespace/name". */
    Set<String> localPods() {
        return new TreeSet<>(node.applied().localPods().keySet());
    }

    /** Returns: the set in force. */
    ManifestSet applied() {
        return node.applied().manifests();
    }

    ConfiguredNode node() {
        return node;
    }

    @Override
    public void close() {
        source.close();
        node.close();
    }
}
