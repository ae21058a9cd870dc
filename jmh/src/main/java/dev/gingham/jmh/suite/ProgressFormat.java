package dev.gingham.jmh.suite;

import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.infra.IterationParams;
import org.openjdk.jmh.results.BenchmarkResult;
import org.openjdk.jmh.results.IterationResult;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.format.OutputFormat;

import java.io.IOException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.function.LongSupplier;

/**
 * JMH's output split in two: everything JMH prints goes to the log file (through JMH's own
 * format), and the console gets one progress line per run: which benchmark and parameters, n of
 * N, time elapsed and an estimate of the time left, then the score when the run ends
 * ("-> 251 ns/op, 0.002 B/op") or FAILED with the log to read.
 */
final class ProgressFormat implements OutputFormat {
    private final OutputFormat log;
    private final PrintStream console;
    private final LongSupplier clockNs;
    private final long startNs;
    private final int total;
    private final double estimateTotal;
    private double estimateDone;
    private double runEstimate;
    private double startedRunEstimate;
    private String comparison = "";
    private int started;
    private boolean open;
    private boolean failedSinceStart;
    private String current = "";
    private final List<String> failed = new ArrayList<>();
    private int completed;

    /**
     * @param log     JMH's own format, writing to the log file
     * @param console where progress lines go
     * @param total           runs in the whole suite (N)
     * @param estimateSeconds the suite's estimated duration (the time-left estimate scales it by how the runs so far compared)
     * @param clockNs         the clock (System::nanoTime; tests pass their own)
     */
    ProgressFormat(OutputFormat log, PrintStream console, int total, double estimateSeconds, LongSupplier clockNs) {
        this.estimateTotal = estimateSeconds;
        this.log = log;
        this.console = console;
        this.total = total;
        this.clockNs = clockNs;
        this.startNs = clockNs.getAsLong();
    }

    /** Sets the comparison the next runs belong to (shown on their lines) and what one of them is expected to take. */
    void comparison(String name, double estimatedSecondsPerRun) {
        comparison = name;
        runEstimate = estimatedSecondsPerRun;
    }

    /** Returns: the runs that failed so far, as "Benchmark.method {params}". */
    List<String> failed() {
        return List.copyOf(failed);
    }

    /** Returns: the runs that produced a result so far. */
    int completed() {
        return completed;
    }

    /** Returns: the number of runs started so far. */
    int started() {
        return started;
    }

    /** Called by the suite when a run could not start at all (JMH refused the options). */
    void skipped(String what, int runs, String reason) {
        closeLine(null);
        for (int i = 0; i < runs; i++) {
            started++;
            estimateDone += runEstimate;
            failed.add(what);
        }
        console.printf(Locale.ROOT, "[%" + width() + "d/%d] %s  %s: not run (%s)%n", started, total, elapsed(), what, reason);
    }

    @Override
    public void startBenchmark(BenchmarkParams params) {
        closeLine(null);
        estimateDone += startedRunEstimate;
        startedRunEstimate = runEstimate;
        started++;
        current = describe(params);
        failedSinceStart = false;
        console.printf(Locale.ROOT, "[%" + width() + "d/%d] %s%s  %-13s %s", started, total, elapsed(), remaining(),
                comparison, current);
        console.flush();
        open = true;
        log.startBenchmark(params);
    }

    @Override
    public void endBenchmark(BenchmarkResult result) {
        log.endBenchmark(result);
        closeLine(result);
    }

    private void closeLine(BenchmarkResult result) {
        if (!open) {
            return;
        }
        open = false;
        if (result == null || failedSinceStart) {
            failed.add(current);
            console.println("  FAILED (see the log)");
        } else {
            completed++;
            Result<?> primary = result.getPrimaryResult();
            Result<?> alloc = result.getSecondaryResults().get("gc.alloc.rate.norm");
            console.printf(Locale.ROOT, "  -> %s %s%s%n", score(primary.getScore()), primary.getScoreUnit(),
                    alloc == null ? "" : ", " + score(alloc.getScore()) + " B/op");
        }
    }

    /** Returns: "KubeProxyBenchmark.selectBackend impl=iptables services=1000". */
    static String describe(BenchmarkParams params) {
        String name = params.getBenchmark();
        int method = name.lastIndexOf('.');
        int type = method > 0 ? name.lastIndexOf('.', method - 1) : -1;
        StringBuilder b = new StringBuilder(type >= 0 ? name.substring(type + 1) : name);
        for (String key : params.getParamsKeys()) {
            b.append(' ').append(key).append('=').append(params.getParam(key));
        }
        return b.toString();
    }

    static String score(double value) {
        if (Double.isNaN(value)) {
            return "NaN";
        }
        double abs = Math.abs(value);
        if (abs >= 100) {
            return String.format(Locale.ROOT, "%,.0f", value);
        }
        return abs >= 10 ? String.format(Locale.ROOT, "%.1f", value) : String.format(Locale.ROOT, "%.3f", value);
    }

    private int width() {
        return Integer.toString(total).length();
    }

    private String elapsed() {
        return clock((clockNs.getAsLong() - startNs) / 1_000_000_000L);
    }

    /**
     * Returns: " (~m:ss left)": the estimate of the runs not done yet, scaled by how long the runs
     * done took against their estimate; "" before the first run ends.
     */
    private String remaining() {
        if (started <= 1 || estimateDone <= 0) {
            return "";
        }
        double elapsedS = (clockNs.getAsLong() - startNs) / 1e9;
        double left = Math.max(0, estimateTotal - estimateDone) * elapsedS / estimateDone;
        return " (~" + clock(Math.round(left)) + " left)";
    }

    static String clock(long seconds) {
        return String.format(Locale.ROOT, "%d:%02d", seconds / 60, seconds % 60);
    }

    @Override
    public void iteration(BenchmarkParams benchParams, IterationParams params, int iteration) {
        log.iteration(benchParams, params, iteration);
    }

    @Override
    public void iterationResult(BenchmarkParams benchParams, IterationParams params, int iteration, IterationResult data) {
        log.iterationResult(benchParams, params, iteration, data);
    }

    @Override
    public void startRun() {
        log.startRun();
    }

    @Override
    public void endRun(Collection<RunResult> result) {
        log.endRun(result);
        closeLine(null);
    }

    @Override
    public void print(String s) {
        log.print(s);
    }

    @Override
    public void println(String s) {
        if (s != null && s.startsWith("<failure>")) {
            failedSinceStart = true;
        }
        log.println(s);
    }

    @Override
    public void flush() {
        log.flush();
        console.flush();
    }

    @Override
    public void close() {
        log.close();
    }

    @Override
    public void verbosePrintln(String s) {
        log.verbosePrintln(s);
    }

    @Override
    public void write(int b) {
        log.write(b);
    }

    @Override
    public void write(byte[] b) throws IOException {
        log.write(b);
    }
}
