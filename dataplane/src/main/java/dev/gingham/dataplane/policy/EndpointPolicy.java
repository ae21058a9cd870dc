package dev.gingham.dataplane.policy;

/**
 * One local endpoint's compiled policy, both directions.
 *
 * @param identity the endpoint's own identity (flow events carry it)
 * @param ingress  what may reach it
 * @param egress   what it may reach
 */
public record EndpointPolicy(int identity, DirectionPolicy ingress, DirectionPolicy egress) {
    /** Returns: the policy of {@code direction} ({@link Direction#INGRESS} or {@link Direction#EGRESS}). */
    public DirectionPolicy direction(int direction) {
        return direction == Direction.INGRESS ? ingress : egress;
    }
}
