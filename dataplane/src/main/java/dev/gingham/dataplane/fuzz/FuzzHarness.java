package dev.gingham.dataplane.fuzz;

import dev.gingham.packet.BufferPool;
import dev.gingham.packet.DropReason;
import dev.gingham.packet.FrameVector;

import java.lang.foreign.MemorySegment;

/**
 * Runs one vector of frames through a {@link Target} and checks every invariant afterwards: the
 * base of every fuzz harness, the Jazzer ones (bytes in) and the fuzz command's loop (generated
 * frames in) alike. Returns a failure description, never throws, so the caller decides: Jazzer
 * fails the test, the fuzz command writes a reproducer.
 *
 * <p>One run: frames are loaded into buffers from the harness's pool; each input is copied aside
 * before the target runs, and whether its checksums were right is decided from that copy, only
 * for the inputs that are emitted (a frame that came in with a wrong checksum may leave with one):
 * most fuzzed frames are dropped, and classifying every input (a parse and a checksum of every
 * layer) was a tenth of the fuzz command's time; the target runs at
 * virtual time {@code nowNs} (an exception is a failure); every frame left in the vector must lie
 * in its buffer and carry a known verdict, and every frame not dropped (TX, PUNT, or CONTINUE
 * when the target stops early, like the parser alone) must pass
 * {@link InvariantChecker#checkEmitted}; frames the target appended (fragments) are held to the
 * checksum rule when every input kept it; then all buffers go back and the pool must hold as many
 * free buffers as before; finally the target checks its own state ({@link Target#checkState}).
 *
 * <p>Verdicts are counted per drop reason across runs: the drop-reason coverage the fuzz command
 * prints. One harness belongs to one thread; it allocates only failure descriptions.
 */
public final class FuzzHarness implements AutoCloseable {
    /**
     * What the harness runs frames through: the parser today, the whole pipeline once it exists
     * (the pipeline wiring implements this over its programs and maps).
     */
    @FunctionalInterface
    public interface Target {
        /**
         * Runs over every frame of the vector at virtual time {@code nowNs}: sets verdicts,
         * rewrites frames in place, may append frames (fragments) from the vector's pool. Frames
         * stay in the vector; the harness releases their buffers.
         */
        void run(FrameVector vector, long nowNs);

        /** Returns: null when the target's own state is consistent (table occupancy, conntrack against NAT), else what is wrong. */
        default String checkState() {
            return null;
        }
    }

    /** Pool size of {@link #FuzzHarness(Target)}: a vector's worth of inputs and as many appended frames. */
    public static final int DEFAULT_BUFFERS = 2 * FrameVector.MAX_FRAMES;

    private final Target target;
    private final BufferPool pool;
    private final boolean ownsPool;
    private final FrameVector vector;
    private final InvariantChecker checker = new InvariantChecker();
    /** The inputs as they were before the target ran (the target rewrites frames in place). */
    private final BufferPool inputPool;
    private final FrameVector inputs;
    private final int[] inputBuffers = new int[FrameVector.MAX_FRAMES];
    /** Per input: {@link #UNCLASSIFIED}, or whether its checksums were right ({@link #VALID}, {@link #INVALID}). */
    private final byte[] inputValidity = new byte[FrameVector.MAX_FRAMES];
    private static final byte UNCLASSIFIED = 0;
    private static final byte VALID = 1;
    private static final byte INVALID = 2;
    private final long[] drops = new long[DropReason.maxCode() + 1];
    private long passed;
    private long frames;
    private int failedSlot = -1;

    /** A harness with its own pool of {@link #DEFAULT_BUFFERS} buffers of {@link BufferPool#DEFAULT_BUFFER_SIZE}. */
    public FuzzHarness(Target target) {
        this(target, BufferPool.allocate(DEFAULT_BUFFERS, BufferPool.DEFAULT_BUFFER_SIZE), true);
    }

    /** A harness over the pipeline's own pool (its frames must come from the pool the programs use). */
    public FuzzHarness(Target target, BufferPool pool) {
        this(target, pool, false);
    }

    private FuzzHarness(Target target, BufferPool pool, boolean ownsPool) {
        this.target = target;
        this.pool = pool;
        this.ownsPool = ownsPool;
        this.vector = new FrameVector(pool);
        this.inputPool = BufferPool.allocate(FrameVector.MAX_FRAMES, pool.bufferSize());
        this.inputs = new FrameVector(inputPool);
        for (int i = 0; i < inputBuffers.length; i++) {
            inputBuffers[i] = inputPool.acquire();
        }
    }

    /**
     * Runs frames {@code firstIndex .. firstIndex + count - 1} of the source (at most a vector),
     * arriving on {@code port}.
     *
     * @return null when every invariant held, else "frame N: what went wrong"
     */
    public String run(FrameSource source, long firstIndex, int count, int port, long nowNs) {
        int before = pool.available();
        int loaded = source.fill(vector, firstIndex, Math.min(count, FrameVector.MAX_FRAMES), port);
        return runLoaded(loaded, firstIndex, nowNs, before);
    }

