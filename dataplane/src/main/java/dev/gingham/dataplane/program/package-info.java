/**
 * The node pipeline: the programs that turn the libraries (conntrack, NAT, overlay, policy)
 * into a node's data path, in the order Cilium's bpf_lxc, bpf_host and bpf_overlay run them,
 * and {@link dev.gingham.dataplane.program.NodePipeline}, which runs the chain that fits a
 * vector's ingress port. The daemon's workers, replay and the fuzzer all run frames through
 * {@code NodePipeline}, so what replay shows is what a node does.
 */
package dev.gingham.dataplane.program;
