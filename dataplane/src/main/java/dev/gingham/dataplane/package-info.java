/**
 * Pipeline programs, policy, ipcache, agents, configuration, CLI, replay and fuzz.
 *
 * <p>Built so far (the NetworkPolicy issue): {@code k8s} (the Kubernetes objects policy needs, and
 * NetworkPolicy YAML), {@code identity} (security identities), {@code policy} (compilation, maps,
 * publication and the per-packet programs) and {@code flow} (flow events); from the replay/fuzz
 * issue, {@code replay} (pcap and pcapng reading and writing, vectors fed from captures) and
 * {@code fuzz} (frame generators and mutators, invariants, the fuzz harness and loop). The daemon
 * that wires them to TAP ports, and the replay and fuzz commands, come with later work; see
 * docs/architecture.md.
 */
package dev.gingham.dataplane;
