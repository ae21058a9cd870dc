package dev.gingham.dataplane.fuzz;

/**
 * The fuzzers' random numbers: SplitMix64 (Steele, Lea, Flood, "Fast splittable pseudorandom
 * number generators", 2014), one {@code long} of state, no allocation.
 *
 * <p>Why not {@link java.util.SplittableRandom}: the fuzzers reseed per frame
 * ({@link #frameSeed}), so that frame {@code n} of seed {@code s} is the same bytes whatever ran
 * before it, whatever the vector size; a reproducer then regenerates just the failing frames from
 * the seed and their indexes. Reseeding a {@code SplittableRandom} means a new object per frame.
 */
public final class FuzzRandom {
    private static final long GOLDEN_GAMMA = 0x9E37_79B9_7F4A_7C15L;

    private long state;

    public FuzzRandom(long seed) {
        this.state = seed;
    }

    /** Restarts the sequence from {@code seed}. */
    public void reseed(long seed) {
        state = seed;
    }

    /** Returns: the seed of frame {@code index} of a run seeded with {@code seed}: independent streams per frame. */
    public static long frameSeed(long seed, long index) {
        return mix(seed ^ mix((index + 1) * GOLDEN_GAMMA));
    }

    /** SplitMix64's finaliser (Stafford's variant 13): a bijective 64-bit mix. */
    public static long mix(long value) {
        long z = value;
        z = (z ^ (z >>> 30)) * 0xBF58_476D_1CE4_E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D0_49BB_1331_11EBL;
        return z ^ (z >>> 31);
    }

    public long nextLong() {
        state += GOLDEN_GAMMA;
        return mix(state);
    }

    public int nextInt() {
        return (int) (nextLong() >>> 32);
    }

    /** Returns: a value in {@code [0, bound)}; {@code bound} must be positive (Lemire's multiply-shift, bias below 2^-32). */
    public int nextInt(int bound) {
        return (int) (((nextLong() >>> 32) * bound) >>> 32);
    }

    /** Returns: a value in {@code [low, high]}. */
    public int between(int low, int high) {
        return low + nextInt(high - low + 1);
    }

    /** Returns: true with probability {@code percent}/100. */
    public boolean chance(int percent) {
        return nextInt(100) < percent;
    }

    /** Returns: one of the values, uniformly. */
    public int pick(int[] values) {
        return values[nextInt(values.length)];
    }
}
