package dev.gingham.dataplane.fuzz;

import java.lang.foreign.MemorySegment;

/**
 * The structure-aware fuzzer: frame {@code index} of seed {@code seed} is a valid frame from the
 * {@link FrameGenerator} broken (or not) by the {@link FrameMutator}, both driven by a random
 * stream seeded with {@link FuzzRandom#frameSeed}(seed, index). Remembers the shape and mutation
 * of the last frame written and counts both, for the coverage report. Allocates nothing per frame; one instance per
 * thread.
 */
public final class FrameFuzzer implements FrameSource {
    private final long seed;
    private final FuzzRandom random = new FuzzRandom(0);
    private final FrameWriter writer = new FrameWriter();
    private final FrameGenerator generator;
    private final FrameMutator mutator = new FrameMutator();
    private int lastShape;
    private int lastMutation;
    private final long[] shapes = new long[FrameGenerator.SHAPES];
    private final long[] mutations = new long[FrameMutator.MUTATIONS];

    public FrameFuzzer(long seed, FuzzAddresses addresses) {
        this.seed = seed;
        this.generator = new FrameGenerator(addresses);
    }

    @Override
    public int write(long index, MemorySegment segment, long offset, int capacity) {
        random.reseed(FuzzRandom.frameSeed(seed, index));
        writer.begin(segment, offset, capacity);
        lastShape = generator.generate(writer, random);
        lastMutation = mutator.mutate(writer, random);
        shapes[lastShape]++;
        mutations[lastMutation]++;
        return writer.length();
    }

    public long seed() {
        return seed;
    }

    /** Returns: the {@link FrameGenerator} shape of the last frame written. */
    public int lastShape() {
        return lastShape;
    }

    /** Returns: the {@link FrameMutator} mutation of the last frame written. */
    public int lastMutation() {
        return lastMutation;
    }

    /** Returns: frames written so far with {@link FrameGenerator} shape {@code shape}. */
    public long shapeCount(int shape) {
        return shapes[shape];
    }

    /** Returns: frames written so far with {@link FrameMutator} mutation {@code mutation} (first mutation). */
    public long mutationCount(int mutation) {
        return mutations[mutation];
    }
}
