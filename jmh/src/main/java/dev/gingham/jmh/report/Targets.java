package dev.gingham.jmh.report;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.DoubleFunction;
import java.util.function.DoublePredicate;

/**
 * The issues' targets judged against a run. Issue 9: established flows through the whole pipeline
 * at &ge; 12 Mpps per core, new flows at &ge; 2 Mpps per core, 0 B/op on every per-packet path;
 * the pipeline targets are judged at the vector size workers run (256 frames). Issue 8: replay
 * &ge; 1M frames/s on one thread from a capture in the page cache ({@code ReplayBenchmark}), fuzz
 * &ge; 500k frames/s ({@code FuzzLoopBenchmark}).
 *
 * <p><b>The fuzz rule.</b> {@code gingham fuzz} runs its three ports one after the other, each a
 * third of its time, and prints per port and in total; the target is about the command, so it is
 * judged on the command's total: all frames over all the time. With each port a third of the
 * time T, the total is (T/3)(r1 + r2 + r3) frames in T, i.e. the mean of the ports' frames/s,
 * and its ns per frame is the harmonic mean of the ports' ns per frame, 3 / (1/t1 + 1/t2 + 1/t3)
 * ({@link #fuzzCommandNanos}). A port missing from the run leaves the target not measured: two
 * ports' mean says nothing about the third.
 *
 * <p>Issue 4: encapsulation and decapsulation at most 20 ns per packet in every mode, judged on
 * the net figures (method minus the in-run baseline that puts the frames back and parses them,
 * as the encapsulation section shows them). Issue 3: the new-flow path alone
 * ({@code NewFlowBenchmark}, judged on the vector form the pipeline runs) at &ge; 2 Mpps, a conntrack lookup at 1M entries &le; 100 ns (judged
 * on the vector form programs use), a Maglev build for M = 16381 and 100 backends &le; 5 ms.
 *
 * <p>Neither replay nor the fuzz loop counts among the per-packet paths of the 0 B/op target:
 * they are tools around the dataplane, and a replay allocates per replay (buffers, writers),
 * which JMH spreads over its frames; the replay-and-fuzz section shows both figures.
 */
final class Targets {
    static final double ESTABLISHED_MPPS = 12;
    static final double NEW_FLOW_MPPS = 2;
    static final double REPLAY_FRAMES_PER_SECOND = 1_000_000;
    static final double FUZZ_FRAMES_PER_SECOND = 500_000;
    /** Issue 4: encapsulation and decapsulation per mode, ns per packet net of the in-run baseline. */
    static final double TUNNEL_NANOS = 20;
    /** Issue 3: the new-flow path alone (conntrack miss, Maglev, conntrack create, DNAT). */
    static final double NEW_FLOW_PATH_MPPS = 2;
    /** Issue 3: a conntrack lookup with a million entries in the table. */
    static final double CONNTRACK_1M_NANOS = 100;
    /** Issue 3: one Maglev table build, M = 16381, 100 backends. */
    static final double MAGLEV_BUILD_MILLIS = 5;
    private static final String[] TUNNEL_MODES = {"NATIVE", "VXLAN", "GENEVE", "IPIP"};
    /**
     * B/op below which a per-packet benchmark counts as allocating nothing per packet. JMH's GC
     * profiler divides the bytes every thread of the fork allocated by the operations, so its own
     * bookkeeping shows as hundredths of a byte, more for slow operations (fewer operations to
     * spread it over); an object per packet would show at least 16 B/op. The profiler cannot
     * resolve an allocation once per 256-frame vector (0.06 B/op): PipelineAllocationTest
     * (dataplane) checks exact zero per frame on every pipeline path.
     */
    static final double ZERO_ALLOCATION_BYTES = 1.0;

    /** A verdict. */
    enum Verdict { MET, MISSED, NOT_MEASURED }

    /**
     * One judged target.
     *
     * @param issue    the issue that sets it
     * @param target   what the issue asks for
     * @param measured the figure, in words
     * @param verdict  met, missed, or not in this run
     */
    record Judged(int issue, String target, String measured, Verdict verdict) {
        String verdictText() {
            return switch (verdict) {
                case MET -> "met";
                case MISSED -> "**missed**";
                case NOT_MEASURED -> "not measured in this run";
            };
        }

        /** Returns: the judgement as a sentence for a section's "What the numbers mean". */
        String sentence() {
            return target + ": " + measured + ", " + verdictText() + ".";
        }
    }

    private Targets() {
    }

    /** Returns: every target, judged. */
    static List<Judged> judge(BenchResults results) {
        List<Judged> judged = new ArrayList<>();
        for (String path : Names.ESTABLISHED_PATHS) {
            judged.add(mpps(results, path, ESTABLISHED_MPPS, "Established flows, " + path));
        }
        judged.add(mpps(results, Names.NEW_FLOW_PATH, NEW_FLOW_MPPS, "New flows (new NodePort connections)"));
        judged.add(allocation(results));
        judged.add(replay(results));
        judged.add(fuzz(results));
        judged.add(tunnel(results, "Encapsulation", Names.ENCAP, Names.ENCAP_BASELINE));
        judged.add(tunnel(results, "Decapsulation", Names.DECAP, Names.DECAP_BASELINE));
        judged.add(newFlowPath(results));
        judged.add(conntrackAtMillion(results));
        judged.add(maglevBuild(results));
        return judged;
    }

