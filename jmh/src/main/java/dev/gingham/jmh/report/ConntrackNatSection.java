package dev.gingham.jmh.report;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/** Conntrack and NAT at scale: lookups at 10k and 1M flows, new flows, Maglev build time and disruption. */
final class ConntrackNatSection implements Section {
    static final String PLOT = "conntrack.svg";

    @Override
    public Set<String> covers() {
        return Set.of(Names.CONNTRACK, Names.CONNTRACK_VECTOR, Names.NEW_FLOW, Names.NEW_FLOW_FRAME_BY_FRAME,
                Names.MAGLEV_BUILD);
    }

    @Override
    public void write(ReportContext context, Markdown out) {
        BenchResults results = context.results();
        out.heading(2, "Conntrack and NAT at scale");
        out.paragraph("""
                **The question.** What does connection tracking cost an established packet when the table
                holds 10k or 1M flows, how fast are new connections set up, and what do Maglev tables cost
                the control plane and the flows when backends change?""");
        List<String> entries = results.paramValues(Names.CONNTRACK, "entries");
        if (!entries.isEmpty()) {
            out.heading(3, "Established packets: conntrack lookup and accounting");
            out.paragraph("""
                    Per packet: the flow's tuple, the lookup (ESTABLISHED) and the accounting. "Vector" is how
                    programs use the table (the whole vector's slots hashed and touched first, so cache misses
                    overlap); "frame by frame" is the baseline, each lookup waiting for its own miss. Flows
                    drawn uniformly (every lookup a likely cache miss at 1M).""");
            List<List<String>> rows = new ArrayList<>();
            double[] vector = new double[entries.size()];
            double[] frame = new double[entries.size()];
            for (int i = 0; i < entries.size(); i++) {
                String n = entries.get(i);
                vector[i] = results.find(Names.CONNTRACK_VECTOR, "entries", n).map(BenchResult::nanos).orElse(Double.NaN);
                frame[i] = results.find(Names.CONNTRACK, "entries", n).map(BenchResult::nanos).orElse(Double.NaN);
                rows.add(List.of(Fmt.count(n), Fmt.ns(vector[i]), Fmt.ns(frame[i]), Fmt.ratio(vector[i] / frame[i]),
                        Fmt.mpps(vector[i])));
            }
            out.table(List.of("Flows in the table", "Vector (ns)", "Frame by frame (ns)", "Vector / frame by frame",
                    "Mpps (vector)"), new boolean[]{true, true, true, true, true}, rows);
            double[] xs = SvgChart.indexes(entries.size());
            SvgChart chart = new SvgChart("Conntrack lookup + account per packet", "flows in the table", "ns per packet")
                    .xCategories(entries.stream().map(e -> Fmt.shortCount(Double.parseDouble(e))).toList())
                    .yScale(SvgChart.Scale.LINEAR, Fmt::shortCount)
                    .series(new SvgChart.Series("vector (prefetched)", xs, vector), "#1f77b4")
                    .series(new SvgChart.Series("frame by frame", xs, frame), "#7f7f7f");
            out.image("Conntrack cost vs table size", context.plot(PLOT, chart.lineChart()));
        }
        Optional<BenchResult> newFlow = results.find(Names.NEW_FLOW);
        if (newFlow.isPresent()) {
            double ns = newFlow.get().nanos();
            out.heading(3, "New connections without the rest of the pipeline");
            out.paragraph(String.format(Locale.ROOT, """
                    `NewFlowBenchmark`: a SYN to a ClusterIP (10 Maglev backends), every packet a new flow:
                    conntrack miss, frontend lookup, flow hash, Maglev selection, conntrack create in a table
                    filling from empty towards millions of entries, DNAT. Prefetched the way the node's programs
                    prefetch (every tuple of the 256-frame vector hashed and both of its conntrack slots touched
                    before the first lookup, the hash reused by the lookup and the create; one conntrack entry
                    per flow, where the node's service program makes two): **%s ns per packet,
                    %s Mpps per core** (issue 3's target: ≥ 2 Mpps), %s B/op.%s""",
                    Fmt.ns(ns), Fmt.mpps(ns), Fmt.bytes(newFlow.get().allocBytesPerOp()),
                    results.find(Names.NEW_FLOW_FRAME_BY_FRAME).map(b -> String.format(Locale.ROOT,
                            " Frame by frame, each lookup waiting for its own misses: %s ns (%s Mpps), so the vector"
                                    + " way takes %s of that time.", Fmt.ns(b.nanos()), Fmt.mpps(b.nanos()),
                            Fmt.ratio(ns / b.nanos()))).orElse("")));
        }
        List<BenchResult> maglev = results.of(Names.MAGLEV_BUILD);
        List<MaglevDisruption.Figures> disruption = context.maglev();
        if (!maglev.isEmpty() || !disruption.isEmpty()) {
            out.heading(3, "Maglev: build time and disruption");
        }
        if (!maglev.isEmpty()) {
            List<List<String>> rows = new ArrayList<>();
            for (BenchResult r : maglev) {
                rows.add(List.of(Fmt.count(r.param("m")), Fmt.count(r.param("backends")), Fmt.time(r.nanos())));
            }
            out.paragraph("One table build (control plane; the issue's target: ≤ 5 ms for M = 16381 and 100 backends):");
            out.table(List.of("Table size M", "Backends", "Build time"), new boolean[]{true, true, true}, rows);
        }
        if (!disruption.isEmpty()) {
            List<List<String>> rows = new ArrayList<>();
            for (MaglevDisruption.Figures d : disruption) {
                rows.add(List.of(Fmt.count(Integer.toString(d.m())), Integer.toString(d.backends()),
                        String.format(Locale.ROOT, "%.2f%%", d.removedPercent()), String.format(Locale.ROOT, "%.2f%%", d.idealPercent()),
                        String.format(Locale.ROOT, "%.2f%%", d.othersMovedPercent()),
                        String.format(Locale.ROOT, "%.2f%%", d.othersMovedWorstPercent()), String.format(Locale.ROOT, "%.2f%%", d.addedPercent())));
            }
            out.paragraph("""
                    Disruption, computed with the real `Maglev.build` (equal weights), each backend leaving in turn:
                    the share of the table's entries that change backend (mean), the leaving backend's own share (the
                    least any scheme can move), and of the entries the other backends held, the share that moved anyway,
                    mean and worst (the issue's target: at most 1%, judged on the worst); and the share that changes
                    when one backend joins.""");
            out.table(List.of("Table size M", "Backends", "Moved (one leaves)", "Its own share", "Other backends' entries moved",
                    "Worst", "Moved (one joins)"), new boolean[]{true, true, true, true, true, true, true}, rows);
            out.paragraph("""
                    Maglev fills the table from per-backend permutations, so a departure reshuffles a few entries of
                    the others too; the larger M is against the number of backends, the fewer. Flows that conntrack
                    already tracks keep their backend either way; the figure matters for flows without a conntrack
                    entry (after a restart, or on another node behind an ECMP router).""");
        }
    }
}
