package dev.gingham.dataplane.replay;

/**
 * Converts a pcapng interface's timestamp units to nanoseconds since the epoch, per its
 * {@code if_tsresol} (10^-n seconds when the top bit is clear, 2^-n when set; default 10^-6) and
 * {@code if_tsoffset} (seconds added to every timestamp). Made once per interface description
 * block; {@link #toNanos} is a multiply, a divide or two shifts, and allocates nothing.
 *
 * <p>Timestamps are unsigned 64-bit counts. Values that do not fit in a signed 64-bit count of
 * nanoseconds (past the year 2262) wrap instead of failing: a replay clock from a corrupt
 * timestamp is wrong, never a crash.
 */
final class TimestampScale {
    private static final int BINARY_FLAG = 0x80;
    private static final long NANOS_PER_SECOND = 1_000_000_000L;
    private static final long[] POWERS_OF_TEN = {
            1L, 10L, 100L, 1_000L, 10_000L, 100_000L, 1_000_000L, 10_000_000L, 100_000_000L, 1_000_000_000L};

    private final long multiplier;
    private final long divisor;
    private final int binaryShift;
    private final long offsetNs;

    private TimestampScale(long multiplier, long divisor, int binaryShift, long offsetNs) {
        this.multiplier = multiplier;
        this.divisor = divisor;
        this.binaryShift = binaryShift;
        this.offsetNs = offsetNs;
    }

    /** Returns: the scale for an {@code if_tsresol} byte and an {@code if_tsoffset}, or null when unsupported. */
    static TimestampScale of(int tsresol, long offsetSeconds) {
        long offsetNs = offsetSeconds * NANOS_PER_SECOND;
        int exponent = tsresol & ~BINARY_FLAG;
        if ((tsresol & BINARY_FLAG) != 0) {
            return exponent <= 63 ? new TimestampScale(0, 0, exponent, offsetNs) : null;
        }
        if (exponent <= 9) {
            return new TimestampScale(POWERS_OF_TEN[9 - exponent], 1, -1, offsetNs);
        }
        return exponent <= 18 ? new TimestampScale(1, POWERS_OF_TEN[exponent - 9], -1, offsetNs) : null;
    }

    /** Returns: the timestamp in {@code units} as nanoseconds since the epoch. */
    long toNanos(long units) {
        if (binaryShift < 0) {
            long scaled = divisor == 1 ? units * multiplier : Long.divideUnsigned(units, divisor);
            return scaled + offsetNs;
        }
        if (binaryShift == 0) {
            return units * NANOS_PER_SECOND + offsetNs;
        }
        long seconds = units >>> binaryShift;
        long fraction = units & ((1L << binaryShift) - 1);
        // fraction * 10^9 / 2^shift, with the product kept in 128 bits.
        long low = fraction * NANOS_PER_SECOND;
        long high = Math.unsignedMultiplyHigh(fraction, NANOS_PER_SECOND);
        long fractionNs = high << (64 - binaryShift) | low >>> binaryShift;
        return seconds * NANOS_PER_SECOND + fractionNs + offsetNs;
    }
}
