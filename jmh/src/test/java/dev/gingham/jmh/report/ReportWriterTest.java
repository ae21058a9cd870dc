package dev.gingham.jmh.report;

import dev.gingham.jmh.encap.WireOverheadReport;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;

import javax.xml.parsers.DocumentBuilderFactory;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The report generated from a small fixture run (src/test/resources/.../results.json and its run info). */
class ReportWriterTest {
    /** Made-up disruption figures for two table sizes: the first meets issue 3's 1% (judged on the worst), the second does not. */
    static final List<MaglevDisruption.Figures> DISRUPTION = List.of(new MaglevDisruption.Figures(100, 16381, 1.2, 1.1, 1.0, 0.2, 0.3),
            new MaglevDisruption.Figures(100, 65521, 1.5, 1.4, 1.0, 1.3, 1.45));
    @TempDir
    Path plots;
    private String report;

    static Path fixture(String name) throws URISyntaxException {
        return Path.of(ReportWriterTest.class.getResource(name).toURI());
    }

    @BeforeEach
    void render() throws Exception {
        BenchResults results = BenchResults.read(fixture("results.json"));
        RunInfo info = RunInfo.read(fixture("results.run.json"));
        List<WireOverheadReport.Row> wire = List.of(new WireOverheadReport.Row("UDP 64 B", "vxlan", 1450, 156, 180, 50, 35.6));
        report = ReportMain.render(results, info, plots, "bench/plots", "bench/results.json", wire,
                DISRUPTION, Optional.empty());
    }

    @Test
    void shouldShowTheNewestDefaultNodeRunBesideItsBaselinesWhenOneExists() throws Exception {
        Optional<NodeRun> node = NodeRun.newest(fixture("node"), "bench/node");
        // the 2027 file is a variant (-node-no-tso) and the 2025 one is older: the 2026 run is shown
        assertEquals("bench/node/2026-01-01T0000Z-node.json", node.orElseThrow().link());
        String withNode = ReportMain.render(BenchResults.read(fixture("results.json")), RunInfo.read(fixture("results.run.json")),
                plots, "bench/plots", "bench/results.json", List.of(), DISRUPTION, node);
        String section = withNode.substring(withNode.indexOf("## The node end to end"));
        assertTrue(section.contains("| iperf3 TCP through a ClusterIP, Gbit/s | 13.10 | 11.91 (kernel) | 1.10× | ≥ 0.75× | met |"), section);
        assertTrue(section.contains("| 64-byte UDP through a ClusterIP, packets/s per worker | 230,914 | 255,630 (raw TAP) | 0.90× "
                + "| ≥ 0.70× | met |"), section);
        assertTrue(section.contains("| ping round trip, p50 / p99 µs | 806.0 / 1,220.0 | 83.0 / 116.0 (kernel) | +723.0 / +1,104.0 µs |"),
                section);
        assertTrue(section.contains("| GC during 69 s of steady traffic (14,596,721 frames) | 0 collections, worker allocated 0 B |"),
                section);
        assertTrue(section.contains("load average 1.98 3.49 5.42 at the start"), section);
        assertTrue(section.contains("| iperf3 TCP pod to pod across two nodes over VXLAN, Gbit/s | 2.28 | 11.26 (kernel VXLAN pair) "
                + "| 0.20× | ≥ 0.75× | **missed** |"), section);
    }

    @Test
    void shouldSayHowToMeasureTheNodeWhenNoNodeRunExists() {
        assertTrue(report.contains("_No `gingham bench-node` run in docs/bench/node/ yet"), section("## The node end to end"));
    }

    @Test
    void shouldStateTheSharedMachineAndTheCommandWhenTheRunInfoSaysSo() {
        assertTrue(report.contains("**Numbers are from a shared 2-core VM**"), report.substring(0, 1500));
        assertTrue(report.contains("| CPU | AMD EPYC, 2 cores available |"));
        assertTrue(report.contains("| Kernel | Linux 6.18.44 |"));
        assertTrue(report.contains("| GC | G1 "));
        assertTrue(report.contains("| Wall time | 8:32 for 29 of 30 runs; failed: PipelineBenchmark.run path=to-remote-pod batch=256 |"));
        assertTrue(report.contains("[results.json](bench/results.json)"));
        assertTrue(report.contains("[benchmarks-notes.md](benchmarks-notes.md)"));
    }

