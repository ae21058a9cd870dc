package dev.gingham.dataplane.config;

import java.util.List;

/**
 * A node configuration that cannot be used, with every problem of the file: each names its YAML
 * path and what is wrong ("node.yaml: tunnel.vni: must be 0..16777215, got 16777216"), so an
 * operator fixes the file once instead of once per start attempt.
 */
public final class ConfigException extends RuntimeException {
    private final String source;
    private final List<Problems.Problem> problems;

    public ConfigException(String source, List<Problems.Problem> problems) {
        super(format(source, problems));
        this.source = source;
        this.problems = List.copyOf(problems);
    }

    /** Returns: the file (or other source) the configuration came from. */
    public String source() {
        return source;
    }

    /** Returns: every problem, in file order. */
    public List<Problems.Problem> problems() {
        return problems;
    }

    private static String format(String source, List<Problems.Problem> problems) {
        if (problems.size() == 1) {
            return source + ": " + problems.getFirst();
        }
        StringBuilder text = new StringBuilder(source).append(": ").append(problems.size()).append(" problems:");
        for (Problems.Problem problem : problems) {
            text.append("\n  ").append(problem);
        }
        return text.toString();
    }
}
