package dev.gingham.dataplane.k8s;

import dev.gingham.nat.IpAddress;
import dev.gingham.nat.lb.Algorithm;
import dev.gingham.packet.Cidr;
import dev.gingham.packet.header.Addresses;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ManifestReaderTest {

    static String fixture(String name) {
        try (InputStream in = ManifestReaderTest.class.getResourceAsStream("/dev/gingham/dataplane/cluster/shop/" + name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static IpAddress ip(String text) {
        return IpAddress.parse(text);
    }

    @Test
    void shouldReadServiceAndSliceAndSkipTheDeploymentWhenTheFileHoldsAllThree() {
        ManifestReader.Result result = ManifestReader.read(fixture("web.yaml"), "web.yaml");
        assertEquals(List.of("web.yaml: document 1 (line 3): skipped Deployment shop/web (apps/v1): Gingham does not use this kind"),
                result.warnings());
        assertEquals(2, result.objects().size());
        ManifestObject service = result.objects().get(0);
        assertEquals("Service shop/web", service.ref().toString());
        assertEquals(new ManifestObject.Source("web.yaml", 2, 27), service.source());
        assertEquals(new Service("shop", "web", Map.of("service.gingham.dev/lb-algorithm", "maglev"), Algorithm.MAGLEV,
                Service.Type.NODE_PORT, List.of(ip("10.96.0.50")), false, "",
                List.of(new Service.Port("http", Protocol.TCP, 80, Service.TargetPort.named("http"), 30080),
                        new Service.Port("metrics", Protocol.TCP, 9100, Service.TargetPort.of(9100), 30091)),
                List.of(ip("203.0.113.7")), List.of(), true, 10_800, false, false, Map.of("app", "web"), List.of(), false),
                service.object());
        EndpointSlice slice = result.objects().get(1).as(EndpointSlice.class);
        assertEquals("EndpointSlice shop/web-abc12", result.objects().get(1).ref().toString());
        assertEquals(new EndpointSlice("shop", "web-abc12", "web", EndpointSlice.AddressType.IPV4, List.of(
                new EndpointSlice.Endpoint(List.of(ip("10.244.1.10")), true, true, false, "node-a", "zone-a"),
                new EndpointSlice.Endpoint(List.of(ip("10.244.1.11")), false, true, true, "node-a", "zone-a"),
                new EndpointSlice.Endpoint(List.of(ip("10.244.2.10")), true, true, false, "node-b", "zone-b"),
                new EndpointSlice.Endpoint(List.of(ip("10.244.2.11")), false, false, false, "node-b", "")),
                List.of(new EndpointSlice.Port("http", Protocol.TCP, 8080), new EndpointSlice.Port("metrics", Protocol.TCP, 9100))),
                slice);
    }

    @Test
    void shouldApplyTheApiDefaultsWhenAServiceLeavesFieldsOut() {
        Service s = ManifestReader.read("""
                apiVersion: v1
                kind: Service
                metadata: {name: api}
                spec:
                  clusterIP: 10.96.0.60
                  ports: [{port: 443}]
                """, "api.yaml").objects().getFirst().as(Service.class);
        assertEquals("default", s.namespace());
        assertEquals(Service.Type.CLUSTER_IP, s.type());
        assertNull(s.algorithm());
        assertEquals(List.of(new Service.Port("", Protocol.TCP, 443, Service.TargetPort.of(443), 0)), s.ports());
        assertEquals(false, s.clientIpAffinity());
        assertEquals(0, s.affinityTimeoutSec());
        assertEquals(false, s.externalTrafficLocal());
        assertEquals(false, s.internalTrafficLocal());
    }

    @Test
    void shouldReadEveryItemWhenAListIsPrintedByKubectlGet() {
        ManifestReader.Result result = ManifestReader.read(fixture("pods.yaml"), "pods.yaml");
        assertEquals(List.of("Pod shop/web-1", "Pod shop/web-2", "Pod shop/web-3", "Pod shop/db-1"),
                result.objects().stream().map(o -> o.ref().toString()).toList());
        assertEquals(List.of("pods.yaml: document 1 (line 2): skipped Pod kube-system/node-exporter: a hostNetwork pod uses "
                + "the node's own network, not a Gingham interface"), result.warnings());
        Pod web1 = result.objects().get(0).as(Pod.class);
        assertEquals(new Pod("shop", "web-1", Map.of("app", "web", "tier", "front"), ip("10.244.1.10"),
                List.of(new ContainerPort("http", 8080, Protocol.TCP), new ContainerPort("metrics", 9100, Protocol.TCP)),
                "node-a", List.of(ip("10.244.1.10")), "shop-web-1", 0), web1);
        Pod web2 = result.objects().get(1).as(Pod.class);
        assertEquals("web-2", web2.netns(), "the pod's name by default");
        assertEquals(Addresses.parseMac("0a:58:0a:f4:01:0b"), web2.mac());
        assertEquals(List.of(ip("10.244.1.11")), web2.ips());
    }

    @Test
    void shouldReadJsonWhenTheFileIsJson() {
        ManifestReader.Result result = ManifestReader.read(fixture("dns.json"), "dns.json");
        Service dns = result.objects().get(0).as(Service.class);
        assertEquals("kube-system/kube-dns", dns.key());
        assertEquals(List.of(new Service.Port("dns", Protocol.UDP, 53, Service.TargetPort.of(53), 0),
                new Service.Port("dns-tcp", Protocol.TCP, 53, Service.TargetPort.of(53), 0)), dns.ports());
        assertTrue(dns.internalTrafficLocal());
        assertEquals("kube-dns", result.objects().get(1).as(EndpointSlice.class).serviceName());
    }

    @Test
    void shouldReadFlannelAndGinghamAnnotationsWhenNodesCarryThem() {
        List<ManifestObject> nodes = ManifestReader.read(fixture("nodes.yaml"), "nodes.yaml").objects();
        assertEquals(new Node("node-a", Map.of("kubernetes.io/hostname", "node-a"), List.of(Cidr.parse("10.244.1.0/24")),
                List.of(ip("192.168.50.10")), List.of(), null, 0, 0), nodes.get(0).object());
        Node b = nodes.get(1).as(Node.class);
        assertEquals(Addresses.parseMac("52:54:00:00:00:0b"), b.underlayMac());
        assertEquals(List.of(ip("198.51.100.11")), b.externalIps());
        Node c = nodes.get(2).as(Node.class);
        assertEquals(ip("192.168.50.12"), c.flannelPublicIp());
        assertEquals(Addresses.parseMac("6e:1f:2a:3b:4c:5d"), c.flannelVtepMac());
        assertEquals(List.of(Cidr.parse("10.244.3.0/24")), c.podCidrs());
        assertEquals("Node node-c", nodes.get(2).ref().toString(), "cluster-scoped: no namespace");
    }

    @Test
    void shouldReadTheEgressGatewayPolicyWhenWrittenAsCiliumDocumentsIt() {
        CiliumEgressGatewayPolicy p = ManifestReader.read(fixture("egress.yaml"), "egress.yaml").objects().getFirst()
                .as(CiliumEgressGatewayPolicy.class);
        assertEquals(new CiliumEgressGatewayPolicy("web-to-partner", List.of(new CiliumEgressGatewayPolicy.Selector(
                LabelSelector.of(Map.of("app", "web", "io.kubernetes.pod.namespace", "shop")), Optional.empty())),
                List.of(Cidr.parse("198.51.100.0/24")), List.of(Cidr.parse("198.51.100.128/26")), ip("192.168.50.100"),
                LabelSelector.of(Map.of("kubernetes.io/hostname", "node-a"))), p);
    }

    @Test
    void shouldReadNamespacesAndPoliciesWhenMixedInOneFile() {
        ManifestReader.Result result = ManifestReader.read(fixture("namespaces.yaml") + "---\n" + fixture("policy.yaml"), "mixed.yaml");
        assertEquals(List.of("Namespace shop", "Namespace kube-system", "NetworkPolicy shop/db-from-web"),
                result.objects().stream().map(o -> o.ref().toString()).toList());
        assertEquals(Namespace.of("shop", Map.of("team", "retail")), result.objects().getFirst().object());
    }

    private static final String SERVICE = """
            apiVersion: v1
            kind: Service
            metadata: {name: web, namespace: shop}
            """;

    /** The message a user sees for one bad field: file, document, line, object, field path, reason. */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
            "misspelt field | spec: {clusterIP: 10.96.0.1, ports: [{port: 80, targetport: 8080}]} | spec.ports[0].targetport | unknown field (did you mean targetPort?); expected one of appProtocol, name, nodePort, port, protocol, targetPort",
            "no clusterIP | spec: {ports: [{port: 80}]} | spec.clusterIP | is required: Gingham allocates no service addresses; write one inside the node's serviceCIDRs (or None for a headless service)",
            "port out of range | spec: {clusterIP: 10.96.0.1, ports: [{port: 0}]} | spec.ports[0].port | must be 1..65535, got 0",
            "quoted number target | spec: {clusterIP: 10.96.0.1, ports: [{port: 80, targetPort: \"8080\"}]} | spec.ports[0].targetPort | '8080' is a number written as a string; write it without quotes",
            "bad target name | spec: {clusterIP: 10.96.0.1, ports: [{port: 80, targetPort: Http_Port}]} | spec.ports[0].targetPort | 'Http_Port' is not a valid port name (at most 15 lowercase letters, digits and '-', with a letter)",
            "nodePort on ClusterIP | spec: {clusterIP: 10.96.0.1, ports: [{port: 80, nodePort: 30080}]} | spec.ports[0].nodePort | may not be used when type is ClusterIP",
            "two unnamed ports | spec: {clusterIP: 10.96.0.1, ports: [{name: a, port: 80}, {port: 81}]} | spec.ports[1].name | is required when a service has more than one port",
            "duplicate port | spec: {clusterIP: 10.96.0.1, ports: [{name: a, port: 80}, {name: b, port: 80}]} | spec.ports[1] | duplicate of spec.ports[0] (port 80/TCP)",
            "protocol case | spec: {clusterIP: 10.96.0.1, ports: [{port: 80, protocol: tcp}]} | spec.ports[0].protocol | 'tcp' is not TCP, UDP or SCTP",
            "affinity timeout | spec: {clusterIP: 10.96.0.1, ports: [{port: 80}], sessionAffinity: ClientIP, sessionAffinityConfig: {clientIP: {timeoutSeconds: 90000}}} | spec.sessionAffinityConfig.clientIP.timeoutSeconds | must be 1..86400, got 90000",
            "affinity config without affinity | spec: {clusterIP: 10.96.0.1, ports: [{port: 80}], sessionAffinityConfig: {clientIP: {timeoutSeconds: 60}}} | spec.sessionAffinityConfig | must not be set when sessionAffinity is None",
            "traffic policy spelling | spec: {clusterIP: 10.96.0.1, ports: [{port: 80}], externalTrafficPolicy: local} | spec.externalTrafficPolicy | must be one of Cluster, Local, not 'local'",
            "clusterIPs disagree | spec: {clusterIP: 10.96.0.1, clusterIPs: [10.96.0.2], ports: [{port: 80}]} | spec.clusterIPs[0] | '10.96.0.2' must equal spec.clusterIP '10.96.0.1'",
            "two IPv4 cluster IPs | spec: {clusterIPs: [10.96.0.1, 10.96.0.2], ports: [{port: 80}]} | spec.clusterIPs[1] | a second IPv4 address: at most one per family",
            "headless NodePort | spec: {type: NodePort, clusterIP: None, ports: [{port: 80}]} | spec.clusterIP | may not be None for a NodePort service",
            "bad address | spec: {clusterIP: 10.96.0.300, ports: [{port: 80}]} | spec.clusterIP | ",
            "type spelling | spec: {type: Nodeport, clusterIP: 10.96.0.1, ports: [{port: 80}]} | spec.type | must be one of ClusterIP, NodePort, LoadBalancer, ExternalName, not 'Nodeport'",
    })
    void shouldNameFileObjectAndFieldWhenAServiceIsInvalid(String kind, String body, String field, String reason) {
        ManifestException e = assertThrows(ManifestException.class, () -> ManifestReader.read(SERVICE + body + "\n", "svc.yaml"));
        assertEquals(1, e.problems().size(), e.getMessage());
        ManifestException.Problem p = e.problems().getFirst();
        assertEquals("Service shop/web", p.object());
        assertEquals(field, p.field(), e.getMessage());
        if (reason != null) {
            assertEquals(reason, p.message());
        }
        assertTrue(e.getMessage().startsWith("svc.yaml: document 1 (line 1): Service shop/web: " + field + ": "), e.getMessage());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
            "old apiVersion | apiVersion: discovery.k8s.io/v1beta1\\nkind: EndpointSlice\\nmetadata: {name: s, labels: {kubernetes.io/service-name: web}}\\naddressType: IPv4 | EndpointSlice default/s | apiVersion | expected discovery.k8s.io/v1 for EndpointSlice, got 'discovery.k8s.io/v1beta1'",
            "slice without its service | apiVersion: discovery.k8s.io/v1\\nkind: EndpointSlice\\nmetadata: {name: s}\\naddressType: IPv4 | EndpointSlice default/s | metadata.labels[kubernetes.io/service-name] | is required: it names the Service these endpoints belong to",
            "IPv6 in an IPv4 slice | apiVersion: discovery.k8s.io/v1\\nkind: EndpointSlice\\nmetadata: {name: s, labels: {kubernetes.io/service-name: web}}\\naddressType: IPv4\\nendpoints: [{addresses: [\"fd00::1\"]}] | EndpointSlice default/s | endpoints[0].addresses[0] | fd00::1 is not an IPv4 address (addressType)",
            "condition not boolean | apiVersion: discovery.k8s.io/v1\\nkind: EndpointSlice\\nmetadata: {name: s, labels: {kubernetes.io/service-name: web}}\\naddressType: IPv4\\nendpoints: [{addresses: [10.0.0.1], conditions: {ready: \"yes\"}}] | EndpointSlice default/s | endpoints[0].conditions.ready | must be true or false, not 'yes'",
            "podIPs disagree | apiVersion: v1\\nkind: Pod\\nmetadata: {name: p}\\nstatus: {podIP: 10.0.0.1, podIPs: [{ip: 10.0.0.2}]} | Pod default/p | status.podIPs[0].ip | 10.0.0.2 must equal status.podIP 10.0.0.1",
            "pod MAC | apiVersion: v1\\nkind: Pod\\nmetadata: {name: p, annotations: {gingham.dev/mac: \"01:00:5e:00:00:01\"}} | Pod default/p | metadata.annotations[gingham.dev/mac] | 01:00:5e:00:00:01 is a multicast MAC; a pod needs a unicast one",
            "pod netns | apiVersion: v1\\nkind: Pod\\nmetadata: {name: p, annotations: {gingham.dev/netns: a/b}} | Pod default/p | metadata.annotations[gingham.dev/netns] | 'a/b' is not a network namespace name (no '/', at most 255 characters)",
            "container port | apiVersion: v1\\nkind: Pod\\nmetadata: {name: p}\\nspec: {containers: [{name: c, ports: [{containerPort: 70000}]}]} | Pod default/p | spec.containers[0].ports[0].containerPort | must be 1..65535, got 70000",
            "flannel backend-data | apiVersion: v1\\nkind: Node\\nmetadata: {name: n, annotations: {flannel.alpha.coreos.com/backend-data: '{\"VtepMAC\":\"zz\"}'}} | Node n | metadata.annotations[flannel.alpha.coreos.com/backend-data] | VtepMAC: invalid MAC address \"zz\": expected 17 characters like \"aa:bb:cc:dd:ee:ff\", found 2",
            "node CIDR host bits | apiVersion: v1\\nkind: Node\\nmetadata: {name: n}\\nspec: {podCIDR: 10.244.1.1/24} | Node n | spec.podCIDR | 10.244.1.1/24 has host bits set (did you mean 10.244.1.0/24?)",
            "egress without IP | apiVersion: cilium.io/v2\\nkind: CiliumEgressGatewayPolicy\\nmetadata: {name: e}\\nspec: {selectors: [{podSelector: {}}], destinationCIDRs: [0.0.0.0/0], egressGateway: {interface: eth1}} | CiliumEgressGatewayPolicy e | spec.egressGateway.egressIP | is required: Gingham masquerades behind this address and does not read it from an interface",
            "algorithm spelling | apiVersion: v1\\nkind: Service\\nmetadata: {name: s, annotations: {service.gingham.dev/lb-algorithm: Maglev}}\\nspec: {clusterIP: 10.96.0.1, ports: [{port: 80}]} | Service default/s | metadata.annotations[service.gingham.dev/lb-algorithm] | must be one of random, round-robin, source-hash, maglev, not 'Maglev'",
            "algorithms disagree | apiVersion: v1\\nkind: Service\\nmetadata: {name: s, annotations: {service.gingham.dev/lb-algorithm: random, service.cilium.io/lb-algorithm: maglev}}\\nspec: {clusterIP: 10.96.0.1, ports: [{port: 80}]} | Service default/s | metadata.annotations[service.cilium.io/lb-algorithm] | 'maglev' disagrees with service.gingham.dev/lb-algorithm 'random'",
            "kind not a string | apiVersion: v1\\nkind: 5\\nmetadata: {name: x} | \"\" | kind | must be a string, not 5 (quote it)",
            "no name | apiVersion: v1\\nkind: Pod\\nmetadata: {generateName: p-} | Pod default/(no name) | metadata.name | is required (generateName is not supported: objects need stable names across reloads)",
            "service name not DNS-1035 | apiVersion: v1\\nkind: Service\\nmetadata: {name: 1web}\\nspec: {clusterIP: 10.96.0.1, ports: [{port: 80}]} | Service default/1web | metadata.name | '1web' is not a DNS-1035 label (lowercase letters, digits and '-', starting with a letter)",
    })
    void shouldNameFileObjectAndFieldWhenAnObjectIsInvalid(String kind, String yaml, String object, String field, String reason) {
        ManifestException e = assertThrows(ManifestException.class, () -> ManifestReader.read(yaml.replace("\\n", "\n") + "\n", "bad.yaml"));
        ManifestException.Problem p = e.problems().getFirst();
        assertEquals(object, p.object(), e.getMessage());
        assertEquals(field, p.field(), e.getMessage());
        assertEquals(reason, p.message());
    }

    @Test
    void shouldAcceptCiliumSpellingWhenOnlyTheCiliumAnnotationIsGiven() {
        Service s = ManifestReader.read(SERVICE.replace("namespace: shop}", "namespace: shop, annotations: "
                + "{service.cilium.io/lb-algorithm: maglev}}") + "spec: {clusterIP: 10.96.0.1, ports: [{port: 80}]}\n", "s.yaml")
                .objects().getFirst().as(Service.class);
        assertEquals(Algorithm.MAGLEV, s.algorithm());
    }

    @Test
    void shouldReportEveryBadDocumentAndNoObjectsWhenAFileHasSeveral() {
        String yaml = SERVICE + "spec: {clusterIP: 10.96.0.1, ports: [{port: 0}]}\n---\n"
                + fixture("policy.yaml") + "---\n"
                + "apiVersion: v1\nkind: Namespace\nmetadata: {name: Shop}\n";
        ManifestException e = assertThrows(ManifestException.class, () -> ManifestReader.read(yaml, "two.yaml"));
        assertEquals("""
                2 problems:
                  two.yaml: document 1 (line 1): Service shop/web: spec.ports[0].port: must be 1..65535, got 0
                  two.yaml: document 3 (line 21): Namespace Shop: metadata.name: 'Shop' is not a DNS label (lowercase letters, digits and '-')""",
                e.getMessage());
    }

    @Test
    void shouldNameTheDocumentAndLineWhenTheYamlDoesNotParse() {
        ManifestException e = assertThrows(ManifestException.class, () -> ManifestReader.read(
                SERVICE + "---\napiVersion: v1\nkind: Pod\nmetadata: {name: p\n", "broken.yaml"));
        assertTrue(e.getMessage().startsWith("broken.yaml: document 2: not valid YAML: "), e.getMessage());
        assertTrue(e.getMessage().contains("(line "), e.getMessage());
    }
}