    @Test
    void shouldJudgeEachTargetWhenThePipelineRan() {
        assertTrue(report.contains("| Established flows, service: ≥ 12 Mpps per core (≤ 83.3 ns per packet), whole pipeline, "
                + "vectors of 256 | 12.50 Mpps (80.0 ns per packet) | met |"), section("## Targets"));
        assertTrue(report.contains("| New flows (new NodePort connections): ≥ 2 Mpps per core (≤ 500.0 ns per packet), whole "
                + "pipeline, vectors of 256 | 1.25 Mpps (800 ns per packet) | **missed** |"));
        assertTrue(report.contains("to-remote-pod: ≥ 12 Mpps per core (≤ 83.3 ns per packet), whole pipeline, vectors of 256 | – "
                + "| not measured in this run |"));
        assertTrue(report.contains("largest 1.5 B/op (NewFlowBenchmark.newFlow {}) over"), section("## Targets"));
        assertTrue(report.contains("| Issue | Target | Measured | Verdict |"), section("## Targets (issues 3, 4, 8 and 9)"));
        assertTrue(report.contains("| 9 | Established flows, service: "));
        assertTrue(report.contains("(`FuzzLoopBenchmark`; per-port ns combined harmonically) | – | not measured in this run |"),
                section("## Targets"));
    }

    @Test
    void shouldJudgeMaglevDisruptionPerTableSizeFromTheComputedFigures() {
        assertTrue(report.contains("| 3 | Maglev, M = 16,381, 100 backends: removing one moves ≤ 1% of the other backends' flows "
                + "(computed with `Maglev.build`; the worst of each backend leaving) | 0.30% | met |"), section("## Targets"));
        assertTrue(report.contains("| 3 | Maglev, M = 65,521, 100 backends: removing one moves ≤ 1% of the other backends' flows "
                + "(computed with `Maglev.build`; the worst of each backend leaving) | 1.45% | **missed** |"));
        assertTrue(report.contains("| 65,521 | 100 | 1.50% | 1.00% | 1.30% | 1.45% | 1.40% |"), section("### Maglev"));
    }

    @Test
    void shouldSayReplayAndFuzzAreMissingWhenTheRunHasNeither() {
        assertTrue(section("## Replay and fuzz").contains("_`ReplayBenchmark` and `FuzzLoopBenchmark` are not in this run._"));
    }

    @Test
    void shouldTabulateEveryImplementationPerServiceCountWithRatiosToGingham() {
        assertTrue(report.contains("| 1 | 50.0 ±10% | – | 9.00 ±0% | 60.0 ±0% | – | 0.83× | 0.15× |"), section("### Per new connection"));
        assertTrue(report.contains("| 10,000 | 40,000 ±0% | – | 30.0 ±0% | 100 ±0% | – | 400× | 0.30× |"));
    }

    @Test
    void shouldSayFromHowManyServicesIptablesCostsMoreThanTheWholePipelineWhenBothRan() {
        // iptables grows 400 ns -> 40,000 ns from 100 to 10,000 services; the pipeline's new flow is 800 ns:
        // on the log-log line that is reached at 200 services
        assertTrue(report.contains("costs more than the whole Gingham pipeline for a new connection (800 ns per packet, "
                + "`PipelineBenchmark` new-nodeport-flow, vectors of 256) from about 200 services"), section("**What the numbers mean.**"));
        // and the established service packet (80 ns) between 1 (50 ns) and 100 services (400 ns): about 3
        assertTrue(report.contains("established packet to a service (80.0 ns) from about 3 services"));
    }