    /** Runs one frame given as bytes (the Jazzer harnesses); longer than a buffer holds: cut to fit. */
    public String runBytes(byte[] frame, int port, long nowNs) {
        int before = pool.available();
        int buffer = pool.acquire();
        if (buffer == BufferPool.NO_BUFFER) {
            return "the pool has no free buffer before the run (" + before + " free)";
        }
        int length = Math.min(frame.length, pool.maxFrameBytes());
        MemorySegment.copy(MemorySegment.ofArray(frame), 0, vector.segment(), pool.dataStart(buffer), length);
        vector.add(buffer, port, length);
        return runLoaded(1, 0, nowNs, before);
    }

    /**
     * Runs one vector of frames packed in {@code input} as {@code [length u16 big-endian][bytes]...}
     * (a truncated last frame keeps what is there; at most a vector's worth; lengths beyond a
     * buffer are cut): how a Jazzer harness gives a stateful target several frames per input, so
     * that conntrack and NAT see a flow's packets together.
     */
    public String runFrames(byte[] input, int port, long nowNs) {
        int before = pool.available();
        int position = 0;
        int loaded = 0;
        while (position + 2 <= input.length && loaded < FrameVector.MAX_FRAMES) {
            int declared = (input[position] & 0xFF) << 8 | input[position + 1] & 0xFF;
            position += 2;
            int length = Math.min(Math.min(declared, input.length - position), pool.maxFrameBytes());
            int buffer = pool.acquire();
            if (buffer == BufferPool.NO_BUFFER) {
                break;
            }
            MemorySegment.copy(MemorySegment.ofArray(input), position, vector.segment(), pool.dataStart(buffer), length);
            vector.add(buffer, port, length);
            position += Math.min(declared, input.length - position);
            loaded++;
        }
        return runLoaded(loaded, 0, nowNs, before);
    }

    private String runLoaded(int loaded, long firstIndex, long nowNs, int availableBefore) {
        failedSlot = -1;
        inputs.clear();
        for (int i = 0; i < loaded; i++) {
            InvariantChecker.append(vector, i, inputs, inputBuffers[i]);
            inputValidity[i] = UNCLASSIFIED;
        }
        frames += loaded;
        String failure = null;
        try {
            target.run(vector, nowNs);
        } catch (RuntimeException | Error e) {
            StackTraceElement[] stack = e.getStackTrace();
            failure = "the target threw " + e + (stack.length > 0 ? " at " + stack[0] : "");
        }
        for (int i = 0; failure == null && i < vector.count(); i++) {
            String bad = InvariantChecker.checkInsideBuffer(vector, i);
            int verdict = vector.verdict(i);
            if (bad == null) {
                bad = InvariantChecker.checkVerdict(verdict);
            }
            if (bad == null && verdict >= 0) {
                bad = checker.checkEmitted(vector, i, i < loaded ? inputValid(i) : allInputsValid(loaded));
            }
            if (bad != null) {
                failedSlot = i;
                failure = (i < loaded ? "frame " + (firstIndex + i) : "frame appended at vector slot " + i) + ": " + bad;
            } else if (verdict < 0) {
                drops[-verdict]++;
            } else {
                passed++;
            }
        }
        String release = releaseAll();
        failure = failure != null ? failure : release;
        if (failure == null) {
            failure = InvariantChecker.checkPoolBalance(pool, availableBefore);
        }
        if (failure == null) {
            failure = target.checkState();
        }
        return failure;
    }

    /** Returns: whether input {@code i}'s checksums were right when it came in (classified once, from its copy). */
    private boolean inputValid(int i) {
        if (inputValidity[i] == UNCLASSIFIED) {
            inputValidity[i] = checker.checksumsValid(inputs, i) ? VALID : INVALID;
        }
        return inputValidity[i] == VALID;
    }

    /** Returns: whether every input's checksums were right (the rule for frames the target appended). */
    private boolean allInputsValid(int loaded) {
        for (int i = 0; i < loaded; i++) {
            if (!inputValid(i)) {
                return false;
            }
        }
        return true;
    }

    /** Releases every frame's buffer; returns a failure when a buffer was already free (released by the target). */
    private String releaseAll() {
        String failure = null;
        for (int i = 0; i < vector.count(); i++) {
            int buffer = vector.buffer(i);
            if (buffer >= 0 && buffer < pool.bufferCount() && pool.inUse(buffer)) {
                pool.release(buffer);
            } else if (failure == null) {
                failure = "vector slot " + i + " holds buffer " + buffer + ", which is not in use (released twice, or shared)";
            }
        }
        vector.clear();
        return failure;
    }

    /** Returns: the vector slot of the last failure (-1 when the last run passed or failed outside a frame). */
    public int failedSlot() {
        return failedSlot;
    }

    /** Returns: frames dropped per drop code, across all runs (index = code). */
    public long dropped(int code) {
        return drops[code];
    }

    /** Returns: frames that ended with a verdict other than a drop, across all runs. */
    public long passed() {
        return passed;
    }

    /** Returns: input frames run, across all runs. */
    public long frames() {
        return frames;
    }

    public BufferPool pool() {
        return pool;
    }

    @Override
    public void close() {
        checker.close();
        inputPool.close();
        if (ownsPool) {
            pool.close();
        }
    }
}
