package dev.gingham.dataplane.nodebench;

import dev.gingham.dataplane.config.IdleStrategyConfig;
import dev.gingham.dataplane.config.NodeConfig;
import dev.gingham.dataplane.daemon.DaemonLog;
import dev.gingham.dataplane.daemon.NodeDaemon;
import dev.gingham.dataplane.demo.Namespaces;
import dev.gingham.dataplane.demo.Shell;
import dev.gingham.packet.header.Addresses;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The Gingham side: a one-node cluster run by a real {@link NodeDaemon} in this JVM, with two pods
 * (client and server, each a TAP of the daemon in its own namespace) and the {@link BenchServices}
 * as Service and EndpointSlice objects. The node's underlay is a veth into an otherwise idle
 * namespace (the daemon needs one; no benchmark traffic crosses it).
 *
 * <pre>
 *   PREFIX-g-cli  10.244.1.2 eth0 (TAP) --+
 *                                         +-- NodeDaemon (1 worker) in PREFIX-g-node --ul0-- PREFIX-g-ext
 *   PREFIX-g-srv  10.244.1.3 eth0 (TAP) --+
 * </pre>
 */
final class GinghamPath implements AutoCloseable {
    static final String CLIENT_IP = "10.244.1.2";
    static final String SERVER_IP = "10.244.1.3";
    static final String CLIENT_MAC = "02:00:0a:f4:01:02";
    static final String SERVER_MAC = "02:00:0a:f4:01:03";
    private static final String NODE_IP = "192.168.61.10";
    private static final String EXTERNAL_IP = "192.168.61.1";
    private static final String EXTERNAL_MAC = "02:00:c0:a8:3d:01";
    private static final String CLIENT_ROLE = "g-cli";
    private static final String SERVER_ROLE = "g-srv";
    /** The admin API's socket, in the work directory. */
    static final String API_SOCKET = "api.sock";

    private final NodeDaemon daemon;
    private final PodPair pods;

    private GinghamPath(NodeDaemon daemon, PodPair pods) {
        this.daemon = daemon;
        this.pods = pods;
    }

    /**
     * The daemon's input files, written before anything runs (the kernel path takes its MTU from them).
     *
     * @param config the node configuration as the daemon reads it
     */
    record NodeFiles(Path manifests, NodeConfig config) {
        int podMtuBytes() {
            return config.tunnelConfig(0, 1).podMtuBytes();
        }
    }

    /** Writes node.yaml and the manifests into {@code directory}; pods' namespaces are named after {@code namespaces}. */
    static NodeFiles writeFiles(Namespaces namespaces, Path directory, IdleStrategyConfig.Kind idle) {
        Path config = directory.resolve("node.yaml");
        Path manifests = directory.resolve("manifests");
        try {
            Files.createDirectories(manifests);
            Files.writeString(config, nodeYaml(idle, directory.resolve(API_SOCKET)));
            Files.writeString(manifests.resolve("bench.yaml"), manifestsYaml(namespaces.name(CLIENT_ROLE), namespaces.name(SERVER_ROLE)));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the benchmark's node files into " + directory + ": " + e.getMessage(), e);
        }
        return new NodeFiles(manifests, NodeConfig.load(config));
    }

    /** Creates the namespaces and starts the daemon on the files {@link #writeFiles} wrote. */
    static GinghamPath start(Namespaces namespaces, NodeFiles files, DaemonLog log) {
        String node = namespaces.create("g-node");
        String ext = namespaces.create("g-ext");
        String client = namespaces.create(CLIENT_ROLE);
        String server = namespaces.create(SERVER_ROLE);
        Shell.must("ip", "-n", node, "link", "add", "ul0", "type", "veth", "peer", "name", "eth0", "netns", ext);
        Shell.must("ip", "-n", ext, "link", "set", "eth0", "address", EXTERNAL_MAC);
        Shell.must("ip", "-n", ext, "addr", "add", EXTERNAL_IP + "/24", "dev", "eth0");
        Shell.must("ip", "-n", ext, "link", "set", "eth0", "up");
        NodeDaemon daemon = NodeDaemon.start(files.config(), files.manifests(), node, log);
        return new GinghamPath(daemon, new PodPair("gingham", client, server, CLIENT_IP, SERVER_IP));
    }

