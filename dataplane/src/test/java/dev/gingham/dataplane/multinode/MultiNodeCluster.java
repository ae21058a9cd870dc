package dev.gingham.dataplane.multinode;

import dev.gingham.dataplane.config.NodeConfig;
import dev.gingham.dataplane.daemon.DaemonLog;
import dev.gingham.dataplane.daemon.NodeDaemon;
import dev.gingham.dataplane.demo.DemoCluster;
import dev.gingham.dataplane.demo.Namespaces;
import dev.gingham.dataplane.demo.Shell;
import dev.gingham.encap.TunnelMode;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Several Gingham nodes on one machine, each a network namespace running its own in-process
 * {@link NodeDaemon}, on one underlay L2 segment, with one shared manifests directory, as a real
 * cluster shares its API server:
 *
 * <pre>
 *   PREFIX-br   Linux bridge br0 (the underlay switch); every other underlay veth's peer is a port of it
 *   PREFIX-out  "outside" host 192.168.70.1 (eth0 on the bridge): the nodes' underlay gateway
 *               (underlay.gateway, resolved by ARP) and the client/server outside the cluster
 *   PREFIX-nI   Gingham node I (1..N): underlay ul0 = 192.168.70.(10+I), pod CIDR 10.244.I.0/24,
 *               gateway MAC 02:00:00:67:68:0I, the daemon's gingham_host; no MAC of any peer is
 *               configured anywhere
 *   PREFIX-POD  a pod's namespace (eth0 = a TAP of its node's daemon), 10.244.I.(2+k)
 *   PREFIX-k    optional plain-Linux node (VXLAN only): flannel.1 (VNI 1, port 8472, nolearning) with
 *               flannel's routes, neighbour and FDB entries to every Gingham node, bridge cni0
 *               10.244.(N+1).1/24 and pod PREFIX-kpod 10.244.(N+1).2 behind it; its Node object
 *               carries flannel's backend-data (VtepMAC) and public-ip annotations
 * </pre>
 * All nodes share one L2 segment, which is what native routing needs (a node's next hop to
 * another node's pods is that node itself, as flannel host-gw); the tunnel modes would work
 * across a router too (underlay.subnet + underlay.gateway).
 *
 * <p>{@link #close()} stops daemons and servers and deletes every namespace, also after a failed
 * start; namespaces a killed run left under the same prefix are removed before anything is made.
 */
public final class MultiNodeCluster implements AutoCloseable {
    public static final String OUTSIDE_IP = "192.168.70.1";
    public static final String OUTSIDE_MAC = "02:00:c0:a8:46:01";
    public static final String UNDERLAY_CIDR = "192.168.70.0/24";
    public static final String KERNEL_VTEP_MAC = "02:00:00:6b:76:01";
    private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(10);

    /** One pod: its name (also its namespace's role), node (1-based; N+1 is the kernel node), address and app label. */
    public record Pod(String name, int node, String ip, String app) {
    }

    private final String prefix;
    private final Path directory;
    private final TunnelMode mode;
    private final int nodes;
    private final boolean kernelNode;
    private final Map<String, Pod> pods = new LinkedHashMap<>();
    private final Map<String, String> extraManifests = new LinkedHashMap<>();
    private final Namespaces namespaces;
    private final List<NodeDaemon> daemons = new ArrayList<>();
    private final List<ByteArrayOutputStream> logs = new ArrayList<>();
    private final List<Process> servers = new ArrayList<>();
    private boolean closed;

    private MultiNodeCluster(String prefix, Path directory, TunnelMode mode, int nodes, boolean kernelNode) {
        if (nodes < 1 || nodes > 8) {
            throw new IllegalArgumentException("nodes: 1..8, got " + nodes);
        }
        if (kernelNode && mode != TunnelMode.VXLAN) {
            throw new IllegalArgumentException("a kernel node speaks VXLAN only (this kernel has no ipip or geneve device)");
        }
        this.prefix = prefix;
        this.directory = directory;
        this.mode = mode;
        this.nodes = nodes;
        this.kernelNode = kernelNode;
        this.namespaces = new Namespaces(prefix);
    }

    /**
     * Returns: a cluster that has made nothing yet; add pods and manifests, then {@link #start()}.
     *
     * @param kernelNode add the plain-Linux flannel-style node (VXLAN only)
     */
    public static MultiNodeCluster prepare(String prefix, Path directory, TunnelMode mode, int nodes, boolean kernelNode) {
        return new MultiNodeCluster(prefix, directory, mode, nodes, kernelNode);
    }

    /** Adds pod {@code name} on node {@code node} (1-based; {@link #kernelNodeIndex()} for the kernel node's). */
    public MultiNodeCluster pod(String name, int node, String app) {
        if (node < 1 || node > nodes + (kernelNode ? 1 : 0)) {
            throw new IllegalArgumentException("pod " + name + ": no node " + node);
        }
        long onNode = pods.values().stream().filter(p -> p.node() == node).count();
        pods.put(name, new Pod(name, node, "10.244." + node + "." + (2 + onNode), app));
        return this;
    }

    /** Adds a manifest file (Services, EndpointSlices...) to the shared directory. */
    public MultiNodeCluster manifest(String fileName, String yaml) {
        extraManifests.put(fileName, yaml);
        return this;
    }

    /** Builds the namespaces and files and starts every node's daemon; on failure everything is removed. */
    public MultiNodeCluster start() {
        try {
            namespaces.removeLeftovers();
            build();
            for (int i = 1; i <= nodes; i++) {
                ByteArrayOutputStream log = new ByteArrayOutputStream();
                logs.add(log);
                NodeDaemon daemon = NodeDaemon.start(NodeConfig.load(configFile(i)), manifestsDirectory(), nodeNamespace(i),
                        new DaemonLog(new PrintStream(log, true, StandardCharsets.UTF_8), true));
                synchronized (this) {
                    daemons.add(daemon);
                }
            }
            return this;
        } catch (RuntimeException | Error e) {
            close();
            throw e;
        }
    }

    private void build() {
        String bridge = namespaces.create("br");
        Shell.must("ip", "-n", bridge, "link", "add", "br0", "type", "bridge");
        Shell.must("ip", "-n", bridge, "link", "set", "br0", "up");
        String outside = namespaces.create("out");
        plug(outside, "eth0", OUTSIDE_MAC);
        Shell.must("ip", "-n", outside, "addr", "add", OUTSIDE_IP + "/24", "dev", "eth0");
        for (int i = 1; i <= nodes; i++) {
            plug(namespaces.create("n" + i), "ul0", null);
        }
        for (Pod pod : pods.values()) {
            namespaces.create(pod.name());
        }
        if (kernelNode) {
            buildKernelNode();
        }
        try {
            Files.createDirectories(manifestsDirectory());
            for (int i = 1; i <= nodes; i++) {
                Files.writeString(configFile(i), nodeYaml(i));
            }
            Files.writeString(manifestsDirectory().resolve("cluster.yaml"), clusterYaml());
            for (Map.Entry<String, String> e : extraManifests.entrySet()) {
                Files.writeString(manifestsDirectory().resolve(e.getKey()), e.getValue());
            }
            try (InputStream script = DemoCluster.class.getResourceAsStream("servers.py")) {
                Files.write(serversScript(), script.readAllBytes());
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the cluster's files into " + directory + ": " + e.getMessage(), e);
        }
    }

    /** A veth from {@code netns} ({@code device}, up) into the bridge. */
    private void plug(String netns, String device, String mac) {
        String port = "p-" + netns.substring(prefix.length() + 1);
        Shell.must("ip", "-n", namespaces.name("br"), "link", "add", port, "type", "veth", "peer", "name", device, "netns", netns);
        Shell.must("ip", "-n", namespaces.name("br"), "link", "set", port, "master", "br0", "up");
        if (mac != null) {
            Shell.must("ip", "-n", netns, "link", "set", device, "address", mac);
        }
        Shell.must("ip", "-n", netns, "link", "set", device, "up");
    }

    /**
     * The plain-Linux node, configured as flannel's VXLAN backend configures a node: flannel.1 with
     * a /32 of its subnet's network address, for each other node a route "its subnet via its .0
     * onlink dev flannel.1", a permanent neighbour entry (that .0 is at the node's VTEP MAC) and an
     * FDB entry (that MAC is behind the node's public IP).
     */
    private void buildKernelNode() {
        int k = kernelNodeIndex();
        String knode = namespaces.create("k");
        plug(knode, "eth0", null);
        String ip = nodeIp(k);
        Shell.must("ip", "-n", knode, "addr", "add", ip + "/24", "dev", "eth0");
        Shell.must("ip", "netns", "exec", knode, "sysctl", "-qw", "net.ipv4.ip_forward=1");
        Shell.must("ip", "-n", knode, "link", "add", "flannel.1", "address", KERNEL_VTEP_MAC, "type", "vxlan", "id", "1",
                "dstport", "8472", "local", ip, "dev", "eth0", "nolearning");
        Shell.must("ip", "-n", knode, "addr", "add", "10.244." + k + ".0/32", "dev", "flannel.1");
        Shell.must("ip", "-n", knode, "link", "set", "flannel.1", "up");
        Shell.must("ip", "-n", knode, "link", "add", "cni0", "type", "bridge");
        Shell.must("ip", "-n", knode, "addr", "add", "10.244." + k + ".1/24", "dev", "cni0");
        Shell.must("ip", "-n", knode, "link", "set", "cni0", "up");
        for (int i = 1; i <= nodes; i++) {
            String subnetAddress = "10.244." + i + ".0";
            Shell.must("ip", "-n", knode, "route", "add", subnetAddress + "/24", "via", subnetAddress, "dev", "flannel.1", "onlink");
            Shell.must("ip", "-n", knode, "neigh", "add", subnetAddress, "lladdr", gatewayMac(i), "dev", "flannel.1", "nud", "permanent");
            Shell.must("bridge", "-n", knode, "fdb", "append", gatewayMac(i), "dev", "flannel.1", "dst", nodeIp(i));
        }
        for (Pod pod : pods.values()) {
            if (pod.node() == k) {
                String netns = namespaces.name(pod.name());
                String port = "v-" + pod.name();
                Shell.must("ip", "-n", knode, "link", "add", port, "type", "veth", "peer", "name", "eth0", "netns", netns);
                Shell.must("ip", "-n", knode, "link", "set", port, "master", "cni0", "up");
                Shell.must("ip", "-n", netns, "addr", "add", pod.ip() + "/24", "dev", "eth0");
                Shell.must("ip", "-n", netns, "link", "set", "eth0", "mtu", "1450", "up");
                Shell.must("ip", "-n", netns, "route", "add", "default", "via", "10.244." + k + ".1");
            }
        }
    }

    /** Starts {@code servers.py MODE NAME PORT} in pod (or role) namespace {@code netns} and waits for TCP listeners. */
    public synchronized void server(String netns, String mode, String name, int port) {
        if (closed) {
            throw new IllegalStateException("the cluster " + prefix + " is closed");
        }
        try {
            servers.add(new ProcessBuilder("ip", "netns", "exec", netns, "python3", serversScript().toString(), mode, name,
                    Integer.toString(port)).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start python3 in " + netns + ": " + e.getMessage(), e);
        }
        if (!mode.startsWith("udp")) {
            Namespaces.awaitTcpListener(netns, port);
        }
    }

    /** Runs a command inside a namespace with a time limit. */
    public Shell.Result exec(String netns, Duration timeout, String... command) {
        List<String> full = new ArrayList<>(List.of("ip", "netns", "exec", netns));
        full.addAll(List.of(command));
        return Shell.run(timeout, full);
    }

    public String namespace(String role) {
        return namespaces.name(role);
    }

    public String nodeNamespace(int node) {
        return namespaces.name("n" + node);
    }

    public String outsideNamespace() {
        return namespaces.name("out");
    }

    public String bridgeNamespace() {
        return namespaces.name("br");
    }

    /** Returns: the bridge port (in {@link #bridgeNamespace()}) that node {@code node}'s underlay is plugged into. */
    public String bridgePort(int node) {
        return node == kernelNodeIndex() && kernelNode ? "p-k" : "p-n" + node;
    }

    public static String nodeIp(int node) {
        return "192.168.70." + (10 + node);
    }

    /**
     * Returns: Gingham node {@code node}'s gateway MAC, also its VTEP MAC (inner frames to it may
     * carry any MAC; a kernel VXLAN peer's FDB needs one MAC per node, or it floods every node).
     */
    public static String gatewayMac(int node) {
        return String.format(Locale.ROOT, "02:00:00:67:68:%02x", node);
    }

    public static String nodeName(int node) {
        return "node-" + node;
    }

    public int kernelNodeIndex() {
        return nodes + 1;
    }

    public Pod pod(String name) {
        Pod pod = pods.get(name);
        if (pod == null) {
            throw new IllegalArgumentException("no pod " + name);
        }
        return pod;
    }

    public NodeDaemon daemon(int node) {
        return daemons.get(node - 1);
    }

    public TunnelMode mode() {
        return mode;
    }

    public Path configFile(int node) {
        return directory.resolve("node-" + node + ".yaml");
    }

    public Path manifestsDirectory() {
        return directory.resolve("manifests");
    }

    public Path serversScript() {
        return directory.resolve("servers.py");
    }

    /** Returns: every daemon's log so far, headed by its node's name. */
    public String logs() {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < logs.size(); i++) {
            out.append("---- ").append(nodeName(i + 1)).append(" ----\n").append(logs.get(i).toString(StandardCharsets.UTF_8));
        }
        return out.toString();
    }

    private String nodeYaml(int node) {
        return String.format(Locale.ROOT, """
                # Gingham node %1$d of %2$d: no peer MAC anywhere, the uplink is the outside host (resolved by ARP).
                nodeName: %3$s
                nodeAddresses: [%4$s]
                podCIDRs: [10.244.%1$d.0/24]
                clusterCIDRs: [10.244.0.0/16]
                serviceCIDRs: [10.96.0.0/12]
                gateway: {mac: "%5$s"}
                underlay:
                  interface: ul0
                  gateway: %6$s
                  subnet: %7$s
                tunnel: {mode: %8$s}
                maps: {endpoints: 16}
                api: {listen: "unix:%9$s"}
                """, node, nodes, nodeName(node), nodeIp(node), gatewayMac(node), OUTSIDE_IP, UNDERLAY_CIDR,
                mode.name().toLowerCase(Locale.ROOT), directory.resolve("api-" + node + ".sock"));
    }

    private String clusterYaml() {
        StringBuilder yaml = new StringBuilder("""
                apiVersion: v1
                kind: Namespace
                metadata: {name: demo}
                """);
        for (int i = 1; i <= nodes; i++) {
            yaml.append(String.format(Locale.ROOT, """
                    ---
                    apiVersion: v1
                    kind: Node
                    metadata: {name: %s}
                    spec: {podCIDR: 10.244.%d.0/24}
                    status:
                      addresses: [{type: InternalIP, address: %s}]
                    """, nodeName(i), i, nodeIp(i)));
        }
        if (kernelNode) {
            int k = kernelNodeIndex();
            yaml.append(String.format(Locale.ROOT, """
                    ---
                    apiVersion: v1
                    kind: Node
                    metadata:
                      name: %s
                      annotations:
                        flannel.alpha.coreos.com/backend-type: vxlan
                        flannel.alpha.coreos.com/backend-data: '{"VNI":1,"VtepMAC":"%s"}'
                        flannel.alpha.coreos.com/public-ip: %s
                    spec: {podCIDR: 10.244.%d.0/24}
                    status:
                      addresses: [{type: InternalIP, address: %s}]
                    """, nodeName(k), KERNEL_VTEP_MAC, nodeIp(k), k, nodeIp(k)));
        }
        for (Pod pod : pods.values()) {
            yaml.append(DemoCluster.podYaml(pod.name(), pod.app(), namespaces.name(pod.name()), nodeName(pod.node()), pod.ip()));
        }
        return yaml.toString();
    }

    /** Stops servers and daemons, deletes every namespace; safe after a partial start and more than once. */
    @Override
    public synchronized void close() {
        closed = true;
        for (Process p : servers) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
        }
        servers.clear();
        for (NodeDaemon daemon : daemons) {
            daemon.close();
        }
        daemons.clear();
        namespaces.close();
    }
}
