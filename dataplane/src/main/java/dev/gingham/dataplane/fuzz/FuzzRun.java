package dev.gingham.dataplane.fuzz;

import dev.gingham.packet.DropReason;
import dev.gingham.packet.FrameVector;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The fuzz command's loop, without the command: fills vectors from a {@link FrameSource}, runs
 * each through a {@link FuzzHarness} at the fuzz clock, stops at the first failure (writing a
 * reproducer), after a number of frames or at a deadline, and reports frames per second and the
 * drop reasons the run reached.
 *
 * <p><b>The fuzz clock.</b> Frame {@code n} is stamped {@link #timestampNs}(n) = {@link #START_NS}
 * + n x {@link #FRAME_INTERVAL_NS} (a million frames per virtual second), and a vector runs at its
 * first frame's time, as a worker reads its cached clock once per vector. Timeouts (conntrack
 * lifetimes, rate limits) therefore fire at the same frame in every run of a seed, however fast
 * the machine, and a replay of the reproducer capture sees the same times.
 */
public final class FuzzRun {
    /** Virtual time of frame 0: 2023-11-14T22:13:20Z, so captures show a plausible date. */
    public static final long START_NS = 1_700_000_000_000_000_000L;
    /** Virtual time between frames. */
    public static final long FRAME_INTERVAL_NS = 1_000;

    private final FuzzHarness harness;
    private final FrameSource source;
    private final long seed;
    private final int port;
    private final String portName;

    /**
     * @param seed     the seed {@code source} was made with (reported, and written with reproducers)
     * @param port     the ingress port frames arrive on
     * @param portName that port's name (the reproducer's interface name)
     */
    public FuzzRun(FuzzHarness harness, FrameSource source, long seed, int port, String portName) {
        this.harness = harness;
        this.source = source;
        this.seed = seed;
        this.port = port;
        this.portName = portName;
    }

    /** Returns: the fuzz clock's time of frame {@code index}. */
    public static long timestampNs(long index) {
        return START_NS + index * FRAME_INTERVAL_NS;
    }

    /**
     * What a run did.
     *
     * @param failure     null when every invariant held
     * @param reproducer  the reproducer capture, or null (no failure, or no writer given)
     */
    public record Result(long seed, long frames, long elapsedNs, String failure, long failedFromIndex, Path reproducer) {
        public boolean passed() {
            return failure == null;
        }

        public double framesPerSecond() {
            return elapsedNs == 0 ? 0 : frames * 1e9 / elapsedNs;
        }
    }

    /**
     * Runs until {@code maxFrames} frames or {@code durationNs} of wall time have passed, or the
     * first failure.
     *
     * @param reproducers where to write a failure's reproducer; null for none
     * @param rerun       the command line that reruns this fuzz (written with the reproducer)
     */
    public Result run(long maxFrames, long durationNs, ReproducerWriter reproducers, String rerun) throws IOException {
        long startNs = System.nanoTime();
        long deadline = startNs + durationNs;
        long index = 0;
        while (index < maxFrames && System.nanoTime() - deadline < 0) {
            int count = (int) Math.min(FrameVector.MAX_FRAMES, maxFrames - index);
            String failure = runVector(index, count);
            if (failure != null) {
                long elapsed = System.nanoTime() - startNs;
                Path reproducer = reproducers == null ? null
                        : reproducers.write(source, seed, index, count, portName, failure, rerun);
                return new Result(seed, index + count, elapsed, failure, index, reproducer);
            }
            index += count;
        }
        return new Result(seed, index, System.nanoTime() - startNs, null, -1, null);
    }

    /**
     * Runs one vector of the loop: frames {@code firstIndex .. firstIndex + count - 1} of the source
     * (at most a vector) at the fuzz clock of the first, every invariant checked. What {@link #run}
     * does per vector, for a caller that drives the loop itself (the JMH benchmark of the fuzz loop);
     * such a caller passes indexes that only grow, so the fuzz clock never goes back.
     *
     * @return null when every invariant held, else the failure ("frame N: what went wrong")
     */
    public String runVector(long firstIndex, int count) {
        return harness.run(source, firstIndex, count, port, timestampNs(firstIndex));
    }

    /** Returns: the report the fuzz command prints: speed, verdicts, drop reasons reached and not, shapes and mutations. */
    public String summary(Result result) {
        StringBuilder out = new StringBuilder();
        out.append(String.format(Locale.ROOT, "fuzz seed %s: %,d frames in %.2f s (%,.0f frames/s): %s%n",
                Long.toUnsignedString(result.seed()), result.frames(), result.elapsedNs() / 1e9, result.framesPerSecond(),
                result.passed() ? "all invariants held" : "FAILED"));
        if (!result.passed()) {
            out.append("  failure: ").append(result.failure()).append('\n');
            if (result.reproducer() != null) {
                out.append("  reproducer: ").append(result.reproducer()).append('\n');
            }
        }
        long dropped = 0;
        List<String> hit = new ArrayList<>();
        List<String> missed = new ArrayList<>();
        for (DropReason reason : DropReason.values()) {
            long n = harness.dropped(reason.code());
            dropped += n;
            if (n > 0) {
                hit.add(String.format(Locale.ROOT, "  %5d  %-32s %,12d", reason.code(), reason.name(), n));
            } else {
                missed.add(reason.code() + " " + reason.name());
            }
        }
        out.append(String.format(Locale.ROOT, "verdicts: %,d passed, %,d dropped%n", harness.passed(), dropped));
        out.append(String.format(Locale.ROOT, "drop reasons reached: %d of %d%n", hit.size(), DropReason.values().length));
        hit.forEach(line -> out.append(line).append('\n'));
        out.append("drop reasons not reached: ").append(String.join(", ", missed)).append('\n');
        FrameFuzzer fuzzer = source instanceof FuzzMix mix ? mix.fuzzer() : source instanceof FrameFuzzer f ? f : null;
        if (source instanceof FuzzMix mix) {
            out.append("flood frames:");
            for (int flood = 0; flood < mix.floods(); flood++) {
                out.append(String.format(Locale.ROOT, " %,d", mix.floodFrames(flood)));
            }
            out.append('\n');
        }
        if (fuzzer != null) {
            out.append("frame shapes:");
            for (int shape = 0; shape < FrameGenerator.SHAPES; shape++) {
                out.append(String.format(Locale.ROOT, " %s %,d", FrameGenerator.shapeName(shape), fuzzer.shapeCount(shape)));
            }
            out.append("\nmutations:");
            for (int mutation = 0; mutation < FrameMutator.MUTATIONS; mutation++) {
                out.append(String.format(Locale.ROOT, " %s %,d", FrameMutator.mutationName(mutation),
                        fuzzer.mutationCount(mutation)));
            }
            out.append('\n');
        }
        return out.toString();
    }
}
