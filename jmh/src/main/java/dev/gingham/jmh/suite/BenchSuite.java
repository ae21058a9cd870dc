package dev.gingham.jmh.suite;

import dev.gingham.jmh.conntrack.ConntrackBenchmark;
import dev.gingham.jmh.dataplane.PipelineBenchmark;
import dev.gingham.jmh.encap.DecapBenchmark;
import dev.gingham.jmh.encap.EncapBenchmark;
import dev.gingham.jmh.fuzz.FrameFuzzerBenchmark;
import dev.gingham.jmh.fuzz.FuzzLoopBenchmark;
import dev.gingham.jmh.kubeproxy.KubeProxyBenchmark;
import dev.gingham.jmh.kubeproxy.KubeProxyUpdateBenchmark;
import dev.gingham.jmh.maps.HashMapBenchmark;
import dev.gingham.jmh.maps.LpmTrieBenchmark;
import dev.gingham.jmh.nat.MaglevBenchmark;
import dev.gingham.jmh.nat.NewFlowBenchmark;
import dev.gingham.jmh.nat.ServiceLookupBenchmark;
import dev.gingham.jmh.packet.ChecksumBenchmark;
import dev.gingham.jmh.packet.ParserBenchmark;
import dev.gingham.jmh.policy.PolicyCompileBenchmark;
import dev.gingham.jmh.policy.PolicyVerdictBenchmark;
import dev.gingham.jmh.replay.CaptureReaderBenchmark;
import dev.gingham.jmh.replay.CaptureWriterBenchmark;
import dev.gingham.jmh.replay.ReplayBenchmark;

import java.util.List;
import java.util.Map;

/**
 * The fixed list of benchmarks {@code ./gingham bench} runs, so every report is made of the
 * same measurements: issue 9's comparisons first (kube-proxy modes, the whole pipeline,
 * encapsulation, policy, conntrack and NAT at scale), then issue 8's replay and fuzz throughput,
 * then, in the full suite only, the building blocks (maps, parser, checksums, service lookup,
 * policy compilation).
 *
 * <p>The quick suite keeps every comparison with all its parameter values except two cuts
 * (decapsulation without delivery; Maglev's build time at M = 16381 with 100 backends
 * only), and runs short iterations (2 x 0.5 s warm-up, 3 x 0.5 s measured; the pipeline,
 * new-flow and fuzz-loop benchmarks keep a 5 x 1 s warm-up because their code needs several
 * seconds of JIT compilation to settle; the replay is single-shot, 5 warm-up and 3 measured
 * replays of its 1M-frame capture). It is sized to finish in under 10 minutes on a 2-core
 * machine (measured: about 6 minutes before replay and fuzz, which add about a minute, and decapsulation,
 * which adds another). The full
 * suite runs every parameter value with the benchmarks' own annotations (3-5 x 1 s warm-up, 5 x
 * 1 s measured) and adds decapsulation with delivery, policy compilation, the parts of replay and fuzz (capture
 * reading and writing, frame generation, the harness around the parser) and the building blocks.
 */
public final class BenchSuite {
    public static final String KUBE_PROXY = "kube-proxy";
    public static final String PIPELINE = "pipeline";
    public static final String ENCAP = "encap";
    public static final String POLICY = "policy";
    public static final String CONNTRACK_NAT = "conntrack-nat";
    public static final String REPLAY_FUZZ = "replay-fuzz";
    public static final String BUILDING_BLOCKS = "building-blocks";

    static final SuiteEntry.Iterations QUICK = new SuiteEntry.Iterations(2, 500, 3, 500);
    /**
     * Paths through many programs (the pipeline, new flows): their own annotations' 5 x 1 s
     * warm-up, or the measured iterations still include compilation (a new-flow run measured
     * 5.5, 3.2, 2.2 µs per frame in its first three iterations after 3 s of warm-up).
     */
    static final SuiteEntry.Iterations QUICK_LONG_WARMUP = new SuiteEntry.Iterations(5, 1000, 3, 500);
    /**
     * The replay (single-shot: one iteration is one replay of the whole 1M-frame capture, about
     * 0.7-1 s): 5 warm-up replays, in which the JIT compiles the whole path (measured here: with
     * 2, the first measured replay still ran at 1,241 ns per frame against about 720 after; one run
     * needed 4 to get below 1,000), then 3 measured.
     * JMH ignores iteration times in single-shot mode; the 1,000 ms given here are one replay's
     * expected length, for the suite's time estimate.
     */
    static final SuiteEntry.Iterations QUICK_REPLAY = new SuiteEntry.Iterations(5, 1000, 3, 1000);

    private BenchSuite() {
    }

    /** Returns: the suite {@code ./gingham bench --quick} runs. */
    public static List<SuiteEntry> quick() {
        return List.of(
                new SuiteEntry(KUBE_PROXY, KubeProxyBenchmark.class, "selectBackend", Map.of(), QUICK),
                new SuiteEntry(KUBE_PROXY, KubeProxyUpdateBenchmark.class, "update", Map.of(), QUICK),
                new SuiteEntry(PIPELINE, PipelineBenchmark.class, "run", Map.of(), QUICK_LONG_WARMUP),
                new SuiteEntry(ENCAP, EncapBenchmark.class, "baseline", Map.of(), QUICK),
                new SuiteEntry(ENCAP, EncapBenchmark.class, "encap", Map.of(), QUICK),
                new SuiteEntry(ENCAP, DecapBenchmark.class, "baseline", Map.of(), QUICK),
                new SuiteEntry(ENCAP, DecapBenchmark.class, "decap", Map.of(), QUICK),
                new SuiteEntry(POLICY, PolicyVerdictBenchmark.class, "verdict", Map.of(), QUICK),
                new SuiteEntry(CONNTRACK_NAT, ConntrackBenchmark.class, "lookupAndAccountPrefetched", Map.of(), QUICK),
                new SuiteEntry(CONNTRACK_NAT, ConntrackBenchmark.class, "lookupAndAccount", Map.of(), QUICK),
                new SuiteEntry(CONNTRACK_NAT, NewFlowBenchmark.class, "newFlowPrefetched", Map.of(), QUICK_LONG_WARMUP),
                new SuiteEntry(CONNTRACK_NAT, NewFlowBenchmark.class, "newFlow", Map.of(), QUICK_LONG_WARMUP),
                new SuiteEntry(CONNTRACK_NAT, MaglevBenchmark.class, "build",
                        Map.of("m", List.of("16381"), "backends", List.of("100")), QUICK),
                new SuiteEntry(REPLAY_FUZZ, ReplayBenchmark.class, "replay", Map.of(), QUICK_REPLAY),
                new SuiteEntry(REPLAY_FUZZ, FuzzLoopBenchmark.class, "vector", Map.of(), QUICK_LONG_WARMUP));
    }

