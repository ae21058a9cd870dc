package dev.gingham.dataplane.cni;

import dev.gingham.dataplane.cluster.ManifestSet;
import dev.gingham.dataplane.k8s.ManifestException;
import dev.gingham.dataplane.k8s.Pod;
import dev.gingham.nat.IpAddress;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AttachmentMergeTest {
    private static final ManifestSet CLUSTER = ManifestSet.of("test", Map.of("pods.yaml", """
            apiVersion: v1
            kind: Namespace
            metadata: {name: shop, labels: {team: a}}
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: web-1, namespace: shop, labels: {app: web}}
            spec:
              containers: [{name: main, image: x, ports: [{name: http, containerPort: 8080}]}]
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: db, namespace: shop, labels: {app: db}}
            spec: {nodeName: node-a, containers: [{name: main, image: x}]}
            status: {podIP: 10.244.1.20}
            """));

    private static CniAttachment attachment(String namespace, String name, String ip) {
        return new CniAttachment("c-" + name, "eth0", "/var/run/netns/cni-" + name, namespace, name, List.of(ip));
    }

    @Test
    void shouldKeepTheClustersLabelsAndPortsAndTakeTheAttachmentsAddressNetnsAndNode() {
        ManifestSet merged = AttachmentMerge.merge(CLUSTER, List.of(attachment("shop", "web-1", "10.244.1.5")), "node-a");

        Pod web = merged.pods().stream().filter(p -> p.name().equals("web-1")).findFirst().orElseThrow();
        assertEquals(Map.of("app", "web"), web.labels());
        assertEquals(8080, web.resolve("http", dev.gingham.dataplane.k8s.Protocol.TCP)[0]);
        assertEquals(List.of(IpAddress.parse("10.244.1.5")), web.ips());
        assertEquals("/var/run/netns/cni-web-1", web.netns());
        assertEquals("node-a", web.nodeName());
        assertEquals(3, merged.objects().size(), "replaced, not added");
    }

    @Test
    void shouldAddAPodWithoutLabelsAndItsNamespaceWhenTheClusterHasNeither() {
        ManifestSet merged = AttachmentMerge.merge(CLUSTER, List.of(attachment("batch", "job-7", "10.244.1.6")), "node-a");

        Pod job = merged.pods().stream().filter(p -> p.name().equals("job-7")).findFirst().orElseThrow();
        assertEquals(Map.of(), job.labels());
        assertEquals("batch", job.namespace());
        assertTrue(merged.namespaces().stream().anyMatch(n -> n.name().equals("batch") && n.labels().equals(Map.of(dev.gingham.dataplane.k8s.Namespace.NAME_LABEL, "batch"))));
    }

    @Test
    void shouldRefuseAnAttachmentWhoseAddressAnotherPodClaims() {
        ManifestException e = assertThrows(ManifestException.class,
                () -> AttachmentMerge.merge(CLUSTER, List.of(attachment("shop", "web-1", "10.244.1.20")), "node-a"));

        assertTrue(e.getMessage().contains("10.244.1.20") && e.getMessage().contains("cni-attachments"), e.getMessage());
    }

    @Test
    void shouldReturnTheClusterItselfWhenNothingIsAttached() {
        assertSame(CLUSTER, AttachmentMerge.merge(CLUSTER, List.of(), "node-a"));
    }
}
