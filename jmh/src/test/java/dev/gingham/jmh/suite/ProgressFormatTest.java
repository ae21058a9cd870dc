package dev.gingham.jmh.suite;

import org.junit.jupiter.api.Test;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.infra.IterationParams;
import org.openjdk.jmh.results.AverageTimeResult;
import org.openjdk.jmh.results.BenchmarkResult;
import org.openjdk.jmh.results.IterationResult;
import org.openjdk.jmh.results.ResultRole;
import org.openjdk.jmh.runner.IterationType;
import org.openjdk.jmh.runner.WorkloadParams;
import org.openjdk.jmh.runner.format.OutputFormatFactory;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.runner.options.VerboseMode;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ProgressFormatTest {
    private final ByteArrayOutputStream console = new ByteArrayOutputStream();
    private final ByteArrayOutputStream log = new ByteArrayOutputStream();
    private final AtomicLong clockNs = new AtomicLong();
    private final ProgressFormat progress = new ProgressFormat(
            OutputFormatFactory.createFormatInstance(new PrintStream(log, true, StandardCharsets.UTF_8), VerboseMode.NORMAL),
            new PrintStream(console, true, StandardCharsets.UTF_8), 12, 120, clockNs::get);

    private static final IterationParams ITERATION = new IterationParams(IterationType.MEASUREMENT, 3, TimeValue.milliseconds(500), 1);

    private static BenchmarkParams params(String impl, String services) {
        WorkloadParams workload = new WorkloadParams();
        workload.put("impl", impl, 0);
        workload.put("services", services, 1);
        return new BenchmarkParams("dev.gingham.jmh.kubeproxy.KubeProxyBenchmark.selectBackend", "generated", false, 1,
                new int[]{1}, List.of(), 1, 0, ITERATION, ITERATION, Mode.AverageTime, workload, TimeUnit.NANOSECONDS, 1,
                "java", List.of(), "25", "vm", "25", "1.37", TimeValue.minutes(10));
    }

    private static BenchmarkResult result(BenchmarkParams params, double ns) {
        IterationResult iteration = new IterationResult(params, ITERATION, null);
        iteration.addResult(new AverageTimeResult(ResultRole.PRIMARY, "selectBackend", 1, (long) ns, TimeUnit.NANOSECONDS));
        return new BenchmarkResult(params, List.of(iteration));
    }

    @Test
    void shouldPrintNofNElapsedAndScoreWhenARunEnds() {
        progress.comparison("kube-proxy", 10);
        clockNs.set(65_000_000_000L);
        BenchmarkParams first = params("iptables", "1000");
        progress.startBenchmark(first);
        progress.endBenchmark(result(first, 1772));
        String[] lines = console.toString(StandardCharsets.UTF_8).split("\n");
        assertEquals("[ 1/12] 1:05  kube-proxy    KubeProxyBenchmark.selectBackend impl=iptables services=1000  -> 1,772 ns/op",
                lines[0]);
        assertEquals(1, progress.completed());
        assertTrue(log.toString(StandardCharsets.UTF_8).contains("KubeProxyBenchmark.selectBackend"), "JMH's own output goes to the log");
    }

    @Test
    void shouldScaleTheEstimateLeftByHowLongTheRunsDoneTookWhenTheSecondRunStarts() {
        progress.comparison("kube-proxy", 10);
        BenchmarkParams first = params("iptables", "1");
        progress.startBenchmark(first);
        progress.endBenchmark(result(first, 36));
        clockNs.set(20_000_000_000L);
        progress.startBenchmark(params("iptables", "10"));
        String second = console.toString(StandardCharsets.UTF_8).split("\n")[1];
        // the suite was estimated at 120 s, 10 s per run; the first run took 20 s: twice the estimate for the 110 s left
        assertTrue(second.startsWith("[ 2/12] 0:20 (~3:40 left)  kube-proxy"), second);
    }

    @Test
    void shouldReportFailedWhenJmhPrintsAFailureForTheRun() {
        BenchmarkParams p = params("ipvs", "100000");
        progress.startBenchmark(p);
        progress.println("<failure>");
        progress.endRun(List.of());
        assertTrue(console.toString(StandardCharsets.UTF_8).contains("impl=ipvs services=100000  FAILED (see the log)"));
        assertEquals(List.of("KubeProxyBenchmark.selectBackend impl=ipvs services=100000"), progress.failed());
        assertEquals(0, progress.completed());
    }
}
