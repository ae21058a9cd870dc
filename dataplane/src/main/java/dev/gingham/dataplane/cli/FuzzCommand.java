package dev.gingham.dataplane.cli;

import dev.gingham.dataplane.fuzz.FuzzHarness;
import dev.gingham.dataplane.fuzz.FuzzNode;
import dev.gingham.dataplane.fuzz.FuzzRun;
import dev.gingham.dataplane.fuzz.NatConntrackInvariant;
import dev.gingham.dataplane.fuzz.ReproducerWriter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

/**
 * {@code gingham fuzz}: structure-aware fuzzing of the whole node pipeline. The node is built in
 * ({@link FuzzNode}: node-a of a small "shop" cluster); mutated frames aimed at its addresses,
 * ports and MACs enter through a pod port, the underlay and the host port in turn, half of the
 * pod port's with the pod's real source (past anti-spoofing) and one in ten a new flow from a
 * flood. After every vector the harness checks its invariants (no exception, frames inside their
 * buffers, emitted frames parse with correct checksums, buffer pool balanced, tables within their
 * sizes, and every {@link FuzzNode#FULL_CHECK_VECTORS} vectors and at the end conntrack and SNAT
 * consistent with each other: {@link NatConntrackInvariant}). A failure writes a reproducer
 * pcapng and the seed and exits 1.
 */
@Command(name = "fuzz", mixinStandardHelpOptions = true,
        description = "Fuzz the node pipeline with structure-aware mutated frames; exits 1 with a reproducer on failure.")
public final class FuzzCommand implements Callable<Integer> {
    @Option(names = "--seconds", defaultValue = "10", description = "how long to fuzz (default ${DEFAULT-VALUE})")
    long seconds;

    @Option(names = "--seed", description = "the seed (default: random; printed so a run can be repeated)")
    Long seed;

    @Option(names = "--corpus", defaultValue = "fuzz-findings", description = "where reproducers go (default ${DEFAULT-VALUE})")
    Path corpus;

    @Override
    public Integer call() throws IOException {
        long runSeed = seed != null ? seed : System.nanoTime() ^ ProcessHandle.current().pid();
        try (FuzzNode node = FuzzNode.create()) {
            long perPortNs = TimeUnit.SECONDS.toNanos(Math.max(1, seconds)) / FuzzNode.PORTS;
            FuzzHarness.Target target = node.target();
            for (int p = 0; p < FuzzNode.PORTS; p++) {
                try (FuzzHarness harness = new FuzzHarness(target)) { // one per port: each summary counts its own frames
                    FuzzRun run = node.run(harness, p, runSeed);
                    FuzzRun.Result result = run.run(Long.MAX_VALUE, perPortNs, new ReproducerWriter(corpus),
                            "./gingham fuzz --seed " + Long.toUnsignedString(runSeed) + " --seconds " + seconds);
                    String endState = result.passed() ? node.checkState() : null;
                    System.out.println("port " + node.portName(p) + ": " + run.summary(result));
                    System.out.println(String.format(Locale.ROOT, "  state: conntrack %,d entries, %,d SNAT mappings;"
                                    + " conntrack/NAT cross-checked every %d vectors and at the end: %s",
                            node.conntrackEntries(), node.snatMappings(), FuzzNode.FULL_CHECK_VECTORS,
                            !result.passed() ? "not checked (the run failed)"
                                    : endState == null ? "consistent" : endState + " (rerun the seed: state builds up over the run)"));
                    if (!result.passed() || endState != null) {
                        return 1;
                    }
                }
            }
            return 0;
        }
    }
}
