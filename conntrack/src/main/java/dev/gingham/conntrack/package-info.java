/**
 * Connection tracking, as Cilium's bpf/lib/conntrack.h: {@link dev.gingham.conntrack.CtKey} and
 * {@link dev.gingham.conntrack.CtEntry} flyweights, {@link dev.gingham.conntrack.CtTable} (TCP and
 * non-TCP maps, lookup / create / account on the hot path, explicit keys for the NAT module's
 * service entries), TCP state tracking ({@link dev.gingham.conntrack.CtTcp}), lifetimes, budgeted
 * expiry ({@link dev.gingham.conntrack.CtSweeper}) and related ICMP errors.
 */
package dev.gingham.conntrack;
