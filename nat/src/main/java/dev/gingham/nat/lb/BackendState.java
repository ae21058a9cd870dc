package dev.gingham.nat.lb;

/**
 * Backend lifecycle, as EndpointSlice conditions and health checks give it. The {@link #code()}
 * is stored in the backend map; 0 is never used, so a zeroed entry is never mistaken for ACTIVE.
 */
public enum BackendState {
    /** Ready: may be chosen for new flows. */
    ACTIVE(1),
    /** Terminating: never chosen for new flows; existing flows keep it (its entry stays). */
    TERMINATING(2),
    /** Failed a health check: never chosen; its entry stays so existing flows still resolve. */
    QUARANTINED(3);

    private final int code;

    BackendState(int code) {
        this.code = code;
    }

    /** Returns: the stable code stored in the backend map. */
    public int code() {
        return code;
    }
}
