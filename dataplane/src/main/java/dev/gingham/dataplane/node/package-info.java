/**
 * A node's state assembled from its configuration: the shared maps (anonymous or pinned), the
 * control-plane objects that write them (service table, node routes, policy engine, endpoint
 * registry) and the per-worker pipelines that read them. The daemon, replay and tests build a
 * node the same way through {@link dev.gingham.dataplane.node.NodeState}.
 */
package dev.gingham.dataplane.node;