    private static Judged tunnel(BenchResults results, String what, String method, String baseline) {
        String goal = String.format(Locale.ROOT, "%s, every mode (native, VXLAN, Geneve, IPIP): ≤ %.0f ns per packet, net of the "
                + "in-run baseline", what, TUNNEL_NANOS);
        List<String> perMode = new ArrayList<>();
        boolean met = true;
        for (String mode : TUNNEL_MODES) {
            double net = EncapSection.net(results, method, baseline, mode);
            if (Double.isNaN(net)) {
                return new Judged(4, goal, "–", Verdict.NOT_MEASURED);
            }
            perMode.add(mode.toLowerCase(Locale.ROOT) + " " + Fmt.ns(net));
            met &= net <= TUNNEL_NANOS;
        }
        return new Judged(4, goal, "ns per packet: " + String.join(", ", perMode), met ? Verdict.MET : Verdict.MISSED);
    }

    private static Judged newFlowPath(BenchResults results) {
        String goal = String.format(Locale.ROOT, "New-flow path alone (conntrack miss, Maglev, conntrack create, DNAT): ≥ %.0f Mpps "
                + "per core (`NewFlowBenchmark`, vectors of 256 prefetched as the pipeline does)", NEW_FLOW_PATH_MPPS);
        return single(3, goal, results.find(Names.NEW_FLOW),
                ns -> String.format(Locale.ROOT, "%s Mpps (%s ns per packet)", Fmt.mpps(ns), Fmt.ns(ns)),
                ns -> 1000 / ns >= NEW_FLOW_PATH_MPPS);
    }

    /**
     * Returns: one benchmark's result judged: {@code met} and {@code measured} take its ns per
     * operation; not measured when the run does not have it.
     */
    private static Judged single(int issue, String goal, Optional<BenchResult> result, DoubleFunction<String> measured,
                                 DoublePredicate met) {
        if (result.isEmpty()) {
            return new Judged(issue, goal, "–", Verdict.NOT_MEASURED);
        }
        double ns = result.get().nanos();
        return new Judged(issue, goal, measured.apply(ns), met.test(ns) ? Verdict.MET : Verdict.MISSED);
    }

    private static Judged conntrackAtMillion(BenchResults results) {
        String goal = String.format(Locale.ROOT, "Conntrack lookup with 1M entries: ≤ %.0f ns (the vector form programs use)",
                CONNTRACK_1M_NANOS);
        return single(3, goal, results.find(Names.CONNTRACK_VECTOR, "entries", "1000000"), ns -> Fmt.ns(ns) + " ns",
                ns -> ns <= CONNTRACK_1M_NANOS);
    }

    /** Returns: issue 3's disruption target judged on figures computed with the real Maglev build (not timed). */
    static Judged disruption(MaglevDisruption.Figures figures) {
        String goal = String.format(Locale.ROOT, "Maglev, M = %s, %d backends: removing one moves ≤ %.0f%% of the other "
                        + "backends' flows (computed with `Maglev.build`; the worst of each backend leaving)", Fmt.count(Integer.toString(figures.m())), figures.backends(),
                MaglevDisruption.OTHERS_MOVED_TARGET_PERCENT);
        return new Judged(3, goal, String.format(Locale.ROOT, "%.2f%%", figures.othersMovedWorstPercent()),
                figures.othersMovedWorstPercent() <= MaglevDisruption.OTHERS_MOVED_TARGET_PERCENT ? Verdict.MET : Verdict.MISSED);
    }

    private static Judged maglevBuild(BenchResults results) {
        String goal = String.format(Locale.ROOT, "Maglev table build, M = 16381, 100 backends: ≤ %.0f ms", MAGLEV_BUILD_MILLIS);
        return single(3, goal, results.find(Names.MAGLEV_BUILD, "m", "16381", "backends", "100"),
                ns -> String.format(Locale.ROOT, "%.3f ms", ns / 1e6), ns -> ns / 1e6 <= MAGLEV_BUILD_MILLIS);
    }

    private static Judged replay(BenchResults results) {
        String goal = String.format(Locale.ROOT, "Replay: ≥ %s frames/s on one thread (≤ %s ns per frame), a capture in the "
                + "page cache through `gingham replay`'s path (`ReplayBenchmark`)", Fmt.shortCount(REPLAY_FRAMES_PER_SECOND),
                Fmt.ns(1e9 / REPLAY_FRAMES_PER_SECOND));
        return single(8, goal, results.find(Names.REPLAY),
                ns -> String.format(Locale.ROOT, "%s frames/s (%s ns per frame)", Fmt.frameRate(ns), Fmt.ns(ns)),
                ns -> 1e9 / ns >= REPLAY_FRAMES_PER_SECOND);
    }

