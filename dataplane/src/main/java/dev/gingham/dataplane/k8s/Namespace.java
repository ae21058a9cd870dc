package dev.gingham.dataplane.k8s;

import java.util.HashMap;
import java.util.Map;

/**
 * A Namespace as policy sees it: its name and labels. The API server (1.21+) labels every
 * namespace {@value #NAME_LABEL}={@code name}; this record adds that label too, so selectors
 * written against it (the usual way to select one namespace by name) work the same here.
 *
 * @param name   the namespace name
 * @param labels its labels, including {@value #NAME_LABEL}
 */
public record Namespace(String name, Map<String, String> labels) {
    /** The label the API server puts on every namespace, holding its name. */
    public static final String NAME_LABEL = "kubernetes.io/metadata.name";

    public Namespace {
        if (name == null || name.isEmpty()) {
            throw new IllegalArgumentException("namespace name must not be empty");
        }
        Map<String, String> all = new HashMap<>(labels);
        all.put(NAME_LABEL, name);
        labels = Map.copyOf(all);
    }

    public static Namespace of(String name, Map<String, String> labels) {
        return new Namespace(name, labels);
    }
}
