package dev.gingham.dataplane.cluster;

import dev.gingham.dataplane.config.NodeConfig;
import dev.gingham.dataplane.k8s.ManifestException;
import dev.gingham.nat.IpAddress;
import dev.gingham.nat.lb.Algorithm;
import dev.gingham.nat.lb.BackendState;
import dev.gingham.nat.lb.L4Protocol;
import dev.gingham.nat.lb.ServiceSpec;
import dev.gingham.packet.Cidr;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class ServiceTranslatorTest {
    private static final NodeConfig CONFIG = ShopCluster.config();

    private static IpAddress ip(String text) {
        return IpAddress.parse(text);
    }

    private static ServiceSpec.Backend backend(String port, String address, int targetPort, BackendState state, boolean local, int zone) {
        return new ServiceSpec.Backend(port, ip(address), targetPort, state, 1, local, zone);
    }

    private static ServiceTranslator.Translation translate(Map<String, String> files) {
        return ServiceTranslator.translate(ManifestSet.of("shop", files), CONFIG);
    }

    @Test
    void shouldTranslateEveryFieldWhenTheServiceIsANodePortWithNamedTargetPorts() {
        ServiceTranslator.Translation t = ServiceTranslator.translate(ShopCluster.set(), CONFIG);
        assertEquals(List.of("kube-system/kube-dns", "shop/web"), t.specs().stream().map(ServiceSpec::id).toList());
        // zones in name order: zone-a 1, zone-b 2; 10.244.2.11 is neither ready nor serving and is left out
        assertEquals(new ServiceSpec("shop", "web", ServiceSpec.Type.NODE_PORT, List.of(ip("10.96.0.50")), List.of(ip("203.0.113.7")),
                List.of(), List.of(new ServiceSpec.Port("http", L4Protocol.TCP, 80, 30080),
                        new ServiceSpec.Port("metrics", L4Protocol.TCP, 9100, 30091)),
                Algorithm.MAGLEV, 10_800, ServiceSpec.TrafficPolicy.CLUSTER, ServiceSpec.TrafficPolicy.CLUSTER,
                ServiceSpec.NoBackendAction.REJECT, List.of(
                        backend("http", "10.244.1.10", 8080, BackendState.ACTIVE, true, 1),
                        backend("http", "10.244.1.11", 8080, BackendState.TERMINATING, true, 1),
                        backend("http", "10.244.2.10", 8080, BackendState.ACTIVE, false, 2),
                        backend("metrics", "10.244.1.10", 9100, BackendState.ACTIVE, true, 1),
                        backend("metrics", "10.244.1.11", 9100, BackendState.TERMINATING, true, 1),
                        backend("metrics", "10.244.2.10", 9100, BackendState.ACTIVE, false, 2))),
                t.specs().get(1));
        assertEquals(new ServiceSpec("kube-system", "kube-dns", ServiceSpec.Type.CLUSTER_IP, List.of(ip("10.96.0.10")), List.of(),
                List.of(), List.of(new ServiceSpec.Port("dns", L4Protocol.UDP, 53, 0), new ServiceSpec.Port("dns-tcp", L4Protocol.TCP, 53, 0)),
                Algorithm.RANDOM, 0, ServiceSpec.TrafficPolicy.CLUSTER, ServiceSpec.TrafficPolicy.LOCAL,
                ServiceSpec.NoBackendAction.REJECT, List.of(
                        backend("dns", "10.244.1.53", 53, BackendState.ACTIVE, true, 0),
                        backend("dns", "10.244.2.53", 53, BackendState.ACTIVE, false, 0),
                        backend("dns-tcp", "10.244.1.53", 53, BackendState.ACTIVE, true, 0),
                        backend("dns-tcp", "10.244.2.53", 53, BackendState.ACTIVE, false, 0))),
                t.specs().get(0));
        assertEquals("web.yaml", t.origins().get("shop/web").source().file());
    }

    @Test
    void shouldResolveANamedTargetPortPerSliceWhenPodsNumberItDifferently() {
        String yaml = """
                apiVersion: v1
                kind: Service
                metadata: {name: api, namespace: shop}
                spec:
                  clusterIP: 10.96.0.70
                  type: LoadBalancer
                  ports: [{name: web, port: 80, targetPort: http, nodePort: 30070}]
                  externalTrafficPolicy: Local
                status:
                  loadBalancer:
                    ingress: [{ip: 198.51.100.70}, {hostname: lb.example.com}]
                ---
                apiVersion: discovery.k8s.io/v1
                kind: EndpointSlice
                metadata: {name: api-old, namespace: shop, labels: {kubernetes.io/service-name: api}}
                addressType: IPv4
                ports: [{name: web, port: 8080}]
                endpoints: [{addresses: [10.244.1.30], nodeName: node-a}]
                ---
                apiVersion: discovery.k8s.io/v1
                kind: EndpointSlice
                metadata: {name: api-new, namespace: shop, labels: {kubernetes.io/service-name: api}}
                addressType: IPv4
                ports: [{name: web, port: 8081}]
                endpoints: [{addresses: [10.244.2.30], nodeName: node-b}]
                """;
        ServiceSpec api = translate(ShopCluster.with("api.yaml", yaml)).specs().stream()
                .filter(s -> s.name().equals("api")).findFirst().orElseThrow();
        assertEquals(ServiceSpec.Type.LOAD_BALANCER, api.type());
        assertEquals(List.of(ip("198.51.100.70")), api.loadBalancerIps(), "hostname-only ingress entries are not addresses");
        assertEquals(ServiceSpec.TrafficPolicy.LOCAL, api.externalTrafficPolicy());
        assertEquals(List.of(backend("web", "10.244.1.30", 8080, BackendState.ACTIVE, true, 0),
                backend("web", "10.244.2.30", 8081, BackendState.ACTIVE, false, 0)), api.backends());
    }

    @Test
    void shouldGiveOneSpecPerFamilyWhenTheServiceIsDualStack() {
        NodeConfig dual = CONFIG.toBuilder()
                .nodeAddresses(List.of(ip("192.168.50.10"), ip("fd00:50::10")))
                .podCidrs(List.of(Cidr.parse("10.244.1.0/24"), Cidr.parse("fd00:244:1::/64")))
                .clusterCidrs(List.of(Cidr.parse("10.244.0.0/16"), Cidr.parse("fd00:244::/32")))
                .serviceCidrs(List.of(Cidr.parse("10.96.0.0/12"), Cidr.parse("fd00:96::/108")))
                .build();
        String yaml = """
                apiVersion: v1
                kind: Service
                metadata: {name: both, namespace: shop}
                spec:
                  ipFamilies: [IPv6, IPv4]
                  clusterIPs: ["fd00:96::10", 10.96.0.80]
                  ports: [{port: 443}]
                ---
                apiVersion: discovery.k8s.io/v1
                kind: EndpointSlice
                metadata: {name: both-v4, namespace: shop, labels: {kubernetes.io/service-name: both}}
                addressType: IPv4
                ports: [{port: 8443}]
                endpoints: [{addresses: [10.244.1.80]}]
                ---
                apiVersion: discovery.k8s.io/v1
                kind: EndpointSlice
                metadata: {name: both-v6, namespace: shop, labels: {kubernetes.io/service-name: both}}
                addressType: IPv6
                ports: [{port: 8443}]
                endpoints: [{addresses: ["fd00:244:1::80"], conditions: {ready: false, serving: true, terminating: true}}]
                """;
        List<ServiceSpec> specs = ServiceTranslator.translate(ManifestSet.of("shop", Map.of("both.yaml", yaml,
                "ns.yaml", ShopCluster.files().get("namespaces.yaml"))), dual).specs();
        assertEquals(List.of("shop/both", "shop/both/ipv4"), specs.stream().map(ServiceSpec::id).toList());
        assertEquals(List.of(ip("fd00:96::10")), specs.get(0).clusterIps());
        assertEquals(List.of(backend("", "fd00:244:1::80", 8443, BackendState.TERMINATING, false, 0)), specs.get(0).backends());
        assertEquals(List.of(ip("10.96.0.80")), specs.get(1).clusterIps());
        assertEquals(List.of(backend("", "10.244.1.80", 8443, BackendState.ACTIVE, false, 0)), specs.get(1).backends());
    }

    @Test
    void shouldSkipHeadlessAndExternalNameAndSctpWhenTheyCannotBeBalanced() {
        String yaml = """
                apiVersion: v1
                kind: Service
                metadata: {name: db, namespace: shop}
                spec: {clusterIP: None, ports: [{port: 5432}]}
                ---
                apiVersion: v1
                kind: Service
                metadata: {name: partner, namespace: shop}
                spec: {type: ExternalName, externalName: api.partner.example}
                ---
                apiVersion: v1
                kind: Service
                metadata: {name: signal, namespace: shop}
                spec: {clusterIP: 10.96.0.90, ports: [{name: a, port: 3868, protocol: SCTP}, {name: b, port: 3869}]}
                """;
        ServiceTranslator.Translation t = translate(ShopCluster.with("more.yaml", yaml));
        assertEquals(List.of("kube-system/kube-dns", "shop/signal", "shop/web"), t.specs().stream().map(ServiceSpec::id).toList());
        ServiceSpec signal = t.specs().get(1);
        assertEquals(List.of(new ServiceSpec.Port("b", L4Protocol.TCP, 3869, 0)), signal.ports());
        assertEquals(List.of("more.yaml: document 3 (line 11): Service shop/signal: spec.ports[0] is SCTP: not load-balanced "
                + "(TCP and UDP only), left out"), t.warnings());
    }

    @Test
    void shouldTreatEveryListedEndpointAsReadyWhenPublishNotReadyAddressesIsSet() {
        String web = ShopCluster.files().get("web.yaml").replace("  sessionAffinity: ClientIP", "  sessionAffinity: ClientIP\n  publishNotReadyAddresses: true");
        ServiceSpec spec = translate(ShopCluster.with("web.yaml", web)).specs().get(1);
        assertEquals(List.of(BackendState.ACTIVE), spec.backends().stream().map(ServiceSpec.Backend::state).distinct().toList());
        assertEquals(8, spec.backends().size(), "the endpoint neither ready nor serving is published too");
    }

    @Test
    void shouldWarnWhenASliceLacksAServicePort() {
        String web = ShopCluster.files().get("web.yaml").replace("""
                  - name: metrics
                    protocol: TCP
                    port: 9100
                endpoints:""", "endpoints:");
        ServiceTranslator.Translation t = translate(ShopCluster.with("web.yaml", web));
        assertEquals(List.of("http"), t.specs().get(1).backends().stream().map(ServiceSpec.Backend::portName).distinct().toList());
        assertEquals(List.of("web.yaml: document 3 (line 53): EndpointSlice shop/web-abc12: has no port 'metrics'/TCP, so Service "
                + "shop/web port metrics gets none of its endpoints"), t.warnings());
    }

    @Test
    void shouldNameServiceAndFieldWhenTheServiceContradictsTheNodeConfiguration() {
        String yaml = """
                apiVersion: v1
                kind: Service
                metadata: {name: out, namespace: shop}
                spec: {clusterIP: 10.200.0.1, ports: [{port: 80}]}
                ---
                apiVersion: v1
                kind: Service
                metadata: {name: np, namespace: shop}
                spec: {type: NodePort, clusterIP: 10.96.0.91, ports: [{name: a, port: 80, nodePort: 8080}, {name: b, port: 81}]}
                """;
        ManifestException e = assertThrows(ManifestException.class, () -> translate(ShopCluster.with("bad.yaml", yaml)));
        assertEquals(List.of(
                "bad.yaml: document 1 (line 1): Service shop/out: spec.clusterIP: 10.200.0.1 is not inside the node's serviceCIDRs [10.96.0.0/12]",
                "bad.yaml: document 2 (line 6): Service shop/np: spec.ports[0].nodePort: 8080 is outside the node's "
                        + "services.nodePortRange 30000-32767",
                "bad.yaml: document 2 (line 6): Service shop/np: spec.ports[1].nodePort: is required for a NodePort service: Gingham "
                        + "allocates no node ports; pick one in 30000-32767"),
                e.problems().stream().map(Object::toString).toList());
    }
}
