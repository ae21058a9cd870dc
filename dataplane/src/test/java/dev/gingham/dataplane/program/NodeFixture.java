package dev.gingham.dataplane.program;

import dev.gingham.dataplane.cluster.ManifestSet;
import dev.gingham.dataplane.config.NodeConfig;
import dev.gingham.dataplane.node.ConfiguredNode;
import dev.gingham.dataplane.node.NodeState;
import dev.gingham.encap.TunnelMode;
import dev.gingham.packet.BufferPool;
import dev.gingham.packet.FrameVector;
import dev.gingham.packet.PacketBuilder;

import java.util.Locale;
import java.util.Map;

/**
 * One node as the pipeline tests (and the pipeline benchmarks in jmh) see it, built the way the
 * daemon and replay build a node: a node configuration and Kubernetes manifests through
 * {@link ConfiguredNode} (so the pods' identities, routes and the service come from
 * {@code ClusterApplier}, the one path that writes them).
 * <pre>
 *  pod a (port 0)   10.244.1.5 fd00:10:244:1::5 0a:00:00:00:00:05  labels app=client
 *  pod b (port 1)   10.244.1.6 fd00:10:244:1::6 0a:00:00:00:00:06  labels app=web
 *  underlay port 8  node 192.168.1.10 and fd00:192:168:1::10 (MAC 02:00:00:00:00:10), uplink 02:00:00:00:00:fe
 *  host port 9      host MAC 02:00:00:00:00:02
 *  gateway          10.244.1.1 and fd00:10:244:1::1, MAC 02:00:00:00:00:01 (the pods' router; also node 2's,
 *                   as every Gingham node's)
 *  node 2           192.168.1.11 (MAC 02:00:00:00:00:11), pods 10.244.2.0/24 and fd00:10:244:2::/64;
 *                   pod c 10.244.2.7 fd00:10:244:2::7 app=web
 *  service web      10.96.0.10:80/TCP -> b:8080, NodePort 30080 (IPv4 only)
 * </pre>
 * Every pod is dual-stack; the IPv4 paths are the ones most tests use.
 */
public final class NodeFixture implements AutoCloseable {
    public static final int POD_A = 0;
    public static final int POD_B = 1;
    public static final int UNDERLAY = 8;
    public static final int HOST = 9;
    public static final String NODE_IP = "192.168.1.10";
    public static final String NODE2_IP = "192.168.1.11";
    public static final String GATEWAY_IP = "10.244.1.1";
    public static final String A_IP = "10.244.1.5";
    public static final String B_IP = "10.244.1.6";
    public static final String C_IP = "10.244.2.7";
    public static final String VIP = "10.96.0.10";
    public static final String NODE_IP6 = "fd00:192:168:1::10";
    public static final String GATEWAY_IP6 = "fd00:10:244:1::1";
    public static final String A_IP6 = "fd00:10:244:1::5";
    public static final String B_IP6 = "fd00:10:244:1::6";
    public static final String C_IP6 = "fd00:10:244:2::7";
    /** Pod a's link-local address as the kernel derives it from its MAC (EUI-64, RFC 4291 appendix A). */
    public static final String A_LINK_LOCAL = "fe80::800:ff:fe00:5";
    public static final String ROUTER_MAC = "02:00:00:00:00:01";
    public static final String HOST_MAC = "02:00:00:00:00:02";
    public static final String UNDERLAY_MAC = "02:00:00:00:00:10";
    public static final String NODE2_MAC = "02:00:00:00:00:11";
    public static final String UPLINK_MAC = "02:00:00:00:00:fe";
    public static final String A_MAC = "0a:00:00:00:00:05";
    public static final String B_MAC = "0a:00:00:00:00:06";
    public static final long SECOND = 1_000_000_000L;

