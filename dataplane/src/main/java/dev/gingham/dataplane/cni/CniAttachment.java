package dev.gingham.dataplane.cni;

import java.util.List;

/**
 * One pod interface the CNI plugin asked for and the daemon made: the CNI key
 * {@code (containerId, ifname)} (the network is the node's one), where it lives and what it got.
 *
 * @param containerId  CNI_CONTAINERID
 * @param ifname       CNI_IFNAME
 * @param netns        CNI_NETNS, the namespace path
 * @param podNamespace the Pod's namespace (K8S_POD_NAMESPACE, or {@value #DEFAULT_NAMESPACE})
 * @param podName      the Pod's name (K8S_POD_NAME, or "cni-" and the container ID's first 12 characters)
 * @param ips          its addresses (text), one per family
 */
public record CniAttachment(String containerId, String ifname, String netns, String podNamespace, String podName,
                            List<String> ips) {
    /** Where a pod without Kubernetes arguments goes (a namespace every cluster has). */
    public static final String DEFAULT_NAMESPACE = "default";
    private static final int GENERATED_NAME_ID_CHARS = 12;

    public CniAttachment {
        ips = List.copyOf(ips);
    }

    /** Returns: the CNI key: "containerId/ifname". */
    public String key() {
        return key(containerId, ifname);
    }

    static String key(String containerId, String ifname) {
        return containerId + "/" + ifname;
    }

    /** Returns: the Pod's "namespace/name". */
    public String podKey() {
        return podNamespace + "/" + podName;
    }

    /** Returns: the Pod namespace of a request: K8S_POD_NAMESPACE, else {@value #DEFAULT_NAMESPACE}. */
    static String podNamespace(CniWire.Request request) {
        return request.podNamespace() == null || request.podNamespace().isEmpty() ? DEFAULT_NAMESPACE : request.podNamespace();
    }

    /** Returns: the Pod name of a request: K8S_POD_NAME, else "cni-" and the container ID's first 12 characters (lowercase). */
    static String podName(CniWire.Request request) {
        if (request.podName() != null && !request.podName().isEmpty()) {
            return request.podName();
        }
        String id = request.containerId().toLowerCase(java.util.Locale.ROOT).replaceAll("[^a-z0-9.-]", "-");
        return "cni-" + id.substring(0, Math.min(GENERATED_NAME_ID_CHARS, id.length()));
    }
}
