package dev.gingham.jmh.report;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * The kube-proxy comparison: the service step of a new connection, and one Service change, for
 * the iptables, IPVS and nftables models and Gingham's maps, against the number of services.
 */
final class KubeProxySection implements Section {
    static final String PER_PACKET_PLOT = "kube-proxy-per-packet.svg";
    static final String UPDATE_PLOT = "kube-proxy-update.svg";

    @Override
    public Set<String> covers() {
        return Set.of(Names.KUBE_PROXY, Names.KUBE_PROXY_UPDATE);
    }

    @Override
    public void write(ReportContext context, Markdown out) {
        BenchResults results = context.results();
        out.heading(2, "Services: kube-proxy's iptables, IPVS and nftables modes vs Gingham");
        out.paragraph("""
                **The question.** A cluster grows from one Service to 100,000. What does steering a new
                connection to its backend cost on each dataplane, and what does one Service change cost?
                This is the comparison the Kubernetes networking literature makes between kube-proxy's
                modes: iptables walks a rule list, IPVS and nftables look the service up in a hash.""");
        out.paragraph("""
                **What is measured.** Each kube-proxy mode is a faithful model in plain Java of the
                structures the kernel walks (`dev.gingham.jmh.kubeproxy`: `IptablesModel`, `IpvsModel`,
                `NftablesModel`; their Javadoc lists what is modelled and what is not), run on the same
                parsed packet tuples as Gingham's service maps (`GinghamModel`: the calls the pipeline's
                service program makes; Maglev with M = 1021 so that 100k services fit in memory). Every
                service has 10 endpoints; connections go to services drawn uniformly. The models leave out
                the kernel's own costs (hooks, conntrack, the per-rule indirect calls, larger rule entries,
                system calls on update), so **the kube-proxy figures are lower bounds**. In the kernel the
                nat rules and IPVS scheduling run for a connection's first packet only; later packets follow
                conntrack.""");
        writePerPacket(context, results, out);
        writeUpdates(context, results, out);
    }

    private void writePerPacket(ReportContext context, BenchResults results, Markdown out) {
        List<String> counts = results.paramValues(Names.KUBE_PROXY, "services");
        if (counts.isEmpty()) {
            out.paragraph("_The per-packet comparison (`KubeProxyBenchmark`) is not in this run._");
            return;
        }
        out.heading(3, "Per new connection");
        List<String> header = header(" (ns)", "iptables / Gingham random", "nftables / Gingham random");
        List<List<String>> rows = new ArrayList<>();
        for (String n : counts) {
            List<String> row = row(results, Names.KUBE_PROXY, n, r -> Fmt.ns(r.nanos()));
            row.add(Fmt.ratio(ns(results, "iptables", n) / ns(results, "gingham-random", n)));
            row.add(Fmt.ratio(ns(results, "nftables", n) / ns(results, "gingham-random", n)));
            rows.add(row);
        }
        out.paragraph("ns per connection (the service step of its first packet); ± is half the spread of the measured "
                + "iterations. Ratios above 1 mean the kube-proxy model costs more than Gingham.");
        out.table(header, allRight(header), rows);

        double newFlowNs = pipelineNs(results, Names.NEW_FLOW_PATH);
        double establishedNs = pipelineNs(results, "service");
        SvgChart chart = new SvgChart("Service step of a new connection vs number of services", "services (10 endpoints each)",
                "time per connection (log)")
                .xScale(SvgChart.Scale.LOG, Fmt::shortCount)
                .yScale(SvgChart.Scale.LOG, Fmt::timeTick);
        double[] xs = counts.stream().mapToDouble(Double::parseDouble).toArray();
        for (int i = 0; i < Names.SERVICE_IMPLS.length; i++) {
            String impl = Names.SERVICE_IMPLS[i];
            double[] ys = counts.stream().mapToDouble(n -> ns(results, impl, n)).toArray();
            chart.series(new SvgChart.Series(Names.SERVICE_LABELS[i], xs, ys), Names.SERVICE_COLORS[i]);
        }
        if (!Double.isNaN(newFlowNs)) {
            chart.reference(new SvgChart.Reference("whole Gingham pipeline, new connection: " + Fmt.time(newFlowNs), newFlowNs));
        }
        if (!Double.isNaN(establishedNs)) {
            chart.reference(new SvgChart.Reference("whole Gingham pipeline, established service packet: " + Fmt.time(establishedNs),
                    establishedNs));
        }
        out.image("Service step per new connection vs services", context.plot(PER_PACKET_PLOT, chart.lineChart()));

        List<String> meaning = new ArrayList<>();
        String first = counts.getFirst();
        String last = counts.getLast();
        StringBuilder growth = new StringBuilder("Growth from " + Fmt.count(first) + " to " + Fmt.count(last) + " services: ");
        for (int i = 0; i < Names.SERVICE_IMPLS.length; i++) {
            double g = ns(results, Names.SERVICE_IMPLS[i], last) / ns(results, Names.SERVICE_IMPLS[i], first);
            growth.append(i == 0 ? "" : ", ").append(Names.SERVICE_LABELS[i]).append(' ').append(Fmt.ratio(g));
        }
        meaning.add(growth + ". The iptables walk is linear in the number of services (half of KUBE-SERVICES per "
                + "connection on average); nftables' and Gingham's hash lookups grow only as their tables fall out of the "
                + "caches. IPVS's service table has a fixed 256 buckets, so past a few thousand services its chains grow "
                + "linearly too: about N/256 services per lookup, each a pointer chase to another cache line.");
        if (!Double.isNaN(newFlowNs)) {
            meaning.add(crossoverSentence(results, counts, "iptables", newFlowNs,
                    "the whole Gingham pipeline for a new connection (" + Fmt.time(newFlowNs) + " per packet, `PipelineBenchmark` "
                            + Names.NEW_FLOW_PATH + ", vectors of " + Names.TARGET_BATCH + ")"));
            meaning.add(crossoverSentence(results, counts, "ipvs", newFlowNs, "the same whole-pipeline new connection"));
        }
        if (!Double.isNaN(establishedNs)) {
            meaning.add(crossoverSentence(results, counts, "iptables", establishedNs,
                    "the whole Gingham pipeline for an established packet to a service (" + Fmt.time(establishedNs) + ")"));
        }
        meaning.add(ratioSentence(results, last));
        out.paragraph("**What the numbers mean.**");
        out.bullets(meaning);
    }

