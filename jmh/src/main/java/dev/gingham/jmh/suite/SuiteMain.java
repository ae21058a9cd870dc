package dev.gingham.jmh.suite;

import dev.gingham.dataplane.nodebench.MachineInfo;
import dev.gingham.jmh.BenchMain;
import dev.gingham.jmh.report.ReportMain;
import dev.gingham.jmh.report.RunInfo;
import org.openjdk.jmh.profile.GCProfiler;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.results.format.ResultFormatFactory;
import org.openjdk.jmh.results.format.ResultFormatType;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.format.OutputFormatFactory;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.runner.options.VerboseMode;
import org.openjdk.jmh.util.Version;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code ./gingham bench [--quick]}: runs the fixed suite ({@link BenchSuite}), keeps the raw JMH
 * JSON and a run-info file under {@code docs/bench/}, and regenerates {@code docs/benchmarks.md}
 * and its plots from them ({@link ReportMain}).
 *
 * <p>Options: {@code --quick} (the short suite), {@code --list} (print the plan and exit),
 * {@code --root DIR} (the repository, default the working directory), {@code --commit ID} (the
 * commit measured, for the report), {@code --command TEXT} (how the user invoked it).
 *
 * <p>One JMH runner per suite entry, each entry's runs in forks of their own with Gingham's JVM
 * flags and the GC profiler (B/op). A failing run is reported and the suite goes on; the
 * results so far are written after every entry, so an interrupted run still leaves its JSON.
 * When another JMH run on the machine holds JMH's lock, the suite waits for it instead of
 * measuring two runs on the same cores.
 */
public final class SuiteMain {
    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HHmm'Z'").withZone(ZoneOffset.UTC);
    private static final long LOCK_WAIT_LIMIT_MS = 30 * 60 * 1000L;

    private SuiteMain() {
    }

