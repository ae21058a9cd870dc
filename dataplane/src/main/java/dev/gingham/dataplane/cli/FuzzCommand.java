package dev.gingham.dataplane.cli;

import dev.gingham.dataplane.cluster.ManifestSet;
import dev.gingham.dataplane.config.NodeConfig;
import dev.gingham.dataplane.fuzz.FlowFlood;
import dev.gingham.dataplane.fuzz.FrameFuzzer;
import dev.gingham.dataplane.fuzz.FuzzAddresses;
import dev.gingham.dataplane.fuzz.FuzzHarness;
import dev.gingham.dataplane.fuzz.FuzzMix;
import dev.gingham.dataplane.fuzz.FuzzRun;
import dev.gingham.dataplane.fuzz.NatConntrackInvariant;
import dev.gingham.dataplane.fuzz.ReproducerWriter;
import dev.gingham.dataplane.node.ConfiguredNode;
import dev.gingham.dataplane.program.NodePipeline;
import dev.gingham.packet.Cidr;
import dev.gingham.packet.FrameVector;
import dev.gingham.packet.header.Addresses;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

/**
 * {@code gingham fuzz}: structure-aware fuzzing of the whole node pipeline. The node is built in
 * (node-a of a small "shop" cluster: local pods, a remote node, a NodePort service with Maglev and
 * affinity, a policy, an egress gateway policy); mutated frames aimed at its addresses, ports and
 * MACs enter through a pod port, the underlay and the host port in turn. After every vector the
 * harness checks its invariants (no exception, frames inside their buffers, emitted frames parse
 * with correct checksums, buffer pool balanced, tables within their sizes, and, every
 * {@link PipelineTarget#FULL_CHECK_VECTORS} vectors and at the end, conntrack and SNAT consistent
 * with each other: {@link NatConntrackInvariant}). Half the pod port's frames carry the pod's real
 * source (past anti-spoofing) and one in ten is a new flow from a flood ({@link FuzzMix}). A
 * failure writes a reproducer pcapng and the seed and exits 1.
 */
@Command(name = "fuzz", mixinStandardHelpOptions = true,
        description = "Fuzz the node pipeline with structure-aware mutated frames; exits 1 with a reproducer on failure.")
public final class FuzzCommand implements Callable<Integer> {
    private static final String RESOURCES = "/dev/gingham/dataplane/fuzz/cluster/";
    private static final List<String> MANIFESTS = List.of("namespaces.yaml", "nodes.yaml", "pods.yaml", "policy.yaml",
            "web.yaml", "egress.yaml");
    private static final long NODE_HASH_SEED = 0x66757a7aL;
    /** shop/web-1, the pod behind the fuzzed pod port: address and MAC (0a:58 + its address). */
    private static final int WEB1_IP = 0x0AF4_010A;
    private static final long WEB1_MAC = 0x0A_58_0A_F4_01_0AL;
    private static final long UNDERLAY_NEXT_HOP_MAC = 0x02_00_00_00_00_FEL;
    /** Half the pod port's frames carry web-1's real source, so they get past anti-spoofing. */
    private static final int ENDPOINT_SHARE_PERCENT = 50;
    /** One frame in ten opens a new flow from a flood. */
    private static final int FLOOD_PERCENT = 10;

    @Option(names = "--seconds", defaultValue = "10", description = "how long to fuzz (default ${DEFAULT-VALUE})")
    long seconds;

    @Option(names = "--seed", description = "the seed (default: random; printed so a run can be repeated)")
    Long seed;

    @Option(names = "--corpus", defaultValue = "fuzz-findings", description = "where reproducers go (default ${DEFAULT-VALUE})")
    Path corpus;

