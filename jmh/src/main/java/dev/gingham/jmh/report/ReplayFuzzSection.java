package dev.gingham.jmh.report;

import dev.gingham.dataplane.fuzz.FuzzNode;
import dev.gingham.jmh.fuzz.FuzzLoopBenchmark;
import dev.gingham.jmh.replay.ReplayBenchmark;
import dev.gingham.packet.FrameVector;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * Replay and fuzz throughput (issue 8): {@code gingham replay}'s whole path and {@code gingham
 * fuzz}'s loop per port, ns and frames/s per frame on one thread, B/frame, the command's combined
 * fuzz figure, the two targets, and, when the full suite measured them, the parts of each beside
 * them (capture reading and writing, the pipeline on the replay's traffic, frame generation, the
 * harness around the parser alone).
 */
final class ReplayFuzzSection implements Section {
    @Override
    public Set<String> covers() {
        return Set.of(Names.REPLAY, Names.FUZZ_LOOP, Names.CAPTURE_READ, Names.CAPTURE_WRITE, Names.FUZZ_MUTATE,
                Names.FUZZ_FLOOD, Names.FUZZ_HARNESS);
    }

    @Override
    public void write(ReportContext context, Markdown out) {
        BenchResults results = context.results();
        out.heading(2, "Replay and fuzz: captures and fuzzed frames through the node");
        out.paragraph("""
                **The question.** How fast does `gingham replay` run a capture through the node's pipeline and
                write its outputs, and how many fuzzed frames per second does `gingham fuzz` push through the node
                and check, on one thread? A user replaying a day of captures, or fuzzing before a release, waits
                for exactly these.""");
        Optional<BenchResult> replay = results.find(Names.REPLAY);
        List<BenchResult> fuzz = results.of(Names.FUZZ_LOOP);
        if (replay.isEmpty() && fuzz.isEmpty()) {
            out.paragraph("_`ReplayBenchmark` and `FuzzLoopBenchmark` are not in this run._");
            return;
        }
        out.paragraph(String.format(Locale.ROOT, """
                `ReplayBenchmark`: a %,d-frame pcapng (one established TCP connection between two pods of the
                node: a SYN, then ACKs with 64 bytes of data) from the page cache through `Replayer`, as `gingham
                replay` runs it: read, the node pipeline with the decision trace, the egress pcap and a
                `verdicts.jsonl` line per frame, written to tmpfs so the disk is not measured; JMH times whole
                replays and divides by the frames. `FuzzLoopBenchmark`: `gingham fuzz`'s loop on one port (its
                classes; seed %d + the port's index, as `--seed %d`): vectors of %d generated and mutated frames
                (a tenth opening new flows), the node pipeline, every invariant checked, the full conntrack/SNAT
                cross-check every %,d vectors. Conntrack's tables (8,192 entries each) and, on the pod port, the
                SNAT ports fill during the warm-up, so the measured iterations run on full or nearly full tables, as
                nearly all of a command's run does; unlike the command, each port starts from an empty node of its
                own. frames/s = 10^9 / ns.""", ReplayBenchmark.FRAMES, FuzzLoopBenchmark.SEED,
                FuzzLoopBenchmark.SEED, FrameVector.MAX_FRAMES, FuzzNode.FULL_CHECK_VECTORS));
        List<List<String>> rows = new ArrayList<>();
        replay.ifPresent(r -> rows.add(row("Replay (`ReplayBenchmark`)", r)));
        for (String port : Names.FUZZ_PORTS) {
            results.find(Names.FUZZ_LOOP, "port", port).ifPresent(r -> rows.add(row("Fuzz loop, port " + port, r)));
        }
        double command = Targets.fuzzCommandNanos(results);
        if (!Double.isNaN(command)) {
            rows.add(List.of("Fuzz command: the three ports, a third of the time each", Fmt.ns(command), Fmt.frameRate(command), ""));
        }
        out.table(List.of("What", "ns per frame", "frames/s", "B/frame"), new boolean[]{false, true, true, true}, rows);
        writeMeaning(results, replay, fuzz, out);
        writeParts(results, out);
        out.paragraph("""
                Reproduce: `./gingham bench 'ReplayBenchmark|FuzzLoopBenchmark' -prof gc` (plain JMH, the benchmarks'
                own iterations); `./gingham fuzz --seconds 20 --seed 42` prints the command's own frames/s per port.
                Earlier measurements and profiles: benchmarks-notes.md, "Replay and fuzz throughput".""");
    }

