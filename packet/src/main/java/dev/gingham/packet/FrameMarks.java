package dev.gingham.packet;

/**
 * The bits of a frame's mark ({@link FrameVector#mark(int)}), kept in one place so programs in
 * different modules never claim the same bit. A mark carries, from one program to a later one in
 * the same pass, a fact the later one cannot see in the bytes (as Cilium's programs pass facts in
 * {@code skb->mark} and the per-packet metadata).
 *
 * <pre>
 *  bit 31  30            29             28          27           26            0..25
 *      -   SNAT_TO_NODE  CT_ACCOUNTED   CT_CREATED  REVERSE_NAT  INGRESS_DROP  free
 * </pre>
 */
public final class FrameMarks {
    /**
     * External-scope traffic DNATed to a backend on another node: the masquerade program must
     * source-NAT it behind the node address (set by the service program, which already flagged
     * the flow's conntrack entry for SNAT).
     */
    public static final int SNAT_TO_NODE = 1 << 30;
    /** The frame is already accounted on its conntrack entry: later programs must not count it again. */
    public static final int CT_ACCOUNTED = 1 << 29;
    /**
     * This pass created the frame's conntrack entry (the source pod's egress policy allowed a new
     * connection); the destination's ingress policy still treats it as new and deletes the entry
     * if it denies.
     */
    public static final int CT_CREATED = 1 << 28;
    /**
     * A reply whose addresses a reverse NAT program put back (service rev-NAT or reverse SNAT):
     * it belongs to a flow that was translated on the way in, so it must not be source-NATed
     * again on the way out, and it may leave towards the outside even when it entered from it.
     */
    public static final int REVERSE_NAT = 1 << 27;
    /**
     * The frame was dropped by a check made for its destination endpoint (its ingress policy),
     * so its drop counts in direction ingress whichever chain it ran in: a pod-to-pod frame runs
     * the source pod's chain (egress) but is refused at the destination's door, as Cilium reports
     * a local destination's policy drop as ingress.
     */
    public static final int INGRESS_DROP = 1 << 26;

    private FrameMarks() {
    }
}
