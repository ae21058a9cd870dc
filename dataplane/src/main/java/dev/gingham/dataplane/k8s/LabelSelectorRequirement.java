package dev.gingham.dataplane.k8s;

import java.util.List;
import java.util.Map;

/**
 * One {@code matchExpressions} entry of a label selector (metav1.LabelSelectorRequirement).
 *
 * @param key      the label key
 * @param operator In, NotIn, Exists or DoesNotExist
 * @param values   non-empty for In and NotIn, empty for Exists and DoesNotExist (as the API
 *                 server validates)
 */
public record LabelSelectorRequirement(String key, Operator operator, List<String> values) {
    /** The four selector operators, with the API's spelling. */
    public enum Operator {
        IN("In"), NOT_IN("NotIn"), EXISTS("Exists"), DOES_NOT_EXIST("DoesNotExist");

        private final String spelling;

        Operator(String spelling) {
            this.spelling = spelling;
        }

        public String spelling() {
            return spelling;
        }

        /** @throws IllegalArgumentException for anything but the four API spellings */
        public static Operator parse(String text) {
            return Spellings.parse(values(), Operator::spelling, text, "In, NotIn, Exists or DoesNotExist");
        }
    }

    public LabelSelectorRequirement {
        if (key == null || key.isEmpty()) {
            throw new IllegalArgumentException("key must not be empty");
        }
        if (operator == null) {
            throw new IllegalArgumentException("operator is required");
        }
        values = List.copyOf(values);
        boolean needsValues = operator == Operator.IN || operator == Operator.NOT_IN;
        if (needsValues && values.isEmpty()) {
            throw new IllegalArgumentException("values must not be empty for operator " + operator.spelling);
        }
        if (!needsValues && !values.isEmpty()) {
            throw new IllegalArgumentException("values must be empty for operator " + operator.spelling);
        }
    }

    /**
     * Returns: whether a label set satisfies this requirement. NotIn also matches a set without
     * the key, as Kubernetes defines it.
     */
    public boolean matches(Map<String, String> labels) {
        String value = labels.get(key);
        return switch (operator) {
            case IN -> value != null && values.contains(value);
            case NOT_IN -> value == null || !values.contains(value);
            case EXISTS -> value != null;
            case DOES_NOT_EXIST -> value == null;
        };
    }
}
