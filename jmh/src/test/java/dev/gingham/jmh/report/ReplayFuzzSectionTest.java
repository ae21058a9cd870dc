package dev.gingham.jmh.report;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The replay-and-fuzz section and issue 8's targets, from a small hand-made run
 * (src/test/resources/.../replay-fuzz.json: the replay at 800 ns per frame, the fuzz loop at
 * 1,000 / 2,000 / 4,000 ns on its three ports, and the parts of both) and from runs built inline.
 */
class ReplayFuzzSectionTest {
    @TempDir
    Path plots;

    private String render(BenchResults results) throws Exception {
        return ReportMain.render(results, RunInfo.read(ReportWriterTest.fixture("results.run.json")), plots, "bench/plots",
                "bench/results.json", List.of(), ReportWriterTest.DISRUPTION, Optional.empty());
    }

    private String fixtureReport() throws Exception {
        return render(BenchResults.read(ReportWriterTest.fixture("replay-fuzz.json")));
    }

    /** A JMH result of the fuzz loop on one port, every iteration at {@code ns}. */
    private static String fuzzLoop(String port, double ns) {
        return String.format(Locale.ROOT, """
                {"jmhVersion":"1.37","benchmark":"dev.gingham.jmh.fuzz.FuzzLoopBenchmark.vector","mode":"avgt",
                 "params":{"port":"%s"},
                 "primaryMetric":{"score":%.1f,"scoreError":1.0,"scoreUnit":"ns/op","rawData":[[%.1f,%.1f]]},
                 "secondaryMetrics":{"gc.alloc.rate.norm":{"score":0.02,"scoreUnit":"B/op"}}}""", port, ns, ns, ns);
    }

    private static BenchResults run(String... results) {
        return BenchResults.parse("[" + String.join(",", results) + "]", "inline.json");
    }

    private static String section(String report, String heading) {
        int start = report.indexOf(heading);
        assertTrue(start >= 0, "no section " + heading + " in\n" + report);
        int next = report.indexOf("\n## ", start + heading.length());
        return report.substring(start, next < 0 ? report.length() : next);
    }

    @Test
    void shouldTabulateTheReplayAndEveryFuzzedPortWithFramesPerSecondAndAllocation() throws Exception {
        String s = section(fixtureReport(), "## Replay and fuzz");
        assertTrue(s.contains("| What | ns per frame | frames/s | B/frame |\n|---|---:|---:|---:|\n"
                + "| Replay (`ReplayBenchmark`) | 800 ±5% | 1.25M | 1.5 |\n"
                + "| Fuzz loop, port shop/web-1 | 1,000 ±5% | 1.00M | 0.050 |\n"
                + "| Fuzz loop, port underlay | 2,000 ±0% | 500k | 0.040 |\n"
                + "| Fuzz loop, port host | 4,000 ±5% | 250k | 0.030 |\n"
                // 3 / (1/1000 + 1/2000 + 1/4000) = 1,714 ns: the command's total frames over its total time
                + "| Fuzz command: the three ports, a third of the time each | 1,714 | 583k |  |\n"), s);
        assertTrue(s.contains("a 1,000,000-frame pcapng"), s);
        assertTrue(s.contains("seed 42 + the port's index, as `--seed 42`"), s);
        assertTrue(s.contains("every 1,024 vectors"), s);
        assertTrue(s.contains("Reproduce: `./gingham bench 'ReplayBenchmark|FuzzLoopBenchmark' -prof gc`"), s);
    }

    @Test
    void shouldJudgeIssue8sTargetsOnTheReplayAndTheHarmonicCombinationOfThePorts() throws Exception {
        String targets = section(fixtureReport(), "## Targets (issues 3, 4, 8 and 9)");
        assertTrue(targets.contains("| 8 | Replay: ≥ 1M frames/s on one thread (≤ 1,000 ns per frame), a capture in the page cache "
                + "through `gingham replay`'s path (`ReplayBenchmark`) | 1.25M frames/s (800 ns per frame) | met |"), targets);
        // the arithmetic mean of the ports' ns (2,333 ns, 429k frames/s) would miss: the command's time is split, not its frames
        assertTrue(targets.contains("| 8 | Fuzz: ≥ 500k frames/s (≤ 2,000 ns per frame), `gingham fuzz`'s loop over its three ports, "
                + "each a third of the time (`FuzzLoopBenchmark`; per-port ns combined harmonically) | 583k frames/s (1,714 ns per "
                + "frame; per port: shop/web-1 1,000, underlay 2,000, host 4,000) | met |"), targets);
        assertTrue(targets.contains("| 9 | Established flows, pod-to-pod: ≥ 12 Mpps per core"), targets);
    }

