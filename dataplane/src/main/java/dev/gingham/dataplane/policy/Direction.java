package dev.gingham.dataplane.policy;

import dev.gingham.packet.FrameMarks;
import dev.gingham.packet.FrameVector;

/**
 * Traffic direction as seen from a local endpoint, as ints so frames, map keys and flow records
 * carry no objects: ingress is checked at the destination pod, egress at the source pod.
 */
public final class Direction {
    /** Not known or not applicable (a drop before any endpoint was found). */
    public static final int UNKNOWN = 0;
    /** Towards the endpoint: checked against the destination pod's ingress policy. */
    public static final int INGRESS = 1;
    /** Away from the endpoint: checked against the source pod's egress policy. */
    public static final int EGRESS = 2;

    private Direction() {
    }

    /**
     * Returns: the direction a dropped frame is counted and reported in: ingress when a
     * destination's check dropped it ({@link FrameMarks#INGRESS_DROP}), else the direction of the
     * chain it ran ({@code chainDirection}: egress from a pod, ingress from the underlay or host).
     */
    public static int ofDrop(FrameVector v, int i, int chainDirection) {
        return (v.mark(i) & FrameMarks.INGRESS_DROP) != 0 ? INGRESS : chainDirection;
    }

    /** Returns: "ingress", "egress" or "unknown". */
    public static String name(int direction) {
        return switch (direction) {
            case INGRESS -> "ingress";
            case EGRESS -> "egress";
            default -> "unknown";
        };
    }
}
