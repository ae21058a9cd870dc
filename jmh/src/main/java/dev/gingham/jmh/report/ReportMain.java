package dev.gingham.jmh.report;

import dev.gingham.jmh.encap.WireOverheadReport;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Regenerates {@code docs/benchmarks.md} and its plots ({@code docs/bench/plots/*.svg}) from a
 * JMH results file and the run-info file beside it. The suite runner calls it after a run;
 * {@code ./gingham bench --report [results.json]} calls it alone (the newest
 * {@code docs/bench/*.json} by default).
 *
 * <p>Usage: {@code ReportMain [--root DIR] [results.json]}.
 */
public final class ReportMain {
    /** The report, relative to the repository root. */
    public static final String REPORT = "docs/benchmarks.md";
    static final String BENCH_DIR = "docs/bench";
    static final String PLOTS_DIR = "docs/bench/plots";
    /** Where {@code gingham bench-node} keeps its runs. */
    static final String NODE_BENCH_DIR = "docs/bench/node";
    /** Table sizes disruption is computed for: the default M, and the larger size the issue also builds. */
    static final int[] DISRUPTION_M = {16_381, 65_521};
    static final int DISRUPTION_BACKENDS = 100;

    private ReportMain() {
    }

    public static void main(String[] args) throws IOException {
        Path root = Path.of("").toAbsolutePath();
        Path results = null;
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--root")) {
                if (++i >= args.length) {
                    throw new IllegalArgumentException("--root needs a directory");
                }
                root = Path.of(args[i]).toAbsolutePath();
            } else if (args[i].startsWith("-")) {
                throw new IllegalArgumentException("unknown option " + args[i] + " (use [--root DIR] [results.json])");
            } else {
                results = Path.of(args[i]).toAbsolutePath();
            }
        }
        if (results == null) {
            results = newestResults(root.resolve(BENCH_DIR));
        }
        generate(root, results);
        System.out.println("report: " + root.resolve(REPORT) + " (from " + results + ")");
    }

    /** Returns: the newest results file in {@code dir} (by name: they start with their UTC timestamp). */
    static Path newestResults(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            throw new IllegalArgumentException(dir + ": no benchmark results yet (run ./gingham bench --quick)");
        }
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> p.getFileName().toString().endsWith(".json") && !p.getFileName().toString().endsWith(".run.json"))
                    .max(Comparator.comparing(p -> p.getFileName().toString()))
                    .orElseThrow(() -> new IllegalArgumentException(dir + ": no results file (*.json); run ./gingham bench --quick"));
        }
    }

    /** Reads a results file (and its run info when present) and writes the report and plots under {@code root}. */
    public static void generate(Path root, Path results) throws IOException {
        BenchResults parsed = BenchResults.read(results);
        Path infoFile = RunInfo.besideResults(results);
        RunInfo info = Files.exists(infoFile) ? RunInfo.read(infoFile) : RunInfo.unknown(parsed, results);
        Path report = root.resolve(REPORT);
        Path plots = root.resolve(PLOTS_DIR);
        String markdown = render(parsed, info, plots, link(report, plots), link(report, results), WireOverheadReport.rows(),
                java.util.Arrays.stream(DISRUPTION_M).mapToObj(m -> MaglevDisruption.measure(DISRUPTION_BACKENDS, m)).toList(),
                NodeRun.newest(root.resolve(NODE_BENCH_DIR), link(report, root.resolve(NODE_BENCH_DIR))));
        Files.createDirectories(report.getParent());
        Files.writeString(report, markdown, StandardCharsets.UTF_8);
    }

    /** Returns: the report's Markdown; writes its plots into {@code plotsDir}. */
    static String render(BenchResults results, RunInfo info, Path plotsDir, String plotsLink, String resultsLink,
                         List<WireOverheadReport.Row> wire, List<MaglevDisruption.Figures> maglev, Optional<NodeRun> node) {
        return ReportWriter.write(new ReportContext(results, info, plotsDir, plotsLink, wire, maglev, node), resultsLink);
    }

    /** Returns: {@code target} relative to the directory of {@code from}, with forward slashes. */
    static String link(Path from, Path target) {
        return from.toAbsolutePath().getParent().relativize(target.toAbsolutePath()).toString().replace('\\', '/');
    }
}
