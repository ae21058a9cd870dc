package dev.gingham.dataplane.flow;

/**
 * Which flow events a worker writes: by kind, one in N of those (sampling), and optionally only
 * those involving one identity. Immutable; the control agent swaps a new one into
 * {@link FlowEvents#filter(FlowFilter)} and workers pick it up on their next event, so changing it
 * never stops traffic. Rejected events cost a few compares; accepted ones a 64-byte write.
 *
 * @param kinds       bit mask of {@link #POLICY_ALLOWED}, {@link #POLICY_DENIED}, {@link #POLICY_AUDITED}, {@link #DROPS}
 * @param sampleEvery write one accepted event in this many (1 = every one); counted per worker
 * @param identity    only events whose source or destination identity is this one (0 = any)
 */
public record FlowFilter(int kinds, int sampleEvery, int identity) {
    /** Policy verdicts that allowed a new connection. */
    public static final int POLICY_ALLOWED = 1;
    /** Policy verdicts that dropped a packet. */
    public static final int POLICY_DENIED = 1 << 1;
    /** Policy verdicts in audit mode (would drop, passed). */
    public static final int POLICY_AUDITED = 1 << 2;
    /** Drops for any reason. */
    public static final int DROPS = 1 << 3;

    /** Everything. */
    public static final FlowFilter ALL = new FlowFilter(POLICY_ALLOWED | POLICY_DENIED | POLICY_AUDITED | DROPS, 1, 0);
    /** Nothing: the default when no one is watching. */
    public static final FlowFilter NONE = new FlowFilter(0, 1, 0);
    /** Drops only (what operators ask for first). */
    public static final FlowFilter DROPS_ONLY = new FlowFilter(DROPS, 1, 0);

    public FlowFilter {
        if (sampleEvery < 1) {
            throw new IllegalArgumentException("sampleEvery " + sampleEvery + " must be at least 1");
        }
        if ((kinds & ~(POLICY_ALLOWED | POLICY_DENIED | POLICY_AUDITED | DROPS)) != 0) {
            throw new IllegalArgumentException("unknown flow kinds 0x" + Integer.toHexString(kinds));
        }
    }

    /** Returns: this filter sampling one in {@code n}. */
    public FlowFilter sampled(int n) {
        return new FlowFilter(kinds, n, identity);
    }

    /** Returns: this filter restricted to events involving {@code identityToWatch}. */
    public FlowFilter involving(int identityToWatch) {
        return new FlowFilter(kinds, sampleEvery, identityToWatch);
    }

    /** Returns: whether an event of {@code kind} between these identities passes (before sampling). */
    public boolean accepts(int kind, int srcIdentity, int dstIdentity) {
        return (kinds & kind) != 0 && (identity == 0 || identity == srcIdentity || identity == dstIdentity);
    }
}