    private static final String NODE_YAML = """
            nodeName: node-1
            nodeAddresses: [%s, "%s"]
            podCIDRs: [10.244.1.0/24, "fd00:10:244:1::/64"]
            clusterCIDRs: [10.244.0.0/16, "fd00:10:244::/48"]
            serviceCIDRs: [10.96.0.0/12]
            gateway: {mac: "%s"}
            underlay: {interface: eth0, mac: "%s", nextHopMac: "%s", udpGso: %s}
            tunnel: {mode: %s}
            conntrack: {tcpEntries: %d, otherEntries: %d}
            maps: {endpoints: 8, ipcacheEntries: 1024, nodes: 8, egressSources: 16, egressRules: 16, policyRows: 4096}
            """;
    private static final String MANIFESTS = """
            apiVersion: v1
            kind: Namespace
            metadata: {name: default}
            ---
            apiVersion: v1
            kind: Node
            metadata: {name: node-1}
            spec: {podCIDRs: [10.244.1.0/24, "fd00:10:244:1::/64"]}
            status: {addresses: [{type: InternalIP, address: %1$s}]}
            ---
            apiVersion: v1
            kind: Node
            metadata:
              name: node-2
              annotations: {gingham.dev/underlay-mac: "%3$s"}
            spec: {podCIDRs: [10.244.2.0/24, "fd00:10:244:2::/64"]}
            status: {addresses: [{type: InternalIP, address: %2$s}]}
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: a, namespace: default, labels: {app: client}, annotations: {gingham.dev/mac: "%5$s"}}
            spec: {nodeName: node-1}
            status: {podIP: %4$s, podIPs: [{ip: %4$s}, {ip: "%10$s"}]}
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: b, namespace: default, labels: {app: web}, annotations: {gingham.dev/mac: "%7$s"}}
            spec: {nodeName: node-1}
            status: {podIP: %6$s, podIPs: [{ip: %6$s}, {ip: "%11$s"}]}
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: c, namespace: default, labels: {app: web}}
            spec: {nodeName: node-2}
            status: {podIP: %8$s, podIPs: [{ip: %8$s}, {ip: "%12$s"}]}
            ---
            apiVersion: v1
            kind: Service
            metadata: {name: web, namespace: default}
            spec:
              type: NodePort
              clusterIP: %9$s
              ports: [{name: http, protocol: TCP, port: 80, targetPort: 8080, nodePort: 30080}]
            ---
            apiVersion: discovery.k8s.io/v1
            kind: EndpointSlice
            metadata: {name: web-1, namespace: default, labels: {kubernetes.io/service-name: web}}
            addressType: IPv4
            ports: [{name: http, protocol: TCP, port: 8080}]
            endpoints:
            - addresses: [%6$s]
              conditions: {ready: true}
              nodeName: node-1
            """;

    public final ConfiguredNode configured;
    public final NodeState node;
    public final NodePipeline pipeline;
    private final BufferPool pool = BufferPool.allocate(64, BufferPool.DEFAULT_BUFFER_SIZE);
    public final FrameVector vector = new FrameVector(pool);
    public long nowNs = 100 * SECOND;

    public NodeFixture(TunnelMode mode) {
        this(mode, 4096, 4096);
    }

    /** A node with conntrack tables of the given sizes (benchmarks of new flows need millions). */
    public NodeFixture(TunnelMode mode, int tcpEntries, int otherEntries) {
        this(mode, tcpEntries, otherEntries, true);
    }

    /** A node whose TCP GSO frames into the tunnel leave as UDP GSO datagrams ({@code udpGso}, the default) or are segmented first. */
    public NodeFixture(TunnelMode mode, boolean udpGso) {
        this(mode, 4096, 4096, udpGso);
    }

    private NodeFixture(TunnelMode mode, int tcpEntries, int otherEntries, boolean udpGso) {
        NodeConfig config = NodeConfig.parse(String.format(Locale.ROOT, NODE_YAML, NODE_IP, NODE_IP6, ROUTER_MAC, UNDERLAY_MAC,
                UPLINK_MAC, udpGso, mode.name().toLowerCase(Locale.ROOT), tcpEntries, otherEntries), "fixture node.yaml");
        ManifestSet manifests = ManifestSet.of("fixture", Map.of("cluster.yaml", String.format(Locale.ROOT, MANIFESTS,
                NODE_IP, NODE2_IP, NODE2_MAC, A_IP, A_MAC, B_IP, B_MAC, C_IP, VIP, A_IP6, B_IP6, C_IP6)));
        configured = ConfiguredNode.create(config, manifests, 0, PacketBuilder.mac(HOST_MAC), false, 42L, null);
        if (configured.port("default/a") != POD_A || configured.port("default/b") != POD_B
                || configured.underlayPort() != UNDERLAY || configured.hostPort() != HOST) {
            configured.close();
            throw new IllegalStateException("port layout changed: update the fixture's constants");
        }
        node = configured.state();
        pipeline = node.pipeline(0);
    }


    /** Runs one frame in from {@code port}; returns its verdict (the frame's bytes are then {@link #out()}). */
    public int send(int port, byte[] frame) {
        vector.releaseAll();
        PacketBuilder.load(vector, port, frame);
        pipeline.run(vector, nowNs);
        return vector.verdict(0);
    }

    public byte[] out() {
        return PacketBuilder.bytesOf(vector, 0);
    }

    public byte[] out(int i) {
        return PacketBuilder.bytesOf(vector, i);
    }

    @Override
    public void close() {
        vector.releaseAll();
        configured.close();
        pool.close();
    }
}
