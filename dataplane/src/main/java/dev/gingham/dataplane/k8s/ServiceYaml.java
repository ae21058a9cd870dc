package dev.gingham.dataplane.k8s;

import dev.gingham.dataplane.config.AlgorithmNames;
import dev.gingham.dataplane.config.YamlField;
import dev.gingham.nat.IpAddress;
import dev.gingham.nat.lb.Algorithm;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Reads v1 Service and discovery.k8s.io/v1 EndpointSlice manifests, validating what the API
 * server validates and applying its defaults. Every field of the Service and EndpointSlice APIs
 * is known here; the ones Gingham does not use (loadBalancerSourceRanges, hints...) are accepted
 * and ignored, and anything else is an unknown-field error (a misspelt {@code targetport:} must
 * not silently send traffic to the service port).
 */
final class ServiceYaml {
    private static final String[] SERVICE_SPEC = {"allocateLoadBalancerNodePorts", "clusterIP", "clusterIPs", "externalIPs",
            "externalName", "externalTrafficPolicy", "healthCheckNodePort", "internalTrafficPolicy", "ipFamilies",
            "ipFamilyPolicy", "loadBalancerClass", "loadBalancerIP", "loadBalancerSourceRanges", "ports",
            "publishNotReadyAddresses", "selector", "sessionAffinity", "sessionAffinityConfig", "trafficDistribution", "type"};
    private static final List<String> TRAFFIC_POLICIES = List.of("Cluster", "Local");
    private static final List<String> FAMILIES = List.of("IPv4", "IPv6");
    private static final String NONE = "None";

    private ServiceYaml() {
    }