    /** Returns: the suite {@code ./gingham bench} runs (about an hour on the project's 2-core machines). */
    public static List<SuiteEntry> full() {
        return List.of(
                new SuiteEntry(KUBE_PROXY, KubeProxyBenchmark.class, "selectBackend", Map.of(), null),
                new SuiteEntry(KUBE_PROXY, KubeProxyUpdateBenchmark.class, "update", Map.of(), null),
                new SuiteEntry(PIPELINE, PipelineBenchmark.class, "run", Map.of(), null),
                new SuiteEntry(ENCAP, EncapBenchmark.class, "baseline", Map.of(), null),
                new SuiteEntry(ENCAP, EncapBenchmark.class, "encap", Map.of(), null),
                new SuiteEntry(ENCAP, DecapBenchmark.class, "baseline", Map.of(), null),
                new SuiteEntry(ENCAP, DecapBenchmark.class, "decap", Map.of(), null),
                new SuiteEntry(ENCAP, DecapBenchmark.class, "decapAndDeliver", Map.of(), null),
                new SuiteEntry(POLICY, PolicyVerdictBenchmark.class, "verdict", Map.of(), null),
                new SuiteEntry(POLICY, PolicyCompileBenchmark.class, "compile", Map.of(), null),
                new SuiteEntry(POLICY, PolicyCompileBenchmark.class, "compileAndPublish", Map.of(), null),
                new SuiteEntry(CONNTRACK_NAT, ConntrackBenchmark.class, "lookupAndAccountPrefetched", Map.of(), null),
                new SuiteEntry(CONNTRACK_NAT, ConntrackBenchmark.class, "lookupAndAccount", Map.of(), null),
                new SuiteEntry(CONNTRACK_NAT, NewFlowBenchmark.class, "newFlowPrefetched", Map.of(), null),
                new SuiteEntry(CONNTRACK_NAT, NewFlowBenchmark.class, "newFlow", Map.of(), null),
                new SuiteEntry(CONNTRACK_NAT, MaglevBenchmark.class, "build", Map.of(), null),
                new SuiteEntry(REPLAY_FUZZ, ReplayBenchmark.class, "replay", Map.of(), null),
                new SuiteEntry(REPLAY_FUZZ, FuzzLoopBenchmark.class, "vector", Map.of(), null),
                // the parts of the two: what the report's "where the time goes" of replay and fuzz sets beside them
                new SuiteEntry(REPLAY_FUZZ, CaptureReaderBenchmark.class, "read", Map.of(), null),
                new SuiteEntry(REPLAY_FUZZ, CaptureWriterBenchmark.class, "write", Map.of(), null),
                new SuiteEntry(REPLAY_FUZZ, FrameFuzzerBenchmark.class, "mutate", Map.of(), null),
                new SuiteEntry(REPLAY_FUZZ, FrameFuzzerBenchmark.class, "flood", Map.of(), null),
                new SuiteEntry(REPLAY_FUZZ, FrameFuzzerBenchmark.class, "harnessWithParser", Map.of(), null),
                // Maglev at 100k services needs 13 GB of tables (see ServiceLookupBenchmark): random only here;
                // KubeProxyBenchmark covers Maglev up to 100k with M = 1021.
                new SuiteEntry(BUILDING_BLOCKS, ServiceLookupBenchmark.class, "lookupAndSelectPrefetched",
                        Map.of("algorithm", List.of("random")), null),
                new SuiteEntry(BUILDING_BLOCKS, ServiceLookupBenchmark.class, "lookupAndSelect",
                        Map.of("algorithm", List.of("random")), null),
                new SuiteEntry(BUILDING_BLOCKS, HashMapBenchmark.class, "lookup", Map.of(), null),
                new SuiteEntry(BUILDING_BLOCKS, HashMapBenchmark.class, "update", Map.of(), null),
                new SuiteEntry(BUILDING_BLOCKS, LpmTrieBenchmark.class, "lookup", Map.of(), null),
                new SuiteEntry(BUILDING_BLOCKS, LpmTrieBenchmark.class, "update", Map.of(), null),
                new SuiteEntry(BUILDING_BLOCKS, ParserBenchmark.class, "parse", Map.of(), null),
                new SuiteEntry(BUILDING_BLOCKS, ChecksumBenchmark.class, "fullRecompute", Map.of(), null),
                new SuiteEntry(BUILDING_BLOCKS, ChecksumBenchmark.class, "incremental", Map.of(), null));
    }

    /** Returns: the number of JMH runs (forks) in a suite. */
    public static int runs(List<SuiteEntry> suite) {
        return suite.stream().mapToInt(SuiteEntry::runs).sum();
    }
}
