package dev.gingham.nat.lb;

import dev.gingham.nat.IpAddress;

import java.util.List;

/**
 * One Kubernetes Service of one address family as the daemon derives it from the Service and its
 * EndpointSlices: the frontends it asks for and, per service port, the backends behind it. A
 * dual-stack Service becomes two specs (one per family, distinct names), as EndpointSlices are
 * per family; every address in one spec must be of one family.
 *
 * <p>The records only carry data; {@link ServiceTable#upsert} validates them and names the field
 * of the first error.
 *
 * @param namespace             metadata.namespace
 * @param name                  metadata.name (plus a family suffix for a dual-stack service)
 * @param type                  spec.type
 * @param clusterIps            spec.clusterIPs (at least one)
 * @param externalIps           spec.externalIPs
 * @param loadBalancerIps       status.loadBalancer.ingress[].ip (LoadBalancer only)
 * @param ports                 spec.ports: one frontend per port and frontend address
 * @param algorithm             backend selection
 * @param affinityTimeoutSec    sessionAffinity ClientIP timeout in seconds, 0 for sessionAffinity None
 * @param externalTrafficPolicy spec.externalTrafficPolicy (NodePort, LoadBalancer, ExternalIP traffic from outside)
 * @param internalTrafficPolicy spec.internalTrafficPolicy (traffic from pods and the node)
 * @param noBackendAction       what the data path does when no backend is usable
 * @param backends              one entry per (endpoint address, service port)
 */
public record ServiceSpec(String namespace, String name, Type type, List<IpAddress> clusterIps,
                          List<IpAddress> externalIps, List<IpAddress> loadBalancerIps, List<Port> ports,
                          Algorithm algorithm, int affinityTimeoutSec, TrafficPolicy externalTrafficPolicy,
                          TrafficPolicy internalTrafficPolicy, NoBackendAction noBackendAction,
                          List<Backend> backends) {
    /** Kubernetes' default sessionAffinityConfig.clientIP.timeoutSeconds. */
    public static final int DEFAULT_AFFINITY_TIMEOUT_SEC = 10_800;
    /** Kubernetes' upper bound for the affinity timeout (one day). */
    public static final int MAX_AFFINITY_TIMEOUT_SEC = 86_400;

    /** spec.type; ExternalName and headless services are not load-balanced and never reach here. */
    public enum Type { CLUSTER_IP, NODE_PORT, LOAD_BALANCER }

    /** Cluster: every ready backend; Local: only backends on this node. */
    public enum TrafficPolicy { CLUSTER, LOCAL }

    /** REJECT: answer ICMP port unreachable (kube-proxy's behaviour); DROP: drop silently. */
    public enum NoBackendAction { REJECT, DROP }

    /**
     * One entry of spec.ports.
     *
     * @param name     port name (unique within the service; "" for a single unnamed port)
     * @param protocol TCP or UDP (SCTP is refused)
     * @param port     the service port, 1..65535
     * @param nodePort the node port for NodePort and LoadBalancer services, 0 otherwise
     */
    public record Port(String name, L4Protocol protocol, int port, int nodePort) {
    }

    /**
     * One endpoint address serving one service port.
     *
     * @param portName   the service port (by name) this backend serves
     * @param address    endpoint address
     * @param targetPort the EndpointSlice port number for that service port
     * @param state      from the endpoint conditions (ready / terminating) or health checking
     * @param weight     relative weight 1..65535; 0 takes the backend out of new selections
     * @param nodeLocal  the endpoint runs on this node (traffic policy Local keeps only these)
     * @param zone       topology zone id, 0 when unknown (recorded for dumps and future topology hints)
     */
    public record Backend(String portName, IpAddress address, int targetPort, BackendState state, int weight,
                          boolean nodeLocal, int zone) {
    }

    /** Returns: "namespace/name", the service's identity in the table. */
    public String id() {
        return namespace + "/" + name;
    }
}