    @Override
    public Integer call() throws IOException {
        long runSeed = seed != null ? seed : System.nanoTime() ^ ProcessHandle.current().pid();
        NodeConfig config = NodeConfig.parse(resource("node.yaml"), "built-in fuzz node.yaml");
        Map<String, String> files = new LinkedHashMap<>();
        for (String name : MANIFESTS) {
            files.put(name, resource(name));
        }
        try (ConfiguredNode node = ConfiguredNode.create(config, ManifestSet.of("built-in fuzz cluster", files), 0, 0, false,
                NODE_HASH_SEED, null)) {
            NodePipeline pipeline = node.state().pipeline(0);
            FuzzAddresses addresses = new FuzzAddresses(
                    List.of(Cidr.parse("10.244.1.0/28"), Cidr.parse("10.244.2.0/28"), Cidr.parse("10.96.0.48/28"),
                            Cidr.parse("192.168.50.8/30"), Cidr.parse("8.8.8.0/30"), Cidr.parse("169.254.42.1/32"), Cidr.parse("fd00:10:244:1::/120")),
                    new int[]{80, 8080, 9100, 30080, 30091, 53, 5432, 8472, 6081},
                    new long[]{Addresses.parseMac("0a:58:0a:f4:01:0a"), Addresses.parseMac("0a:58:0a:f4:01:0b"),
                            NodeConfig.DEFAULT_GATEWAY_MAC, ConfiguredNode.DEFAULT_UNDERLAY_MAC, Addresses.parseMac("02:00:00:00:00:fe")});
            String[] portNames = {node.portName(node.port("shop/web-1")), ConfiguredNode.UNDERLAY, ConfiguredNode.HOST};
            long perPortNs = TimeUnit.SECONDS.toNanos(Math.max(1, seconds)) / portNames.length;
            int exit = 0;
            NatConntrackInvariant state = new NatConntrackInvariant(node.state().maps().conntrack(), node.state().maps().snat());
            PipelineTarget target = new PipelineTarget(pipeline, state);
            for (int p = 0; p < portNames.length && exit == 0; p++) {
                long portSeed = runSeed + p;
                FrameFuzzer fuzzer = new FrameFuzzer(portSeed, addresses,
                        p == 0 ? new FrameFuzzer.Endpoint(WEB1_IP, WEB1_MAC, ENDPOINT_SHARE_PERCENT) : null);
                FuzzMix mix = new FuzzMix(portSeed, fuzzer, floods(p), FLOOD_PERCENT);
                try (FuzzHarness harness = new FuzzHarness(target)) { // one per port: each summary counts its own frames
                    FuzzRun run = new FuzzRun(harness, mix, portSeed, node.port(portNames[p]), portNames[p]);
                    FuzzRun.Result result = run.run(Long.MAX_VALUE, perPortNs, new ReproducerWriter(corpus),
                            "./gingham fuzz --seed " + Long.toUnsignedString(runSeed) + " --seconds " + seconds);
                    String endState = result.passed() ? state.check(target.lastNowNs) : null;
                    System.out.println("port " + portNames[p] + ": " + run.summary(result));
                    if (endState != null) {
                        System.out.println("  state after the run: " + endState + " (rerun the seed to reproduce: state builds up"
                                + " over the whole run)");
                    }
                    System.out.println(String.format("  state: conntrack %,d TCP + %,d other entries, %,d SNAT mappings;"
                                    + " conntrack/NAT cross-checked every %d vectors and at the end",
                            node.state().maps().conntrack().tcpCount(), node.state().maps().conntrack().nonTcpCount(),
                            node.state().maps().snat().count(), PipelineTarget.FULL_CHECK_VECTORS));
                    exit = result.passed() && endState == null ? 0 : 1;
                }
            }
            return exit;
        }
    }

    /**
     * The floods of each port: a pod's new flows to the outside (masquerade: exhausts the node's
     * SNAT ports), to the egress gateway's partner range and to the web ClusterIP (fills
     * conntrack); clients outside to the NodePort (conntrack, and SNAT to node for the backend on
     * node-b); the host to the ClusterIP.
     */
    private static FlowFlood[] floods(int portIndex) {
        long gateway = NodeConfig.DEFAULT_GATEWAY_MAC;
        long web1Mac = WEB1_MAC;
        return switch (portIndex) {
            case 0 -> new FlowFlood[]{
                    new FlowFlood(new FlowFlood.Spec(Cidr.parse("10.244.1.10/32"), Cidr.parse("8.8.8.0/30"), 53, 53,
                            FlowFlood.UDP, web1Mac, gateway)),
                    new FlowFlood(new FlowFlood.Spec(Cidr.parse("10.244.1.10/32"), Cidr.parse("198.51.100.0/26"), 443, 443,
                            FlowFlood.TCP, web1Mac, gateway)),
                    new FlowFlood(new FlowFlood.Spec(Cidr.parse("10.244.1.10/32"), Cidr.parse("10.96.0.50/32"), 80, 80,
                            FlowFlood.TCP, web1Mac, gateway))};
            case 1 -> new FlowFlood[]{
                    new FlowFlood(new FlowFlood.Spec(Cidr.parse("203.0.113.0/24"), Cidr.parse("192.168.50.10/32"), 30080, 30080,
                            FlowFlood.TCP, UNDERLAY_NEXT_HOP_MAC, ConfiguredNode.DEFAULT_UNDERLAY_MAC))};
            default -> new FlowFlood[]{
                    new FlowFlood(new FlowFlood.Spec(Cidr.parse("192.168.50.10/32"), Cidr.parse("10.96.0.50/32"), 80, 80,
                            FlowFlood.TCP, ConfiguredNode.DEFAULT_HOST_MAC, gateway))};
        };
    }

    /**
     * The whole pipeline as the harness's target, with the node's state checked after every
     * vector: occupancy always, the conntrack/NAT cross-check every {@link #FULL_CHECK_VECTORS}.
     */
    private static final class PipelineTarget implements FuzzHarness.Target {
        /** A full cross-check walks both maps: every 64 vectors keeps it near 5% of the run. */
        static final int FULL_CHECK_VECTORS = 64;
        private final NodePipeline pipeline;
        private final NatConntrackInvariant state;
        private long vectors;
        long lastNowNs;

        PipelineTarget(NodePipeline pipeline, NatConntrackInvariant state) {
            this.pipeline = pipeline;
            this.state = state;
        }

        @Override
        public void run(FrameVector vector, long nowNs) {
            lastNowNs = nowNs;
            pipeline.run(vector, nowNs);
        }

        @Override
        public String checkState() {
            return ++vectors % FULL_CHECK_VECTORS == 0 ? state.check(lastNowNs) : state.checkOccupancy();
        }
    }

    private static String resource(String name) {
        try (InputStream in = FuzzCommand.class.getResourceAsStream(RESOURCES + name)) {
            if (in == null) {
                throw new IllegalStateException("built-in fuzz resource missing: " + RESOURCES + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
