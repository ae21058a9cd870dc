package dev.gingham.jmh.report;

import java.util.List;
import java.util.Map;

/**
 * One JMH result (one benchmark method with one set of parameter values), as the report uses it.
 *
 * @param benchmark        the fully qualified name, {@code dev.gingham.jmh.x.YBenchmark.method}
 * @param params           the parameter values
 * @param score            the primary score (mean over the measured iterations)
 * @param scoreError       JMH's 99.9% error half-width (NaN with fewer than 2 iterations)
 * @param unit             the score's unit ("ns/op", "us/op", "ms/op")
 * @param iterations       the measured iterations' scores
 * @param allocBytesPerOp  {@code gc.alloc.rate.norm} (B/op), or NaN when the GC profiler did not run
 */
public record BenchResult(String benchmark, Map<String, String> params, double score, double scoreError, String unit,
                          List<Double> iterations, double allocBytesPerOp) {
    public BenchResult {
        params = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(params));
        iterations = List.copyOf(iterations);
    }

    /** Returns: {@code YBenchmark.method}. */
    public String simpleName() {
        int method = benchmark.lastIndexOf('.');
        int type = method > 0 ? benchmark.lastIndexOf('.', method - 1) : -1;
        return benchmark.substring(type + 1);
    }

    /** Returns: the value of parameter {@code name}, or null. */
    public String param(String name) {
        return params.get(name);
    }

    /** Returns: the score in nanoseconds per operation (converting us/op, ms/op, s/op). */
    public double nanos() {
        return score * unitNanos(unit);
    }

    /** Returns: nanoseconds in one unit of a JMH average-time unit. */
    static double unitNanos(String unit) {
        return switch (unit) {
            case "ns/op" -> 1;
            case "us/op" -> 1e3;
            case "ms/op" -> 1e6;
            case "s/op" -> 1e9;
            default -> throw new IllegalArgumentException("unit " + unit + ": not a time per operation");
        };
    }

    /**
     * Returns: half the range of the measured iterations as a percentage of the score: a noise
     * figure that stays meaningful with the 3 to 5 iterations the suite runs (JMH's 99.9% error
     * with 3 iterations is several times wider). 0 with one iteration.
     */
    public double spreadPercent() {
        if (iterations.size() < 2 || score == 0) {
            return 0;
        }
        double min = iterations.stream().mapToDouble(Double::doubleValue).min().orElse(score);
        double max = iterations.stream().mapToDouble(Double::doubleValue).max().orElse(score);
        return 50 * (max - min) / score;
    }
}
