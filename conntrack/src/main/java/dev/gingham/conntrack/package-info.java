/**
 * Connection tracking: tuple and entry flyweights, TCP and non-TCP tables, TCP state tracking, lifetimes and expiry, related ICMP. (Services/conntrack/NAT issue.)
 *
 * <p>This module holds only its package declaration until its issue starts; see docs/architecture.md.
 */
package dev.gingham.conntrack;
