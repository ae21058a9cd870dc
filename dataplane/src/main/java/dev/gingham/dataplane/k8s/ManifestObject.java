package dev.gingham.dataplane.k8s;

/**
 * One object of a manifests directory, with where it was written.
 *
 * @param ref    its kind, namespace and name
 * @param source the file, document and line it came from
 * @param object the record ({@link Pod}, {@link Service}, {@link EndpointSlice}, {@link Node},
 *               {@link Namespace}, {@link NetworkPolicy} or {@link CiliumEgressGatewayPolicy})
 */
public record ManifestObject(Ref ref, Source source, Object object) {

    /**
     * An object's identity: kinds are distinct, and cluster-scoped kinds have no namespace.
     *
     * @param kind      its kind
     * @param namespace its namespace, "" for cluster-scoped kinds
     * @param name      its name
     */
    public record Ref(ManifestKind kind, String namespace, String name) {
        /** Returns: "Service shop/web", or "Node node-b" for a cluster-scoped kind. */
        @Override
        public String toString() {
            return kind.kind() + " " + (namespace.isEmpty() ? name : namespace + "/" + name);
        }
    }

    /**
     * Where an object was written.
     *
     * @param file     the file name (relative to the manifests directory)
     * @param document 1-based document number in the file
     * @param line     the line the document starts on, 0 when unknown
     * @param item     the object's path inside its document: "items[2]" in a {@code kind: List}, "" otherwise
     */
    public record Source(String file, int document, int line, String item) {
        public Source(String file, int document, int line) {
            this(file, document, line, "");
        }

        /** Returns: the path of {@code field} of the object within its document ("items[2].spec.clusterIP"). */
        public String field(String field) {
            return item.isEmpty() ? field : field.isEmpty() ? item : item + "." + field;
        }

        /** Returns: "services.yaml: document 2 (line 14)". */
        @Override
        public String toString() {
            return file + ": document " + document + (line > 0 ? " (line " + line + ")" : "");
        }
    }

    /** Returns: the object as a {@code type}. */
    public <T> T as(Class<T> type) {
        return type.cast(object);
    }
}