    private static Judged fuzz(BenchResults results) {
        String goal = String.format(Locale.ROOT, "Fuzz: ≥ %s frames/s (≤ %s ns per frame), `gingham fuzz`'s loop over its "
                        + "three ports, each a third of the time (`FuzzLoopBenchmark`; per-port ns combined harmonically)",
                Fmt.shortCount(FUZZ_FRAMES_PER_SECOND), Fmt.ns(1e9 / FUZZ_FRAMES_PER_SECOND));
        List<String> perPort = new ArrayList<>();
        List<String> missing = new ArrayList<>();
        for (String port : Names.FUZZ_PORTS) {
            Optional<BenchResult> r = results.find(Names.FUZZ_LOOP, "port", port);
            if (r.isPresent()) {
                perPort.add(port + " " + Fmt.ns(r.get().nanos()));
            } else {
                missing.add(port);
            }
        }
        if (!missing.isEmpty()) {
            return new Judged(8, goal, perPort.isEmpty() ? "–"
                    : "ns per frame " + String.join(", ", perPort) + "; no " + String.join(", ", missing), Verdict.NOT_MEASURED);
        }
        double ns = fuzzCommandNanos(results);
        return new Judged(8, goal, String.format(Locale.ROOT, "%s frames/s (%s ns per frame; per port: %s)", Fmt.frameRate(ns),
                Fmt.ns(ns), String.join(", ", perPort)), 1e9 / ns >= FUZZ_FRAMES_PER_SECOND ? Verdict.MET : Verdict.MISSED);
    }

    /**
     * Returns: ns per frame of the fuzz command over its three ports, each a third of the time: the
     * harmonic mean of the ports' ns per frame (the class comment says why); NaN when a port is
     * not in the run.
     */
    static double fuzzCommandNanos(BenchResults results) {
        double ratesSum = 0;
        for (String port : Names.FUZZ_PORTS) {
            Optional<BenchResult> r = results.find(Names.FUZZ_LOOP, "port", port);
            if (r.isEmpty()) {
                return Double.NaN;
            }
            ratesSum += 1 / r.get().nanos();
        }
        return Names.FUZZ_PORTS.length / ratesSum;
    }

    private static Judged mpps(BenchResults results, String path, double target, String what) {
        String goal = String.format(Locale.ROOT, "%s: ≥ %.0f Mpps per core (≤ %.1f ns per packet), whole pipeline, vectors of %s",
                what, target, 1000 / target, Names.TARGET_BATCH);
        return single(9, goal, results.find(Names.PIPELINE, "path", path, "batch", Names.TARGET_BATCH),
                ns -> String.format(Locale.ROOT, "%s Mpps (%s ns per packet)", Fmt.mpps(ns), Fmt.ns(ns)), ns -> 1000 / ns >= target);
    }

    private static Judged allocation(BenchResults results) {
        String goal = String.format(Locale.ROOT, "0 B/op on every per-packet path (every Gingham per-packet benchmark "
                + "below %.0f B/op: no object per packet)", ZERO_ALLOCATION_BYTES);
        List<BenchResult> perPacket = perPacket(results);
        if (perPacket.isEmpty()) {
            return new Judged(9, goal, "–", Verdict.NOT_MEASURED);
        }
        BenchResult worst = perPacket.getFirst();
        for (BenchResult r : perPacket) {
            if (!(r.allocBytesPerOp() <= worst.allocBytesPerOp())) {
                worst = r;
            }
        }
        String measured = String.format(Locale.ROOT, "largest %s B/op (%s %s) over %d results", Fmt.bytes(worst.allocBytesPerOp()),
                worst.simpleName(), worst.params(), perPacket.size());
        return new Judged(9, goal, measured, worst.allocBytesPerOp() < ZERO_ALLOCATION_BYTES ? Verdict.MET : Verdict.MISSED);
    }

    /**
     * Returns: the results of Gingham's per-packet paths that have an allocation figure (the
     * baselines of the comparisons and the control-plane benchmarks are not per-packet paths
     * of Gingham).
     */
    static List<BenchResult> perPacket(BenchResults results) {
        List<BenchResult> list = new ArrayList<>();
        for (BenchResult r : results.all()) {
            if (Double.isNaN(r.allocBytesPerOp()) || !isGinghamPerPacket(r)) {
                continue;
            }
            list.add(r);
        }
        return list;
    }

    static boolean isGinghamPerPacket(BenchResult r) {
        String name = r.simpleName();
        String impl = r.param("impl");
        return switch (name) {
            case Names.PIPELINE, Names.ENCAP, Names.DECAP, Names.DECAP_DELIVER, Names.CONNTRACK, Names.CONNTRACK_VECTOR,
                 Names.NEW_FLOW, Names.NEW_FLOW_FRAME_BY_FRAME, "ParserBenchmark.parse", "ChecksumBenchmark.incremental",
                 "ServiceLookupBenchmark.lookupAndSelect", "ServiceLookupBenchmark.lookupAndSelectPrefetched",
                 "LpmTrieBenchmark.lookup" -> true;
            case Names.KUBE_PROXY -> impl != null && impl.startsWith("gingham");
            case Names.POLICY, "HashMapBenchmark.lookup" -> impl != null && impl.startsWith("gingham");
            default -> false;
        };
    }
}
