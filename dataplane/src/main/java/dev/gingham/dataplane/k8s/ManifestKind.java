package dev.gingham.dataplane.k8s;

/**
 * The kinds Gingham reads from a manifests directory, with the apiVersion each must have. Every
 * other kind (Deployment, ConfigMap...) is skipped with one warning line.
 */
public enum ManifestKind {
    NAMESPACE("v1", "Namespace", false),
    POD("v1", "Pod", true),
    NODE("v1", "Node", false),
    SERVICE("v1", "Service", true),
    ENDPOINT_SLICE("discovery.k8s.io/v1", "EndpointSlice", true),
    NETWORK_POLICY(NetworkPolicyYaml.API_VERSION, NetworkPolicyYaml.KIND, true),
    CILIUM_EGRESS_GATEWAY_POLICY(CiliumEgressGatewayPolicy.API_VERSION, CiliumEgressGatewayPolicy.KIND, false);

    private final String apiVersion;
    private final String kind;
    private final boolean namespaced;

    ManifestKind(String apiVersion, String kind, boolean namespaced) {
        this.apiVersion = apiVersion;
        this.kind = kind;
        this.namespaced = namespaced;
    }

    /** Returns: the apiVersion manifests of this kind must name. */
    public String apiVersion() {
        return apiVersion;
    }

    /** Returns: the kind as manifests spell it. */
    public String kind() {
        return kind;
    }

    /** Returns: false for cluster-scoped kinds (Namespace, Node, CiliumEgressGatewayPolicy). */
    public boolean namespaced() {
        return namespaced;
    }

    /** Returns: the kind spelt {@code text}, or null when Gingham does not read it. */
    public static ManifestKind of(String text) {
        for (ManifestKind k : values()) {
            if (k.kind.equals(text)) {
                return k;
            }
        }
        return null;
    }
}
