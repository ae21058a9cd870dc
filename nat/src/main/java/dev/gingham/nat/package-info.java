/**
 * Service load-balancing (nat.lb) and source NAT (nat.snat) on Cilium-style maps.
 *
 * <p>{@code dev.gingham.nat.lb}: frontend, backend, rev-NAT, backend-list, Maglev, affinity and
 * round-robin maps; the {@code ServiceTable} control plane and the per-worker
 * {@code ServiceLookup} hot path. See docs/architecture.md.
 */
package dev.gingham.nat;
