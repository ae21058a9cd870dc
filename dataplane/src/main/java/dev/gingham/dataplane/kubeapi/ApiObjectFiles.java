package dev.gingham.dataplane.kubeapi;

import dev.gingham.dataplane.k8s.ManifestKind;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Turns an object from an informer cache into the pseudo-file {@code ManifestSet.of} reads: one
 * YAML document per object, named {@code Kind/namespace/name} ({@code Kind/name} for cluster-scoped
 * kinds), so every message of the manifest readers names the object it is about, and the whole
 * set is checked exactly as a manifests directory is.
 *
 * <p>Objects are trimmed before they are written, for two reasons. The fingerprint: fields the API
 * server rewrites without any change Gingham could see (resourceVersion, managedFields, a pod's
 * container statuses and conditions, a node's heartbeats and images) would otherwise make every
 * status update look like a new cluster state and rebuild the maps for nothing. And the cost: a
 * pod spec carries images, environment, volumes and probes the readers never look at. What is kept
 * is what the readers in {@code k8s} read: metadata name, namespace, labels and annotations; a
 * pod's node name, hostNetwork, container names and ports, and addresses; a node's spec and
 * addresses; every other kind whole. A reader that starts to use another pod or node field must be
 * matched here ({@code ApiObjectFilesTest} pins the kept fields).
 *
 * <p>Pods are also where an API server differs from a directory: a pod has no address until its
 * sandbox exists, and a finished pod keeps its address after the address was given to another
 * pod. Such pods are left out with a warning line instead of failing the whole set.
 *
 * <p>Serializing is the dearest step of a snapshot (about two thirds of its time for 2,000
 * objects, measured by {@code KubeApiScaleTest}), so the pseudo-file of each object is kept with
 * the uid and resourceVersion it was written from and reused while the API server reports the
 * same pair: a burst that changes one object serializes one object. The uid is part of the key
 * because a resourceVersion alone is only unique within one history of the server's storage: an
 * object deleted and created again on a restarted (or restored) server may get a version an
 * earlier object of that name had; its uid is new. Not thread-safe: one snapshot at a time
 * ({@code KubeApiSource} holds its build lock).
 */
final class ApiObjectFiles {
    /** kubectl's copy of the whole object, as big as the object and of no use here. */
    static final String LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration";
    private static final Set<String> METADATA_KEPT = Set.of("name", "namespace", "labels", "annotations");
    private static final Set<String> POD_SPEC_KEPT = Set.of("nodeName", "hostNetwork", "containers");
    private static final Set<String> CONTAINER_KEPT = Set.of("name", "ports");
    private static final Set<String> POD_STATUS_KEPT = Set.of("podIP", "podIPs");
    private static final Set<String> NODE_STATUS_KEPT = Set.of("addresses");
    private static final Set<String> FINISHED_PHASES = Set.of("Succeeded", "Failed");

    private final KubernetesSerialization serialization;
    private final Map<String, Written> written = new HashMap<>();
    private long snapshot;

    /**
     * An object as last written.
     *
     * @param version         uid and resourceVersion it was written from
     * @param file            its pseudo-file, or null when it was skipped
     * @param skip            why it was skipped, or null
     * @param snapshot        the last snapshot that saw it (entries of deleted objects are dropped)
     */
    private record Written(String version, String file, String skip, long snapshot) {
    }

    /** @param serialization the client's (it knows the model classes and how fabric8 writes YAML) */
    ApiObjectFiles(KubernetesSerialization serialization) {
        this.serialization = serialization;
    }

    /** Returns: the pseudo-file name of an object: {@code Kind/namespace/name}, or {@code Kind/name} when cluster-scoped. */
    static String fileName(ManifestKind kind, String namespace, String name) {
        return kind.namespaced() ? kind.kind() + "/" + namespace + "/" + name : kind.kind() + "/" + name;
    }

    /** Starts a snapshot: {@link #add} the objects of every cache, then {@link #finish()}. */
    void begin() {
        snapshot++;
    }

    /**
     * Adds {@code object} as one pseudo-file to {@code files}, or, for a pod that cannot take part
     * yet (no address) or any more (finished), one line to {@code skipped}.
     */
    void add(ManifestKind kind, HasMetadata object, Map<String, String> files, List<String> skipped) {
        String name = fileName(kind, object.getMetadata().getNamespace(), object.getMetadata().getName());
        String resourceVersion = object.getMetadata().getResourceVersion();
        String version = resourceVersion == null ? null : object.getMetadata().getUid() + "/" + resourceVersion;
        Written last = written.get(name);
        if (last == null || version == null || !version.equals(last.version())) {
            last = write(kind, object, version);
        }
        written.put(name, new Written(last.version(), last.file(), last.skip(), snapshot));
        if (last.skip() != null) {
            skipped.add(name + ": skipped: " + last.skip());
        } else {
            files.put(name, last.file());
        }
    }

    /** Ends a snapshot: forgets the objects it did not see (deleted ones). */
    void finish() {
        written.values().removeIf(w -> w.snapshot() != snapshot);
    }

    private Written write(ManifestKind kind, HasMetadata object, String version) {
        ObjectNode tree = serialization.convertValue(object, ObjectNode.class);
        String skip = kind == ManifestKind.POD ? podSkipReason(tree) : null;
        if (skip != null) {
            return new Written(version, null, skip, snapshot);
        }
        trim(kind, tree);
        return new Written(version, serialization.asYaml(tree), null, snapshot);
    }

    /** Returns: why a pod is left out, or null. A hostNetwork pod is kept: the reader skips it with its own warning. */
    private static String podSkipReason(ObjectNode pod) {
        JsonNode status = pod.path("status");
        String phase = status.path("phase").asString("");
        if (FINISHED_PHASES.contains(phase)) {
            return "phase " + phase + " (a finished pod's address may already be another pod's)";
        }
        if (pod.path("spec").path("hostNetwork").asBoolean(false)) {
            return null;
        }
        if (status.path("podIP").asString("").isEmpty() && status.path("podIPs").isEmpty()) {
            return "no status.podIP yet (phase " + (phase.isEmpty() ? "unknown" : phase) + "); it joins when it has an address";
        }
        return null;
    }

    /** Keeps what the manifest readers read (see the class comment); sets apiVersion and kind, which list items may lack. */
    static void trim(ManifestKind kind, ObjectNode tree) {
        tree.put("apiVersion", kind.apiVersion());
        tree.put("kind", kind.kind());
        if (tree.get("metadata") instanceof ObjectNode metadata) {
            metadata.retain(METADATA_KEPT);
            if (metadata.get("annotations") instanceof ObjectNode annotations) {
                annotations.remove(LAST_APPLIED);
            }
        }
        switch (kind) {
            case POD -> {
                if (tree.get("spec") instanceof ObjectNode spec) {
                    spec.retain(POD_SPEC_KEPT);
                    if (spec.get("containers") instanceof ArrayNode containers) {
                        for (JsonNode container : containers) {
                            if (container instanceof ObjectNode c) {
                                c.retain(CONTAINER_KEPT);
                            }
                        }
                    }
                }
                if (tree.get("status") instanceof ObjectNode status) {
                    status.retain(POD_STATUS_KEPT);
                }
            }
            case NODE -> {
                if (tree.get("status") instanceof ObjectNode status) {
                    status.retain(NODE_STATUS_KEPT);
                }
            }
            default -> {
            }
        }
    }
}
