/**
 * NetworkPolicy enforcement: the compiler (semantics to per-endpoint allow rows), the maps and
 * their publication (a whole update at once), the per-packet lookup and the ingress/egress
 * program, and {@code PolicyEngine}, which keeps all of it in step with the cluster.
 */
package dev.gingham.dataplane.policy;
