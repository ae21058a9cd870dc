package dev.gingham.jmh.suite;

import org.openjdk.jmh.annotations.Param;

import java.lang.reflect.Field;
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
     * Iteration settings that replace a benchmark's annotations.
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
