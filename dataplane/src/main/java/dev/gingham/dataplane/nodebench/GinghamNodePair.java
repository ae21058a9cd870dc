package dev.gingham.dataplane.nodebench;

import dev.gingham.dataplane.config.IdleStrategyConfig;
import dev.gingham.dataplane.config.NodeConfig;
import dev.gingham.dataplane.daemon.DaemonLog;
import dev.gingham.dataplane.daemon.NodeDaemon;
import dev.gingham.dataplane.demo.Namespaces;
import dev.gingham.dataplane.demo.Shell;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Two Gingham nodes on one machine for the cross-node figure: each a network namespace with its
 * own {@link NodeDaemon} (in this JVM, one worker), their underlays the two ends of one veth pair
 * (each node's next hop is the other's MAC), VXLAN between them. A client pod on node 1 and a
 * server pod on node 2; traffic between them is encapsulated by node 1's worker, crosses the veth
 * and is decapsulated by node 2's. Both nodes read the same manifests (both Nodes, both pods).
 *
 * <pre>
 *   PREFIX-R-cli 10.244.1.2 eth0 (TAP) -- daemon node-1 in PREFIX-R-n1 ul0 192.168.62.10
 *                                                                      |  veth, MTU 1500, VXLAN 8472
 *   PREFIX-R-srv 10.244.2.2 eth0 (TAP) -- daemon node-2 in PREFIX-R-n2 ul0 192.168.62.20
 * </pre>
 *
 * R is the role ({@code xg} the defaults, {@code xb} TSO frames segmented before the tunnel, {@code xu}
 * segmented and one system call per frame), so the variants can stand side by side (the same
 * addresses, in different namespaces).
 */
final class GinghamNodePair implements AutoCloseable {
    static final String CLIENT_IP = "10.244.1.2";
    static final String SERVER_IP = "10.244.2.2";
    private static final String[] NODE_IPS = {"192.168.62.10", "192.168.62.20"};
    private static final String[] POD_CIDRS = {"10.244.1.0/24", "10.244.2.0/24"};
    private static final String[] UNDERLAY_MACS = {"02:00:c0:a8:3e:0a", "02:00:c0:a8:3e:14"};
    private static final String[] POD_MACS = {"02:00:0a:f4:01:02", "02:00:0a:f4:02:02"};

    private final List<NodeDaemon> daemons;
    private final PodPair pods;

    private GinghamNodePair(List<NodeDaemon> daemons, PodPair pods) {
        this.daemons = daemons;
        this.pods = pods;
    }

    /**
     * Creates the namespaces and the underlay link, writes both nodes' files into {@code directory}
     * and starts both daemons.
     *
     * @param role  a few letters naming this pair in the namespaces' names
     * @param batch  whether the underlays read and write bursts with recvmmsg/sendmmsg ({@code underlay.batch})
     * @param udpGso whether TSO frames go into the tunnel as UDP GSO datagrams ({@code underlay.udpGso})
     */
    static GinghamNodePair start(Namespaces namespaces, Path directory, String role, boolean batch, boolean udpGso,
                                 IdleStrategyConfig.Kind idle, DaemonLog log) {
        String[] nodes = {namespaces.create(role + "-n1"), namespaces.create(role + "-n2")};
        String client = namespaces.create(role + "-cli");
        String server = namespaces.create(role + "-srv");
        Shell.must("ip", "-n", nodes[0], "link", "add", "ul0", "address", UNDERLAY_MACS[0], "type", "veth",
                "peer", "name", "ul0", "address", UNDERLAY_MACS[1], "netns", nodes[1]);
        Path manifests = directory.resolve(role + "-manifests");
        NodeConfig[] configs = new NodeConfig[2];
        try {
            Files.createDirectories(manifests);
            Files.writeString(manifests.resolve("pair.yaml"), manifestsYaml(client, server));
            for (int n = 0; n < 2; n++) {
                Path file = directory.resolve(role + "-node-" + (n + 1) + ".yaml");
                Files.writeString(file, nodeYaml(n, batch, udpGso, idle, directory.resolve(role + "-api-" + (n + 1) + ".sock")));
                configs[n] = NodeConfig.load(file);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the cross-node files into " + directory + ": " + e.getMessage(), e);
        }
        NodeDaemon first = NodeDaemon.start(configs[0], manifests, nodes[0], log);
        try {
            NodeDaemon second = NodeDaemon.start(configs[1], manifests, nodes[1], log);
            return new GinghamNodePair(List.of(first, second), new PodPair("gingham-" + role, client, server, CLIENT_IP, SERVER_IP));
        } catch (RuntimeException | Error e) {
            first.close();
            throw e;
        }
    }

    PodPair pods() {
        return pods;
    }

    /** Returns: node 1's and node 2's daemons. */
    List<NodeDaemon> daemons() {
        return daemons;
    }

    /** Returns: the pod MTU both nodes give their pods (underlay 1500 minus VXLAN's 50). */
    int podMtuBytes() {
        return daemons.getFirst().config().tunnelConfig(0, 1).podMtuBytes();
    }

    private static String nodeYaml(int n, boolean batch, boolean udpGso, IdleStrategyConfig.Kind idle, Path apiSocket) {
        return """
                # gingham bench-node, cross-node: node %1$d of 2, one worker.
                nodeName: node-%1$d
                nodeAddresses: [%2$s]
                podCIDRs: [%3$s]
                clusterCIDRs: [10.244.0.0/16]
                serviceCIDRs: [10.96.0.0/12]
                workers: 1
                idleStrategy: %4$s
                underlay:
                  interface: ul0
                  nextHopMac: "%5$s"
                  batch: %6$s
                  udpGso: %8$s
                api: {listen: "unix:%7$s"}
                maps: {endpoints: 16}
                """.formatted(n + 1, NODE_IPS[n], POD_CIDRS[n], idle.spelling(), UNDERLAY_MACS[1 - n], batch, apiSocket, udpGso);
    }

    private static String manifestsYaml(String clientNs, String serverNs) {
        StringBuilder yaml = new StringBuilder("""
                apiVersion: v1
                kind: Namespace
                metadata: {name: bench}
                """);
        for (int n = 0; n < 2; n++) {
            yaml.append("""
                    ---
                    apiVersion: v1
                    kind: Node
                    metadata:
                      name: node-%d
                      annotations: {gingham.dev/underlay-mac: "%s"}
                    spec: {podCIDR: %s}
                    status:
                      addresses: [{type: InternalIP, address: %s}]
                    """.formatted(n + 1, UNDERLAY_MACS[n], POD_CIDRS[n], NODE_IPS[n]));
        }
        yaml.append(GinghamPath.pod("client", "node-1", clientNs, CLIENT_IP, POD_MACS[0]));
        yaml.append(GinghamPath.pod("server", "node-2", serverNs, SERVER_IP, POD_MACS[1]));
        return yaml.toString();
    }

    /** Stops both daemons (their pods' TAPs go with them); the namespaces are the caller's. */
    @Override
    public void close() {
        try {
            daemons.get(1).close();
        } finally {
            daemons.get(0).close();
        }
    }
}