    static Service service(YamlField root, ObjectFields.Meta meta) {
        root.mapping("apiVersion", "kind", "metadata", "spec", "status");
        YamlField spec = root.get("spec").mapping(SERVICE_SPEC);
        Service.Type type = spec.get("type").choice(Service.Type.CLUSTER_IP, List.of(Service.Type.values()), Service.Type::spelling);
        Algorithm algorithm = algorithm(root.get("metadata").get("annotations"));

        // clusterIP / clusterIPs: the API keeps them in step; "None" alone means headless.
        YamlField clusterIpField = spec.get("clusterIP");
        YamlField clusterIpsField = spec.get("clusterIPs");
        String clusterIp = clusterIpField.string(null);
        List<String> clusterIpTexts = new ArrayList<>();
        for (YamlField item : clusterIpsField.list()) {
            clusterIpTexts.add(item.requiredString());
        }
        if (clusterIp != null && !clusterIpTexts.isEmpty() && !clusterIpTexts.getFirst().equals(clusterIp)) {
            clusterIpsField.list().getFirst().error("'" + clusterIpTexts.getFirst() + "' must equal spec.clusterIP '" + clusterIp + "'");
        }
        if (clusterIpTexts.isEmpty() && clusterIp != null && !clusterIp.isEmpty()) {
            clusterIpTexts.add(clusterIp);
        }
        boolean headless = clusterIpTexts.contains(NONE);
        YamlField clusterIpsAt = clusterIpsField.present() ? clusterIpsField : clusterIpField;
        if (headless && clusterIpTexts.size() > 1) {
            clusterIpsAt.error("None cannot be combined with addresses");
        }
        if (headless && (type == Service.Type.NODE_PORT || type == Service.Type.LOAD_BALANCER)) {
            clusterIpsAt.error("may not be None for a " + type.spelling() + " service");
        }
        List<IpAddress> clusterIps = new ArrayList<>();
        String externalName = "";
        if (type == Service.Type.EXTERNAL_NAME) {
            externalName = spec.get("externalName").requiredString();
            if (!clusterIpTexts.isEmpty()) {
                clusterIpsAt.error("must not be set for an ExternalName service");
            }
        } else if (!headless) {
            if (clusterIpTexts.isEmpty()) {
                clusterIpField.error("is required: Gingham allocates no service addresses; write one inside the node's "
                        + "serviceCIDRs (or None for a headless service)");
            }
            List<YamlField> items = clusterIpsField.present() ? clusterIpsField.list() : List.of(clusterIpField);
            for (YamlField item : items) {
                IpAddress address = ObjectFields.address(item);
                if (clusterIps.stream().anyMatch(a -> a.ipv4() == address.ipv4())) {
                    item.error("a second " + (address.ipv4() ? "IPv4" : "IPv6") + " address: at most one per family");
                }
                clusterIps.add(address);
            }
        }

        List<Service.Port> ports = ports(spec.get("ports"), type);
        if (ports.isEmpty() && type != Service.Type.EXTERNAL_NAME && !headless) {
            spec.get("ports").error("at least one port is required");
        }
        List<IpAddress> externalIps = new ArrayList<>();
        for (YamlField item : spec.get("externalIPs").list()) {
            externalIps.add(ObjectFields.address(item));
        }

        YamlField affinityField = spec.get("sessionAffinity");
        boolean clientIp = "ClientIP".equals(affinityField.choice("None", List.of("None", "ClientIP"), s -> s));
        YamlField affinityConfig = spec.get("sessionAffinityConfig").mapping("clientIP");
        YamlField timeout = affinityConfig.get("clientIP").mapping("timeoutSeconds").get("timeoutSeconds");
        if (affinityConfig.present() && !clientIp) {
            affinityConfig.error("must not be set when sessionAffinity is None");
        }
        int timeoutSec = timeout.integer(Service.DEFAULT_AFFINITY_TIMEOUT_SEC, 1, Service.MAX_AFFINITY_TIMEOUT_SEC);

        boolean externalLocal = "Local".equals(spec.get("externalTrafficPolicy").choice("Cluster", TRAFFIC_POLICIES, s -> s));
        boolean internalLocal = "Local".equals(spec.get("internalTrafficPolicy").choice("Cluster", TRAFFIC_POLICIES, s -> s));
        List<String> families = new ArrayList<>();
        for (YamlField item : spec.get("ipFamilies").list()) {
            String family = item.choice(null, FAMILIES, s -> s);
            if (family != null && families.contains(family)) {
                item.error("'" + family + "' is listed twice");
            }
            families.add(family);
        }
        for (int i = 0; i < Math.min(families.size(), clusterIps.size()); i++) {
            boolean ipv4 = "IPv4".equals(families.get(i));
            if (clusterIps.get(i).ipv4() != ipv4) {
                spec.get("ipFamilies").list().get(i).error("'" + families.get(i) + "' does not match clusterIPs[" + i + "] "
                        + clusterIps.get(i));
            }
        }
        spec.get("ipFamilyPolicy").choice("SingleStack", List.of("SingleStack", "PreferDualStack", "RequireDualStack"), s -> s);

        YamlField status = root.get("status").anyMapping();
        List<IpAddress> ingress = new ArrayList<>();
        for (YamlField item : status.get("loadBalancer").anyMapping().get("ingress").list()) {
            item.mapping("ip", "hostname", "ipMode", "ports");
            if (item.get("ip").present()) {
                ingress.add(ObjectFields.address(item.get("ip")));
            }
        }
        if (type != Service.Type.LOAD_BALANCER) {
            ingress.clear(); // a service whose type changed may keep a stale status; kube-proxy ignores it too
        }
        return new Service(meta.namespace(), meta.name(), meta.annotations(), algorithm, type, clusterIps, headless,
                externalName, ports, externalIps, ingress, clientIp, clientIp ? timeoutSec : 0, externalLocal, internalLocal,
                spec.get("selector").stringMap(), families.stream().filter(Objects::nonNull).toList(),
                spec.get("publishNotReadyAddresses").bool(false));
    }

    private static List<Service.Port> ports(YamlField field, Service.Type type) {
        List<Service.Port> ports = new ArrayList<>();
        List<YamlField> items = field.list();
        for (int i = 0; i < items.size(); i++) {
            YamlField item = items.get(i).mapping("appProtocol", "name", "nodePort", "port", "protocol", "targetPort");
            String name = ObjectFields.dnsLabel(item.get("name"));
            if (name.isEmpty() && items.size() > 1) {
                item.get("name").error("is required when a service has more than one port");
            }
            Protocol protocol = ObjectFields.protocol(item.get("protocol"));
            int port = ObjectFields.port(item.get("port"), true);
            YamlField target = item.get("targetPort");
            Service.TargetPort targetPort;
            if (!target.present()) {
                targetPort = Service.TargetPort.of(port);
            } else if (target.isString()) {
                String text = target.string("");
                if (text.chars().allMatch(Character::isDigit) && !text.isEmpty()) {
                    target.error("'" + text + "' is a number written as a string; write it without quotes");
                }
                targetPort = Service.TargetPort.named(ObjectFields.portName(target));
            } else {
                targetPort = Service.TargetPort.of(target.integer(0, 1, 65535));
            }
            int nodePort = item.get("nodePort").integer(0, 0, 65535);
            if (nodePort != 0 && (type == Service.Type.CLUSTER_IP || type == Service.Type.EXTERNAL_NAME)) {
                item.get("nodePort").error("may not be used when type is " + type.spelling());
            }
            for (int j = 0; j < ports.size(); j++) {
                Service.Port earlier = ports.get(j);
                if (!name.isEmpty() && earlier.name().equals(name)) {
                    item.get("name").error("'" + name + "' is already the name of spec.ports[" + j + "]");
                }
                if (earlier.port() == port && earlier.protocol() == protocol) {
                    item.error("duplicate of spec.ports[" + j + "] (port " + port + "/" + protocol + ")");
                }
                if (nodePort != 0 && earlier.nodePort() == nodePort && earlier.protocol() == protocol) {
                    item.get("nodePort").error(nodePort + "/" + protocol + " is already the nodePort of spec.ports[" + j + "]");
                }
            }
            ports.add(new Service.Port(name, protocol, port, targetPort, nodePort));
        }
        return ports;
    }

