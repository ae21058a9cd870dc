package dev.gingham.jmh.suite;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Warmup;

import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * One benchmark method of the suite, with the parameter values it runs with and, optionally,
 * iteration settings that replace the benchmark's annotations (the quick suite's shorter ones).
 *
 * @param comparison a short name of what it belongs to in the report (progress lines show it)
 * @param benchmark  the JMH benchmark class
 * @param method     the {@code @Benchmark} method
 * @param params     parameter values that replace the {@code @Param} annotation's, by name; a
 *                   parameter not named here runs with every value of its annotation
 * @param iterations iteration settings, or null for the benchmark's own annotations
 */
public record SuiteEntry(String comparison, Class<?> benchmark, String method, Map<String, List<String>> params,
                         Iterations iterations) {
    public SuiteEntry {
        params = Map.copyOf(params);
        Map<String, String[]> declared = declaredParams(benchmark);
        for (String name : params.keySet()) {
            if (!declared.containsKey(name)) {
                throw new IllegalArgumentException(benchmark.getSimpleName() + " has no @Param " + name
                        + " (it has " + declared.keySet() + ")");
            }
        }
    }

    /** Returns: the JMH include pattern that selects exactly this method. */
    public String includePattern() {
        return "^" + Pattern.quote(benchmark.getName() + "." + method) + "$";
    }

    /** Returns: the benchmark's name as the report and progress lines show it ({@code Class.method}). */
    public String shortName() {
        return benchmark.getSimpleName() + "." + method;
    }

    /** Returns: the number of parameter combinations, i.e. JMH forks, this entry runs. */
    public int runs() {
        int runs = 1;
        for (Map.Entry<String, String[]> p : declaredParams(benchmark).entrySet()) {
            List<String> chosen = params.get(p.getKey());
            runs *= chosen != null ? chosen.size() : p.getValue().length;
        }
        return runs;
    }

    /**
     * Returns: whether the benchmark method runs in JMH's single-shot mode only (its
     * {@code @BenchmarkMode}, on the method or else the class): one invocation per iteration, and
     * JMH ignores iteration times, so an {@link Iterations} override sets only the counts.
     */
    public boolean singleShot() {
        BenchmarkMode mode = null;
        for (Method m : benchmark.getMethods()) {
            if (m.getName().equals(method) && m.isAnnotationPresent(Benchmark.class)) {
                mode = m.getAnnotation(BenchmarkMode.class);
            }
        }
        if (mode == null) {
            mode = annotation(benchmark, BenchmarkMode.class);
        }
        return mode != null && mode.value().length == 1 && mode.value()[0] == Mode.SingleShotTime;
    }

    /** Seconds a fork costs besides its iterations: JVM start, JIT, the benchmark's setup (a rough mean measured here). */
    static final int FORK_OVERHEAD_SECONDS = 3;

    /**
     * Returns: a rough estimate of the entry's wall time: per run, its iterations (the override,
     * else the class's {@code @Warmup} and {@code @Measurement}, JMH's defaults when absent) plus
     * {@value #FORK_OVERHEAD_SECONDS} s. Setups that fill large tables take longer.
     */
    public long estimatedSeconds() {
        long iterationMillis;
        if (iterations != null) {
            iterationMillis = iterations.millis();
        } else {
            Warmup w = annotation(benchmark, Warmup.class);
            Measurement m = annotation(benchmark, Measurement.class);
            iterationMillis = millis(w == null ? 5 : w.iterations(), w == null ? 10 : w.time(),
                    w == null ? java.util.concurrent.TimeUnit.SECONDS : w.timeUnit())
                    + millis(m == null ? 5 : m.iterations(), m == null ? 10 : m.time(),
                    m == null ? java.util.concurrent.TimeUnit.SECONDS : m.timeUnit());
        }
        return runs() * (iterationMillis / 1000 + FORK_OVERHEAD_SECONDS);
    }

    private static long millis(int iterations, int time, java.util.concurrent.TimeUnit unit) {
        // a single-shot benchmark's iterations have no time (-1): count a second each
        return (long) Math.max(0, iterations) * (time > 0 ? unit.toMillis(time) : 1000);
    }

    private static <A extends java.lang.annotation.Annotation> A annotation(Class<?> type, Class<A> annotation) {
        for (Class<?> c = type; c != null; c = c.getSuperclass()) {
            A a = c.getAnnotation(annotation);
            if (a != null) {
                return a;
            }
        }
        return null;
    }

    /** Returns: the {@code @Param} fields of the class and its superclasses, with their annotation values. */
    static Map<String, String[]> declaredParams(Class<?> type) {
        Map<String, String[]> params = new LinkedHashMap<>();
        for (Class<?> c = type; c != null && c != Object.class; c = c.getSuperclass()) {
            for (Field f : c.getDeclaredFields()) {
                Param p = f.getAnnotation(Param.class);
                if (p != null) {
                    params.put(f.getName(), p.value().length == 0 && f.getType().isEnum()
                            ? enumNames(f.getType()) : p.value());
                }
            }
        }
        return params;
    }

    /** Returns: an enum's constant names (what JMH runs for an enum {@code @Param} without values). */
    private static String[] enumNames(Class<?> type) {
        Object[] constants = type.getEnumConstants();
        String[] names = new String[constants.length];
        for (int i = 0; i < constants.length; i++) {
            names[i] = ((Enum<?>) constants[i]).name();
        }
        return names;
    }

    /**
     * Iteration settings that replace a benchmark's annotations. For a {@link #singleShot()}
     * benchmark an iteration is one invocation and JMH ignores the times: give one invocation's
     * expected length, which only feeds {@link #estimatedSeconds()}.
     *
     * @param warmups          warm-up iterations
     * @param warmupMillis     length of each warm-up iteration
     * @param measurements     measured iterations
     * @param measurementMillis length of each measured iteration
     */
    public record Iterations(int warmups, int warmupMillis, int measurements, int measurementMillis) {
        /** Returns: the time the iterations take, in milliseconds (no setup or JVM start). */
        public long millis() {
            return (long) warmups * warmupMillis + (long) measurements * measurementMillis;
        }
    }
}
