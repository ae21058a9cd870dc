package dev.gingham.dataplane.policy;

import dev.gingham.dataplane.k8s.Protocol;

/**
 * What one endpoint allows, in one direction, for one peer identity: every protocol and port
 * ({@code anyProtocol}), or per protocol a set of ports. Immutable; rows of several rules and
 * policies for the same peer merge by union, which is all NetworkPolicy ever does.
 *
 * @param anyProtocol every protocol and port (a rule without ports)
 * @param tcp         TCP ports allowed (when not anyProtocol)
 * @param udp         UDP ports allowed
 * @param sctp        SCTP ports allowed
 * @param policyId    the lowest id of the policies that contributed (flow events name it)
 */
public record PolicyRow(boolean anyProtocol, PortRanges tcp, PortRanges udp, PortRanges sctp, int policyId) {
    /** Returns: the row "everything", from policy {@code policyId}. */
    public static PolicyRow any(int policyId) {
        return new PolicyRow(true, PortRanges.NONE, PortRanges.NONE, PortRanges.NONE, policyId);
    }

    /** Returns: the row allowing {@code ports} of {@code protocol}. */
    public static PolicyRow ports(Protocol protocol, PortRanges ports, int policyId) {
        return new PolicyRow(false,
                protocol == Protocol.TCP ? ports : PortRanges.NONE,
                protocol == Protocol.UDP ? ports : PortRanges.NONE,
                protocol == Protocol.SCTP ? ports : PortRanges.NONE, policyId);
    }

    /** Returns: true when the row allows nothing (a named port that resolved to no number). */
    public boolean allowsNothing() {
        return !anyProtocol && tcp.isEmpty() && udp.isEmpty() && sctp.isEmpty();
    }

    /** Returns: the union of both rows; the policy id is the lower of the two. */
    public PolicyRow union(PolicyRow other) {
        if (anyProtocol && policyId <= other.policyId) {
            return this;
        }
        if (anyProtocol || other.anyProtocol) {
            return any(Math.min(policyId, other.policyId));
        }
        return new PolicyRow(false, tcp.union(other.tcp), udp.union(other.udp), sctp.union(other.sctp),
                Math.min(policyId, other.policyId));
    }

    /** Returns: the ports of one protocol. */
    public PortRanges ports(Protocol protocol) {
        return switch (protocol) {
            case TCP -> tcp;
            case UDP -> udp;
            case SCTP -> sctp;
        };
    }

    /** Returns: whether a packet of IP protocol {@code protocol} to {@code port} is allowed (the slow reference of the maps' answer). */
    public boolean allows(int protocol, int port) {
        if (anyProtocol) {
            return true;
        }
        for (Protocol p : Protocol.values()) {
            if (p.number() == protocol) {
                return ports(p).contains(port);
            }
        }
        return false;
    }
}
