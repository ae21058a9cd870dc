package dev.gingham.dataplane.kubeapi;

import dev.gingham.dataplane.cluster.ManifestSet;
import dev.gingham.dataplane.k8s.ManifestKind;
import dev.gingham.dataplane.k8s.Node;
import dev.gingham.dataplane.k8s.Pod;
import dev.gingham.dataplane.k8s.Protocol;
import dev.gingham.nat.IpAddress;
import dev.gingham.packet.header.Addresses;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Objects as an API server returns them (server-set metadata, full specs, status) become the
 * pseudo-files the manifest readers read: what the readers use survives, what changes without
 * meaning for Gingham does not change the file (so not the fingerprint either).
 */
class ApiObjectFilesTest {
    private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();
    private static final String POD = """
            apiVersion: v1
            kind: Pod
            metadata:
              name: web-1
              namespace: default
              uid: 7c1d2a55-0000-4000-8000-000000000001
              resourceVersion: "4711"
              creationTimestamp: "2026-11-22T10:00:00Z"
              labels: {app: web}
              annotations:
                gingham.dev/netns: shop-web-1
                kubectl.kubernetes.io/last-applied-configuration: '{"apiVersion":"v1","kind":"Pod"}'
              managedFields: [{manager: kubelet, operation: Update, apiVersion: v1}]
              ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: web-5d8f, uid: u1}]
            spec:
              nodeName: node-a
              serviceAccountName: default
              volumes: [{name: data, emptyDir: {}}]
              containers:
                - name: nginx
                  image: "nginx:1.27"
                  env: [{name: MODE, value: prod}]
                  ports: [{name: http, containerPort: 8080}]
                  readinessProbe: {httpGet: {path: /, port: 8080}}
            status:
              phase: Running
              podIP: 10.244.1.5
              podIPs: [{ip: 10.244.1.5}]
              hostIP: 192.168.50.10
              conditions: [{type: Ready, status: "True", lastTransitionTime: "2026-11-22T10:00:05Z"}]
              containerStatuses: [{name: nginx, ready: true, restartCount: 0, image: "nginx:1.27", imageID: x, started: true}]
            """;
    private static final String NODE = """
            apiVersion: v1
            kind: Node
            metadata:
              name: node-a
              resourceVersion: "99"
              annotations: {gingham.dev/underlay-mac: "52:54:00:00:00:0a"}
            spec: {podCIDR: 10.244.1.0/24, podCIDRs: [10.244.1.0/24]}
            status:
              addresses: [{type: InternalIP, address: 192.168.50.10}]
              conditions: [{type: Ready, status: "True", lastHeartbeatTime: "2026-11-22T10:00:00Z"}]
              images: [{names: ["nginx:1.27"], sizeBytes: 1}]
              nodeInfo: {kubeletVersion: v1.34.0}
            """;

    /** Returns: the pseudo-file of one object, written afresh (a new writer, no reuse). */
    private static Map<String, String> file(ManifestKind kind, String yaml, List<String> skipped) {
        Map<String, String> out = new TreeMap<>();
        ApiObjectFiles writer = new ApiObjectFiles(SERIALIZATION);
        writer.begin();
        writer.add(kind, SERIALIZATION.unmarshal(yaml, HasMetadata.class), out, skipped);
        writer.finish();
        return out;
    }

    @Test
    void shouldKeepWhatThePodReaderUsesAndDropTheRest() {
        Map<String, String> out = file(ManifestKind.POD, POD, new ArrayList<>());

        String text = out.get("Pod/default/web-1");
        for (String dropped : new String[] {"uid", "resourceVersion", "managedFields", "ownerReferences", "last-applied-configuration",
                "serviceAccountName", "volumes", "image", "env", "readinessProbe", "hostIP", "conditions", "containerStatuses", "phase"}) {
            assertFalse(text.contains(dropped), dropped + " is dropped:\n" + text);
        }
        Pod pod = ManifestSet.of("api", out).pods().getFirst();
        assertEquals(new Pod("default", "web-1", Map.of("app", "web"), null, pod.ports(), "node-a",
                List.of(IpAddress.parse("10.244.1.5")), "shop-web-1", 0), pod, "everything the reader reads survives");
        assertEquals(8080, pod.resolve("http", Protocol.TCP)[0]);
    }