    private static List<String> row(String what, BenchResult r) {
        return List.of(what, Fmt.ns(r.nanos()) + " " + Fmt.spread(r.spreadPercent()), Fmt.frameRate(r.nanos()),
                Fmt.bytes(r.allocBytesPerOp()));
    }

    private static void writeMeaning(BenchResults results, Optional<BenchResult> replay, List<BenchResult> fuzz, Markdown out) {
        List<String> meaning = new ArrayList<>();
        for (Targets.Judged j : Targets.judge(results)) {
            if (j.issue() == 8) {
                meaning.add(j.sentence());
            }
        }
        if (fuzz.size() > 1) {
            BenchResult slowest = fuzz.getFirst();
            BenchResult fastest = fuzz.getFirst();
            for (BenchResult r : fuzz) {
                slowest = r.nanos() > slowest.nanos() ? r : slowest;
                fastest = r.nanos() < fastest.nanos() ? r : fastest;
            }
            meaning.add(String.format(Locale.ROOT, "The slowest fuzzed port, %s (%s ns per frame), costs %s of the fastest, %s.",
                    slowest.param("port"), Fmt.ns(slowest.nanos()), Fmt.ratio(slowest.nanos() / fastest.nanos()),
                    fastest.param("port")));
        }
        replay.filter(r -> !Double.isNaN(r.allocBytesPerOp())).ifPresent(r -> meaning.add(String.format(Locale.ROOT,
                "Replay allocates %s B per frame on JMH's count: %s per replay of %,d frames. JMH cannot tell what a "
                        + "replay allocates once (its output buffers and writers) from what it allocates per frame; "
                        + "`ReplayerAllocationTest` (dataplane) measures the difference between a capture and one twice as "
                        + "long and holds the per-frame part under 2 B.",
                Fmt.bytes(r.allocBytesPerOp()), megabytes(r.allocBytesPerOp() * ReplayBenchmark.FRAMES), ReplayBenchmark.FRAMES)));
        double worstFuzz = Double.NaN;
        for (BenchResult r : fuzz) {
            worstFuzz = Double.isNaN(worstFuzz) || r.allocBytesPerOp() > worstFuzz ? r.allocBytesPerOp() : worstFuzz;
        }
        if (!Double.isNaN(worstFuzz)) {
            meaning.add(worstFuzz < Targets.ZERO_ALLOCATION_BYTES
                    ? String.format(Locale.ROOT, "The fuzz loop allocates at most %s B per frame: no object per frame "
                    + "(below %.0f B; one would be 16 B or more).", Fmt.bytes(worstFuzz), Targets.ZERO_ALLOCATION_BYTES)
                    : String.format(Locale.ROOT, "The fuzz loop **allocates** up to %s B per frame in this run.", Fmt.bytes(worstFuzz)));
        }
        if (!meaning.isEmpty()) {
            out.paragraph("**What the numbers mean.**");
            out.bullets(meaning);
        }
    }

