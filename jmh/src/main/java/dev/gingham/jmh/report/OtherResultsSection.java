package dev.gingham.jmh.report;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Every result no other section presents (the building blocks of the full suite: maps, parser,
 * checksums, service lookup, policy compilation), one table per benchmark method.
 */
final class OtherResultsSection implements Section {
    private final Set<String> coveredElsewhere;

    OtherResultsSection(Set<String> coveredElsewhere) {
        this.coveredElsewhere = Set.copyOf(coveredElsewhere);
    }

    @Override
    public Set<String> covers() {
        return Set.of();
    }

    @Override
    public void write(ReportContext context, Markdown out) {
        Map<String, List<BenchResult>> byMethod = new LinkedHashMap<>();
        for (BenchResult r : context.results().all()) {
            if (!coveredElsewhere.contains(r.simpleName())) {
                byMethod.computeIfAbsent(r.simpleName(), k -> new ArrayList<>()).add(r);
            }
        }
        if (byMethod.isEmpty()) {
            return;
        }
        out.heading(2, "Building blocks");
        out.paragraph("The remaining benchmarks of the run, each with its parameters; their questions and earlier analysis are in "
                + "[benchmarks-notes.md](benchmarks-notes.md) and each benchmark's Javadoc.");
        for (Map.Entry<String, List<BenchResult>> e : byMethod.entrySet()) {
            out.heading(3, "`" + e.getKey() + "`");
            List<List<String>> rows = new ArrayList<>();
            for (BenchResult r : e.getValue()) {
                rows.add(List.of(r.params().isEmpty() ? "–" : params(r.params()), Fmt.time(r.nanos()) + " " + Fmt.spread(r.spreadPercent()),
                        Fmt.bytes(r.allocBytesPerOp())));
            }
            out.table(List.of("Parameters", "Time per operation", "B/op"), new boolean[]{false, true, true}, rows);
        }
    }

    private static String params(Map<String, String> params) {
        List<String> parts = new ArrayList<>();
        params.forEach((k, v) -> parts.add(k + "=" + v));
        return String.join(" ", parts);
    }
}
