package dev.gingham.dataplane.flow;

import dev.gingham.dataplane.policy.Direction;
import dev.gingham.packet.FrameVector;

/**
 * The last program of a worker's pipeline: reports every frame dropped by any program before it
 * (verdict &lt; 0) as a {@link FlowRecord#TYPE_DROP} event with its reason code, so drops anywhere
 * (parser, conntrack, NAT, encap, policy) reach the same stream without each program writing
 * events itself. Policy drops also have their own policy-verdict event (from the policy
 * program, with the policy and direction), as Cilium sends both a policy verdict and a drop
 * notification.
 */
public final class DropEvents {
    private final FlowEvents events;

    public DropEvents(FlowEvents events) {
        this.events = events;
    }

    /**
     * @param direction the direction of the chain the vector ran ({@link Direction}), or UNKNOWN; a
     *                  frame a destination's check dropped is reported as ingress ({@link Direction#ofDrop})
     * @return the number of drops reported
     */
    public int process(FrameVector v, int direction, long nowNs) {
        int reported = 0;
        for (int i = 0, n = v.count(); i < n; i++) {
            int verdict = v.verdict(i);
            if (verdict < 0 && events.report(v, i, FlowFilter.DROPS, FlowRecord.TYPE_DROP, FlowRecord.VERDICT_DROPPED,
                    -verdict, Direction.ofDrop(v, i, direction), FlowRecord.CT_NONE, 0, nowNs)) {
                reported++;
            }
        }
        return reported;
    }
}
