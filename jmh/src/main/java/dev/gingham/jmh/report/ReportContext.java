package dev.gingham.jmh.report;

import dev.gingham.jmh.encap.WireOverheadReport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * What every section of the report reads and where it writes plots.
 *
 * @param results   the run's JMH results
 * @param info      the run's machine and command facts
 * @param plotsDir  where SVG files are written
 * @param plotsLink how the Markdown file links to {@code plotsDir} (relative)
 * @param wire      the wire-overhead rows (computed by the real encapsulation, not timed)
 * @param maglev    Maglev disruption figures per table size, the default M first (computed, not timed)
 * @param node      the newest {@code gingham bench-node} run, when there is one
 */
record ReportContext(BenchResults results, RunInfo info, Path plotsDir, String plotsLink,
                     List<WireOverheadReport.Row> wire, List<MaglevDisruption.Figures> maglev,
                     Optional<NodeRun> node) {
    /** Writes a plot and returns its Markdown image line's link. */
    String plot(String fileName, String svg) {
        try {
            Files.createDirectories(plotsDir);
            Files.writeString(plotsDir.resolve(fileName), svg, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("writing plot " + plotsDir.resolve(fileName), e);
        }
        return plotsLink + "/" + fileName;
    }
}
