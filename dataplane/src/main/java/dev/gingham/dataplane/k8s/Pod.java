package dev.gingham.dataplane.k8s;

import dev.gingham.nat.IpAddress;

import java.util.List;
import java.util.Map;

/**
 * A Pod as policy sees it: where it lives, its labels (which give it its identity), its address
 * and the container ports named ports resolve through.
 *
 * @param namespace the pod's namespace
 * @param name      the pod's name
 * @param labels    the pod's labels
 * @param ip        the pod's address (IPv4-mapped for IPv4)
 * @param ports     the container ports of all its containers
 */
public record Pod(String namespace, String name, Map<String, String> labels, IpAddress ip, List<ContainerPort> ports) {
    public Pod {
        if (namespace == null || namespace.isEmpty() || name == null || name.isEmpty()) {
            throw new IllegalArgumentException("pod namespace and name must not be empty");
        }
        labels = Map.copyOf(labels);
        ports = List.copyOf(ports);
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
        return new Pod(namespace, name, newLabels, ip, ports);
    }
}
