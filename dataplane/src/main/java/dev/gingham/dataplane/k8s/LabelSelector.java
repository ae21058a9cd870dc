package dev.gingham.dataplane.k8s;

import java.util.List;
import java.util.Map;

/**
 * A metav1.LabelSelector: every {@code matchLabels} pair and every {@code matchExpressions}
 * requirement must hold (they are ANDed). The empty selector ({@link #ALL}) selects everything,
 * which is how {@code podSelector: {}} means "all pods in the namespace".
 *
 * @param matchLabels      labels that must be present with exactly these values
 * @param matchExpressions further requirements
 */
public record LabelSelector(Map<String, String> matchLabels, List<LabelSelectorRequirement> matchExpressions) {
    /** The empty selector: matches every label set. */
    public static final LabelSelector ALL = new LabelSelector(Map.of(), List.of());

    public LabelSelector {
        matchLabels = Map.copyOf(matchLabels);
        matchExpressions = List.copyOf(matchExpressions);
    }

    /** Returns: a selector of {@code matchLabels} only. */
    public static LabelSelector of(Map<String, String> matchLabels) {
        return new LabelSelector(matchLabels, List.of());
    }

    /** Returns: whether {@code labels} satisfies every pair and every requirement. */
    public boolean matches(Map<String, String> labels) {
        for (Map.Entry<String, String> e : matchLabels.entrySet()) {
            if (!e.getValue().equals(labels.get(e.getKey()))) {
                return false;
            }
        }
        for (LabelSelectorRequirement requirement : matchExpressions) {
            if (!requirement.matches(labels)) {
                return false;
            }
        }
        return true;
    }

    /** Returns: true for the empty selector, which selects everything. */
    public boolean selectsAll() {
        return matchLabels.isEmpty() && matchExpressions.isEmpty();
    }
}