    PodPair pods() {
        return pods;
    }

    NodeDaemon daemon() {
        return daemon;
    }

    /** Returns: the MAC the client's frames are addressed to (the pods' gateway). */
    long gatewayMac() {
        return daemon.config().gateway().mac();
    }

    static long clientMac() {
        return Addresses.parseMac(CLIENT_MAC);
    }

    /**
     * The admin API's address: a unix socket in the work directory, not the daemon's default
     * 127.0.0.1:9890, which a running {@code gingham run}, another bench-node or a test run on the
     * same machine may hold (the benchmark reads the daemon in this JVM and never calls its API).
     */
    private static String nodeYaml(IdleStrategyConfig.Kind idle, Path apiSocket) {
        return """
                # gingham bench-node: one worker, the idle strategy under test.
                nodeName: bench-node
                nodeAddresses: [%s]
                podCIDRs: [10.244.1.0/24]
                clusterCIDRs: [10.244.0.0/16]
                serviceCIDRs: [10.96.0.0/12]
                workers: 1
                idleStrategy: %s
                underlay:
                  interface: ul0
                  nextHopMac: "%s"
                api: {listen: "unix:%s"}
                maps: {endpoints: 16}
                """.formatted(NODE_IP, idle.spelling(), EXTERNAL_MAC, apiSocket);
    }

    private static String manifestsYaml(String clientNs, String serverNs) {
        StringBuilder yaml = new StringBuilder("""
                apiVersion: v1
                kind: Namespace
                metadata: {name: bench}
                ---
                apiVersion: v1
                kind: Node
                metadata: {name: bench-node}
                spec: {podCIDR: 10.244.1.0/24}
                status:
                  addresses: [{type: InternalIP, address: %s}]
                """.formatted(NODE_IP));
        yaml.append(pod("client", "bench-node", clientNs, CLIENT_IP, CLIENT_MAC));
        yaml.append(pod("server", "bench-node", serverNs, SERVER_IP, SERVER_MAC));
        yaml.append(service("iperf", BenchServices.IPERF_VIP, "TCP", BenchServices.IPERF_PORT));
        yaml.append(service("udp-sink", BenchServices.UDP_VIP, "UDP", BenchServices.UDP_PORT));
        yaml.append(service("rr", BenchServices.RR_VIP, "TCP", BenchServices.RR_PORT));
        return yaml.toString();
    }

    /** Returns: a Pod object (namespace bench, label app=NAME) on node {@code node} whose interface goes into {@code netns}. */
    static String pod(String name, String node, String netns, String ip, String mac) {
        return """
                ---
                apiVersion: v1
                kind: Pod
                metadata:
                  name: %s
                  namespace: bench
                  labels: {app: %s}
                  annotations: {gingham.dev/netns: %s, gingham.dev/mac: "%s"}
                spec:
                  nodeName: %s
                  containers: [{name: main, image: "networkstatic/iperf3"}]
                status: {phase: Running, podIP: %s}
                """.formatted(name, name, netns, mac, node, ip);
    }

    private static String service(String name, String vip, String protocol, int port) {
        return """
                ---
                apiVersion: v1
                kind: Service
                metadata: {name: %1$s, namespace: bench}
                spec:
                  clusterIP: %2$s
                  selector: {app: server}
                  ports: [{name: p, protocol: %3$s, port: %4$d, targetPort: %4$d}]
                ---
                apiVersion: discovery.k8s.io/v1
                kind: EndpointSlice
                metadata:
                  name: %1$s-1
                  namespace: bench
                  labels: {kubernetes.io/service-name: %1$s}
                addressType: IPv4
                ports: [{name: p, protocol: %3$s, port: %4$d}]
                endpoints:
                  - addresses: [%5$s]
                    conditions: {ready: true}
                    nodeName: bench-node
                    targetRef: {kind: Pod, namespace: bench, name: server}
                """.formatted(name, vip, protocol, port, SERVER_IP);
    }

    /** Stops the daemon (its pods' TAPs go with it); the namespaces are the caller's. */
    @Override
    public void close() {
        daemon.close();
    }
}
