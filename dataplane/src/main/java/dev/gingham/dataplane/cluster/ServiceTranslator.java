package dev.gingham.dataplane.cluster;

import dev.gingham.dataplane.config.NodeConfig;
import dev.gingham.dataplane.k8s.EndpointSlice;
import dev.gingham.dataplane.k8s.ManifestKind;
import dev.gingham.dataplane.k8s.ManifestObject;
import dev.gingham.dataplane.k8s.Protocol;
import dev.gingham.dataplane.k8s.Service;
import dev.gingham.nat.IpAddress;
import dev.gingham.nat.lb.BackendState;
import dev.gingham.nat.lb.L4Protocol;
import dev.gingham.nat.lb.ServiceSpec;
import dev.gingham.packet.Cidr;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Services and their EndpointSlices to the load balancer's {@link ServiceSpec}s, with the
 * semantics kube-proxy gives them:
 * <ul>
 *   <li>One spec per address family of the service (the family of {@code clusterIPs[0]} keeps the
 *       service's name, the second family's spec is named {@code name/ipv6} or {@code name/ipv4}),
 *       fed by the EndpointSlices of that family. Headless and ExternalName services are not
 *       load-balanced and give no spec.</li>
 *   <li>Ports: {@code port} to the EndpointSlice port of the same name and protocol. This is how
 *       a named {@code targetPort} resolves: the EndpointSlice controller writes each pod's number
 *       for the name, and pods that number it differently land in different slices, each with its
 *       own number. A slice without the port contributes no backend to it (as in kube-proxy). SCTP
 *       ports are left out with a warning (the balancer balances TCP and UDP).</li>
 *   <li>Frontends: the ClusterIPs (must lie in the node's serviceCIDRs), NodePorts on every node
 *       address (required: no allocator, and in {@code services.nodePortRange}), externalIPs and
 *       LoadBalancer ingress IPs of the spec's family.</li>
 *   <li>Endpoints: the first address of each (as kube-proxy); ready gives ACTIVE, serving and
 *       terminating gives TERMINATING (kept for existing flows only), anything else is left out;
 *       {@code publishNotReadyAddresses} makes every listed endpoint ACTIVE. An endpoint listed by two
 *       slices counts once, with the better state. {@code nodeLocal} when its nodeName is this node.</li>
 *   <li>Affinity ClientIP with its timeout (default 10800 s), traffic policies, the algorithm of
 *       the service's annotation or the node's default, and the node's no-backend action.</li>
 * </ul>
 * A pure function of its inputs: the same manifests and configuration always give the same specs.
 */
public final class ServiceTranslator {
    private ServiceTranslator() {
    }

    /**
     * The specs of a manifest set, and which object each came from.
     *
     * @param specs    every spec, in manifest order
     * @param origins  the Service object each spec (by {@link ServiceSpec#id()}) came from
     * @param warnings ports and endpoints left out, and why
     */
    public record Translation(List<ServiceSpec> specs, Map<String, ManifestObject> origins, List<String> warnings) {
        public Translation {
            specs = List.copyOf(specs);
            origins = Map.copyOf(origins);
            warnings = List.copyOf(warnings);
        }
    }

    /**
     * @throws dev.gingham.dataplane.k8s.ManifestException naming file, Service and field for every service
     *         that contradicts the node configuration
     */
    public static Translation translate(ManifestSet set, NodeConfig config) {
        Findings findings = new Findings();
        Map<String, Integer> zones = zoneIds(set);
        List<ServiceSpec> specs = new ArrayList<>();
        Map<String, ManifestObject> origins = new HashMap<>();
        for (ManifestObject object : set.objects(ManifestKind.SERVICE)) {
            Service service = object.as(Service.class);
            if (service.headless() || service.type() == Service.Type.EXTERNAL_NAME) {
                continue;
            }
            if (!check(object, service, config, findings)) {
                continue;
            }
            List<Service.Port> ports = new ArrayList<>();
            for (int i = 0; i < service.ports().size(); i++) {
                Service.Port port = service.ports().get(i);
                if (port.protocol() == Protocol.SCTP) {
                    findings.warn(object, "spec.ports[" + i + "] is SCTP: not load-balanced (TCP and UDP only), left out");
                } else {
                    ports.add(port);
                }
            }
            if (ports.isEmpty()) {
                continue;
            }
            for (int f = 0; f < service.clusterIps().size(); f++) {
                boolean ipv4 = service.clusterIps().get(f).ipv4();
                String name = f == 0 ? service.name() : service.name() + (ipv4 ? "/ipv4" : "/ipv6");
                ServiceSpec spec = spec(object, service, name, ipv4, ports, slices(set, service, ipv4), config, zones, findings);
                specs.add(spec);
                origins.put(spec.id(), object);
            }
        }
        findings.throwIfAny();
        return new Translation(specs, origins, findings.warnings());
    }

    /** Checks what depends on the node configuration; returns false (problems recorded) when the service cannot be used. */
    private static boolean check(ManifestObject object, Service service, NodeConfig config, Findings findings) {
        boolean ok = true;
        for (int i = 0; i < service.clusterIps().size(); i++) {
            IpAddress ip = service.clusterIps().get(i);
            String field = i == 0 ? "spec.clusterIP" : "spec.clusterIPs[" + i + "]";
            List<Cidr> family = config.serviceCidrs().stream().filter(c -> c.ipv4() == ip.ipv4()).toList();
            if (family.stream().noneMatch(c -> c.contains(ip.hi(), ip.lo()))) {
                findings.error(object, field, ip + " is not inside the node's serviceCIDRs " + config.serviceCidrs());
                ok = false;
            }
        }
        if (service.type() != Service.Type.CLUSTER_IP) {
            NodeConfig.Services s = config.services();
            for (int i = 0; i < service.ports().size(); i++) {
                int nodePort = service.ports().get(i).nodePort();
                String field = "spec.ports[" + i + "].nodePort";
                if (nodePort == 0) {
                    findings.error(object, field, "is required for a " + service.type().spelling()
                            + " service: Gingham allocates no node ports; pick one in " + s.nodePortMin() + "-" + s.nodePortMax());
                    ok = false;
                } else if (nodePort < s.nodePortMin() || nodePort > s.nodePortMax()) {
                    findings.error(object, field, nodePort + " is outside the node's services.nodePortRange "
                            + s.nodePortMin() + "-" + s.nodePortMax());
                    ok = false;
                }
            }
        }
        return ok;
    }

    private static List<ManifestObject> slices(ManifestSet set, Service service, boolean ipv4) {
        EndpointSlice.AddressType type = ipv4 ? EndpointSlice.AddressType.IPV4 : EndpointSlice.AddressType.IPV6;
        return set.objects(ManifestKind.ENDPOINT_SLICE).stream()
                .filter(o -> {
                    EndpointSlice slice = o.as(EndpointSlice.class);
                    return slice.namespace().equals(service.namespace()) && slice.serviceName().equals(service.name())
                            && slice.addressType() == type;
                })
                .toList();
    }

    private static ServiceSpec spec(ManifestObject object, Service service, String name, boolean ipv4, List<Service.Port> ports,
                                    List<ManifestObject> slices, NodeConfig config, Map<String, Integer> zones, Findings findings) {
        List<ServiceSpec.Port> specPorts = new ArrayList<>();
        Map<List<Object>, ServiceSpec.Backend> backends = new LinkedHashMap<>();
        for (Service.Port port : ports) {
            L4Protocol protocol = port.protocol() == Protocol.UDP ? L4Protocol.UDP : L4Protocol.TCP;
            specPorts.add(new ServiceSpec.Port(port.name(), protocol, port.port(),
                    service.type() == Service.Type.CLUSTER_IP ? 0 : port.nodePort()));
            for (ManifestObject sliceObject : slices) {
                EndpointSlice slice = sliceObject.as(EndpointSlice.class);
                EndpointSlice.Port slicePort = slice.ports().stream()
                        .filter(p -> p.name().equals(port.name()) && p.protocol() == port.protocol() && p.port() != 0)
                        .findFirst().orElse(null);
                if (slicePort == null) {
                    if (!slice.endpoints().isEmpty()) {
                        findings.warn(sliceObject, "has no port '" + port.name() + "'/" + port.protocol() + ", so "
                                + object.ref() + " port " + (port.name().isEmpty() ? port.port() : port.name())
                                + " gets none of its endpoints");
                    }
                    continue;
                }
                for (EndpointSlice.Endpoint endpoint : slice.endpoints()) {
                    BackendState state = state(endpoint, service.publishNotReadyAddresses());
                    if (state == null) {
                        continue;
                    }
                    IpAddress address = endpoint.addresses().getFirst();
                    ServiceSpec.Backend backend = new ServiceSpec.Backend(port.name(), address, slicePort.port(), state, 1,
                            endpoint.nodeName().equals(config.nodeName()), zones.getOrDefault(endpoint.zone(), 0));
                    backends.merge(List.of(port.name(), address, slicePort.port()), backend,
                            (a, b) -> a.state() == BackendState.ACTIVE ? a : b);
                }
            }
        }
        return new ServiceSpec(service.namespace(), name, type(service.type()), family(service.clusterIps(), ipv4),
                family(service.externalIps(), ipv4), family(service.loadBalancerIngress(), ipv4), specPorts,
                service.algorithm() != null ? service.algorithm() : config.services().defaultAlgorithm(),
                service.clientIpAffinity() ? service.affinityTimeoutSec() : 0,
                service.externalTrafficLocal() ? ServiceSpec.TrafficPolicy.LOCAL : ServiceSpec.TrafficPolicy.CLUSTER,
                service.internalTrafficLocal() ? ServiceSpec.TrafficPolicy.LOCAL : ServiceSpec.TrafficPolicy.CLUSTER,
                config.services().noBackendAction(), List.copyOf(backends.values()));
    }

    /** Returns: the backend state of an endpoint's conditions, or null when it takes no traffic at all. */
    static BackendState state(EndpointSlice.Endpoint endpoint, boolean publishNotReady) {
        if (endpoint.ready() || publishNotReady) {
            return BackendState.ACTIVE;
        }
        if (endpoint.serving() && endpoint.terminating()) {
            return BackendState.TERMINATING;
        }
        return null;
    }

    private static ServiceSpec.Type type(Service.Type type) {
        return switch (type) {
            case NODE_PORT -> ServiceSpec.Type.NODE_PORT;
            case LOAD_BALANCER -> ServiceSpec.Type.LOAD_BALANCER;
            default -> ServiceSpec.Type.CLUSTER_IP;
        };
    }

    private static List<IpAddress> family(List<IpAddress> addresses, boolean ipv4) {
        return addresses.stream().filter(a -> a.ipv4() == ipv4).toList();
    }

    /** Zone names to small ids (1.., in name order): recorded on backends for dumps, so ids only need to be stable within a set. */
    private static Map<String, Integer> zoneIds(ManifestSet set) {
        Set<String> names = new TreeSet<>();
        for (EndpointSlice slice : set.endpointSlices()) {
            for (EndpointSlice.Endpoint endpoint : slice.endpoints()) {
                if (!endpoint.zone().isEmpty()) {
                    names.add(endpoint.zone());
                }
            }
        }
        Map<String, Integer> ids = new HashMap<>();
        for (String zone : names) {
            ids.put(zone, Math.min(ids.size() + 1, 0xFFFF));
        }
        return ids;
    }
}
