package dev.gingham.dataplane.k8s;

import dev.gingham.dataplane.config.YamlField;
import dev.gingham.nat.IpAddress;
import dev.gingham.packet.header.Addresses;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Reads v1 Pod and Namespace manifests. A pod spec has dozens of fields Gingham has no use for
 * (images, volumes, probes...), so only the parts it reads are checked strictly: the container
 * port entries, the node name, the addresses, and Gingham's own annotations.
 */
final class PodYaml {
    /** A name usable under /run/netns: no '/', not "." or "..". */
    private static final Pattern NETNS_NAME = Pattern.compile("(?!\\.{1,2}$)[^/\\x00]{1,255}");

    private PodYaml() {
    }

    /** Returns: the pod, or null for a hostNetwork pod (it uses the node's own network: not a Gingham endpoint). */
    static Pod pod(YamlField root, ObjectFields.Meta meta) {
        root.mapping("apiVersion", "kind", "metadata", "spec", "status");
        YamlField spec = root.get("spec").anyMapping();
        if (spec.get("hostNetwork").bool(false)) {
            return null;
        }
        List<ContainerPort> ports = new ArrayList<>();
        for (YamlField container : spec.get("containers").list()) {
            container.anyMapping();
            for (YamlField item : container.get("ports").list()) {
                item.mapping("containerPort", "hostIP", "hostPort", "name", "protocol");
                String name = ObjectFields.portName(item.get("name"));
                int port = ObjectFields.port(item.get("containerPort"), true);
                ports.add(new ContainerPort(name, port, ObjectFields.protocol(item.get("protocol"))));
            }
        }
        YamlField status = root.get("status").anyMapping();
        YamlField podIpField = status.get("podIP");
        IpAddress podIp = podIpField.present() ? ObjectFields.address(podIpField) : null;
        List<IpAddress> ips = new ArrayList<>();
        for (YamlField item : status.get("podIPs").list()) {
            item.mapping("ip");
            IpAddress address = ObjectFields.address(item.get("ip"));
            if (ips.stream().anyMatch(a -> a.ipv4() == address.ipv4())) {
                item.get("ip").error("a second " + (address.ipv4() ? "IPv4" : "IPv6") + " address: at most one per family");
            }
            ips.add(address);
        }
        if (podIp != null && !ips.isEmpty() && !ips.getFirst().equals(podIp)) {
            status.get("podIPs").list().getFirst().get("ip").error(ips.getFirst() + " must equal status.podIP " + podIp);
        }
        YamlField annotations = root.get("metadata").get("annotations");
        YamlField netnsField = annotations.entry(Pod.NETNS_ANNOTATION);
        String netns = netnsField.string(null);
        if (netns != null && !NETNS_NAME.matcher(netns).matches()) {
            netnsField.error("'" + netns + "' is not a network namespace name (no '/', at most 255 characters)");
        }
        YamlField macField = annotations.entry(Pod.MAC_ANNOTATION);
        long mac = macField.parsed(Addresses::parseMac, 0L);
        if (mac != 0 && ((mac >>> 40) & 1) != 0) {
            macField.error(Addresses.formatMac(mac) + " is a multicast MAC; a pod needs a unicast one");
        }
        return new Pod(meta.namespace(), meta.name(), meta.labels(), podIp, ports, spec.get("nodeName").string(""), ips,
                netns, mac);
    }

    static Namespace namespace(YamlField root, ObjectFields.Meta meta) {
        root.mapping("apiVersion", "kind", "metadata", "spec", "status");
        return Namespace.of(meta.name(), meta.labels());
    }
}