    @Test
    void shouldWriteTheSameFileWhenOnlyServerSetFieldsAndStatusChurnChange() {
        String churned = POD.replace("\"4711\"", "\"4712\"").replace("restartCount: 0", "restartCount: 3")
                .replace("lastTransitionTime: \"2026-11-22T10:00:05Z\"", "lastTransitionTime: \"2026-11-22T11:00:00Z\"");
        String node2 = NODE.replace("\"99\"", "\"100\"").replace("10:00:00Z", "10:00:40Z").replace("v1.34.0", "v1.34.1");

        assertEquals(file(ManifestKind.POD, POD, new ArrayList<>()), file(ManifestKind.POD, churned, new ArrayList<>()));
        assertEquals(file(ManifestKind.NODE, NODE, new ArrayList<>()), file(ManifestKind.NODE, node2, new ArrayList<>()));
        assertNotEquals(file(ManifestKind.POD, POD, new ArrayList<>()),
                file(ManifestKind.POD, POD.replace("app: web", "app: api"), new ArrayList<>()), "a label change is a change");
    }

    @Test
    void shouldKeepTheNodesAddressesAndAnnotations() {
        Node node = ManifestSet.of("api", file(ManifestKind.NODE, NODE, new ArrayList<>())).nodes().getFirst();

        assertEquals(List.of(IpAddress.parse("192.168.50.10")), node.internalIps());
        assertEquals(Addresses.parseMac("52:54:00:00:00:0a"), node.underlayMac());
    }

    @Test
    void shouldSkipPendingAndFinishedPodsWithAReasonButKeepHostNetworkPodsForTheReader() {
        List<String> skipped = new ArrayList<>();
        Map<String, String> out = new TreeMap<>();
        out.putAll(file(ManifestKind.POD, POD.replace("  podIP: 10.244.1.5\n", "").replace("  podIPs: [{ip: 10.244.1.5}]\n", "")
                .replace("phase: Running", "phase: Pending"), skipped));
        out.putAll(file(ManifestKind.POD, POD.replace("web-1", "job-1").replace("phase: Running", "phase: Failed"), skipped));
        out.putAll(file(ManifestKind.POD, POD.replace("web-1", "proxy").replace("nodeName: node-a", "nodeName: node-a\n  hostNetwork: true")
                .replace("10.244.1.5", "192.168.50.10"), skipped));

        assertEquals(List.of("Pod/default/web-1: skipped: no status.podIP yet (phase Pending); it joins when it has an address",
                "Pod/default/job-1: skipped: phase Failed (a finished pod's address may already be another pod's)"), skipped);
        ManifestSet set = ManifestSet.of("api", out, skipped);
        assertTrue(set.pods().isEmpty());
        assertTrue(set.warnings().getLast().contains("skipped Pod default/proxy: a hostNetwork pod"), set.warnings().toString());
    }

    @Test
    void shouldReuseTheFileWhileUidAndResourceVersionAreTheSameAndWriteItAgainWhenEitherChanges() {
        ApiObjectFiles writer = new ApiObjectFiles(SERIALIZATION);
        HasMetadata v1 = SERIALIZATION.unmarshal(POD, HasMetadata.class);
        HasMetadata sameVersionOtherLabels = SERIALIZATION.unmarshal(POD.replace("app: web", "app: api"), HasMetadata.class);
        HasMetadata nextVersion = SERIALIZATION.unmarshal(POD.replace("app: web", "app: api").replace("\"4711\"", "\"4712\""),
                HasMetadata.class);

        Map<String, String> first = snapshot(writer, v1);
        assertEquals(first, snapshot(writer, sameVersionOtherLabels), "same resourceVersion: the written file is reused");
        String next = snapshot(writer, nextVersion).get("Pod/default/web-1");
        assertTrue(next.contains("app: \"api\"") || next.contains("app: api"), "a new version is written again: " + next);

        HasMetadata recreated = SERIALIZATION.unmarshal(POD.replace("app: web", "app: db").replace("000000000001", "000000000002"),
                HasMetadata.class);
        assertTrue(snapshot(writer, recreated).get("Pod/default/web-1").contains("db"),
                "the same resourceVersion with another uid (recreated on a restarted server) is written again");
    }

    private static Map<String, String> snapshot(ApiObjectFiles writer, HasMetadata object) {
        Map<String, String> out = new TreeMap<>();
        writer.begin();
        writer.add(ManifestKind.POD, object, out, new ArrayList<>());
        writer.finish();
        return out;
    }
}
