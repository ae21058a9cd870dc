package dev.gingham.dataplane.fuzz;

import dev.gingham.dataplane.cluster.ManifestSet;
import dev.gingham.dataplane.config.NodeConfig;
import dev.gingham.dataplane.node.ConfiguredNode;
import dev.gingham.dataplane.program.NodePipeline;
import dev.gingham.packet.Cidr;
import dev.gingham.packet.FrameVector;
import dev.gingham.packet.header.Addresses;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The node every pipeline fuzzer attacks (the fuzz command and the Jazzer pipeline harness): node-a
 * of a small "shop" cluster built from the configuration and manifests shipped beside this class
 * (local pods, a remote node, a NodePort service with Maglev and affinity, a policy, an egress
 * gateway policy), the addresses, ports and MACs worth aiming at, per port the pod behind it and
 * the floods that fill its state, and the pipeline as a {@link FuzzHarness.Target} whose state is
 * checked after every vector ({@link NatConntrackInvariant}).
 *
 * <p>Fuzzed ports, by index: 0 the pod shop/web-1, 1 the underlay, 2 the host port.
 */
public final class FuzzNode implements AutoCloseable {
    /** Fuzzed ports: {@link #portName(int)} of 0, 1, 2. */
    public static final int PORTS = 3;
    /** The fuzzed pod's port name (port 0). */
    public static final String POD_PORT = "shop/web-1";
    /**
     * Vectors between two full conntrack/SNAT cross-checks (a walk of both maps). Tuned when the fuzz
     * node's tables held 65,536 entries each: a check took about 15 ms once they were full, and every
     * 64 vectors it was a third of the fuzz command's time, every 1,024 about 5%. The tables are
     * 8,192 entries now (fuzz/cluster/node.yaml), so a check is shorter and a denser interval would
     * cost less; the interval was not re-measured since. Why checking this seldom still catches every
     * inconsistency that stays: the fuzz loop never runs the conntrack sweeper, so during a run
     * nothing removes an entry or a mapping, and a disagreement between them lasts until a later
     * frame of the same flow repairs it or the run ends; each port's run ends with a full check
     * ({@link #checkState()}), which reports whatever is left. 1,024 vectors are 262,144 frames,
     * 0.26 s of the fuzz clock, far below the shortest conntrack lifetime (10 s, TCP closing), so the
     * exemption for expired entries cannot hide a missing mapping between two checks either. What a
     * sparser schedule can miss is a disagreement that a later frame repairs within the interval; the
     * interval is a power of two of vectors, so the checked instants do not line up with anything the
     * frame stream repeats.
     */
    public static final int FULL_CHECK_VECTORS = 1024;
    /** Half the pod port's frames carry web-1's real source, so they get past anti-spoofing. */
    public static final int ENDPOINT_SHARE_PERCENT = 50;
    /** One frame in ten opens a new flow from a flood. */
    public static final int FLOOD_PERCENT = 10;

    private static final String RESOURCES = "/dev/gingham/dataplane/fuzz/cluster/";
    private static final List<String> MANIFESTS = List.of("namespaces.yaml", "nodes.yaml", "pods.yaml", "policy.yaml",
            "web.yaml", "egress.yaml");
    private static final long NODE_HASH_SEED = 0x66757a7aL;
    /** shop/web-1, the pod behind the fuzzed pod port: address and MAC (0a:58 + its address). */
    private static final int WEB1_IP = 0x0AF4_010A;
    private static final long WEB1_MAC = 0x0A_58_0A_F4_01_0AL;
    private static final long UNDERLAY_NEXT_HOP_MAC = 0x02_00_00_00_00_FEL;
    private static final long DAY_NS = 86_400_000_000_000L;

    private final ConfiguredNode node;
    private final NodePipeline pipeline;
    private final NatConntrackInvariant state;
    private final FuzzAddresses addresses;
    private final String[] portNames;
    private final int[] ports;
    private long vectors;
    private long lastNowNs;

    private FuzzNode(ConfiguredNode node) {
        this.node = node;
        this.pipeline = node.state().pipeline(0);
        this.state = new NatConntrackInvariant(node.state().maps().conntrack(), node.state().maps().snat());
        this.addresses = new FuzzAddresses(
                List.of(Cidr.parse("10.244.1.0/28"), Cidr.parse("10.244.2.0/28"), Cidr.parse("10.96.0.48/28"),
                        Cidr.parse("192.168.50.8/30"), Cidr.parse("8.8.8.0/30"), Cidr.parse("169.254.42.1/32"),
                        Cidr.parse("fd00:10:244:1::/120")),
                new int[]{80, 8080, 9100, 30080, 30091, 53, 5432, 8472, 6081},
                new long[]{Addresses.parseMac("0a:58:0a:f4:01:0a"), Addresses.parseMac("0a:58:0a:f4:01:0b"),
                        NodeConfig.DEFAULT_GATEWAY_MAC, ConfiguredNode.DEFAULT_UNDERLAY_MAC, UNDERLAY_NEXT_HOP_MAC});
        this.portNames = new String[]{node.portName(node.port(POD_PORT)), ConfiguredNode.UNDERLAY, ConfiguredNode.HOST};
        this.ports = new int[]{node.port(POD_PORT), node.underlayPort(), node.hostPort()};
    }

    /** Builds the node from its shipped configuration and manifests. */
    public static FuzzNode create() {
        NodeConfig config = NodeConfig.parse(resource("node.yaml"), "built-in fuzz node.yaml");
        Map<String, String> files = new LinkedHashMap<>();
        for (String name : MANIFESTS) {
            files.put(name, resource(name));
        }
        return new FuzzNode(ConfiguredNode.create(config, ManifestSet.of("built-in fuzz cluster", files), 0, 0, false,
                NODE_HASH_SEED, null));
    }

