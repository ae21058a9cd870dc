/**
 * Services and NAT on Cilium-style maps.
 *
 * <p>{@code dev.gingham.nat.lb}: service load balancing (frontend, backend, rev-NAT, backend-list,
 * Maglev, affinity and round-robin maps; the {@code ServiceTable} control plane and the per-worker
 * {@code ServiceLookup} hot path). {@code dev.gingham.nat.snat}: SNAT state (masquerade decision,
 * port allocator, mappings, egress gateway). This package: the programs that rewrite packets with
 * them ({@code ServiceNat}, {@code ReverseServiceNat}, {@code Masquerade}, {@code ReverseSnat}),
 * the rewrite primitives they share ({@code NatRewriter}, {@code IcmpErrorTranslator}) and the
 * conntrack expiry listener that releases SNAT ports. See docs/architecture.md.
 */
package dev.gingham.nat;
