package dev.gingham.nat.lb;

/**
 * Where a packet to a frontend comes from, as Cilium's service scopes: traffic policies apply
 * per scope. The values are stored in frontend keys.
 */
public final class Scope {
    /** From outside the cluster (NodePort, LoadBalancer, ExternalIP): externalTrafficPolicy. */
    public static final int EXTERNAL = 0;
    /** From a pod or the node: internalTrafficPolicy. */
    public static final int INTERNAL = 1;

    private Scope() {
    }
}
