package dev.gingham.jmh.report;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/** NetworkPolicy verdicts: Gingham's identity maps vs a linear rule list, 0 to 10k rules. */
final class PolicySection implements Section {
    static final String PLOT = "policy.svg";

    @Override
    public Set<String> covers() {
        return Set.of(Names.POLICY);
    }

    @Override
    public void write(ReportContext context, Markdown out) {
        BenchResults results = context.results();
        out.heading(2, "NetworkPolicy: identity maps vs a linear rule list");
        out.paragraph("""
                **The question.** Does a policy verdict get slower as policies pile up? Gingham compiles
                policies into maps keyed by security identity and port (as Cilium does); the baseline walks
                the same rules in order, first match wins, as an iptables chain per endpoint does.""");
        List<String> rules = results.paramValues(Names.POLICY, "rules");
        if (rules.isEmpty()) {
            out.paragraph("_`PolicyVerdictBenchmark` is not in this run._");
            return;
        }
        out.paragraph("""
                One endpoint's ingress policy, 1,000 peer identities, rules allowing one identity on one port
                or range from a realistic mix; probes uniform over identities, half aimed at an allowed port.
                ns per verdict.""");
        List<List<String>> rows = new ArrayList<>();
        double[] gingham = new double[rules.size()];
        double[] linear = new double[rules.size()];
        for (int i = 0; i < rules.size(); i++) {
            String n = rules.get(i);
            gingham[i] = ns(results, "gingham", n);
            linear[i] = ns(results, "linear", n);
            rows.add(List.of(Fmt.count(n), Fmt.ns(gingham[i]), Fmt.ns(linear[i]), Fmt.ratio(linear[i] / gingham[i]),
                    results.find(Names.POLICY, "impl", "gingham", "rules", n).map(r -> Fmt.bytes(r.allocBytesPerOp())).orElse("–")));
        }
        out.table(List.of("Rules", "Gingham maps (ns)", "Linear list (ns)", "Linear / Gingham", "Gingham B/op"),
                new boolean[]{true, true, true, true, true}, rows);
        double[] xs = SvgChart.indexes(rules.size());
        SvgChart chart = new SvgChart("Policy verdict vs number of rules", "rules", "ns per verdict (log)")
                .xCategories(rules.stream().map(r -> Fmt.shortCount(Double.parseDouble(r))).toList())
                .yScale(SvgChart.Scale.LOG, Fmt::timeTick)
                .series(new SvgChart.Series("Gingham maps", xs, gingham), "#1f77b4")
                .series(new SvgChart.Series("linear rule list", xs, linear), "#d62728");
        out.image("Policy verdict vs rules", context.plot(PLOT, chart.lineChart()));
        List<String> meaning = new ArrayList<>();
        meaning.add(String.format(Locale.ROOT, "Gingham from %s to %s rules: %s; the linear list: %s.", Fmt.count(rules.getFirst()),
                Fmt.count(rules.getLast()), Fmt.ratio(gingham[gingham.length - 1] / gingham[0]),
                Fmt.ratio(linear[linear.length - 1] / linear[0])));
        for (int i = 0; i < rules.size(); i++) {
            if (linear[i] > gingham[i]) {
                meaning.add(String.format(Locale.ROOT, "The linear list costs more than the maps from %s rules on in this run "
                        + "(below that, a short list is a few compares, cheaper than a hash probe).", Fmt.count(rules.get(i))));
                break;
            }
        }
        out.paragraph("**What the numbers mean.**");
        out.bullets(meaning);
    }

    private static double ns(BenchResults results, String impl, String rules) {
        return results.find(Names.POLICY, "impl", impl, "rules", rules).map(BenchResult::nanos).orElse(Double.NaN);
    }
}
