package dev.gingham.dataplane.cni;

import java.util.List;

/**
 * What the plugin and the daemon send each other over the admin API ({@code POST /v1/cni/add},
 * {@code /v1/cni/del}, {@code /v1/cni/check}, JSON): the runtime's request as the plugin read it,
 * the attachment the daemon made, and an error in CNI's own shape, so the plugin passes the
 * daemon's code on unchanged.
 */
public final class CniWire {
    private CniWire() {
    }

    /**
     * One CNI call, as the daemon needs it.
     *
     * @param containerId  CNI_CONTAINERID
     * @param ifname       CNI_IFNAME, the interface name inside the pod
     * @param netns        CNI_NETNS, the namespace path ("" on a DEL without one)
     * @param podNamespace K8S_POD_NAMESPACE from CNI_ARGS ("" when the runtime is not Kubernetes)
     * @param podName      K8S_POD_NAME from CNI_ARGS ("" when absent)
     */
    public record Request(String containerId, String ifname, String netns, String podNamespace, String podName) {
    }

    /**
     * An address of the pod and its gateway.
     *
     * @param address the pod's address with the prefix length configured on its interface ("10.244.1.5/32")
     * @param gateway the gateway the default route goes via
     */
    public record Ip(String address, String gateway) {
    }

    /** A route in the pod: {@code dst} via {@code gw}. */
    public record Route(String dst, String gw) {
    }

    /**
     * What the daemon attached.
     *
     * @param pod       "namespace/name" of the Pod the attachment became
     * @param ifname    the interface name in the pod
     * @param mac       its MAC ("0a:58:0a:f4:01:05")
     * @param sandbox   the namespace path
     * @param mtuBytes  its MTU
     * @param ips       one address per family
     * @param routes    the default routes
     */
    public record Attached(String pod, String ifname, String mac, String sandbox, int mtuBytes, List<Ip> ips,
                           List<Route> routes) {
        public Attached {
            ips = List.copyOf(ips);
            routes = List.copyOf(routes);
        }
    }

    /** An error: the CNI error result's code, msg and details. */
    public record Failure(int code, String msg, String details) {
    }
}