    @Test
    void shouldShowUpdatesInReadableUnitsWithIptablesAllocation() {
        assertTrue(report.contains("| 1,000 | 210 µs ±0% | – | – | 21.0 µs ±0% | – | 2.8 MB |"), section("### One Service change"));
        assertTrue(report.contains("Gingham 21.0 µs (iptables / Gingham: 10×)"));
    }

    @Test
    void shouldSubtractTheInRunBaselineWhenReportingEncapCost() {
        // VXLAN 70 - 35 = 35 net, native 56 - 36 = 20: 1.75x
        assertTrue(report.contains("| vxlan | 70.0 ±0% | 35.0 | 35.0 | 1.75× | 0.002 |"), section("## Encapsulation"));
        assertTrue(report.contains("| UDP 64 B | vxlan | 1450 | 156 | 180 | 50 | 35.6% |"));
    }

    @Test
    void shouldComparePolicyMapsWithTheLinearListPerRuleCount() {
        assertTrue(report.contains("| 100 | 25.0 | 44.0 | 1.76× | 0.002 |"), section("## NetworkPolicy"));
        assertTrue(report.contains("The linear list costs more than the maps from 100 rules on"));
    }

    @Test
    void shouldListResultsNoSectionPresentsUnderBuildingBlocks() {
        assertTrue(report.contains("### `ParserBenchmark.parse`"));
        assertTrue(report.contains("| kind=tcp4 | 19.7 ns ±0% | 0.002 |"));
        assertFalse(section("## Building blocks").contains("KubeProxyBenchmark"), "a presented benchmark is not repeated");
    }

    @Test
    void shouldFlagTheBenchmarkThatAllocatesWhenItIsAPerPacketPath() {
        assertTrue(report.contains("| `NewFlowBenchmark.newFlow` | 1.5 | {} | **allocates** |"), section("## Allocation per packet"));
        assertTrue(report.contains("**500 ns per packet,\n2.00 Mpps per core**") || report.contains("**500 ns per packet, 2.00 Mpps per core**"),
                section("### New connections"));
        assertTrue(report.contains("Frame by frame, each lookup waiting for its own misses: 1,000 ns (1.00 Mpps), so the vector way"
                + " takes 0.50× of that time."), section("### New connections"));
        assertTrue(report.contains("| `PipelineBenchmark.run` | 0.002 |"));
        assertFalse(section("## Allocation per packet").contains("iptables"), "baselines are not Gingham's paths");
    }

    @Test
    void shouldWriteEveryLinkedPlotAsAnSvgDocument() throws Exception {
        for (String name : List.of(KubeProxySection.PER_PACKET_PLOT, KubeProxySection.UPDATE_PLOT, PipelineSection.PLOT,
                EncapSection.PLOT, PolicySection.PLOT, ConntrackNatSection.PLOT)) {
            assertTrue(report.contains("](bench/plots/" + name + ")"), name + " is not linked");
            Document svg = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(plots.resolve(name).toFile());
            assertEquals("svg", svg.getDocumentElement().getTagName(), name);
        }
        Document perPacket = DocumentBuilderFactory.newInstance().newDocumentBuilder()
                .parse(plots.resolve(KubeProxySection.PER_PACKET_PLOT).toFile());
        // three implementations ran (iptables, nftables, Gingham random), three service counts each
        assertEquals(3, perPacket.getElementsByTagName("polyline").getLength());
        assertEquals(9, perPacket.getElementsByTagName("circle").getLength());
        String text = Files.readString(plots.resolve(KubeProxySection.PER_PACKET_PLOT));
        assertTrue(text.contains(">10k</text>"), "log x axis labelled in decades");
        assertTrue(text.contains("whole Gingham pipeline, new connection: 800 ns"));
    }

    private String section(String heading) {
        int start = report.indexOf(heading);
        assertTrue(start >= 0, "no section " + heading);
        int next = report.indexOf("\n## ", start + heading.length());
        return report.substring(start, next < 0 ? report.length() : next);
    }
}