    /** Returns: the ingress port number of fuzzed port {@code index} (0 pod, 1 underlay, 2 host). */
    public int port(int index) {
        return ports[index];
    }

    /** Returns: the name of fuzzed port {@code index} ("shop/web-1", "underlay", "host"). */
    public String portName(int index) {
        return portNames[index];
    }

    /** Returns: the fuzz command's frame stream for port {@code index}: mutated frames mixed with that port's floods. */
    public FuzzMix source(int index, long seed) {
        FrameFuzzer fuzzer = new FrameFuzzer(seed, addresses,
                index == 0 ? new FrameFuzzer.Endpoint(WEB1_IP, WEB1_MAC, ENDPOINT_SHARE_PERCENT) : null);
        return new FuzzMix(seed, fuzzer, floods(index), FLOOD_PERCENT);
    }

    /**
     * Returns: the fuzz command's run of fuzzed port {@code index} in a run seeded {@code runSeed}:
     * that port's frame stream ({@link #source}) seeded {@code runSeed + index}, so the three ports
     * get different frames and one seed reproduces all three, through {@code harness}.
     */
    public FuzzRun run(FuzzHarness harness, int index, long runSeed) {
        long portSeed = runSeed + index;
        return new FuzzRun(harness, source(index, portSeed), portSeed, port(index), portName(index));
    }

    /**
     * The floods of each port: the pod's new flows to the outside (masquerade: exhausts the node's
     * SNAT ports), to the egress gateway's partner range and to the web ClusterIP (fills
     * conntrack); clients outside to the NodePort (conntrack, and SNAT to the node for the backend
     * on node-b); the host to the ClusterIP.
     */
    static FlowFlood[] floods(int index) {
        long gateway = NodeConfig.DEFAULT_GATEWAY_MAC;
        return switch (index) {
            case 0 -> new FlowFlood[]{
                    new FlowFlood(new FlowFlood.Spec(Cidr.parse("10.244.1.10/32"), Cidr.parse("8.8.8.0/30"), 53, 53,
                            FlowFlood.UDP, WEB1_MAC, gateway)),
                    new FlowFlood(new FlowFlood.Spec(Cidr.parse("10.244.1.10/32"), Cidr.parse("198.51.100.0/26"), 443, 443,
                            FlowFlood.TCP, WEB1_MAC, gateway)),
                    new FlowFlood(new FlowFlood.Spec(Cidr.parse("10.244.1.10/32"), Cidr.parse("10.96.0.50/32"), 80, 80,
                            FlowFlood.TCP, WEB1_MAC, gateway))};
            case 1 -> new FlowFlood[]{
                    new FlowFlood(new FlowFlood.Spec(Cidr.parse("203.0.113.0/24"), Cidr.parse("192.168.50.10/32"), 30080, 30080,
                            FlowFlood.TCP, UNDERLAY_NEXT_HOP_MAC, ConfiguredNode.DEFAULT_UNDERLAY_MAC))};
            default -> new FlowFlood[]{
                    new FlowFlood(new FlowFlood.Spec(Cidr.parse("192.168.50.10/32"), Cidr.parse("10.96.0.50/32"), 80, 80,
                            FlowFlood.TCP, ConfiguredNode.DEFAULT_HOST_MAC, gateway))};
        };
    }

    /**
     * Returns: the whole pipeline as a harness target; after every vector the tables' occupancy is
     * checked, and every {@link #FULL_CHECK_VECTORS} vectors conntrack against SNAT.
     */
    public FuzzHarness.Target target() {
        return new FuzzHarness.Target() {
            @Override
            public void run(FrameVector vector, long nowNs) {
                lastNowNs = nowNs;
                pipeline.run(vector, nowNs);
            }

            @Override
            public String checkState() {
                return ++vectors % FULL_CHECK_VECTORS == 0 ? state.check(lastNowNs) : state.checkOccupancy();
            }
        };
    }

    /** Returns: the full conntrack/SNAT cross-check at the clock of the last vector (null: consistent). */
    public String checkState() {
        return state.check(lastNowNs);
    }

    /**
     * Expires every flow (the conntrack sweeper a day after {@code nowNs}, as the control agent
     * would run it) and checks that nothing is left: every mapping released with its flow, every
     * port back in its pool. What a stateless harness input ends with.
     *
     * @return null when the node is empty again, else what is left
     */
    public String expireAll(long nowNs) {
        for (int round = 0; round < 4 && conntrackEntries() > 0; round++) {
            node.state().sweepConntrackRound(nowNs + DAY_NS);
        }
        int left = conntrackEntries();
        int mappings = node.state().maps().snat().count();
        if (left != 0 || mappings != 0) {
            return "a day later the sweeper left " + left + " conntrack entries and " + mappings + " SNAT mappings";
        }
        return state.check(nowNs + DAY_NS);
    }

    /** Returns: live conntrack entries, TCP and other. */
    public int conntrackEntries() {
        return node.state().maps().conntrack().tcpCount() + node.state().maps().conntrack().nonTcpCount();
    }

    /** Returns: live SNAT mappings. */
    public int snatMappings() {
        return node.state().maps().snat().count();
    }

    public ConfiguredNode node() {
        return node;
    }

    @Override
    public void close() {
        node.close();
    }

    private static String resource(String name) {
        try (InputStream in = FuzzNode.class.getResourceAsStream(RESOURCES + name)) {
            if (in == null) {
                throw new IllegalStateException("built-in fuzz resource missing: " + RESOURCES + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
