package dev.gingham.conntrack;

/**
 * What a conntrack lookup found, as Cilium's {@code CT_NEW / CT_ESTABLISHED / CT_REPLY /
 * CT_RELATED}: plain ints so the hot path moves no enum references. Negative lookup results
 * are drop verdicts, not statuses.
 */
public final class CtStatus {
    /** No entry: the frame starts a flow (create one if policy allows). */
    public static final int NEW = 0;
    /** An entry keyed by the frame's own tuple: the frame travels in the flow's original direction. */
    public static final int ESTABLISHED = 1;
    /** An entry keyed by the frame's reversed tuple: the frame is a reply. */
    public static final int REPLY = 2;
    /** An ICMP error about a packet of a tracked flow. */
    public static final int RELATED = 3;

    private CtStatus() {
    }

    /** Returns: the status's name ("REPLY"), or "?" for anything else. */
    public static String name(int status) {
        return switch (status) {
            case NEW -> "NEW";
            case ESTABLISHED -> "ESTABLISHED";
            case REPLY -> "REPLY";
            case RELATED -> "RELATED";
            default -> "?";
        };
    }
}
