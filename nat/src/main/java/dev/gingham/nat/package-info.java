/**
 * Service load-balancing (nat.lb) and source NAT (nat.snat) on Cilium-style maps. (Services/conntrack/NAT issue.)
 *
 * <p>This module holds only its package declaration until its issue starts; see docs/architecture.md.
 */
package dev.gingham.nat;
