/**
 * Source NAT state: the masquerade decision ({@link dev.gingham.nat.snat.MasqueradePolicy}),
 * per-NAT-address port bitmaps ({@link dev.gingham.nat.snat.PortAllocator}), the forward and
 * reverse mapping maps ({@link dev.gingham.nat.snat.SnatTable}) and egress gateway policies
 * ({@link dev.gingham.nat.snat.EgressGateway}), after Cilium's bpf/lib/nat.h and egress_gw.
 *
 * <p>This package keeps state and answers questions; it does not rewrite packets. The pipeline
 * asks for a mapping and rewrites addresses, ports and checksums itself.
 */
package dev.gingham.nat.snat;
