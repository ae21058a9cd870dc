package dev.gingham.dataplane.k8s;

import dev.gingham.nat.IpAddress;
import dev.gingham.nat.lb.Algorithm;

import java.util.List;
import java.util.Map;

/**
 * A v1 Service as written in a manifest, with the API server's defaults applied (type ClusterIP,
 * targetPort = port, protocol TCP, sessionAffinity None with a 10800 s timeout, traffic policies
 * Cluster). What it means for the data path is the cluster package's ServiceTranslator's job.
 *
 * @param namespace             metadata.namespace
 * @param name                  metadata.name
 * @param annotations           metadata.annotations
 * @param algorithm             the backend selection its annotation asks for ({@value #ALGORITHM_ANNOTATION}
 *                              or Cilium's {@value #CILIUM_ALGORITHM_ANNOTATION}), null for the node's default
 * @param type                  spec.type
 * @param clusterIps            spec.clusterIPs (or spec.clusterIP), empty for a headless or ExternalName service
 * @param headless              spec.clusterIP is "None"
 * @param externalName          spec.externalName, "" unless ExternalName
 * @param ports                 spec.ports
 * @param externalIps           spec.externalIPs
 * @param loadBalancerIngress   status.loadBalancer.ingress[].ip
 * @param clientIpAffinity      spec.sessionAffinity is ClientIP
 * @param affinityTimeoutSec    spec.sessionAffinityConfig.clientIP.timeoutSeconds (default 10800)
 * @param externalTrafficLocal  spec.externalTrafficPolicy is Local
 * @param internalTrafficLocal  spec.internalTrafficPolicy is Local
 * @param selector              spec.selector (Gingham reads endpoints from EndpointSlices; kept for dumps)
 * @param ipFamilies            spec.ipFamilies ("IPv4", "IPv6"), empty when not given
 * @param publishNotReadyAddresses spec.publishNotReadyAddresses: not-ready endpoints are used as if ready
 */
public record Service(String namespace, String name, Map<String, String> annotations, Algorithm algorithm, Type type, List<IpAddress> clusterIps,
                      boolean headless, String externalName, List<Port> ports, List<IpAddress> externalIps,
                      List<IpAddress> loadBalancerIngress, boolean clientIpAffinity, int affinityTimeoutSec,
                      boolean externalTrafficLocal, boolean internalTrafficLocal, Map<String, String> selector,
                      List<String> ipFamilies, boolean publishNotReadyAddresses) {
    /** Gingham's annotation choosing the backend selection: random, round-robin, source-hash or maglev. */
    public static final String ALGORITHM_ANNOTATION = "service.gingham.dev/lb-algorithm";
    /** Cilium's equivalent (Cilium 1.17+, values random and maglev); accepted with Gingham's values too. */
    public static final String CILIUM_ALGORITHM_ANNOTATION = "service.cilium.io/lb-algorithm";
    /** Kubernetes' default sessionAffinityConfig.clientIP.timeoutSeconds (3 hours). */
    public static final int DEFAULT_AFFINITY_TIMEOUT_SEC = 10_800;
    /** Kubernetes' largest allowed affinity timeout (one day). */
    public static final int MAX_AFFINITY_TIMEOUT_SEC = 86_400;

    /** spec.type with the API's spellings. */
    public enum Type {
        CLUSTER_IP("ClusterIP"), NODE_PORT("NodePort"), LOAD_BALANCER("LoadBalancer"), EXTERNAL_NAME("ExternalName");

        private final String spelling;

        Type(String spelling) {
            this.spelling = spelling;
        }

        public String spelling() {
            return spelling;
        }
    }

    /**
     * One entry of spec.ports.
     *
     * @param name       the port's name ("" when the service has a single unnamed port)
     * @param protocol   TCP, UDP or SCTP
     * @param port       the service port
     * @param targetPort where traffic goes on the endpoints: a number, or a container port name
     * @param nodePort   the node port (NodePort and LoadBalancer), 0 when not given
     */
    public record Port(String name, Protocol protocol, int port, TargetPort targetPort, int nodePort) {
    }

    /**
     * spec.ports[].targetPort: an int or a string naming a container port.
     *
     * @param number the port number, 0 when named
     * @param name   the container port's name, "" when numeric
     */
    public record TargetPort(int number, String name) {
        public static TargetPort of(int number) {
            return new TargetPort(number, "");
        }

        public static TargetPort named(String name) {
            return new TargetPort(0, name);
        }

        public boolean isNamed() {
            return !name.isEmpty();
        }

        @Override
        public String toString() {
            return isNamed() ? name : Integer.toString(number);
        }
    }

    public Service {
        annotations = Map.copyOf(annotations);
        clusterIps = List.copyOf(clusterIps);
        ports = List.copyOf(ports);
        externalIps = List.copyOf(externalIps);
        loadBalancerIngress = List.copyOf(loadBalancerIngress);
        selector = Map.copyOf(selector);
        ipFamilies = List.copyOf(ipFamilies);
    }

    /** Returns: "namespace/name". */
    public String key() {
        return namespace + "/" + name;
    }
}
