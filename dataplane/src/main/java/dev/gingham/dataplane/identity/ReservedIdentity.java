package dev.gingham.dataplane.identity;

/**
 * Identities that exist on every node without allocation, numbered as Cilium numbers them
 * (pkg/identity: {@code ReservedIdentityHost} = 1 ...), so flow logs and counters read the same
 * numbers as {@code cilium monitor} and Hubble. 0 is never an identity: in policy maps it is the
 * wildcard "any peer", and on a frame it means "not resolved".
 */
public final class ReservedIdentity {
    /** Not an identity: the wildcard key in policy maps, "unresolved" on a frame. */
    public static final int UNKNOWN = 0;
    /** The local node (host network namespace). */
    public static final int HOST = 1;
    /** Anything outside the cluster that no CIDR identity covers (both families). */
    public static final int WORLD = 2;
    /** Endpoints Gingham does not manage. */
    public static final int UNMANAGED = 3;
    /** The node's health-check endpoint. */
    public static final int HEALTH = 4;
    /** An endpoint whose labels are not known yet. */
    public static final int INIT = 5;
    /** Every other node of the cluster. */
    public static final int REMOTE_NODE = 6;
    /** Nodes running a kube-apiserver. */
    public static final int KUBE_APISERVER = 7;
    /** The source address of connections from ingress proxies. */
    public static final int INGRESS = 8;
    /** IPv4 addresses outside the cluster (dual-stack split of WORLD). */
    public static final int WORLD_IPV4 = 9;
    /** IPv6 addresses outside the cluster (dual-stack split of WORLD). */
    public static final int WORLD_IPV6 = 10;

    /** The first identity allocated for pod label sets (Cilium's MinimalNumericIdentity). */
    public static final int MIN_POD_IDENTITY = 256;
    /** The last identity allocated for pod label sets (Cilium's cluster-0 maximum). */
    public static final int MAX_POD_IDENTITY = 65_535;
    /** Scope bit of node-local identities, which CIDR identities are (Cilium's LocalIdentityFlag). */
    public static final int LOCAL_SCOPE = 1 << 24;
    /** The first CIDR identity. */
    public static final int MIN_CIDR_IDENTITY = LOCAL_SCOPE | 1;
    /** The last CIDR identity. */
    public static final int MAX_CIDR_IDENTITY = LOCAL_SCOPE | 0xFF_FFFF;

    private static final String[] NAMES = {
        "unknown", "host", "world", "unmanaged", "health", "init", "remote-node", "kube-apiserver", "ingress",
        "world-ipv4", "world-ipv6",
    };

    private ReservedIdentity() {
    }

    /** Returns: true for 1..10. */
    public static boolean isReserved(int identity) {
        return identity > UNKNOWN && identity <= WORLD_IPV6;
    }

    /** Returns: true for WORLD, WORLD_IPV4 and WORLD_IPV6. */
    public static boolean isWorld(int identity) {
        return identity == WORLD || identity == WORLD_IPV4 || identity == WORLD_IPV6;
    }

    /** Returns: true for identities with the local-scope bit (CIDR identities). */
    public static boolean isCidr(int identity) {
        return (identity & 0xFF00_0000) == LOCAL_SCOPE;
    }

    /** Returns: Cilium's name for a reserved identity ("reserved:world"), or null for others. */
    public static String name(int identity) {
        return identity >= 0 && identity < NAMES.length ? "reserved:" + NAMES[identity] : null;
    }
}
