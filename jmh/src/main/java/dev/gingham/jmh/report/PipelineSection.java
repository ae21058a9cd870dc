package dev.gingham.jmh.report;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * The whole node pipeline per core: Mpps and B/op per path and vector size, the targets, and
 * the components measured in the same run that show where a packet's time goes.
 */
final class PipelineSection implements Section {
    static final String PLOT = "pipeline.svg";

    @Override
    public Set<String> covers() {
        return Set.of(Names.PIPELINE);
    }

    @Override
    public void write(ReportContext context, Markdown out) {
        BenchResults results = context.results();
        out.heading(2, "The whole pipeline per core");
        out.paragraph("""
                **The question.** How many packets per second does one core push through Gingham's whole
                node pipeline (`NodePipeline.run`, what a worker, replay and the fuzzer run), for
                established connections and for new ones, and what does batching frames into vectors buy?""");
        List<String> paths = results.paramValues(Names.PIPELINE, "path");
        List<String> batches = results.paramValues(Names.PIPELINE, "batch");
        if (paths.isEmpty()) {
            out.paragraph("_`PipelineBenchmark` is not in this run._");
            return;
        }
        out.paragraph("""
                Per frame: the frame bytes copied into a pool buffer from a template (as a TAP read writes
                them; included), then every program of the node's chain, then the verdict checked. Paths:
                `pod-to-pod` (established TCP flows between two local pods), `service` (established flows
                to a ClusterIP: service conntrack entry and DNAT on top), `to-remote-pod` (established flows
                to a pod on another node: VXLAN encapsulation), `new-nodeport-flow` (every frame a new client
                connecting to a NodePort: the slow path creating conntrack and NAT state). Mpps = 1000 / ns.""");
        List<String> header = new ArrayList<>(List.of("Path"));
        for (String b : batches) {
            header.add("batch " + b + ": ns/frame");
            header.add("Mpps");
        }
        header.add("B/op (max)");
        boolean[] right = new boolean[header.size()];
        java.util.Arrays.fill(right, true);
        right[0] = false;
        List<List<String>> rows = new ArrayList<>();
        List<SvgChart.Bars> bars = new ArrayList<>();
        double[][] mpps = new double[batches.size()][paths.size()];
        for (int p = 0; p < paths.size(); p++) {
            String path = paths.get(p);
            List<String> row = new ArrayList<>(List.of(path));
            double maxAlloc = Double.NaN;
            for (int b = 0; b < batches.size(); b++) {
                Optional<BenchResult> r = results.find(Names.PIPELINE, "path", path, "batch", batches.get(b));
                double ns = r.map(BenchResult::nanos).orElse(Double.NaN);
                row.add(r.map(x -> Fmt.ns(ns) + " " + Fmt.spread(x.spreadPercent())).orElse("–"));
                row.add(Fmt.mpps(ns));
                mpps[b][p] = Double.isNaN(ns) ? Double.NaN : 1000 / ns;
                if (r.isPresent() && !(r.get().allocBytesPerOp() <= maxAlloc)) {
                    maxAlloc = r.get().allocBytesPerOp();
                }
            }
            row.add(Fmt.bytes(maxAlloc));
            rows.add(row);
        }
        out.table(header, right, rows);
        for (int b = 0; b < batches.size(); b++) {
            bars.add(new SvgChart.Bars("vectors of " + batches.get(b), mpps[b]));
        }
        SvgChart chart = new SvgChart("Whole pipeline, one core: Mpps per path", "path", "Mpps per core")
                .yScale(SvgChart.Scale.LINEAR, v -> Fmt.shortCount(v))
                .reference(new SvgChart.Reference("target, established: 12 Mpps", Targets.ESTABLISHED_MPPS))
                .reference(new SvgChart.Reference("target, new flows: 2 Mpps", Targets.NEW_FLOW_MPPS));
        out.image("Whole pipeline Mpps per path and vector size", context.plot(PLOT, chart.barChart(paths, bars)));
        writeMeaning(results, paths, batches, out);
        writeComponents(results, out);
    }

    private static void writeMeaning(BenchResults results, List<String> paths, List<String> batches, Markdown out) {
        List<String> meaning = new ArrayList<>();
        if (batches.size() > 1) {
            String small = batches.getFirst();
            String large = batches.getLast();
            for (String path : paths) {
                double a = results.find(Names.PIPELINE, "path", path, "batch", small).map(BenchResult::nanos).orElse(Double.NaN);
                double b = results.find(Names.PIPELINE, "path", path, "batch", large).map(BenchResult::nanos).orElse(Double.NaN);
                if (!Double.isNaN(a) && !Double.isNaN(b)) {
                    meaning.add(String.format(Locale.ROOT, "%s: a frame in a vector of %s costs %s of one in a vector of %s "
                            + "(%s vs %s ns)%s.", path, large, Fmt.ratio(b / a), small, Fmt.ns(b), Fmt.ns(a),
                            b < a ? "" : ": batching does not pay on this path in this run"));
                }
            }
        }
        for (Targets.Judged j : Targets.judge(results)) {
            if (j.target().startsWith("Established") || j.target().startsWith("New flows")) {
                meaning.add(j.sentence());
            }
        }
        if (!meaning.isEmpty()) {
            out.paragraph("**What the numbers mean.**");
            out.bullets(meaning);
        }
    }

    /**
     * Where the time goes: the pipeline's paths next to the components measured in the same run,
     * the nearest this report comes to a profile (the VM exposes no hardware counters).
     */
    private static void writeComponents(BenchResults results, Markdown out) {
        List<List<String>> rows = new ArrayList<>();
        component(rows, results.find(Names.CONNTRACK, "entries", "10000"), "Conntrack lookup + account, 10k entries, frame by frame");
        component(rows, results.find(Names.CONNTRACK_VECTOR, "entries", "10000"), "Conntrack lookup + account, 10k entries, vector");
        component(rows, results.find(Names.POLICY, "impl", "gingham", "rules", "100"), "Policy verdict, 100 rules");
        Optional<BenchResult> vxlan = results.find(Names.ENCAP, "mode", "VXLAN");
        Optional<BenchResult> vxlanBase = results.find(Names.ENCAP_BASELINE, "mode", "VXLAN");
        if (vxlan.isPresent() && vxlanBase.isPresent()) {
            rows.add(List.of("VXLAN encapsulation (net of its baseline)", Fmt.ns(vxlan.get().nanos() - vxlanBase.get().nanos())));
        }
        component(rows, results.find(Names.KUBE_PROXY, "impl", "gingham-random", "services", "1"),
                "Service step of a new connection, 1 service");
        component(rows, results.find(Names.NEW_FLOW), "New flow without the rest of the pipeline (CT miss, service, CT create, DNAT)");
        if (rows.isEmpty()) {
            return;
        }
        out.paragraph("""
                **Where the time goes.** Components of the paths above, measured in the same run (this VM
                exposes no hardware counters, so this is the profile the report can give; each component
                benchmark has its own setup, so the parts do not add up exactly).""");
        out.table(List.of("Component", "ns per packet"), new boolean[]{false, true}, rows);
    }

    private static void component(List<List<String>> rows, Optional<BenchResult> r, String label) {
        r.ifPresent(x -> rows.add(List.of(label, Fmt.ns(x.nanos()))));
    }
}
