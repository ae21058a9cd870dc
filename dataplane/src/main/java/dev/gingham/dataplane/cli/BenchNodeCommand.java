package dev.gingham.dataplane.cli;

import dev.gingham.dataplane.config.IdleStrategyConfig;
import dev.gingham.dataplane.nodebench.BenchPlan;
import dev.gingham.dataplane.nodebench.NodeBenchReport;
import dev.gingham.dataplane.nodebench.NodeBenchResult;
import dev.gingham.dataplane.nodebench.NodeBenchmark;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Comparator;
import java.util.concurrent.Callable;
import java.util.stream.Stream;

/**
 * {@code gingham bench-node}: the daemon's end-to-end figures beside their baselines, in one run
 * (see {@link NodeBenchmark}); the JSON goes to {@code docs/bench/node/}, the Markdown section to
 * standard output (and, with {@code --notes}, to the end of docs/benchmarks-notes.md). Needs root.
 */
@Command(name = "bench-node", mixinStandardHelpOptions = true,
        description = "Measure the node end to end (iperf3 TCP, 64-byte UDP, ping and TCP request/response latency, GC in a steady run)"
                + " beside the kernel path and the raw TAP ceiling, and pod-to-pod TCP across two Gingham nodes beside two kernel"
                + " VXLAN nodes, in one run. Needs root.")
public final class BenchNodeCommand implements Callable<Integer> {
    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HHmm'Z'");

    @Option(names = "--quick", description = "short windows (about 30 s in all): every figure, less precision")
    boolean quick;

    @Option(names = "--seconds", paramLabel = "N", description = "length of the steady run that watches the garbage collector"
            + " (default 60, 10 with --quick)")
    Integer seconds;

    @Option(names = "--idle", paramLabel = "STRATEGY", description = "idle strategy of the daemon's worker and the TAP forwarder:"
            + " busy-spin, yield, backoff, sleep, adaptive (default)")
    String idle = IdleStrategyConfig.defaults().kind().spelling();

    @Option(names = "--tso", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "let the client pods send 64 KB TCP frames (TSO/GSO; default); --no-tso turns it off on both paths (needs ethtool)")
    boolean tso;

    @Option(names = "--cross-node-only", description = "measure only the cross-node figure (iperf3 TCP pod to pod across two"
            + " Gingham nodes, with the defaults, segmented and unbatched, vs two kernel VXLAN nodes); every run measures it after the single-node figures")
    boolean crossNodeOnly;

    @Option(names = "--root", defaultValue = "${env:GINGHAM_ROOT:-.}",
            description = "the repository (results go to ROOT/docs/bench/node; default: $GINGHAM_ROOT, which ./gingham sets, or .)")
    Path root;

    @Option(names = "--out", description = "write the JSON here instead of ROOT/docs/bench/node/STAMP-node[-quick].json")
    Path out;

    @Option(names = "--notes", description = "append the Markdown section to ROOT/docs/benchmarks-notes.md")
    boolean notes;

    @Option(names = "--profile", paramLabel = "DIR", description = "record the worker with JFR during Gingham's last TCP and UDP round;"
            + " recordings go to DIR, a summary into the JSON")
    Path profile;

    @Option(names = "--netns-prefix", hidden = true, description = "namespace name prefix (tests make theirs unique)")
    String netnsPrefix = "gingham-bench";

    @Option(names = "--command", hidden = true, description = "the command line as the user typed it (the launcher passes it)")
    String commandLine;

    @Override
    public Integer call() throws IOException {
        PrintStream err = System.err;
        IdleStrategyConfig.Kind kind = idleKind(idle);
        if (kind == null) {
            err.println("gingham bench-node: --idle " + idle + ": expected busy-spin, yield, backoff, sleep or adaptive");
            return 2;
        }
        BenchPlan plan;
        try {
            plan = BenchPlan.of(quick, seconds, IdleStrategyConfig.of(kind), tso, crossNodeOnly);
        } catch (IllegalArgumentException e) {
            err.println("gingham bench-node: " + e.getMessage());
            return 2;
        }
        String missing = NodeBenchmark.missingPrerequisite(plan);
        if (missing != null) {
            err.println("gingham bench-node: " + missing);
            return 1;
        }
        String command = commandLine != null ? commandLine : "./gingham bench-node" + (quick ? " --quick" : "")
                + (seconds != null ? " --seconds " + seconds : "") + (kind != IdleStrategyConfig.defaults().kind() ? " --idle " + idle : "")
                + (tso ? "" : " --no-tso") + (crossNodeOnly ? " --cross-node-only" : "");
        Path json = out != null ? out : root.resolve("docs/bench/node")
                .resolve(ZonedDateTime.now(ZoneOffset.UTC).format(STAMP) + "-node" + (crossNodeOnly ? "-cross" : "") + (quick ? "-quick" : "")
                        + ".json");
        if (profile != null) {
            Files.createDirectories(profile);
        }
        Path work = Files.createTempDirectory("gingham-bench-node");
        NodeBenchResult result;
        try {
            result = new NodeBenchmark(plan, work, netnsPrefix, err, profile).run(command);
        } catch (RuntimeException e) {
            err.println("gingham bench-node: " + e.getMessage());
            return 1;
        } finally {
            deleteTree(work);
        }
        NodeBenchReport.writeJson(result, json);
        // the link as docs/benchmarks-notes.md sees the file (docs/ is its folder)
        String link = out == null ? "bench/node/" + json.getFileName() : json.toAbsolutePath().toString();
        String section = NodeBenchReport.markdown(result, link);
        System.out.print(section);
        err.println("bench-node: results in " + json);
        if (notes) {
            Path notesFile = root.resolve("docs/benchmarks-notes.md");
            NodeBenchReport.appendTo(notesFile, section);
            err.println("bench-node: section appended to " + notesFile);
        }
        return 0;
    }

    private static IdleStrategyConfig.Kind idleKind(String spelling) {
        for (IdleStrategyConfig.Kind k : IdleStrategyConfig.Kind.values()) {
            if (k.spelling().equals(spelling)) {
                return k;
            }
        }
        return null;
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
