package dev.gingham.dataplane.k8s;

import dev.gingham.nat.IpAddress;

import java.util.List;

/**
 * A discovery.k8s.io/v1 EndpointSlice: the endpoints of one service for one address family, as
 * the EndpointSlice controller (or a user) writes them.
 *
 * @param namespace   metadata.namespace (the service's)
 * @param name        metadata.name
 * @param serviceName the {@value #SERVICE_NAME_LABEL} label: which service the slice belongs to ("" when absent)
 * @param addressType IPv4, IPv6 or FQDN (FQDN slices are not load-balanced, as in kube-proxy)
 * @param endpoints   endpoints[]
 * @param ports       ports[]
 */
public record EndpointSlice(String namespace, String name, String serviceName, AddressType addressType,
                            List<Endpoint> endpoints, List<Port> ports) {
    /** The label tying a slice to its service. */
    public static final String SERVICE_NAME_LABEL = "kubernetes.io/service-name";

    /** addressType with the API's spellings. */
    public enum AddressType {
        IPV4("IPv4"), IPV6("IPv6"), FQDN("FQDN");

        private final String spelling;

        AddressType(String spelling) {
            this.spelling = spelling;
        }

        public String spelling() {
            return spelling;
        }
    }

    /**
     * One endpoint. Conditions are resolved as the API documents them: an unset {@code ready}
     * means ready, an unset {@code serving} means the same as {@code ready}, an unset
     * {@code terminating} means not terminating.
     *
     * @param addresses   its addresses (the API allows several; consumers use the first, as kube-proxy does)
     * @param ready       conditions.ready
     * @param serving     conditions.serving
     * @param terminating conditions.terminating
     * @param nodeName    nodeName, "" when not given
     * @param zone        zone, "" when not given
     */
    public record Endpoint(List<IpAddress> addresses, boolean ready, boolean serving, boolean terminating, String nodeName,
                           String zone) {
        public Endpoint {
            addresses = List.copyOf(addresses);
        }
    }

    /**
     * One entry of ports[].
     *
     * @param name     matches a service port's name ("" for the unnamed port)
     * @param protocol TCP, UDP or SCTP
     * @param port     the endpoints' port number
     */
    public record Port(String name, Protocol protocol, int port) {
    }

    public EndpointSlice {
        endpoints = List.copyOf(endpoints);
        ports = List.copyOf(ports);
    }
}
