package dev.gingham.dataplane.config;

import tools.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * One field of a parsed YAML (or JSON) document and its path ({@code tunnel.vni},
 * {@code spec.ports[0].targetPort}): the typed reads node configuration and manifests are made
 * of, each reporting a wrong type, a value out of range or an unknown field to a {@link Problems}
 * sink under the field's path.
 *
 * <p>Why a cursor over Jackson's tree rather than data binding: every message must name the field
 * a user has to fix, say what is wrong in the user's terms ("must be 0..16777215, got 16777216"),
 * and treat unknown fields as errors (a typo such as {@code vnii:} silently ignored would leave
 * the node on the default). A read that fails reports and returns the fallback, so a collecting
 * sink sees every problem of a file; a throwing sink stops at the first.
 *
 * <p>Absent and {@code null} are the same ("not given"): YAML's {@code key:} with no value is
 * null, and users write it meaning "default".
 */
public final class YamlField {
    private final JsonNode node;
    private final String path;
    private final Problems problems;

    private YamlField(JsonNode node, String path, Problems problems) {
        this.node = node;
        this.path = path;
        this.problems = problems;
    }

    /** Returns: the document's root, reporting to {@code problems}. */
    public static YamlField root(JsonNode document, Problems problems) {
        return new YamlField(document, "", problems);
    }

    /** Returns: the path of this field ("" for the root). */
    public String path() {
        return path;
    }

    /** Returns: the underlying node, or null when absent. */
    public JsonNode node() {
        return present() ? node : null;
    }

    /** Returns: true when the field is given with a non-null value. */
    public boolean present() {
        return node != null && !node.isNull() && !node.isMissingNode();
    }

    /** Returns: true when this mapping has the key {@code name}, even with a null value ({@code podSelector:}). */
    public boolean has(String name) {
        return present() && node.isObject() && node.has(name);
    }

    /** Returns: true when the field is a mapping. */
    public boolean isMapping() {
        return present() && node.isObject();
    }

    /** Returns: true when the field is a string. */
    public boolean isString() {
        return present() && node.isString();
    }

    /** Reports a problem at this field. */
    public void error(String message) {
        problems.add(path, message);
    }

    /** Returns: the child {@code name} of this mapping (absent when this is absent or not a mapping). */
    public YamlField get(String name) {
        JsonNode child = present() && node.isObject() ? node.get(name) : null;
        return new YamlField(child, path.isEmpty() ? name : path + "." + name, problems);
    }

    /** Returns: the child {@code key} of a map whose keys may contain dots (labels, annotations): path {@code parent[key]}. */
    public YamlField entry(String key) {
        JsonNode child = present() && node.isObject() ? node.get(key) : null;
        return new YamlField(child, path + "[" + key + "]", problems);
    }

    /**
     * Checks that this field, when given, is a mapping whose keys are all among {@code known};
     * each unknown key is reported at its own path, with the nearest known spelling.
     *
     * @return this, for chaining
     */
    public YamlField mapping(String... known) {
        if (!present()) {
            return this;
        }
        if (!node.isObject()) {
            error("must be a mapping, not " + describe(node));
            return this;
        }
        List<String> names = List.of(known);
        for (String name : node.propertyNames()) {
            if (!names.contains(name)) {
                String childPath = path.isEmpty() ? name : path + "." + name;
                String guess = nearest(name, names);
                problems.add(childPath, "unknown field" + (guess == null ? "" : " (did you mean " + guess + "?)")
                        + "; expected one of " + String.join(", ", known));
            }
        }
        return this;
    }

    /** Checks that this field, when given, is a mapping (any keys: parts of an API Gingham only picks from). */
    public YamlField anyMapping() {
        if (present() && !node.isObject()) {
            error("must be a mapping, not " + describe(node));
        }
        return this;
    }

    /** Returns: the elements of this list with their paths; empty when absent, reported when not a list. */
    public List<YamlField> list() {
        if (!present()) {
            return List.of();
        }
        if (!node.isArray()) {
            error("must be a list, not " + describe(node));
            return List.of();
        }
        List<YamlField> items = new ArrayList<>();
        int i = 0;
        for (JsonNode item : node.values()) {
            items.add(new YamlField(item, path + "[" + i++ + "]", problems));
        }
        return items;
    }

    /** Returns: the string value, or {@code fallback} when absent or (reported) not a string. */
    public String string(String fallback) {
        if (!present()) {
            return fallback;
        }
        if (!node.isString()) {
            error("must be a string, not " + describe(node) + (node.isNumber() || node.isBoolean() ? " (quote it)" : ""));
            return fallback;
        }
        return node.stringValue();
    }

