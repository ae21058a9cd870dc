package dev.gingham.dataplane.program;

/**
 * What is on the other end of a port, which decides the program chain its frames run through
 * (Cilium attaches bpf_lxc to pod devices, bpf_host to the host device and bpf_overlay /
 * the netdev program to the wire).
 */
public enum PortRole {
    /** A pod's TAP device: anti-spoofing, the gateway's ARP, services, egress policy. */
    POD,
    /** The wire: other nodes (tunnels or native routes) and the world outside the cluster. */
    UNDERLAY,
    /** The node's own network stack (the host's TAP, like cilium_host). */
    HOST
}
