package dev.gingham.encap;

/**
 * The Don't Fragment bit of the outer IPv4 header, as Linux's VXLAN device offers it
 * ({@code ip link add ... type vxlan df unset|set|inherit}).
 *
 * <p>Inner packets are already held to the pod MTU, so the outer packet fits the underlay MTU
 * the node was configured with; DF then only decides what happens when the real underlay path
 * is narrower than configured: fragmented by a router (UNSET) or dropped with an ICMP error to
 * this node (SET).
 */
public enum OuterDf {
    /** DF clear (Linux's default for VXLAN devices, and flannel's). */
    UNSET,
    /** DF set on every outer packet. */
    SET,
    /** DF copied from an inner IPv4 packet; set for inner IPv6 (which routers never fragment). */
    INHERIT
}
