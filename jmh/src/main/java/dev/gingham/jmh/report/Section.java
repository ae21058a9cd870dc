package dev.gingham.jmh.report;

import java.util.Set;

/** One part of the report: the question it answers, its tables, plots and what they mean. */
interface Section {
    /** Writes the section (or says what is missing from the run). */
    void write(ReportContext context, Markdown out);

    /** Returns: the benchmarks ({@code YBenchmark.method}) this section presents. */
    Set<String> covers();
}