    /**
     * The parts of replay and fuzz measured alone (the full suite), next to the wholes. Not shown
     * when the run has none of the replay and fuzz parts (the quick suite): the pipeline row alone
     * would read as if the rest of a replay were unaccounted for.
     */
    private static void writeParts(BenchResults results, Markdown out) {
        boolean anyPart = false;
        for (String part : List.of(Names.CAPTURE_READ, Names.CAPTURE_WRITE, Names.FUZZ_MUTATE, Names.FUZZ_FLOOD, Names.FUZZ_HARNESS)) {
            anyPart |= !results.of(part).isEmpty();
        }
        if (!anyPart) {
            return;
        }
        List<List<String>> rows = new ArrayList<>();
        part(rows, results.find(Names.CAPTURE_READ, "format", "pcapng", "size", "64"),
                "Replay: reading a pcapng capture from the page cache into vectors (64-byte frames)");
        part(rows, results.find(Names.PIPELINE, "path", "pod-to-pod", "batch", Names.TARGET_BATCH),
                "Replay: the pipeline alone on the replay's traffic (established pod-to-pod TCP, vectors of 256)");
        part(rows, results.find(Names.CAPTURE_WRITE, "format", "pcap", "size", "64"),
                "Replay: writing an egress pcap (64-byte frames, to /dev/null)");
        part(rows, results.find(Names.FUZZ_MUTATE), "Fuzz: generating and mutating frames (nine in ten of the frames)");
        part(rows, results.find(Names.FUZZ_FLOOD), "Fuzz: writing a flood's new-flow frames (one in ten)");
        part(rows, results.find(Names.FUZZ_HARNESS),
                "Fuzz: the loop with the parser in place of the pipeline (generation, copies, every frame's invariants)");
        out.paragraph("""
                **Where the time goes.** Parts of the two, each measured alone in the same run (their own setups and
                frames, so they do not add up exactly). What the replay spends beyond these parts includes the
                decision trace and the `verdicts.jsonl` line; what the fuzz loop spends beyond the parser-only loop is
                roughly the node pipeline on fuzzed frames and its state checks.""");
        out.table(List.of("Part", "ns per frame"), new boolean[]{false, true}, rows);
        writeCaptureFormats(results, out);
    }

    /** Every capture reader and writer result (the section covers those benchmarks, so it shows all of them). */
    private static void writeCaptureFormats(BenchResults results, Markdown out) {
        List<String> formats = new ArrayList<>(results.paramValues(Names.CAPTURE_READ, "format"));
        List<String> sizes = new ArrayList<>(results.paramValues(Names.CAPTURE_READ, "size"));
        for (String f : results.paramValues(Names.CAPTURE_WRITE, "format")) {
            if (!formats.contains(f)) {
                formats.add(f);
            }
        }
        for (String size : results.paramValues(Names.CAPTURE_WRITE, "size")) {
            if (!sizes.contains(size)) {
                sizes.add(size);
            }
        }
        if (formats.isEmpty()) {
            return;
        }
        List<String> header = new ArrayList<>(List.of("Format"));
        for (String size : sizes) {
            header.add("read, " + sizeName(size));
        }
        for (String size : sizes) {
            header.add("write, " + sizeName(size));
        }
        boolean[] right = new boolean[header.size()];
        java.util.Arrays.fill(right, true);
        right[0] = false;
        List<List<String>> rows = new ArrayList<>();
        for (String format : formats) {
            List<String> row = new ArrayList<>(List.of(format));
            for (String benchmark : List.of(Names.CAPTURE_READ, Names.CAPTURE_WRITE)) {
                for (String size : sizes) {
                    row.add(results.find(benchmark, "format", format, "size", size).map(r -> Fmt.ns(r.nanos())).orElse("–"));
                }
            }
            rows.add(row);
        }
        out.paragraph("""
                Capture formats, ns per frame: reading from the page cache into vectors of pool buffers, and writing
                from pool memory (to /dev/null: the writer's CPU cost without the disk)."""
                + (sizes.contains("imix") ? " IMIX is 7:4:1 of 64, 594 and 1,518-byte frames." : ""));
        out.table(header, right, rows);
    }

    private static String sizeName(String size) {
        return size.equals("imix") ? "IMIX" : size + " B";
    }

    private static void part(List<List<String>> rows, Optional<BenchResult> r, String label) {
        r.ifPresent(x -> rows.add(List.of(label, Fmt.ns(x.nanos()))));
    }

    private static String megabytes(double bytes) {
        return String.format(Locale.ROOT, "%.1f MB", bytes / 1e6);
    }
}
