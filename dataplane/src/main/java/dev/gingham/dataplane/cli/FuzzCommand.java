package dev.gingham.dataplane.cli;

import dev.gingham.dataplane.cluster.ManifestSet;
import dev.gingham.dataplane.config.NodeConfig;
import dev.gingham.dataplane.fuzz.FrameFuzzer;
import dev.gingham.dataplane.fuzz.FuzzAddresses;
import dev.gingham.dataplane.fuzz.FuzzHarness;
import dev.gingham.dataplane.fuzz.FuzzRun;
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
 * with correct checksums, buffer pool balanced). A failure writes a reproducer pcapng and the seed
 * and exits 1.
 */
@Command(name = "fuzz", mixinStandardHelpOptions = true,
        description = "Fuzz the node pipeline with structure-aware mutated frames; exits 1 with a reproducer on failure.")
public final class FuzzCommand implements Callable<Integer> {
    private static final String RESOURCES = "/dev/gingham/dataplane/fuzz/cluster/";
    private static final List<String> MANIFESTS = List.of("namespaces.yaml", "nodes.yaml", "pods.yaml", "policy.yaml",
            "web.yaml", "egress.yaml");
    private static final long NODE_HASH_SEED = 0x66757a7aL;

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
            FuzzHarness.Target target = new FuzzHarness.Target() {
                @Override
                public void run(FrameVector vector, long nowNs) {
                    pipeline.run(vector, nowNs);
                }
            };
            for (int p = 0; p < portNames.length && exit == 0; p++) {
                long portSeed = runSeed + p;
                try (FuzzHarness harness = new FuzzHarness(target)) { // one per port: each summary counts its own frames
                    FuzzRun run = new FuzzRun(harness, new FrameFuzzer(portSeed, addresses), portSeed, node.port(portNames[p]),
                            portNames[p]);
                    FuzzRun.Result result = run.run(Long.MAX_VALUE, perPortNs, new ReproducerWriter(corpus),
                            "./gingham fuzz --seed " + Long.toUnsignedString(runSeed) + " --seconds " + seconds);
                    System.out.println("port " + portNames[p] + ": " + run.summary(result));
                    exit = result.passed() ? 0 : 1;
                }
            }
            return exit;
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
