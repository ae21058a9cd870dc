package dev.gingham.dataplane.program;

import dev.gingham.conntrack.CtConfig;
import dev.gingham.conntrack.CtLifetimes;
import dev.gingham.dataplane.k8s.Namespace;
import dev.gingham.dataplane.k8s.Pod;
import dev.gingham.dataplane.node.NodeSizes;
import dev.gingham.dataplane.node.NodeState;
import dev.gingham.encap.TunnelConfig;
import dev.gingham.encap.TunnelMode;
import dev.gingham.nat.IpAddress;
import dev.gingham.nat.lb.Algorithm;
import dev.gingham.nat.lb.BackendState;
import dev.gingham.nat.lb.L4Protocol;
import dev.gingham.nat.lb.LbConfig;
import dev.gingham.nat.lb.ServiceSpec;
import dev.gingham.nat.snat.SnatConfig;
import dev.gingham.packet.BufferPool;
import dev.gingham.packet.Cidr;
import dev.gingham.packet.FrameVector;
import dev.gingham.packet.PacketBuilder;
import dev.gingham.packet.header.Addresses;

import java.util.List;
import java.util.Map;

/**
 * One node as the pipeline tests (and the pipeline benchmarks in jmh) see it:
 * <pre>
 *  underlay port 0  node 192.168.1.10 (MAC 02:00:00:00:00:10), uplink 02:00:00:00:00:fe
 *  host port 1      host MAC 02:00:00:00:00:02
 *  gateway          10.244.1.1, MAC 02:00:00:00:00:01 (the pods' router)
 *  pod a (port 2)   10.244.1.5 0a:00:00:00:00:05  labels app=client
 *  pod b (port 3)   10.244.1.6 0a:00:00:00:00:06  labels app=web
 *  node 2           192.168.1.11 (MAC 02:00:00:00:00:11), pods 10.244.2.0/24; pod c 10.244.2.7 app=web
 *  service web      10.96.0.10:80/TCP -> b:8080, NodePort 30080
 * </pre>
 */
public final class NodeFixture implements AutoCloseable {
    public static final int UNDERLAY = 0;
    public static final int HOST = 1;
    public static final int POD_A = 2;
    public static final int POD_B = 3;
    public static final String NODE_IP = "192.168.1.10";
    public static final String NODE2_IP = "192.168.1.11";
    public static final String GATEWAY_IP = "10.244.1.1";
    public static final String A_IP = "10.244.1.5";
    public static final String B_IP = "10.244.1.6";
    public static final String C_IP = "10.244.2.7";
    public static final String VIP = "10.96.0.10";
    public static final String ROUTER_MAC = "02:00:00:00:00:01";
    public static final String HOST_MAC = "02:00:00:00:00:02";
    public static final String UNDERLAY_MAC = "02:00:00:00:00:10";
    public static final String NODE2_MAC = "02:00:00:00:00:11";
    public static final String UPLINK_MAC = "02:00:00:00:00:fe";
    public static final String A_MAC = "0a:00:00:00:00:05";
    public static final String B_MAC = "0a:00:00:00:00:06";
    public static final long SECOND = 1_000_000_000L;

    public final NodeState node;
    public final NodePipeline pipeline;
    private final BufferPool pool = BufferPool.allocate(64, BufferPool.DEFAULT_BUFFER_SIZE);
    public final FrameVector vector = new FrameVector(pool);
    public long nowNs = 100 * SECOND;

    public NodeFixture(TunnelMode mode) {
        this(mode, new CtConfig(4096, 4096, CtLifetimes.defaults()));
    }

    /** A node with a conntrack table of the given size (benchmarks of new flows need millions). */
    public NodeFixture(TunnelMode mode, CtConfig conntrack) {
        TunnelConfig tunnel = TunnelConfig.builder(mode, Addresses.parseIpv4(NODE_IP), PacketBuilder.mac(UNDERLAY_MAC), UNDERLAY,
                Addresses.parseIpv4(GATEWAY_IP), PacketBuilder.mac(ROUTER_MAC)).build();
        SnatConfig snat = SnatConfig.of(NODE_IP, List.of("10.244.0.0/16"), List.of("10.96.0.0/12"));
        PipelineConfig config = new PipelineConfig(tunnel, snat, HOST, PacketBuilder.mac(HOST_MAC), PacketBuilder.mac(UPLINK_MAC),
                List.of(IpAddress.parse(NODE_IP)), PipelineConfig.DEFAULT_HAIRPIN_ADDRESS);
        LbConfig lb = LbConfig.defaults(List.of(IpAddress.parse(NODE_IP))).withCapacity(16, 64, 256, 16, 4);
        node = NodeState.create(config, lb, conntrack,
                new NodeSizes(8, 1024, 8, 4096, 256, 1024, 16, 16), 1, null, 42L);
        pipeline = node.pipeline(0);
        node.policy().upsertNamespace(Namespace.of("default", Map.of()));
        node.upsertLocalPod(pod("a", A_IP, "client"), POD_A, PacketBuilder.mac(A_MAC));
        node.upsertLocalPod(pod("b", B_IP, "web"), POD_B, PacketBuilder.mac(B_MAC));
        node.nodeRoutes().upsertNode(2, Addresses.parseIpv4(NODE2_IP), PacketBuilder.mac(NODE2_MAC),
                PacketBuilder.mac(NODE2_MAC), List.of(Cidr.parse("10.244.2.0/24")));
        node.upsertRemotePod(pod("c", C_IP, "web"), 2, Addresses.parseIpv4(NODE2_IP));
        node.services().upsert(new ServiceSpec("default", "web", ServiceSpec.Type.NODE_PORT, List.of(IpAddress.parse(VIP)),
                List.of(), List.of(), List.of(new ServiceSpec.Port("http", L4Protocol.TCP, 80, 30080)), Algorithm.RANDOM, 0,
                ServiceSpec.TrafficPolicy.CLUSTER, ServiceSpec.TrafficPolicy.CLUSTER, ServiceSpec.NoBackendAction.REJECT,
                List.of(new ServiceSpec.Backend("http", IpAddress.parse(B_IP), 8080, BackendState.ACTIVE, 1, true, 0))));
    }

    public static Pod pod(String name, String ip, String app) {
        return new Pod("default", name, Map.of("app", app), IpAddress.parse(ip), List.of());
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
        node.close();
        pool.close();
    }
}
