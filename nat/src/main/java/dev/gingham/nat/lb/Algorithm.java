package dev.gingham.nat.lb;

/**
 * How a service picks a backend for a new flow; the {@link #code()} is stored in the backend
 * list header and never changes meaning.
 */
public enum Algorithm {
    /** kube-proxy iptables mode: uniform (weighted) over active backends, driven by the flow hash. */
    RANDOM(0),
    /** IPVS rr: each worker cycles through the active backends in list order; weights ignored. */
    ROUND_ROBIN(1),
    /** IPVS sh: a weighted pick by a hash of the client address only, so a client sticks. */
    SOURCE_HASH(2),
    /** Maglev consistent hashing of the flow hash into a per-service table. */
    MAGLEV(3);

    private final int code;

    Algorithm(int code) {
        this.code = code;
    }

    /** Returns: the stable code stored in maps. */
    public int code() {
        return code;
    }
}
