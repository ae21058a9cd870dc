package dev.gingham.dataplane.cluster;

import dev.gingham.dataplane.k8s.ManifestException;
import dev.gingham.dataplane.k8s.ManifestKind;
import dev.gingham.dataplane.k8s.ManifestObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ManifestSetTest {

    @Test
    void shouldReadEveryManifestFileWhenLoadingTheDirectory() {
        ManifestSet set = ManifestSet.load(ShopCluster.directory());
        assertEquals(List.of("dns.json", "egress.yaml", "namespaces.yaml", "nodes.yaml", "pods.yaml", "policy.yaml", "web.yaml"),
                set.files(), "README.md is not a manifest");
        assertEquals(List.of("shop", "kube-system"), set.namespaces().stream().map(n -> n.name()).toList());
        assertEquals(List.of("shop/web-1", "shop/web-2", "shop/web-3", "shop/db-1"), set.pods().stream().map(p -> p.key()).toList());
        assertEquals(List.of("node-a", "node-b", "node-c"), set.nodes().stream().map(n -> n.name()).toList());
        assertEquals(List.of("kube-system/kube-dns", "shop/web"), set.services().stream().map(s -> s.key()).toList());
        assertEquals(2, set.endpointSlices().size());
        assertEquals(1, set.networkPolicies().size());
        assertEquals(1, set.egressGatewayPolicies().size());
        assertEquals(List.of(
                "pods.yaml: document 1 (line 2): skipped Pod kube-system/node-exporter: a hostNetwork pod uses the node's own "
                        + "network, not a Gingham interface",
                "web.yaml: document 1 (line 3): skipped Deployment shop/web (apps/v1): Gingham does not use this kind"), set.warnings());
        ManifestObject web2 = set.object(new ManifestObject.Ref(ManifestKind.POD, "shop", "web-2"));
        assertEquals(new ManifestObject.Source("pods.yaml", 1, 2, "items[1]"), web2.source());
        assertEquals(set.fingerprint(), ManifestSet.fingerprint(ShopCluster.directory()));
        assertEquals(set.fingerprint(), ShopCluster.set().fingerprint(), "the same files give the same digest");
    }

    @Test
    void shouldSkipHiddenFilesSubdirectoriesAndOtherExtensionsWhenLoading(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("ns.yml"), "apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n");
        Files.writeString(dir.resolve(".ns.yaml.swp"), "garbage: [");
        Files.writeString(dir.resolve(".hidden.yaml"), "garbage: [");
        Files.writeString(dir.resolve("notes.txt"), "garbage: [");
        Files.createDirectory(dir.resolve("..data"));
        Files.writeString(dir.resolve("..data").resolve("ns.yaml"), "apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n");
        ManifestSet set = ManifestSet.load(dir);
        assertEquals(List.of("ns.yml"), set.files());
        assertEquals(1, set.namespaces().size());
    }

    @Test
    void shouldNameBothFilesWhenAnObjectIsDefinedTwice() {
        ManifestException e = assertThrows(ManifestException.class, () -> ManifestSet.of("shop",
                ShopCluster.with("web-copy.yaml", ShopCluster.files().get("web.yaml"))));
        assertEquals("""
                2 problems:
                  web.yaml: document 2 (line 27): Service shop/web: metadata.name: is also defined in web-copy.yaml: document 2 (line 27)
                  web.yaml: document 3 (line 53): EndpointSlice shop/web-abc12: metadata.name: is also defined in web-copy.yaml: \
                document 3 (line 53)""", e.getMessage());
    }

    @Test
    void shouldRejectAnObjectWhenItsNamespaceHasNoNamespaceObject() {
        ManifestException e = assertThrows(ManifestException.class, () -> ManifestSet.of("shop",
                ShopCluster.with("policy.yaml", ShopCluster.files().get("policy.yaml").replace("namespace: shop", "namespace: shpo"))));
        assertEquals("policy.yaml: document 1 (line 1): NetworkPolicy shpo/db-from-web: metadata.namespace: namespace 'shpo' "
                + "has no Namespace object in the manifests", e.getMessage());
    }

    @Test
    void shouldNameTheOtherObjectWhenTwoObjectsClaimOneAddressOrPort() {
        String extra = """
                apiVersion: v1
                kind: Pod
                metadata: {name: copy, namespace: shop}
                spec: {nodeName: node-a}
                status: {podIP: 10.244.1.20}
                ---
                apiVersion: v1
                kind: Service
                metadata: {name: dup, namespace: shop}
                spec:
                  type: NodePort
                  clusterIP: 10.96.0.50
                  ports: [{port: 81, nodePort: 30080}]
                ---
                apiVersion: v1
                kind: Node
                metadata: {name: node-d}
                spec: {podCIDR: 10.244.2.128/25}
                """;
        ManifestException e = assertThrows(ManifestException.class, () -> ManifestSet.of("shop", ShopCluster.with("zz.yaml", extra)));
        assertEquals(List.of(
                "zz.yaml: document 1 (line 1): Pod shop/copy: status.podIP: 10.244.1.20 is also the address of Pod shop/db-1 "
                        + "(pods.yaml: document 1 (line 2))",
                "zz.yaml: document 2 (line 7): Service shop/dup: spec.clusterIP: 10.96.0.50 is also the address of Service shop/web "
                        + "(web.yaml: document 2 (line 27))",
                "zz.yaml: document 2 (line 7): Service shop/dup: spec.ports[0].nodePort: 30080/TCP is also a nodePort of Service shop/web "
                        + "(web.yaml: document 2 (line 27))",
                "zz.yaml: document 3 (line 15): Node node-d: spec.podCIDRs[0]: 10.244.2.128/25 overlaps 10.244.2.0/24 of Node node-b "
                        + "(nodes.yaml: document 2 (line 15))"),
                e.problems().stream().map(Object::toString).toList());
    }

    @Test
    void shouldCollectTheProblemsOfEveryBadFileWhenSeveralAreBad() {
        Map<String, String> files = ShopCluster.with("nodes.yaml", "apiVersion: v1\nkind: Node\nmetadata: {name: n}\nspec: {podCIDR: x}\n");
        files.put("zz.yaml", "not: [valid");
        ManifestException e = assertThrows(ManifestException.class, () -> ManifestSet.of("shop", files));
        assertEquals(2, e.problems().size(), e.getMessage());
        assertEquals("nodes.yaml: document 1 (line 1): Node n: spec.podCIDR: CIDR 'x' has no /prefix-length", e.problems().get(0).toString());
        assertTrue(e.problems().get(1).toString().startsWith("zz.yaml: document 1: not valid YAML: "), e.getMessage());
    }

    @Test
    void shouldWarnWhenAnEndpointSliceHasNoService() {
        ManifestSet set = ManifestSet.of("shop", ShopCluster.with("dns.json", null));
        assertEquals(List.of("shop/web"), set.services().stream().map(s -> s.key()).toList());
        ManifestSet orphan = ManifestSet.of("shop", ShopCluster.with("web.yaml", ShopCluster.files().get("web.yaml")
                .replace("kubernetes.io/service-name: web", "kubernetes.io/service-name: webb")));
        assertTrue(orphan.warnings().contains("web.yaml: document 3 (line 53): EndpointSlice shop/web-abc12: no Service shop/webb "
                + "in the manifests; its endpoints are not used"), orphan.warnings().toString());
        assertNotEquals(orphan.fingerprint(), ShopCluster.set().fingerprint());
    }
}
