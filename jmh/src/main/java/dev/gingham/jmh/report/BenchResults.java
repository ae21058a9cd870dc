package dev.gingham.jmh.report;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The results of one run, read from JMH's JSON ({@code -rf json}, or the suite's own file in
 * the same format).
 */
public final class BenchResults {
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final List<BenchResult> results;
    private final String jdkVersion;
    private final String vmName;
    private final String vmVersion;
    private final String jmhVersion;

    private BenchResults(List<BenchResult> results, String jdkVersion, String vmName, String vmVersion, String jmhVersion) {
        this.results = List.copyOf(results);
        this.jdkVersion = jdkVersion;
        this.vmName = vmName;
        this.vmVersion = vmVersion;
        this.jmhVersion = jmhVersion;
    }

    /** Returns: the results in {@code file}; a message naming the file and the entry when it is not JMH JSON. */
    public static BenchResults read(Path file) {
        JsonNode root;
        try {
            root = JSON.readTree(file.toFile());
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(file + ": not JSON (" + e.getMessage() + ")", e);
        }
        return parse(root, file.toString());
    }

    /** Returns: the results in a JMH JSON document ({@code source} names it in error messages). */
    public static BenchResults parse(String json, String source) {
        return parse(JSON.readTree(json), source);
    }

    private static BenchResults parse(JsonNode root, String source) {
        if (root == null || !root.isArray()) {
            throw new IllegalArgumentException(source + ": expected JMH's JSON array of results");
        }
        List<BenchResult> list = new ArrayList<>();
        String jdk = "";
        String vm = "";
        String vmVersion = "";
        String jmh = "";
        int index = 0;
        for (JsonNode r : root) {
            String where = source + "[" + index++ + "]";
            String benchmark = text(r, "benchmark", where);
            JsonNode primary = r.get("primaryMetric");
            if (primary == null) {
                throw new IllegalArgumentException(where + ": no primaryMetric");
            }
            Map<String, String> params = new LinkedHashMap<>();
            JsonNode p = r.get("params");
            if (p != null) {
                for (Map.Entry<String, JsonNode> e : p.properties()) {
                    params.put(e.getKey(), e.getValue().asString());
                }
            }
            List<Double> iterations = new ArrayList<>();
            JsonNode raw = primary.get("rawData");
            if (raw != null) {
                for (JsonNode fork : raw) {
                    for (JsonNode value : fork) {
                        iterations.add(value.asDouble());
                    }
                }
            }
            double alloc = Double.NaN;
            JsonNode secondary = r.get("secondaryMetrics");
            if (secondary != null) {
                JsonNode norm = secondary.get("gc.alloc.rate.norm");
                if (norm == null) {
                    norm = secondary.get("\u00b7gc.alloc.rate.norm"); // JMH before 1.36 prefixed profiler metrics
                }
                if (norm != null && norm.get("score") != null) {
                    alloc = norm.get("score").asDouble();
                }
            }
            list.add(new BenchResult(benchmark, params, number(primary, "score", where), number(primary, "scoreError", where),
                    text(primary, "scoreUnit", where), iterations, alloc));
            jdk = r.hasNonNull("jdkVersion") ? r.get("jdkVersion").asString() : jdk;
            vm = r.hasNonNull("vmName") ? r.get("vmName").asString() : vm;
            vmVersion = r.hasNonNull("vmVersion") ? r.get("vmVersion").asString() : vmVersion;
            jmh = r.hasNonNull("jmhVersion") ? r.get("jmhVersion").asString() : jmh;
        }
        return new BenchResults(list, jdk, vm, vmVersion, jmh);
    }

    private static String text(JsonNode node, String field, String where) {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            throw new IllegalArgumentException(where + ": no " + field);
        }
        return value.asString();
    }

    /** JMH writes "NaN" as a string for an error it could not compute. */
    private static double number(JsonNode node, String field, String where) {
        JsonNode value = node.get(field);
        if (value == null) {
            throw new IllegalArgumentException(where + ": no " + field);
        }
        return value.isNumber() ? value.asDouble() : Double.NaN;
    }

    /** Returns: every result, in file order. */
    public List<BenchResult> all() {
        return results;
    }

    /** Returns: the results of one benchmark method ({@code YBenchmark.method}), in file order. */
    public List<BenchResult> of(String simpleName) {
        return results.stream().filter(r -> r.simpleName().equals(simpleName)).toList();
    }

    /**
     * Returns: the result of {@code simpleName} whose parameters include every given
     * {@code name, value} pair, if the run has it.
     */
    public Optional<BenchResult> find(String simpleName, String... nameValuePairs) {
        if (nameValuePairs.length % 2 != 0) {
            throw new IllegalArgumentException("find: parameter names and values come in pairs");
        }
        for (BenchResult r : results) {
            if (!r.simpleName().equals(simpleName)) {
                continue;
            }
            boolean all = true;
            for (int i = 0; i < nameValuePairs.length && all; i += 2) {
                all = nameValuePairs[i + 1].equals(r.param(nameValuePairs[i]));
            }
            if (all) {
                return Optional.of(r);
            }
        }
        return Optional.empty();
    }

    /** Returns: the distinct values of parameter {@code name} in the results of {@code simpleName}, in file order. */
    public List<String> paramValues(String simpleName, String name) {
        List<String> values = new ArrayList<>();
        for (BenchResult r : of(simpleName)) {
            String v = r.param(name);
            if (v != null && !values.contains(v)) {
                values.add(v);
            }
        }
        return values;
    }

    public String jdkVersion() {
        return jdkVersion;
    }

    public String vmName() {
        return vmName;
    }

    public String vmVersion() {
        return vmVersion;
    }

    public String jmhVersion() {
        return jmhVersion;
    }
}
