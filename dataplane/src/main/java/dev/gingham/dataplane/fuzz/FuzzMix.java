package dev.gingham.dataplane.fuzz;

import java.lang.foreign.MemorySegment;

/**
 * The fuzz command's frame stream: mostly mutated frames from a {@link FrameFuzzer}, and a share
 * of new-flow floods ({@link FlowFlood}) that fill conntrack and exhaust SNAT ports, so the
 * state-creating slow paths, their "table full" drops and the conntrack/NAT consistency are
 * fuzzed too, not only the parsing and lookups of one frame.
 *
 * <p>Which source writes frame {@code index} depends on the index alone (a hash of seed and
 * index), so a reproducer regenerates exactly the frames that failed. A flood writes its flow
 * number {@code index}: every flood frame is a flow no earlier frame opened. Allocates nothing.
 */
public final class FuzzMix implements FrameSource {
    private final long seed;
    private final FrameFuzzer fuzzer;
    private final FlowFlood[] floods;
    private final int floodPercent;
    private final long[] floodFrames;

    /**
     * @param floodPercent frames (0..100) written by a flood, spread evenly over {@code floods}
     */
    public FuzzMix(long seed, FrameFuzzer fuzzer, FlowFlood[] floods, int floodPercent) {
        if (floodPercent < 0 || floodPercent > 100 || floodPercent > 0 && floods.length == 0) {
            throw new IllegalArgumentException("flood share " + floodPercent + "% needs floods and must be within 0..100");
        }
        this.seed = seed;
        this.fuzzer = fuzzer;
        this.floods = floods.clone();
        this.floodPercent = floodPercent;
        this.floodFrames = new long[floods.length];
    }

    @Override
    public int write(long index, MemorySegment segment, long offset, int capacity) {
        long roll = FuzzRandom.mix(seed ^ FuzzRandom.mix(index));
        if (Long.remainderUnsigned(roll, 100) < floodPercent) {
            int flood = (int) Long.remainderUnsigned(roll >>> 32, floods.length);
            floodFrames[flood]++;
            return floods[flood].write(index, segment, offset, capacity);
        }
        return fuzzer.write(index, segment, offset, capacity);
    }

    /** Returns: the mutated-frame source (its shape and mutation counts are the coverage report). */
    public FrameFuzzer fuzzer() {
        return fuzzer;
    }

    /** Returns: how many floods the mix has. */
    public int floods() {
        return floods.length;
    }

    /** Returns: frames written so far by flood {@code flood}. */
    public long floodFrames(int flood) {
        return floodFrames[flood];
    }
}