    /** Returns: a sentence saying from how many services {@code impl} costs more than {@code level}. */
    static String crossoverSentence(BenchResults results, List<String> counts, String impl, double level, String what) {
        String label = label(impl);
        double previousN = Double.NaN;
        double previousNs = Double.NaN;
        for (String n : counts) {
            double ns = ns(results, impl, n);
            if (Double.isNaN(ns)) {
                continue;
            }
            double count = Double.parseDouble(n);
            if (ns >= level) {
                if (Double.isNaN(previousN)) {
                    return String.format(Locale.ROOT, "The %s model's service step alone costs more than %s already at %s service%s (%s).",
                            label, what, Fmt.count(n), count == 1 ? "" : "s", Fmt.time(ns));
                }
                double estimate = crossover(previousN, previousNs, count, ns, level);
                return String.format(Locale.ROOT, "The %s model's service step alone costs more than %s from about %s services "
                                + "(interpolated on the log-log line between %s services, %s, and %s services, %s).",
                        label, what, Fmt.count(Long.toString(Math.round(roundTo2(estimate)))),
                        Fmt.count(Long.toString((long) previousN)), Fmt.time(previousNs), Fmt.count(n), Fmt.time(ns));
            }
            previousN = count;
            previousNs = ns;
        }
        return String.format(Locale.ROOT, "The %s model's service step stays below %s up to %s services.",
                label, what, Fmt.count(counts.getLast()));
    }

    /**
     * Returns: the count at which the line through (n0, t0) and (n1, t1) on log-log axes reaches
     * {@code level} (t0 &lt; level &le; t1).
     */
    static double crossover(double n0, double t0, double n1, double t1, double level) {
        double f = (Math.log(level) - Math.log(t0)) / (Math.log(t1) - Math.log(t0));
        return Math.exp(Math.log(n0) + f * (Math.log(n1) - Math.log(n0)));
    }

    /** Rounds to two significant digits (an interpolated count is no more precise than that). */
    static double roundTo2(double v) {
        if (v <= 0) {
            return v;
        }
        double magnitude = Math.pow(10, Math.floor(Math.log10(v)) - 1);
        return Math.round(v / magnitude) * magnitude;
    }

