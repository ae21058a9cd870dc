package dev.gingham.dataplane.identity;

import dev.gingham.dataplane.k8s.Namespace;
import dev.gingham.dataplane.k8s.Pod;

import java.util.Collections;
import java.util.HashMap;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The label set that defines a pod's security identity: its namespace, its own labels and its
 * namespace's labels. Pods with equal security labels share one identity, whatever their names
 * or addresses, which is what keeps policy maps small: a policy map row is per identity, not per
 * pod.
 *
 * <p>Kept as three parts so selectors match without parsing prefixes back out; {@link #flat()}
 * gives the single map Cilium shows: pod labels as they are,
 * {@value #NAMESPACE_LABEL}={@code namespace}, and every namespace label under
 * {@value #NAMESPACE_LABELS_PREFIX}. Pod labels whose keys start with either reserved key are
 * dropped: a pod must not be able to claim another namespace's labels by labelling itself.
 *
 * @param namespace       the pod's namespace
 * @param podLabels       the pod's labels (reserved keys removed)
 * @param namespaceLabels the namespace's labels
 */
public record SecurityLabels(String namespace, Map<String, String> podLabels, Map<String, String> namespaceLabels) {
    /** Cilium's label for the pod's namespace. */
    public static final String NAMESPACE_LABEL = "io.kubernetes.pod.namespace";
    /** Cilium's prefix for the namespace's labels in an identity's label set. */
    public static final String NAMESPACE_LABELS_PREFIX = "io.cilium.k8s.namespace.labels.";

    public SecurityLabels {
        Map<String, String> own = new HashMap<>();
        podLabels.forEach((k, v) -> {
            if (!k.startsWith(NAMESPACE_LABELS_PREFIX) && !k.equals(NAMESPACE_LABEL)) {
                own.put(k, v);
            }
        });
        podLabels = Map.copyOf(own);
        namespaceLabels = Map.copyOf(namespaceLabels);
    }

    /**
     * Returns: the security labels of {@code pod}, which must live in {@code namespace}.
     *
     * @throws IllegalArgumentException when the namespace is another one
     */
    public static SecurityLabels of(Pod pod, Namespace namespace) {
        if (!pod.namespace().equals(namespace.name())) {
            throw new IllegalArgumentException("pod " + pod.key() + " is not in namespace " + namespace.name());
        }
        return new SecurityLabels(pod.namespace(), pod.labels(), namespace.labels());
    }

    /** Returns: the one sorted label map, as Cilium lists an identity's labels. */
    public SortedMap<String, String> flat() {
        TreeMap<String, String> all = new TreeMap<>(podLabels);
        all.put(NAMESPACE_LABEL, namespace);
        namespaceLabels.forEach((k, v) -> all.put(NAMESPACE_LABELS_PREFIX + k, v));
        return Collections.unmodifiableSortedMap(all);
    }
}
