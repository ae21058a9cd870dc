package dev.gingham.jmh.suite;

import dev.gingham.jmh.encap.EncapBenchmark;
import dev.gingham.jmh.fuzz.FrameFuzzerBenchmark;
import dev.gingham.jmh.fuzz.FuzzLoopBenchmark;
import dev.gingham.jmh.kubeproxy.KubeProxyBenchmark;
import dev.gingham.jmh.nat.MaglevBenchmark;
import dev.gingham.jmh.replay.ReplayBenchmark;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SuiteEntryTest {
    @Test
    void shouldCountEveryParameterCombinationWhenNoneIsOverridden() {
        SuiteEntry e = new SuiteEntry("kube-proxy", KubeProxyBenchmark.class, "selectBackend", Map.of(), null);
        assertEquals(6 * 5, e.runs());
    }

    @Test
    void shouldCountOnlyTheChosenValuesWhenParametersAreOverridden() {
        SuiteEntry e = new SuiteEntry("x", MaglevBenchmark.class, "build", Map.of("m", List.of("16381")), null);
        assertEquals(2, e.runs(), "one m times both backends values");
    }

    @Test
    void shouldCountTheEnumsConstantsWhenAnEnumParameterListsThem() {
        assertEquals(4, new SuiteEntry("encap", EncapBenchmark.class, "encap", Map.of(), null).runs());
    }

    @Test
    void shouldNameTheClassAndItsParametersWhenAnOverrideNamesNoParameter() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new SuiteEntry("x", MaglevBenchmark.class, "build", Map.of("size", List.of("1")), null));
        assertEquals("MaglevBenchmark has no @Param size (it has [m, backends])", e.getMessage());
    }

    @Test
    void shouldSelectExactlyItsOwnMethodWhenJmhMatchesTheIncludePattern() {
        Pattern p = Pattern.compile(new SuiteEntry("encap", EncapBenchmark.class, "baseline", Map.of(), null).includePattern());
        assertTrue(p.matcher("dev.gingham.jmh.encap.EncapBenchmark.baseline").find());
        assertFalse(p.matcher("dev.gingham.jmh.encap.DecapBenchmark.baseline").find());
        assertFalse(p.matcher("dev.gingham.jmh.encap.EncapBenchmark.baselineX").find());
    }

    @Test
    void shouldKeepEveryComparisonOfTheIssueInTheQuickSuite() {
        List<String> names = BenchSuite.quick().stream().map(SuiteEntry::shortName).toList();
        for (String required : List.of("KubeProxyBenchmark.selectBackend", "KubeProxyUpdateBenchmark.update", "PipelineBenchmark.run",
                "EncapBenchmark.encap", "EncapBenchmark.baseline", "DecapBenchmark.decap", "DecapBenchmark.baseline",
                "PolicyVerdictBenchmark.verdict",
                "ConntrackBenchmark.lookupAndAccount", "NewFlowBenchmark.newFlow", "NewFlowBenchmark.newFlowPrefetched", "MaglevBenchmark.build")) {
            assertTrue(names.contains(required), required + " missing from the quick suite");
        }
        assertEquals(79 + 1 + 3 + 8 + 1, BenchSuite.runs(BenchSuite.quick()),
                "issue 9's comparisons, the replay, the fuzz loop's three ports, decapsulation's four modes and their baselines,"
                        + " the vector new-flow path");
        assertTrue(BenchSuite.runs(BenchSuite.full()) > BenchSuite.runs(BenchSuite.quick()));
    }

    @Test
    void shouldRunReplayAndTheFuzzLoopOnEveryPortInBothSuites() {
        for (List<SuiteEntry> suite : List.of(BenchSuite.quick(), BenchSuite.full())) {
            List<SuiteEntry> replayFuzz = suite.stream().filter(e -> e.comparison().equals(BenchSuite.REPLAY_FUZZ)).toList();
            List<String> names = replayFuzz.stream().map(SuiteEntry::shortName).toList();
            assertTrue(names.contains("ReplayBenchmark.replay"), names.toString());
            SuiteEntry fuzz = replayFuzz.stream().filter(e -> e.benchmark() == FuzzLoopBenchmark.class).findFirst().orElseThrow();
            assertEquals(3, fuzz.runs(), "the fuzz command's three ports");
        }
        assertTrue(BenchSuite.full().stream().anyMatch(e -> e.benchmark() == FrameFuzzerBenchmark.class));
    }

    @Test
    void shouldKeepTheQuickSuitesReplayAndFuzzUnderAMinuteAndAHalfWhenEstimated() {
        long seconds = BenchSuite.quick().stream().filter(e -> e.comparison().equals(BenchSuite.REPLAY_FUZZ))
                .mapToLong(SuiteEntry::estimatedSeconds).sum();
        // replay: 8 single shots of about a second + a fork; fuzz loop: 3 ports x (5 x 1 s + 3 x 0.5 s + a fork)
        assertEquals(1 * (8 + 3) + 3 * (6 + 3), seconds);
        assertTrue(seconds <= 90, seconds + " s");
    }

    @Test
    void shouldTakeOnlyTheCountsOfAnOverrideWhenTheBenchmarkIsSingleShot() {
        assertTrue(new SuiteEntry("replay-fuzz", ReplayBenchmark.class, "replay", Map.of(), null).singleShot());
        assertFalse(new SuiteEntry("replay-fuzz", FuzzLoopBenchmark.class, "vector", Map.of(), null).singleShot());
        SuiteEntry replay = BenchSuite.quick().stream().filter(e -> e.benchmark() == ReplayBenchmark.class).findFirst().orElseThrow();
        java.io.ByteArrayOutputStream text = new java.io.ByteArrayOutputStream();
        SuiteMain.printPlan(List.of(replay), "quick", new java.io.PrintStream(text, true, java.nio.charset.StandardCharsets.UTF_8));
        assertTrue(text.toString(java.nio.charset.StandardCharsets.UTF_8).contains(
                "ReplayBenchmark.replay                          1 runs    11 s  all @Param values  (single shot: 5 warm-up, 3 measured "
                        + "invocations)"), text.toString(java.nio.charset.StandardCharsets.UTF_8));
    }
}