    @Test
    void shouldMissTheFuzzTargetWhenTheCombinedRateIsBelow500k() throws Exception {
        String report = render(run(fuzzLoop("shop/web-1", 2000), fuzzLoop("underlay", 3000), fuzzLoop("host", 6000)));
        assertTrue(report.contains("| 333k frames/s (3,000 ns per frame; per port: shop/web-1 2,000, underlay 3,000, host 6,000) "
                + "| **missed** |"), section(report, "## Targets"));
        assertTrue(report.contains("| Replay: ≥ 1M frames/s on one thread (≤ 1,000 ns per frame), a capture in the page cache "
                + "through `gingham replay`'s path (`ReplayBenchmark`) | – | not measured in this run |"));
        String s = section(report, "## Replay and fuzz");
        assertTrue(s.contains("The slowest fuzzed port, host (6,000 ns per frame), costs 3.00× of the fastest, shop/web-1."), s);
        assertFalse(s.contains("Replay allocates"), "no replay in this run: " + s);
    }

    @Test
    void shouldNotJudgeTheFuzzTargetWhenAPortIsMissing() throws Exception {
        String report = render(run(fuzzLoop("shop/web-1", 1000), fuzzLoop("underlay", 2000)));
        assertTrue(report.contains("| ns per frame shop/web-1 1,000, underlay 2,000; no host | not measured in this run |"),
                section(report, "## Targets"));
        assertFalse(section(report, "## Replay and fuzz").contains("Fuzz command:"), "no combined row from two ports");
    }

    @Test
    void shouldSayWhatTheAllocationFiguresMeanWhenTheGcProfilerRan() throws Exception {
        String s = section(fixtureReport(), "## Replay and fuzz");
        assertTrue(s.contains("- Replay allocates 1.5 B per frame on JMH's count: 1.5 MB per replay of 1,000,000 frames."), s);
        assertTrue(s.contains("- The fuzz loop allocates at most 0.050 B per frame: no object per frame (below 1 B; one would be "
                + "16 B or more)."), s);
        String allocating = section(render(run(fuzzLoop("host", 1000).replace("\"score\":0.02", "\"score\":24.0"))),
                "## Replay and fuzz");
        assertTrue(allocating.contains("- The fuzz loop **allocates** up to 24.0 B per frame in this run."), allocating);
    }

    @Test
    void shouldSetThePartsBesideTheWholesWhenTheFullSuiteMeasuredThem() throws Exception {
        String s = section(fixtureReport(), "## Replay and fuzz");
        List<String> parts = new ArrayList<>(List.of(
                "| Replay: reading a pcapng capture from the page cache into vectors (64-byte frames) | 100 |",
                "| Replay: the pipeline alone on the replay's traffic (established pod-to-pod TCP, vectors of 256) | 250 |",
                "| Replay: writing an egress pcap (64-byte frames, to /dev/null) | 30.0 |",
                "| Fuzz: generating and mutating frames (nine in ten of the frames) | 300 |",
                "| Fuzz: writing a flood's new-flow frames (one in ten) | 60.0 |",
                "| Fuzz: the loop with the parser in place of the pipeline (generation, copies, every frame's invariants) | 700 |"));
        for (String part : parts) {
            assertTrue(s.contains(part + "\n"), part + " missing from\n" + s);
        }
        // every capture result the section covers is shown: pcap read (not a part above) and the missing pcapng write as "–"
        assertTrue(s.contains("| Format | read, 64 B | write, 64 B |\n|---|---:|---:|\n| pcap | 90.0 | 30.0 |\n| pcapng | 100 | – |\n"), s);
        String pipeline = """
                {"benchmark":"dev.gingham.jmh.dataplane.PipelineBenchmark.run","mode":"avgt",
                 "params":{"path":"pod-to-pod","batch":"256"},
                 "primaryMetric":{"score":250.0,"scoreError":1.0,"scoreUnit":"ns/op","rawData":[[250.0]]}}""";
        String quick = section(render(run(pipeline, fuzzLoop("host", 1000))), "## Replay and fuzz");
        assertFalse(quick.contains("**Where the time goes.**"), "the pipeline alone is not the parts of a replay: " + quick);
    }

    @Test
    void shouldPresentReplayAndFuzzResultsOnlyInTheirOwnSection() throws Exception {
        String report = fixtureReport();
        assertFalse(report.contains("### `CaptureReaderBenchmark.read`"), "parts are not repeated under Building blocks");
        assertFalse(report.contains("### `FuzzLoopBenchmark.vector`"));
        assertEquals(-1, section(report, "## Allocation per packet").indexOf("FuzzLoopBenchmark"),
                "replay and fuzz are tools around the dataplane, not its per-packet paths");
    }
}
