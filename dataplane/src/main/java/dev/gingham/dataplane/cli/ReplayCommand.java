package dev.gingham.dataplane.cli;

import dev.gingham.dataplane.cluster.ManifestSet;
import dev.gingham.dataplane.config.ConfigException;
import dev.gingham.dataplane.config.NodeConfig;
import dev.gingham.dataplane.k8s.ManifestException;
import dev.gingham.dataplane.node.ConfiguredNode;
import dev.gingham.dataplane.replay.CaptureFeed;
import dev.gingham.dataplane.replay.CaptureReader;
import dev.gingham.dataplane.replay.IngressPorts;
import dev.gingham.dataplane.replay.Replayer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code gingham replay}: a capture through a node built from its configuration and manifests,
 * on the capture's clock; per-port pcaps and verdicts.jsonl out, a summary table at the end.
 */
@Command(name = "replay", mixinStandardHelpOptions = true,
        description = "Replay a pcap/pcapng capture through the node pipeline on the capture's clock.")
public final class ReplayCommand implements Callable<Integer> {
    /** Hash seed of the replayed node's maps: fixed, so the same input gives the same output bytes. */
    static final long REPLAY_HASH_SEED = 0x6769_6e67_6861_6dL;

    @Option(names = "--config", required = true, description = "the node configuration (YAML)")
    Path config;

    @Option(names = "--manifests", required = true, description = "directory of Kubernetes manifests")
    Path manifests;

    @Option(names = "--in", required = true, description = "the capture (pcap or pcapng)")
    Path in;

    @Option(names = "--ingress", description = "the port frames of a classic pcap (or of unnamed pcapng interfaces) entered by:"
            + " underlay, host, or a pod (namespace/name or name)")
    String ingress;

    @Option(names = "--out", required = true, description = "output directory (created)")
    Path out;

    @Option(names = "--progress", description = "show a progress bar on stderr even when it is not a terminal")
    boolean progress;

    @Override
    public Integer call() {
        PrintStream err = System.err;
        NodeConfig nodeConfig;
        ManifestSet set;
        try {
            nodeConfig = NodeConfig.load(config);
            set = ManifestSet.load(manifests);
        } catch (ConfigException | ManifestException e) {
            err.println("gingham replay: " + e.getMessage());
            return 1;
        }
        try (ConfiguredNode node = ConfiguredNode.create(nodeConfig, set, 0, 0, false, REPLAY_HASH_SEED, null)) {
            if (ingress != null && node.port(ingress) < 0) {
                err.println("gingham replay: --ingress " + ingress + ": no such port (underlay, host, or a pod on node "
                        + nodeConfig.nodeName() + ")");
                return 1;
            }
            IngressPorts ports = (index, name) -> {
                String wanted = name != null && !name.isEmpty() ? name : ingress;
                if (wanted == null) {
                    throw new IllegalArgumentException("capture interface " + index + " has no name: give --ingress");
                }
                int port = node.port(wanted);
                if (port < 0) {
                    throw new IllegalArgumentException("capture interface '" + wanted + "' is no port of node "
                            + nodeConfig.nodeName() + " (underlay, host, or a local pod)");
                }
                return port;
            };
            long startNs = System.nanoTime();
            Replayer.Summary summary;
            ProgressBar bar = progress || ProgressBar.terminalAttached() ? new ProgressBar(err, System::nanoTime) : null;
            try (CaptureFeed feed = new CaptureFeed(CaptureReader.open(in), ports)) {
                summary = new Replayer(node, out).replay(feed, bar);
            } finally {
                if (bar != null) {
                    bar.finish();
                }
            }
            double seconds = (System.nanoTime() - startNs) / 1e9;
            print(System.out, summary, seconds);
            return 0;
        } catch (IOException | IllegalArgumentException | IllegalStateException e) {
            err.println("\ngingham replay: " + e.getMessage());
            return 1;
        }
    }

    private void print(PrintStream out, Replayer.Summary s, double seconds) {
        out.printf("replayed %,d frames in %.2f s (%,.0f frames/s) -> %s%n", s.framesIn(), seconds,
                s.framesIn() / Math.max(seconds, 1e-9), this.out.resolve("verdicts.jsonl"));
        out.printf("%-34s %12s%n", "verdict", "frames");
        out.printf("%-34s %,12d%n", "forwarded", s.forwarded());
        out.printf("%-34s %,12d%n", "dropped", s.dropped());
        if (s.snaplenCut() + s.oversized() + s.unmapped() > 0) {
            out.printf("%-34s %,12d%n", "skipped (cut by snaplen)", s.snaplenCut());
            out.printf("%-34s %,12d%n", "skipped (larger than 9 KiB buffers)", s.oversized());
            out.printf("%-34s %,12d%n", "skipped (interface mapped to no port)", s.unmapped());
        }
        table(out, "drop reason", s.dropsByReason());
        table(out, "egress port (pcap)", s.framesByEgress());
    }

    private static void table(PrintStream out, String title, Map<String, Long> rows) {
        if (rows.isEmpty()) {
            return;
        }
        out.printf("%n%-34s %12s%n", title, "frames");
        rows.forEach((k, v) -> out.printf("%-34s %,12d%n", k, v));
    }
}
