/**
 * The node daemon ({@code gingham run}): a {@link dev.gingham.dataplane.node.ConfiguredNode} wired
 * to real devices (a TAP per local pod in the pod's network namespace, the host TAP, the underlay's
 * packet sockets), worker and control agents on threads, hot reload of the manifests directory,
 * and a graceful stop.
 */
package dev.gingham.dataplane.daemon;
