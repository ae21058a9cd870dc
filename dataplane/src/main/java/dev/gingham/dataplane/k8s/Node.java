package dev.gingham.dataplane.k8s;

import dev.gingham.nat.IpAddress;
import dev.gingham.packet.Cidr;

import java.util.List;
import java.util.Map;

/**
 * A v1 Node as routing needs it: its pod CIDRs and how to reach it. Flannel's annotations are read
 * too, so Gingham nodes and flannel (VXLAN backend) nodes can share an overlay: flannel publishes
 * the address its VXLAN device sends from ({@value #FLANNEL_PUBLIC_IP}) and the device's MAC
 * ({@value #FLANNEL_BACKEND_DATA}, JSON {@code {"VNI":1,"VtepMAC":"..."}}), which a Linux VXLAN
 * device requires as the inner destination MAC.
 *
 * @param name           metadata.name
 * @param labels         metadata.labels
 * @param podCidrs       spec.podCIDRs (or spec.podCIDR)
 * @param internalIps    status.addresses of type InternalIP
 * @param externalIps    status.addresses of type ExternalIP
 * @param flannelPublicIp flannel's public-ip (public-ip-overwrite wins), null when absent
 * @param flannelVtepMac the VtepMAC of flannel's backend-data, 0 when absent
 * @param underlayMac    annotation {@value #UNDERLAY_MAC}: the MAC outer frames to this node are sent to, 0 when absent
 */
public record Node(String name, Map<String, String> labels, List<Cidr> podCidrs, List<IpAddress> internalIps,
                   List<IpAddress> externalIps, IpAddress flannelPublicIp, long flannelVtepMac, long underlayMac) {
    public static final String FLANNEL_PUBLIC_IP = "flannel.alpha.coreos.com/public-ip";
    public static final String FLANNEL_PUBLIC_IP_OVERWRITE = "flannel.alpha.coreos.com/public-ip-overwrite";
    public static final String FLANNEL_BACKEND_DATA = "flannel.alpha.coreos.com/backend-data";
    /** The MAC outer frames to this node go to (its underlay interface, or the router towards it). */
    public static final String UNDERLAY_MAC = "gingham.dev/underlay-mac";

    public Node {
        labels = Map.copyOf(labels);
        podCidrs = List.copyOf(podCidrs);
        internalIps = List.copyOf(internalIps);
        externalIps = List.copyOf(externalIps);
    }
}
