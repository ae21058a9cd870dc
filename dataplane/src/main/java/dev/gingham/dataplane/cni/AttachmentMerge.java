package dev.gingham.dataplane.cni;

import dev.gingham.dataplane.cluster.ManifestSet;
import dev.gingham.dataplane.k8s.ManifestKind;
import dev.gingham.dataplane.k8s.ManifestObject;
import dev.gingham.dataplane.k8s.Namespace;
import dev.gingham.dataplane.k8s.Pod;
import dev.gingham.nat.IpAddress;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * Turns the CNI attachments into Pods of the manifest set the node applies, so an attachment
 * goes through the same checks and the same atomic apply as a manifest change: the Pod of the
 * same namespace/name, when the cluster source has one, keeps its labels (its identity and
 * policy) and container ports and takes the attachment's addresses, namespace path and this node;
 * a pod the cluster does not know yet becomes a Pod without labels (and its namespace a Namespace
 * without labels, when the set has none). The attachment wins over what a manifest says of
 * addresses: the daemon gave them out.
 */
public final class AttachmentMerge {
    /** The file name merged objects are reported under in messages. */
    static final String SOURCE = "cni-attachments";

    private AttachmentMerge() {
    }

    /**
     * Returns: {@code cluster} with the attachments' Pods merged in.
     *
     * @throws dev.gingham.dataplane.k8s.ManifestException when an attachment contradicts the cluster
     *         (an address another Pod claims); {@code cluster} is unchanged
     */
    public static ManifestSet merge(ManifestSet cluster, Collection<CniAttachment> attachments, String nodeName) {
        if (attachments.isEmpty()) {
            return cluster;
        }
        List<ManifestObject> extra = new ArrayList<>();
        java.util.Set<String> namespaces = new java.util.HashSet<>(ManifestSet.BUILT_IN_NAMESPACES);
        cluster.namespaces().forEach(n -> namespaces.add(n.name()));
        int document = 0;
        for (CniAttachment a : attachments) {
            document++;
            ManifestObject.Source source = new ManifestObject.Source(SOURCE, document, 0, a.key());
            ManifestObject existing = cluster.object(new ManifestObject.Ref(ManifestKind.POD, a.podNamespace(), a.podName()));
            List<IpAddress> ips = a.ips().stream().map(IpAddress::parse).toList();
            Pod pod = existing == null
                    ? new Pod(a.podNamespace(), a.podName(), Map.of(), null, List.of(), nodeName, ips, a.netns(), 0)
                    : merged(existing.as(Pod.class), nodeName, ips, a.netns());
            extra.add(new ManifestObject(new ManifestObject.Ref(ManifestKind.POD, a.podNamespace(), a.podName()),
                    source, pod));
            if (namespaces.add(a.podNamespace())) {
                extra.add(new ManifestObject(new ManifestObject.Ref(ManifestKind.NAMESPACE, "", a.podNamespace()), source,
                        Namespace.of(a.podNamespace(), Map.of())));
            }
        }
        return cluster.with(extra);
    }

    private static Pod merged(Pod pod, String nodeName, List<IpAddress> ips, String netns) {
        return new Pod(pod.namespace(), pod.name(), pod.labels(), null, pod.ports(), nodeName, ips, netns, pod.mac());
    }
}
