package dev.gingham.jmh.report;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Issue 9's targets judged against a run: established flows through the whole pipeline at
 * &ge; 12 Mpps per core, new flows at &ge; 2 Mpps per core, 0 B/op on every per-packet path.
 * The pipeline targets are judged at the vector size workers run (256 frames).
 */
final class Targets {
    static final double ESTABLISHED_MPPS = 12;
    static final double NEW_FLOW_MPPS = 2;
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
     * @param target   what the issue asks for
     * @param measured the figure, in words
     * @param verdict  met, missed, or not in this run
     */
    record Judged(String target, String measured, Verdict verdict) {
        String verdictText() {
            return switch (verdict) {
                case MET -> "met";
                case MISSED -> "**missed**";
                case NOT_MEASURED -> "not measured in this run";
            };
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
        return judged;
    }

    private static Judged mpps(BenchResults results, String path, double target, String what) {
        String goal = String.format(Locale.ROOT, "%s: ≥ %.0f Mpps per core (≤ %.1f ns per packet), whole pipeline, vectors of %s",
                what, target, 1000 / target, Names.TARGET_BATCH);
        Optional<BenchResult> r = results.find(Names.PIPELINE, "path", path, "batch", Names.TARGET_BATCH);
        if (r.isEmpty()) {
            return new Judged(goal, "–", Verdict.NOT_MEASURED);
        }
        double ns = r.get().nanos();
        double measured = 1000 / ns;
        return new Judged(goal, String.format(Locale.ROOT, "%s Mpps (%s ns per packet)", Fmt.mpps(ns), Fmt.ns(ns)),
                measured >= target ? Verdict.MET : Verdict.MISSED);
    }

    private static Judged allocation(BenchResults results) {
        String goal = String.format(Locale.ROOT, "0 B/op on every per-packet path (every Gingham per-packet benchmark "
                + "below %.0f B/op: no object per packet)", ZERO_ALLOCATION_BYTES);
        List<BenchResult> perPacket = perPacket(results);
        if (perPacket.isEmpty()) {
            return new Judged(goal, "–", Verdict.NOT_MEASURED);
        }
        BenchResult worst = perPacket.getFirst();
        for (BenchResult r : perPacket) {
            if (!(r.allocBytesPerOp() <= worst.allocBytesPerOp())) {
                worst = r;
            }
        }
        String measured = String.format(Locale.ROOT, "largest %s B/op (%s %s) over %d results", Fmt.bytes(worst.allocBytesPerOp()),
                worst.simpleName(), worst.params(), perPacket.size());
        return new Judged(goal, measured, worst.allocBytesPerOp() < ZERO_ALLOCATION_BYTES ? Verdict.MET : Verdict.MISSED);
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
                 Names.NEW_FLOW, "ParserBenchmark.parse", "ChecksumBenchmark.incremental",
                 "ServiceLookupBenchmark.lookupAndSelect", "ServiceLookupBenchmark.lookupAndSelectPrefetched",
                 "LpmTrieBenchmark.lookup" -> true;
            case Names.KUBE_PROXY -> impl != null && impl.startsWith("gingham");
            case Names.POLICY, "HashMapBenchmark.lookup" -> impl != null && impl.startsWith("gingham");
            default -> false;
        };
    }
}
