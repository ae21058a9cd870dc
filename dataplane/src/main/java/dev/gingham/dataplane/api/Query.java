package dev.gingham.dataplane.api;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * A request's query parameters, checked against the names an endpoint accepts: a misspelt filter
 * ({@code ?limt=5}) is a 400 naming the accepted ones, never silently ignored (a dump that ignores
 * its filter looks like an answer).
 */
public final class Query {
    private final String path;
    private final Map<String, List<String>> parameters;

    /**
     * @throws ApiException 400 when a parameter is not in {@code accepted} or is given twice
     */
    public Query(String path, Map<String, List<String>> parameters, Set<String> accepted) {
        this.path = path;
        this.parameters = parameters;
        for (Map.Entry<String, List<String>> e : parameters.entrySet()) {
            if (!accepted.contains(e.getKey())) {
                throw ApiException.badRequest(path + ": unknown parameter '" + e.getKey() + "'"
                        + (accepted.isEmpty() ? " (it takes none)" : " (accepted: " + String.join(", ", new TreeSet<>(accepted)) + ")"));
            }
            if (e.getValue().size() > 1) {
                throw ApiException.badRequest(path + ": parameter '" + e.getKey() + "' given " + e.getValue().size() + " times");
            }
        }
    }

    /** Returns: the value, or null when absent (an empty value counts as absent). */
    public String get(String name) {
        List<String> values = parameters.get(name);
        if (values == null || values.isEmpty() || values.get(0).isEmpty()) {
            return null;
        }
        return values.get(0);
    }

    /**
     * Returns: the value as an int in {@code [min, max]}, or {@code absent}.
     *
     * @throws ApiException 400 naming the parameter
     */
    public int intValue(String name, int absent, int min, int max) {
        String text = get(name);
        if (text == null) {
            return absent;
        }
        try {
            int value = Integer.parseInt(text);
            if (value >= min && value <= max) {
                return value;
            }
        } catch (NumberFormatException ignored) {
            // reported below
        }
        throw ApiException.badRequest(path + ": " + name + "=" + text + " must be a whole number " + min + ".." + max);
    }

    /**
     * Returns: the parameter parsed by {@code parser}, or null when absent.
     *
     * @throws ApiException 400 with the parser's message, naming the parameter
     */
    public <T> T parsed(String name, java.util.function.Function<String, T> parser) {
        String text = get(name);
        if (text == null) {
            return null;
        }
        try {
            return parser.apply(text);
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest(path + ": " + name + ": " + e.getMessage());
        }
    }
}
