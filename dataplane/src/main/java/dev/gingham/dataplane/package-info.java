/**
 * Pipeline programs, policy, ipcache, agents, configuration, CLI, replay and fuzz.
 *
 * <p>Built so far (the NetworkPolicy issue): {@code k8s} (the Kubernetes objects policy needs, and
 * NetworkPolicy YAML), {@code identity} (security identities), {@code policy} (compilation, maps,
 * publication and the per-packet programs) and {@code flow} (flow events). The daemon that wires
 * them to TAP ports comes with a later issue; see docs/architecture.md.
 */
package dev.gingham.dataplane;
