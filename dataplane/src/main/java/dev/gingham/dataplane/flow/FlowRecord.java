package dev.gingham.dataplane.flow;

/**
 * The fixed 64-byte binary flow record workers write into a {@link FlowRing}: numbers only (no
 * names, no strings), native byte order, one cache line.
 *
 * <pre>
 *  0  time ns (u64, the worker's cached clock)
 *  8  source address (16 bytes: hi u64, lo u64; IPv4-mapped for IPv4)
 * 24  destination address (16 bytes)
 * 40  source port u16 | 42 destination port u16
 * 44  protocol u8 | 45 type u8 | 46 verdict u8 | 47 direction u8
 * 48  drop code u16 | 50 conntrack status u8 | 51 flags u8
 * 52  source identity u32 | 56 destination identity u32 | 60 policy id u32
 * </pre>
 */
public final class FlowRecord {
    public static final int BYTES = 64;

    public static final int TIME_NS = 0;
    public static final int SRC_HI = 8;
    public static final int SRC_LO = 16;
    public static final int DST_HI = 24;
    public static final int DST_LO = 32;
    public static final int SRC_PORT = 40;
    public static final int DST_PORT = 42;
    public static final int PROTOCOL = 44;
    public static final int TYPE = 45;
    public static final int VERDICT = 46;
    public static final int DIRECTION = 47;
    public static final int DROP_CODE = 48;
    public static final int CT_STATUS = 50;
    public static final int FLAGS = 51;
    public static final int SRC_IDENTITY = 52;
    public static final int DST_IDENTITY = 56;
    public static final int POLICY_ID = 60;

    /** Type: a policy decision (allowed, denied or audited), like Hubble's PolicyVerdict. */
    public static final int TYPE_POLICY_VERDICT = 1;
    /** Type: a drop, for any reason anywhere in the pipeline. */
    public static final int TYPE_DROP = 2;

    /** Verdict: the packet went on. */
    public static final int VERDICT_FORWARDED = 1;
    /** Verdict: the packet was dropped. */
    public static final int VERDICT_DROPPED = 2;
    /** Verdict: policy would have dropped it; audit mode let it pass. */
    public static final int VERDICT_AUDIT = 3;

    /** Conntrack status unknown (the program did not look). */
    public static final int CT_NONE = 0xFF;

    private FlowRecord() {
    }

    /** Returns: "policy-verdict", "drop" or "unknown". */
    public static String typeName(int type) {
        return switch (type) {
            case TYPE_POLICY_VERDICT -> "policy-verdict";
            case TYPE_DROP -> "drop";
            default -> "unknown";
        };
    }

    /** Returns: "FORWARDED", "DROPPED", "AUDIT" or "UNKNOWN" (Hubble's spellings). */
    public static String verdictName(int verdict) {
        return switch (verdict) {
            case VERDICT_FORWARDED -> "FORWARDED";
            case VERDICT_DROPPED -> "DROPPED";
            case VERDICT_AUDIT -> "AUDIT";
            default -> "UNKNOWN";
        };
    }
}
