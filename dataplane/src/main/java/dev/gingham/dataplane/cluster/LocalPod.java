package dev.gingham.dataplane.cluster;

import dev.gingham.dataplane.k8s.Pod;

/**
 * A pod on this node, as the daemon needs it to give the pod its interface: the pod (addresses,
 * network namespace), its endpoint slot (the index policy maps and per-endpoint arrays use), the
 * MAC its interface gets, and its security identity (what the endpoint map records for it).
 *
 * @param pod      the Pod object
 * @param slot     its endpoint slot, 0..maps.endpoints-1, stable while the pod exists
 * @param mac      the {@code gingham.dev/mac} annotation, or 0a:58 followed by its IPv4 address (the
 *                 last four bytes of its IPv6 address for an IPv6-only pod)
 * @param identity its security identity, 0 when no policy engine is wired
 */
public record LocalPod(Pod pod, int slot, long mac, int identity) {
    /** Returns: "namespace/name". */
    public String key() {
        return pod.key();
    }

    /** Returns: the same pod with another identity. */
    LocalPod withIdentity(int newIdentity) {
        return new LocalPod(pod, slot, mac, newIdentity);
    }
}