    /** Gingham's annotation, or Cilium's spelling of it; when both are given they must agree. */
    private static Algorithm algorithm(YamlField annotations) {
        YamlField own = annotations.entry(Service.ALGORITHM_ANNOTATION);
        YamlField cilium = annotations.entry(Service.CILIUM_ALGORITHM_ANNOTATION);
        Algorithm mine = own.choice(null, AlgorithmNames.all(), AlgorithmNames::spelling);
        Algorithm theirs = cilium.choice(null, AlgorithmNames.all(), AlgorithmNames::spelling);
        if (mine != null && theirs != null && mine != theirs) {
            cilium.error("'" + AlgorithmNames.spelling(theirs) + "' disagrees with " + Service.ALGORITHM_ANNOTATION + " '"
                    + AlgorithmNames.spelling(mine) + "'");
        }
        return mine != null ? mine : theirs;
    }

    static EndpointSlice endpointSlice(YamlField root, ObjectFields.Meta meta) {
        root.mapping("apiVersion", "kind", "metadata", "addressType", "endpoints", "ports");
        YamlField typeField = root.get("addressType");
        EndpointSlice.AddressType type = typeField.choice(null, List.of(EndpointSlice.AddressType.values()),
                EndpointSlice.AddressType::spelling);
        if (type == null) {
            typeField.error("is required (IPv4, IPv6 or FQDN)");
        }
        String serviceName = meta.labels().get(EndpointSlice.SERVICE_NAME_LABEL);
        if (serviceName == null || serviceName.isEmpty()) {
            root.get("metadata").get("labels").entry(EndpointSlice.SERVICE_NAME_LABEL)
                    .error("is required: it names the Service these endpoints belong to");
        }
        List<EndpointSlice.Endpoint> endpoints = new ArrayList<>();
        for (YamlField item : root.get("endpoints").list()) {
            item.mapping("addresses", "conditions", "deprecatedTopology", "hints", "hostname", "nodeName", "targetRef", "zone");
            List<YamlField> addressItems = item.get("addresses").list();
            if (addressItems.isEmpty()) {
                item.get("addresses").error("at least one address is required");
            }
            List<IpAddress> addresses = new ArrayList<>();
            for (YamlField a : addressItems) {
                if (type == EndpointSlice.AddressType.FQDN) {
                    a.requiredString();
                    continue;
                }
                IpAddress address = ObjectFields.address(a);
                if (address.ipv4() != (type == EndpointSlice.AddressType.IPV4)) {
                    a.error(address + " is not an " + type.spelling() + " address (addressType)");
                }
                addresses.add(address);
            }
            YamlField conditions = item.get("conditions").mapping("ready", "serving", "terminating");
            boolean ready = conditions.get("ready").bool(true);
            boolean serving = conditions.get("serving").bool(ready);
            boolean terminating = conditions.get("terminating").bool(false);
            endpoints.add(new EndpointSlice.Endpoint(addresses, ready, serving, terminating,
                    item.get("nodeName").string(""), item.get("zone").string("")));
        }
        List<EndpointSlice.Port> ports = new ArrayList<>();
        List<YamlField> portItems = root.get("ports").list();
        for (int i = 0; i < portItems.size(); i++) {
            YamlField item = portItems.get(i).mapping("appProtocol", "name", "port", "protocol");
            String name = ObjectFields.dnsLabel(item.get("name"));
            Protocol protocol = ObjectFields.protocol(item.get("protocol"));
            for (int j = 0; j < ports.size(); j++) {
                if (ports.get(j).name().equals(name) && ports.get(j).protocol() == protocol) {
                    item.get("name").error("'" + name + "'/" + protocol + " is already ports[" + j + "]");
                }
            }
            ports.add(new EndpointSlice.Port(name, protocol, ObjectFields.port(item.get("port"), false)));
        }
        return new EndpointSlice(meta.namespace(), meta.name(), serviceName == null ? "" : serviceName, type, endpoints, ports);
    }
}