    private static String ratioSentence(BenchResults results, String n) {
        double gingham = ns(results, "gingham-random", n);
        List<String> faster = new ArrayList<>();
        List<String> slower = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            double r = ns(results, Names.SERVICE_IMPLS[i], n) / gingham;
            if (Double.isNaN(r)) {
                continue;
            }
            (r >= 1 ? slower : faster).add(Names.SERVICE_LABELS[i] + " " + Fmt.ratio(r));
        }
        StringBuilder s = new StringBuilder("At " + Fmt.count(n) + " services, relative to Gingham random: ");
        if (!slower.isEmpty()) {
            s.append("costlier ").append(String.join(", ", slower));
        }
        if (!faster.isEmpty()) {
            s.append(slower.isEmpty() ? "" : "; ").append("cheaper ").append(String.join(", ", faster))
                    .append(". A model that beats Gingham's maps here is plain on-heap Java without the kernel work it "
                            + "stands for, while Gingham's lookup is the real one over off-heap maps other threads update "
                            + "concurrently: a hash lookup of a 24-byte frontend key (IPv6-capable), a generation-validated "
                            + "read of the backend list, then a hash lookup of the chosen backend");
        }
        return s.append('.').toString();
    }

    private void writeUpdates(ReportContext context, BenchResults results, Markdown out) {
        List<String> counts = results.paramValues(Names.KUBE_PROXY_UPDATE, "services");
        if (counts.isEmpty()) {
            out.paragraph("_The update comparison (`KubeProxyUpdateBenchmark`) is not in this run._");
            return;
        }
        out.heading(3, "One Service change");
        out.paragraph("""
                One service (10 endpoints) created, then deleted, alternately, on a dataplane holding N
                others: the mean of a create and a delete. iptables: the whole rule array is rebuilt
                (kube-proxy restores the whole ruleset; iptables-legacy replaces the whole table even for
                one rule). IPVS: one virtual service linked into its hash. nftables: one element of the
                `service-ips` map. Gingham: `ServiceTable.upsert` / `delete` (maps written off to the
                side, then published). Only the data-structure work is timed: no kube-proxy, netlink or
                system calls.""");
        List<String> header = header("", "iptables allocated per change");
        List<List<String>> rows = new ArrayList<>();
        for (String n : counts) {
            List<String> row = row(results, Names.KUBE_PROXY_UPDATE, n, r -> Fmt.time(r.nanos()));
            row.add(results.find(Names.KUBE_PROXY_UPDATE, "impl", "iptables", "services", n)
                    .map(r -> Fmt.bytes(r.allocBytesPerOp() / 1e6) + " MB").orElse("–"));
            rows.add(row);
        }
        out.table(header, allRight(header), rows);
        SvgChart chart = new SvgChart("One Service change vs number of services", "services already installed",
                "time per change (log)")
                .xScale(SvgChart.Scale.LOG, Fmt::shortCount)
                .yScale(SvgChart.Scale.LOG, Fmt::timeTick);
        double[] xs = counts.stream().mapToDouble(Double::parseDouble).toArray();
        for (int i = 0; i < Names.SERVICE_IMPLS.length; i++) {
            String impl = Names.SERVICE_IMPLS[i];
            double[] ys = counts.stream().mapToDouble(n -> results.find(Names.KUBE_PROXY_UPDATE, "impl", impl, "services", n)
                    .map(BenchResult::nanos).orElse(Double.NaN)).toArray();
            chart.series(new SvgChart.Series(Names.SERVICE_LABELS[i], xs, ys), Names.SERVICE_COLORS[i]);
        }
        out.image("One Service change vs services", context.plot(UPDATE_PLOT, chart.lineChart()));
        String last = counts.getLast();
        Optional<BenchResult> iptables = results.find(Names.KUBE_PROXY_UPDATE, "impl", "iptables", "services", last);
        Optional<BenchResult> gingham = results.find(Names.KUBE_PROXY_UPDATE, "impl", "gingham-random", "services", last);
        if (iptables.isPresent() && gingham.isPresent()) {
            out.paragraph(String.format(Locale.ROOT, "**What the numbers mean.** At %s services one change costs the iptables "
                            + "model %s (it rewrites every rule: the cost grows with the cluster, not with the change), "
                            + "Gingham %s (iptables / Gingham: %s). The hash-based models change one entry and stay flat; their figures "
                            + "leave out the netlink round trips a real update makes, which cost more than the entry itself.",
                    Fmt.count(last), Fmt.time(iptables.get().nanos()), Fmt.time(gingham.get().nanos()),
                    Fmt.ratio(iptables.get().nanos() / gingham.get().nanos())));
        }
    }

    /** Returns: "Services", one column per implementation (label + suffix), then the extra columns. */
    private static List<String> header(String labelSuffix, String... extra) {
        List<String> header = new ArrayList<>(List.of("Services"));
        for (String label : Names.SERVICE_LABELS) {
            header.add(label + labelSuffix);
        }
        header.addAll(List.of(extra));
        return header;
    }

    private static boolean[] allRight(List<String> header) {
        boolean[] right = new boolean[header.size()];
        java.util.Arrays.fill(right, true);
        return right;
    }

    /**
     * Returns: a row for {@code services}: the count, then each implementation's figure with its
     * spread (a mutable list: callers add their columns).
     */
    private static List<String> row(BenchResults results, String benchmark, String services,
                                    java.util.function.Function<BenchResult, String> figure) {
        List<String> row = new ArrayList<>(List.of(Fmt.count(services)));
        for (String impl : Names.SERVICE_IMPLS) {
            row.add(results.find(benchmark, "impl", impl, "services", services)
                    .map(r -> figure.apply(r) + " " + Fmt.spread(r.spreadPercent())).orElse("–"));
        }
        return row;
    }

    static double ns(BenchResults results, String impl, String services) {
        return results.find(Names.KUBE_PROXY, "impl", impl, "services", services).map(BenchResult::nanos).orElse(Double.NaN);
    }

    private static double pipelineNs(BenchResults results, String path) {
        return results.find(Names.PIPELINE, "path", path, "batch", Names.TARGET_BATCH).map(BenchResult::nanos).orElse(Double.NaN);
    }

    private static String label(String impl) {
        for (int i = 0; i < Names.SERVICE_IMPLS.length; i++) {
            if (Names.SERVICE_IMPLS[i].equals(impl)) {
                return Names.SERVICE_LABELS[i];
            }
        }
        return impl;
    }
}
