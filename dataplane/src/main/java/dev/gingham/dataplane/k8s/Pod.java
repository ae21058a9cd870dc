package dev.gingham.dataplane.k8s;

import dev.gingham.nat.IpAddress;

import java.util.List;
import java.util.Map;

/**
 * A Pod as Gingham sees it: where it lives, its labels (which give it its identity), its
 * addresses, the container ports named ports resolve through, the node it runs on, and, for pods
 * on this node, where the daemon finds its network namespace.
 *
 * @param namespace the pod's namespace
 * @param name      the pod's name
 * @param labels    the pod's labels
 * @param ip        status.podIP, the first of {@code ips} (IPv4-mapped for IPv4); null before one is assigned
 * @param ports     the container ports of all its containers
 * @param nodeName  spec.nodeName: the node it runs on, "" when not scheduled
 * @param ips       status.podIPs: every address, one per family, {@code ip} first
 * @param netns     the network namespace the daemon moves the pod's device into: annotation
 *                  {@value #NETNS_ANNOTATION}, by default the pod's name
 * @param mac       the pod interface's MAC from annotation {@value #MAC_ANNOTATION}, 0 to derive one
 */
public record Pod(String namespace, String name, Map<String, String> labels, IpAddress ip, List<ContainerPort> ports,
                  String nodeName, List<IpAddress> ips, String netns, long mac) {
    /** Names the network namespace (under /run/netns) a local pod's interface goes into. */
    public static final String NETNS_ANNOTATION = "gingham.dev/netns";
    /** Fixes a local pod's interface MAC ("aa:bb:cc:dd:ee:ff"); without it the daemon derives one from the address. */
    public static final String MAC_ANNOTATION = "gingham.dev/mac";

    public Pod {
        if (namespace == null || namespace.isEmpty() || name == null || name.isEmpty()) {
            throw new IllegalArgumentException("pod namespace and name must not be empty");
        }
        labels = Map.copyOf(labels);
        ports = List.copyOf(ports);
        nodeName = nodeName == null ? "" : nodeName;
        ips = ips == null ? List.of() : List.copyOf(ips);
        if (ips.isEmpty() && ip != null) {
            ips = List.of(ip);
        }
        if (ip == null && !ips.isEmpty()) {
            ip = ips.getFirst();
        }
        if (ip != null && !ip.equals(ips.getFirst())) {
            throw new IllegalArgumentException("pod " + namespace + "/" + name + ": podIP " + ip + " must be the first of podIPs " + ips);
        }
        netns = netns == null || netns.isEmpty() ? name : netns;
    }

    /** A pod as policy alone needs it: not scheduled, its address its only one. */
    public Pod(String namespace, String name, Map<String, String> labels, IpAddress ip, List<ContainerPort> ports) {
        this(namespace, name, labels, ip, ports, "", List.of(), null, 0);
    }

    /**
     * Returns: the port numbers a named port resolves to on this pod for {@code protocol}; more
     * than one when containers reuse a name (the API allows it across containers), none when
     * the pod declares no such port.
     */
    public int[] resolve(String portName, Protocol protocol) {
        return ports.stream()
                .filter(p -> p.protocol() == protocol && p.name().equals(portName))
                .mapToInt(ContainerPort::port)
                .toArray();
    }

    /** Returns: "namespace/name". */
    public String key() {
        return namespace + "/" + name;
    }

    /** Returns: the same pod with other labels (a label change on a running pod). */
    public Pod withLabels(Map<String, String> newLabels) {
        return new Pod(namespace, name, newLabels, ip, ports, nodeName, ips, netns, mac);
    }

    /** Returns: the same pod scheduled on {@code node} with these addresses (tests, replay). */
    public Pod on(String node, List<IpAddress> addresses) {
        return new Pod(namespace, name, labels, null, ports, node, addresses, netns, mac);
    }
}
