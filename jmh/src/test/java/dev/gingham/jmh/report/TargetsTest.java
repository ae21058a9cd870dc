package dev.gingham.jmh.report;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Issues 3 and 4's targets judged from hand-made JMH results. */
class TargetsTest {
    private static final String[] MODES = {"NATIVE", "VXLAN", "GENEVE", "IPIP"};

    /** A JMH JSON entry: a benchmark of the jmh module, its params, an average time. */
    private static String entry(String simpleName, String params, double score, String unit) {
        String pkg = simpleName.startsWith("Encap") || simpleName.startsWith("Decap") ? "encap"
                : simpleName.startsWith("Conntrack") ? "conntrack" : "nat";
        return """
                {"benchmark": "dev.gingham.jmh.%s.%s", "mode": "avgt", "params": {%s},
                 "primaryMetric": {"score": %s, "scoreError": 0.0, "scoreUnit": "%s", "rawData": [[%s]]},
                 "secondaryMetrics": {}}""".formatted(pkg, simpleName, params, score, unit, score, unit);
    }

    /** Encap and decap results whose net (method - baseline) is {@code encapNets[m]} / {@code decapNets[m]}. */
    private static List<String> tunnelEntries(double[] encapNets, double[] decapNets) {
        List<String> entries = new ArrayList<>();
        for (int m = 0; m < MODES.length; m++) {
            String mode = "\"mode\": \"" + MODES[m] + "\"";
            entries.add(entry("EncapBenchmark.baseline", mode, 35, "ns/op"));
            entries.add(entry("EncapBenchmark.encap", mode, 35 + encapNets[m], "ns/op"));
            entries.add(entry("DecapBenchmark.baseline", mode, 30, "ns/op"));
            entries.add(entry("DecapBenchmark.decap", mode, 30 + decapNets[m], "ns/op"));
        }
        return entries;
    }

    private static Targets.Judged judged(List<String> entries, String targetPrefix) {
        BenchResults results = BenchResults.parse("[" + String.join(",", entries) + "]", "test");
        return Targets.judge(results).stream().filter(j -> j.target().startsWith(targetPrefix)).findFirst().orElseThrow();
    }

    @Test
    void shouldMeetTheTunnelTargetsOnlyWhenEveryModeIsAtMostTwentyNanosecondsNet() {
        List<String> entries = tunnelEntries(new double[] {10, 20, 19.5, 12}, new double[] {0.5, 18, 17, 20.5});
        Targets.Judged encap = judged(entries, "Encapsulation");
        assertEquals(Targets.Verdict.MET, encap.verdict());
        assertEquals(4, encap.issue());
        assertEquals("ns per packet: native 10.0, vxlan 20.0, geneve 19.5, ipip 12.0", encap.measured());
        Targets.Judged decap = judged(entries, "Decapsulation");
        assertEquals(Targets.Verdict.MISSED, decap.verdict(), "IPIP's 20.5 ns is over");
        assertEquals("ns per packet: native 0.50, vxlan 18.0, geneve 17.0, ipip 20.5", decap.measured());
    }

    @Test
    void shouldLeaveTheTunnelTargetNotMeasuredWhenAModeIsMissing() {
        List<String> entries = new ArrayList<>(tunnelEntries(new double[] {10, 10, 10, 10}, new double[] {1, 1, 1, 1}));
        entries.removeIf(e -> e.contains("\"GENEVE\"") && e.contains("Decap"));
        assertEquals(Targets.Verdict.MET, judged(entries, "Encapsulation").verdict());
        assertEquals(Targets.Verdict.NOT_MEASURED, judged(entries, "Decapsulation").verdict());
    }

    @Test
    void shouldJudgeTheServiceBuildingBlocksAgainstIssueThreesFigures() {
        List<String> entries = List.of(
                entry("NewFlowBenchmark.newFlowPrefetched", "", 480, "ns/op"),
                entry("NewFlowBenchmark.newFlow", "", 800, "ns/op"),
                entry("ConntrackBenchmark.lookupAndAccountPrefetched", "\"entries\": \"1000000\"", 114, "ns/op"),
                entry("MaglevBenchmark.build", "\"m\": \"16381\", \"backends\": \"100\"", 274, "us/op"));
        Targets.Judged newFlow = judged(entries, "New-flow path");
        assertEquals(Targets.Verdict.MET, newFlow.verdict());
        assertEquals("2.08 Mpps (480 ns per packet)", newFlow.measured());
        Targets.Judged conntrack = judged(entries, "Conntrack lookup with 1M entries");
        assertEquals(Targets.Verdict.MISSED, conntrack.verdict());
        assertEquals("114 ns", conntrack.measured());
        Targets.Judged maglev = judged(entries, "Maglev table build");
        assertEquals(Targets.Verdict.MET, maglev.verdict());
        assertEquals("0.274 ms", maglev.measured());
        assertEquals(3, maglev.issue());
    }
}