    public static void main(String[] args) throws Exception {
        boolean quick = false;
        boolean list = false;
        Path root = Path.of("").toAbsolutePath();
        String commit = "";
        String command = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--quick" -> quick = true;
                case "--full" -> quick = false;
                case "--list" -> list = true;
                case "--root" -> root = Path.of(value(args, ++i, "--root")).toAbsolutePath();
                case "--commit" -> commit = value(args, ++i, "--commit");
                case "--command" -> command = value(args, ++i, "--command");
                default -> throw new IllegalArgumentException("unknown option " + args[i]
                        + " (use --quick, --full, --list, --root DIR, --commit ID, --command TEXT)");
            }
        }
        List<SuiteEntry> suite = quick ? BenchSuite.quick() : BenchSuite.full();
        String mode = quick ? "quick" : "full";
        if (list) {
            printPlan(suite, mode, System.out);
            return;
        }
        run(suite, mode, root, commit, command != null ? command : "./gingham bench" + (quick ? " --quick" : ""));
    }

    private static String value(String[] args, int i, String option) {
        if (i >= args.length) {
            throw new IllegalArgumentException(option + " needs a value");
        }
        return args[i];
    }

    /** Prints what a suite runs: each entry, its parameters and runs, and the total. */
    static void printPlan(List<SuiteEntry> suite, String mode, PrintStream out) {
        long seconds = suite.stream().mapToLong(SuiteEntry::estimatedSeconds).sum();
        out.printf(Locale.ROOT, "%s suite: %d runs, at least %d min (iteration times + %d s per fork; setups that fill "
                + "1M-entry tables take longer)%n", mode,
                BenchSuite.runs(suite), Math.round(seconds / 60.0), SuiteEntry.FORK_OVERHEAD_SECONDS);
        for (SuiteEntry e : suite) {
            out.printf(Locale.ROOT, "  %-14s %-45s %3d runs %5d s  %s%s%n", e.comparison(), e.shortName(), e.runs(),
                    e.estimatedSeconds(),
                    e.params().isEmpty() ? "all @Param values" : e.params(),
                    e.iterations() == null ? "" : e.singleShot()
                            ? String.format(Locale.ROOT, "  (single shot: %d warm-up, %d measured invocations)",
                            e.iterations().warmups(), e.iterations().measurements())
                            : String.format(Locale.ROOT, "  (%d x %d ms warm-up, %d x %d ms)",
                            e.iterations().warmups(), e.iterations().warmupMillis(),
                            e.iterations().measurements(), e.iterations().measurementMillis()));
        }
    }

    private static void run(List<SuiteEntry> suite, String mode, Path root, String commit, String command)
            throws IOException, InterruptedException {
        Instant start = Instant.now();
        String stamp = STAMP.format(start);
        Path benchDir = root.resolve("docs/bench");
        Path logDir = root.resolve("jmh/target/bench-logs");
        Files.createDirectories(benchDir);
        Files.createDirectories(logDir);
        Path results = benchDir.resolve(stamp + "-" + mode + ".json");
        Path logFile = logDir.resolve(stamp + "-" + mode + ".log");
        int total = BenchSuite.runs(suite);
        String loadAtStart = MachineInfo.loadAverage();
        System.out.printf(Locale.ROOT, "gingham bench (%s): %d runs; load average %s; JMH log %s%n", mode, total,
                loadAtStart, root.relativize(logFile));

        List<RunResult> collected = new ArrayList<>();
        String[] jvmFlags = BenchMain.jvmFlags().isBlank() ? new String[0] : BenchMain.jvmFlags().trim().split("\\s+");
        try (PrintStream logStream = new PrintStream(Files.newOutputStream(logFile), true, StandardCharsets.UTF_8)) {
            ProgressFormat progress = new ProgressFormat(OutputFormatFactory.createFormatInstance(logStream, VerboseMode.NORMAL),
                    System.out, total, suite.stream().mapToLong(SuiteEntry::estimatedSeconds).sum(), System::nanoTime);
            for (SuiteEntry entry : suite) {
                progress.comparison(entry.comparison(), (double) entry.estimatedSeconds() / entry.runs());
                int before = progress.started();
                try {
                    collected.addAll(runEntry(entry, jvmFlags, progress));
                } catch (RunnerException e) {
                    int missing = entry.runs() - (progress.started() - before);
                    progress.skipped(entry.shortName(), Math.max(0, missing), e.getMessage());
                    e.printStackTrace(logStream);
                }
                writeResults(collected, results);
            }
            long wallSeconds = ChronoUnit.SECONDS.between(start, Instant.now());
            RunInfo info = new RunInfo(start.truncatedTo(ChronoUnit.SECONDS).toString(), mode, command, commit,
                    MachineInfo.cpuModel(), Runtime.getRuntime().availableProcessors(), MachineInfo.virtualMachine(), MachineInfo.memoryMib(),
                    MachineInfo.kernel(), MachineInfo.jdk(), MachineInfo.gc(), Version.getPlainVersion(), loadAtStart,
                    MachineInfo.loadAverage(), wallSeconds, total, progress.completed(), progress.failed());
            info.write(RunInfo.besideResults(results));
            System.out.printf(Locale.ROOT, "gingham bench (%s): %d of %d runs in %s (wall); %d failed%n", mode,
                    progress.completed(), total, ProgressFormat.clock(wallSeconds), progress.failed().size());
        }
        ReportMain.generate(root, results);
        System.out.printf(Locale.ROOT, "results: %s%nreport:  %s%n", root.relativize(results),
                root.relativize(root.resolve(ReportMain.REPORT)));
    }

    /** Runs one entry, waiting while another JMH run holds the machine's JMH lock. */
    private static java.util.Collection<RunResult> runEntry(SuiteEntry entry, String[] jvmFlags, ProgressFormat progress)
            throws RunnerException, InterruptedException {
        ChainedOptionsBuilder options = new OptionsBuilder()
                .include(entry.includePattern())
                .forks(1)
                .addProfiler(GCProfiler.class)
                .jvmArgsAppend(jvmFlags)
                .shouldFailOnError(false);
        for (Map.Entry<String, List<String>> p : entry.params().entrySet()) {
            options.param(p.getKey(), p.getValue().toArray(String[]::new));
        }
        SuiteEntry.Iterations it = entry.iterations();
        if (it != null) {
            options.warmupIterations(it.warmups()).measurementIterations(it.measurements());
            if (!entry.singleShot()) {
                options.warmupTime(TimeValue.milliseconds(it.warmupMillis()))
                        .measurementTime(TimeValue.milliseconds(it.measurementMillis()));
            }
        }
        long waitedMs = 0;
        while (true) {
            try {
                return new Runner(options.build(), progress).run();
            } catch (RunnerException e) {
                if (!String.valueOf(e.getMessage()).contains("lock") || waitedMs >= LOCK_WAIT_LIMIT_MS) {
                    throw e;
                }
                if (waitedMs == 0) {
                    System.out.println("  another JMH run holds the JMH lock: waiting for it (up to 30 min)...");
                }
                Thread.sleep(10_000);
                waitedMs += 10_000;
            }
        }
    }

    /** Writes the results so far as JMH's JSON (the format {@code -rf json} writes), replacing the file atomically. */
    static void writeResults(List<RunResult> results, Path file) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try (OutputStream out = Files.newOutputStream(tmp);
             PrintStream print = new PrintStream(out, true, StandardCharsets.UTF_8)) {
            ResultFormatFactory.getInstance(ResultFormatType.JSON, print).writeOut(results);
        }
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