    /** Returns: the non-empty string value; absent or empty is reported ("is required") and gives null. */
    public String requiredString() {
        if (!present()) {
            error("is required");
            return null;
        }
        String value = string(null);
        if (value != null && value.isEmpty()) {
            error("must not be empty");
            return null;
        }
        return value;
    }

    /** Returns: the integer value in {@code min..max}, or {@code fallback} when absent or (reported) invalid. */
    public int integer(int fallback, int min, int max) {
        return (int) longInteger(fallback, min, max);
    }

    /** Returns: the integer value in {@code min..max}, or {@code fallback} when absent or (reported) invalid. */
    public long longInteger(long fallback, long min, long max) {
        if (!present()) {
            return fallback;
        }
        if (!node.isIntegralNumber() || !node.canConvertToLong()) {
            error("must be an integer " + min + ".." + max + ", not " + describe(node));
            return fallback;
        }
        long value = node.longValue();
        if (value < min || value > max) {
            error("must be " + min + ".." + max + ", got " + value);
            return fallback;
        }
        return value;
    }

    /** Returns: the boolean value, or {@code fallback} when absent or (reported) not true/false. */
    public boolean bool(boolean fallback) {
        if (!present()) {
            return fallback;
        }
        if (!node.isBoolean()) {
            error("must be true or false, not " + describe(node));
            return fallback;
        }
        return node.booleanValue();
    }

    /**
     * Returns: the value spelled as one of {@code values} (exact, case-sensitive), or
     * {@code fallback} when absent or (reported) misspelt.
     */
    public <E> E choice(E fallback, List<E> values, Function<E, String> spelling) {
        String text = string(null);
        if (text == null) {
            return fallback;
        }
        for (E value : values) {
            if (spelling.apply(value).equals(text)) {
                return value;
            }
        }
        error("must be one of " + String.join(", ", values.stream().map(spelling).toList()) + ", not '" + text + "'");
        return fallback;
    }

    /**
     * Returns: the string value turned into a {@code T} by {@code parser}, or {@code fallback} when
     * absent or when the parser throws {@link IllegalArgumentException} (its message is reported).
     */
    public <T> T parsed(Function<String, T> parser, T fallback) {
        String text = string(null);
        if (text == null) {
            return fallback;
        }
        try {
            return parser.apply(text);
        } catch (IllegalArgumentException e) {
            error(e.getMessage());
            return fallback;
        }
    }

    /** Returns: every element of this list parsed by {@code parser}; bad elements are reported at their index and left out. */
    public <T> List<T> parsedList(Function<String, T> parser) {
        List<T> values = new ArrayList<>();
        for (YamlField item : list()) {
            T value = item.parsed(parser, null);
            if (value != null) {
                values.add(value);
            } else if (!item.present()) {
                item.error("is required");
            }
        }
        return values;
    }

    /** Returns: a map of string keys to string values (labels, annotations, selectors); non-strings reported. */
    public Map<String, String> stringMap() {
        Map<String, String> map = new LinkedHashMap<>();
        if (!present()) {
            return map;
        }
        if (!node.isObject()) {
            error("must be a mapping of strings to strings, not " + describe(node));
            return map;
        }
        for (String key : node.propertyNames()) {
            String value = entry(key).string(null);
            if (value != null) {
                map.put(key, value);
            }
        }
        return map;
    }

    /** Returns: how a value is named in messages: 'text' for strings, the literal otherwise, "a list"/"a mapping". */
    static String describe(JsonNode value) {
        if (value.isString()) {
            return "'" + value.stringValue() + "'";
        }
        if (value.isArray()) {
            return "a list";
        }
        if (value.isObject()) {
            return "a mapping";
        }
        return value.toString();
    }

    /** Returns: the known name closest to {@code name} (same letters ignoring case, or at most two edits), or null. */
    static String nearest(String name, List<String> known) {
        String best = null;
        int bestDistance = 3;
        for (String candidate : known) {
            int d = candidate.equalsIgnoreCase(name) ? 0 : distance(name, candidate);
            if (d < bestDistance) {
                bestDistance = d;
                best = candidate;
            }
        }
        return best;
    }

    private static int distance(String a, String b) {
        int[] previous = new int[b.length() + 1];
        int[] current = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            previous[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            current[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int substitution = previous[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                current[j] = Math.min(substitution, Math.min(previous[j], current[j - 1]) + 1);
            }
            int[] swap = previous;
            previous = current;
            current = swap;
        }
        return previous[b.length()];
    }
}
