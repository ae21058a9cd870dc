package dev.gingham.encap;

/**
 * How this node reaches pods on other nodes, and what each way costs in bytes.
 *
 * <p>The overhead is what the mode adds to the inner IP packet inside an underlay IP packet of
 * the underlay MTU, so the pod MTU is {@code underlayMtu - overheadBytes}: VXLAN and Geneve carry
 * the inner Ethernet header (14) behind outer IPv4 (20), UDP (8) and their own 8-byte header;
 * IPIP carries the inner IP packet behind one outer IPv4 header; native routing adds nothing.
 * Overheads are for an IPv4 underlay, the only one built (an IPv6 underlay adds 20 more).
 */
public enum TunnelMode {
    /** VXLAN (RFC 7348): UDP 8472 by default (Linux, flannel and Cilium), 4789 (IANA) configurable. */
    VXLAN(50),
    /** Geneve (RFC 8926): UDP 6081; 50 bytes plus options (this node sends none). */
    GENEVE(50),
    /** IPv4-in-IPv4 (RFC 2003), IP protocol 4 (41 for an inner IPv6 packet). */
    IPIP(20),
    /** No encapsulation: the next hop is the destination's node (flannel host-gw, Calico BGP). */
    NATIVE(0);

    private final int overheadBytes;

    TunnelMode(int overheadBytes) {
        this.overheadBytes = overheadBytes;
    }

    /** Returns: the bytes the mode adds in front of the inner IP packet, counted against the underlay MTU. */
    public int overheadBytes() {
        return overheadBytes;
    }

    /** Returns: true for the modes that wrap the frame in UDP (VXLAN, Geneve). */
    public boolean udp() {
        return this == VXLAN || this == GENEVE;
    }
}
