package dev.gingham.dataplane.nodebench;

import java.util.Arrays;

/**
 * Round-trip times of one path, in microseconds: nearest-rank percentiles of every sample (exact;
 * a thousand or ten thousand samples need no histogram).
 *
 * @param samples answers received
 * @param lost    requests sent that got no answer
 */
public record LatencyStats(int samples, int lost, double minUs, double p50Us, double p99Us, double maxUs) {
    /** Returns: the statistics of {@code nanos} (sorted in place). */
    static LatencyStats of(long[] nanos, int count, int lost) {
        if (count == 0) {
            return new LatencyStats(0, lost, 0, 0, 0, 0);
        }
        Arrays.sort(nanos, 0, count);
        return new LatencyStats(count, lost, micros(nanos[0]), micros(percentile(nanos, count, 50)),
                micros(percentile(nanos, count, 99)), micros(nanos[count - 1]));
    }

    /** Nearest rank: the smallest sample with at least p% of the samples at or below it. */
    static long percentile(long[] sorted, int count, int p) {
        int rank = (int) Math.ceil(p / 100.0 * count);
        return sorted[Math.max(0, rank - 1)];
    }

    private static double micros(long nanos) {
        return Math.round(nanos / 100.0) / 10.0;
    }
}
