package dev.gingham.nat.lb;

/** What made an address:port a frontend; stored in the frontend's master value for dumps and policy. */
public enum FrontendKind {
    CLUSTER_IP(1),
    NODE_PORT(2),
    LOAD_BALANCER(3),
    EXTERNAL_IP(4);

    private final int code;

    FrontendKind(int code) {
        this.code = code;
    }

    /** Returns: the stable code stored in maps. */
    public int code() {
        return code;
    }

    /** Returns: the kind with that code, or null. */
    public static FrontendKind ofCode(int code) {
        for (FrontendKind kind : values()) {
            if (kind.code == code) {
                return kind;
            }
        }
        return null;
    }
}
