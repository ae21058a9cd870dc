package dev.gingham.dataplane.demo;

import dev.gingham.dataplane.config.NodeConfig;
import dev.gingham.dataplane.daemon.DaemonLog;
import dev.gingham.dataplane.daemon.NodeDaemon;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A one-node Kubernetes cluster in network namespaces, run by a real {@link NodeDaemon}: what
 * {@code gingham demo} shows and what the daemon's end-to-end tests drive.
 *
 * <pre>
 *   PREFIX-ext (192.168.60.1, "outside")          PREFIX-node (the node; the daemon's devices)
 *       eth0  &lt;------------- veth -------------&gt;  ul0 (underlay, no kernel address, the kernel kept off it)
 *                                                 route 192.168.60.0/24 dev gingham_host src 192.168.60.10
 *                                                 gingham_host (gateway 10.244.1.1, node 192.168.60.10)
 *   pods (each its own namespace PREFIX-NAME, eth0 = a TAP of the daemon):
 *     client 10.244.1.2 (app=client)   web-1/2/3 10.244.1.11-13 (app=web)   db 10.244.1.20 (app=db)
 *   services: web  ClusterIP 10.96.0.10:80 -&gt; web pods :8080, NodePort 30080
 *             echo ClusterIP 10.96.0.30:7/UDP -&gt; web pods :7007
 *             db   ClusterIP 10.96.0.20:5432 -&gt; db :5432; NetworkPolicy db-from-web: only app=web may connect
 *   another node: demo-node-b at 192.168.60.20 with pods in 10.244.2.0/24 (VXLAN; its frames are
 *             seen on the external namespace's eth0, nobody answers them)
 * </pre>
 *
 * <p>The manifests are plain Kubernetes YAML ({@link #manifestsDirectory()}), written as a user
 * would; the node configuration is {@link #configFile()}. {@link #startServers()} runs small
 * python3 servers (servers.py) that say who they are and whom they saw. {@link #close()} stops
 * everything and deletes every namespace, also after a failure; namespaces a killed earlier run
 * left behind under the same prefix are deleted by {@link #create}.
 */
public final class DemoCluster implements AutoCloseable {
    public static final String NODE_IP = "192.168.60.10";
    public static final String EXTERNAL_IP = "192.168.60.1";
    /** The underlay network: the node and the outside host. */
    public static final String UNDERLAY_CIDR = "192.168.60.0/24";
    public static final String EXTERNAL_MAC = "02:00:c0:a8:3c:01";
    public static final String GATEWAY_IP = "10.244.1.1";
    public static final String WEB_VIP = "10.96.0.10";
    public static final String DB_VIP = "10.96.0.20";
    public static final String ECHO_VIP = "10.96.0.30";
    public static final int NODE_PORT = 30080;
    /** Another node's underlay address (nobody answers there: its frames are seen on the wire only). */
    public static final String REMOTE_NODE_IP = "192.168.60.20";
    /** A pod on the other node, reached over VXLAN. */
    public static final String REMOTE_POD_IP = "10.244.2.5";
    public static final int EXTERNAL_PORT = 9000;
    /** Pod name to address. */
    public static final Map<String, String> PODS = Map.of("client", "10.244.1.2", "web-1", "10.244.1.11",
            "web-2", "10.244.1.12", "web-3", "10.244.1.13", "db", "10.244.1.20");
    public static final List<String> WEB_PODS = List.of("web-1", "web-2", "web-3");
    private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(10);

    private final String prefix;
    private final Path directory;
    private final Namespaces namespaces;
    private final List<Process> servers = new ArrayList<>();
    private NodeDaemon daemon;
    private boolean closed;

    private DemoCluster(String prefix, Path directory) {
        this.prefix = prefix;
        this.directory = directory;
        this.namespaces = new Namespaces(prefix);
    }

    /**
     * Builds the namespaces, writes the configuration and manifests into {@code directory}, and
     * starts the daemon in the node namespace.
     *
     * @param prefix namespace name prefix (unique per run; letters, digits, '-')
     */
    public static DemoCluster create(String prefix, Path directory, DaemonLog log) {
        DemoCluster cluster = prepare(prefix, directory);
        cluster.start(log);
        return cluster;
    }

    /**
     * Returns: a cluster that has created nothing yet. Why two steps: a Ctrl-C handler can hold
     * it before {@link #start} begins, and its {@link #close()} then removes whatever the start
     * had created by that moment (and stops the start from creating more).
     */
    public static DemoCluster prepare(String prefix, Path directory) {
        return new DemoCluster(prefix, directory);
    }

    /**
     * Builds the namespaces, writes the files and starts the daemon; on failure everything made
     * so far is removed before the exception propagates.
     *
     * @throws IllegalStateException when {@link #close()} ran first or a command failed
     */
    public void start(DaemonLog log) {
        try {
            build();
            startDaemon(log);
        } catch (RuntimeException | Error e) {
            close();
            throw e;
        }
    }

    /**
     * Builds the namespaces and writes the files without starting a daemon: for running
     * {@code gingham run} on them as a separate process ({@code --config} {@link #configFile()},
     * {@code --manifests} {@link #manifestsDirectory()}, {@code --netns} {@link #nodeNamespace()}).
     * Namespaces an earlier, killed run left under the same prefix are deleted first.
     */
    public void build() {
        namespaces.removeLeftovers();
        buildNamespacesAndFiles();
    }

    private void startDaemon(DaemonLog log) {
        NodeDaemon started = NodeDaemon.start(NodeConfig.load(configFile()), manifestsDirectory(), nodeNamespace(), log);
        synchronized (this) {
            if (closed) {
                started.close();
                throw new IllegalStateException("the demo cluster was closed while it started");
            }
            daemon = started;
        }
        // The node's own route to its network, through Gingham, as on a node whose NIC is Gingham's
        // alone: the node's kernel can now answer the outside (and would reset every connection
        // Gingham serves, if it also saw the underlay's frames).
        Shell.must("ip", "-n", nodeNamespace(), "route", "add", UNDERLAY_CIDR, "dev", "gingham_host", "src", NODE_IP);
    }

    private void buildNamespacesAndFiles() {
        String node = namespace("node");
        String ext = namespace("ext");
        Shell.must("ip", "-n", node, "link", "add", "ul0", "type", "veth", "peer", "name", "eth0", "netns", ext);
        Shell.must("ip", "-n", ext, "link", "set", "eth0", "address", EXTERNAL_MAC);
        Shell.must("ip", "-n", ext, "addr", "add", EXTERNAL_IP + "/24", "dev", "eth0");
        Shell.must("ip", "-n", ext, "link", "set", "eth0", "up");
        for (String pod : PODS.keySet()) {
            namespace(pod);
        }
        try {
            Files.createDirectories(manifestsDirectory());
            Files.writeString(configFile(), nodeYaml());
            Files.writeString(manifestsDirectory().resolve("cluster.yaml"), clusterYaml());
            Files.writeString(manifestsDirectory().resolve("web.yaml"), webYaml());
            Files.writeString(manifestsDirectory().resolve("db.yaml"), dbYaml());
            try (InputStream script = DemoCluster.class.getResourceAsStream("servers.py")) {
                Files.write(serversScript(), script.readAllBytes());
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the demo's files into " + directory + ": " + e.getMessage(), e);
        }
    }

    /**
     * Creates namespace PREFIX-ROLE (IPv6 off, loopback up), deleted by {@link #close()}: the
     * pods' and also a test's extra ones.
     */
    public synchronized String namespace(String role) {
        if (closed) {
            throw new IllegalStateException("the demo cluster " + prefix + " is closed");
        }
        return namespaces.create(role);
    }

    /** Starts the servers: HTTP :8080 and UDP echo :7007 on the web pods, TCP :5432 on db, TCP :9000 outside. */
    public void startServers() {
        for (String web : WEB_PODS) {
            server(podNamespace(web), "http", web, 8080);
            server(podNamespace(web), "udp-echo", web, 7007);
        }
        server(podNamespace("db"), "tcp-hello", "db", 5432);
        server(externalNamespace(), "tcp-hello", "outside", EXTERNAL_PORT);
        Namespaces.awaitTcpListener(podNamespace("web-1"), 8080);
        Namespaces.awaitTcpListener(podNamespace("db"), 5432);
        Namespaces.awaitTcpListener(externalNamespace(), EXTERNAL_PORT);
        for (String web : WEB_PODS) {
            Namespaces.awaitTcpListener(podNamespace(web), 8080);
        }
    }

    private synchronized void server(String netns, String mode, String name, int port) {
        if (closed) {
            throw new IllegalStateException("the demo cluster " + prefix + " is closed");
        }
        try {
            servers.add(new ProcessBuilder("ip", "netns", "exec", netns, "python3", serversScript().toString(),
                    mode, name, Integer.toString(port)).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start python3 in " + netns + ": " + e.getMessage(), e);
        }
    }

    /** Runs a command inside a namespace with a time limit. */
    public Shell.Result exec(String netns, Duration timeout, String... command) {
        List<String> full = new ArrayList<>(List.of("ip", "netns", "exec", netns));
        full.addAll(List.of(command));
        return Shell.run(timeout, full);
    }

    public String podNamespace(String pod) {
        return prefix + "-" + pod;
    }

    public String nodeNamespace() {
        return prefix + "-node";
    }

    public String externalNamespace() {
        return prefix + "-ext";
    }

    public Path configFile() {
        return directory.resolve("node.yaml");
    }

    public Path manifestsDirectory() {
        return directory.resolve("manifests");
    }

    /** Returns: servers.py (the servers, and the UDP client {@code udp-ask}). */
    public Path serversScript() {
        return directory.resolve("servers.py");
    }

    /** Returns: the unix socket of the daemon's admin API ({@code gingham service list --api unix:PATH}). */
    public Path apiSocket() {
        return directory.resolve("api.sock");
    }

    /** Returns: the directory holding node.yaml, the manifests and servers.py. */
    public Path directory() {
        return directory;
    }

    public String prefix() {
        return prefix;
    }

    public NodeDaemon daemon() {
        return daemon;
    }

    /**
     * Stops the servers and the daemon, deletes every namespace; safe after a partial start, from
     * another thread (a shutdown hook) and more than once.
     */
    @Override
    public synchronized void close() {
        closed = true;
        for (Process p : servers) {
            Shell.destroyTree(p);
        }
        servers.clear();
        if (daemon != null) {
            daemon.close();
            daemon = null;
        }
        namespaces.close();
    }

    private String nodeYaml() {
        return """
                # The demo node: one worker, VXLAN for (absent) other nodes, masquerade to the outside.
                nodeName: demo-node
                nodeAddresses: [%s]
                podCIDRs: [10.244.1.0/24]
                clusterCIDRs: [10.244.0.0/16]
                serviceCIDRs: [10.96.0.0/12]
                underlay:
                  interface: ul0
                  nextHopMac: "%s"
                maps: {endpoints: 16}
                api: {listen: "unix:%s"}
                """.formatted(NODE_IP, EXTERNAL_MAC, apiSocket());
    }

    private String clusterYaml() {
        StringBuilder pods = new StringBuilder("""
                apiVersion: v1
                kind: Namespace
                metadata: {name: demo}
                ---
                apiVersion: v1
                kind: Node
                metadata: {name: demo-node}
                spec: {podCIDR: 10.244.1.0/24}
                status:
                  addresses: [{type: InternalIP, address: %s}]
                ---
                apiVersion: v1
                kind: Node
                metadata:
                  name: demo-node-b
                  annotations: {gingham.dev/underlay-mac: "%s"}
                spec: {podCIDR: 10.244.2.0/24}
                status:
                  addresses: [{type: InternalIP, address: %s}]
                """.formatted(NODE_IP, EXTERNAL_MAC, REMOTE_NODE_IP));
        for (String pod : List.of("client", "web-1", "web-2", "web-3", "db")) {
            pods.append(podYaml(pod, pod.startsWith("web") ? "web" : pod, podNamespace(pod), PODS.get(pod)));
        }
        return pods.toString();
    }

    /**
     * Returns: a Pod of namespace demo on this node, as a YAML document starting with {@code ---}:
     * label app={@code app}, interface in network namespace {@code netns}, address {@code ip}.
     */
    public static String podYaml(String name, String app, String netns, String ip) {
        return podYaml(name, app, netns, "demo-node", ip);
    }

    /** Returns: {@link #podYaml(String, String, String, String)} of a pod on node {@code node} (several-node clusters). */
    public static String podYaml(String name, String app, String netns, String node, String ip) {
        return """
                ---
                apiVersion: v1
                kind: Pod
                metadata:
                  name: %s
                  namespace: demo
                  labels: {app: %s}
                  annotations: {gingham.dev/netns: %s}
                spec:
                  nodeName: %s
                  containers: [{name: main, image: "python:3"}]
                status: {phase: Running, podIP: %s}
                """.formatted(name, app, netns, node, ip);
    }

    private static String webYaml() {
        StringBuilder endpoints = new StringBuilder();
        for (String web : WEB_PODS) {
            endpoints.append("  - addresses: [").append(PODS.get(web)).append("]\n")
                    .append("    conditions: {ready: true}\n")
                    .append("    nodeName: demo-node\n")
                    .append("    targetRef: {kind: Pod, namespace: demo, name: ").append(web).append("}\n");
        }
        return """
                apiVersion: v1
                kind: Service
                metadata: {name: web, namespace: demo}
                spec:
                  type: NodePort
                  clusterIP: %s
                  selector: {app: web}
                  ports: [{name: http, port: 80, targetPort: 8080, nodePort: %d}]
                ---
                apiVersion: discovery.k8s.io/v1
                kind: EndpointSlice
                metadata:
                  name: web-1a2b3
                  namespace: demo
                  labels: {kubernetes.io/service-name: web}
                addressType: IPv4
                ports: [{name: http, protocol: TCP, port: 8080}]
                endpoints:
                %s---
                apiVersion: v1
                kind: Service
                metadata: {name: echo, namespace: demo}
                spec:
                  clusterIP: %s
                  selector: {app: web}
                  ports: [{name: echo, protocol: UDP, port: 7, targetPort: 7007}]
                ---
                apiVersion: discovery.k8s.io/v1
                kind: EndpointSlice
                metadata:
                  name: echo-4c5d6
                  namespace: demo
                  labels: {kubernetes.io/service-name: echo}
                addressType: IPv4
                ports: [{name: echo, protocol: UDP, port: 7007}]
                endpoints:
                %s""".formatted(WEB_VIP, NODE_PORT, endpoints, ECHO_VIP, endpoints);
    }

    private static String dbYaml() {
        return """
                apiVersion: v1
                kind: Service
                metadata: {name: db, namespace: demo}
                spec:
                  clusterIP: %s
                  selector: {app: db}
                  ports: [{name: postgres, port: 5432, targetPort: 5432}]
                ---
                apiVersion: discovery.k8s.io/v1
                kind: EndpointSlice
                metadata:
                  name: db-7e8f9
                  namespace: demo
                  labels: {kubernetes.io/service-name: db}
                addressType: IPv4
                ports: [{name: postgres, protocol: TCP, port: 5432}]
                endpoints:
                  - addresses: [%s]
                    conditions: {ready: true}
                    nodeName: demo-node
                ---
                # Only the web tier may reach the database.
                apiVersion: networking.k8s.io/v1
                kind: NetworkPolicy
                metadata: {name: db-from-web, namespace: demo}
                spec:
                  podSelector: {matchLabels: {app: db}}
                  policyTypes: [Ingress]
                  ingress:
                    - from: [{podSelector: {matchLabels: {app: web}}}]
                      ports: [{protocol: TCP, port: 5432}]
                """.formatted(DB_VIP, PODS.get("db"));
    }
}
