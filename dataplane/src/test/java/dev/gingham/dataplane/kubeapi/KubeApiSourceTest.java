package dev.gingham.dataplane.kubeapi;

import dev.gingham.dataplane.cluster.ManifestSet;
import dev.gingham.dataplane.daemon.DaemonLog;
import dev.gingham.dataplane.k8s.ManifestException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The API server as a cluster source, against fabric8's mock API server in CRUD mode: what is
 * created, updated and deleted there reaches the node's maps (service frontends and backends, the
 * endpoint map's local pods) through one ManifestSet per burst; a bad object is rejected naming it
 * and the state before it stays; a restarted server is listed again. Every wait has a deadline.
 */
@Timeout(180)
class KubeApiSourceTest {
    static final String NAMESPACE = """
            apiVersion: v1
            kind: Namespace
            metadata: {name: shop}
            """;
    static final String NODE_A = """
            apiVersion: v1
            kind: Node
            metadata: {name: node-a, labels: {kubernetes.io/hostname: node-a}}
            spec: {podCIDR: 10.244.1.0/24, podCIDRs: [10.244.1.0/24]}
            status:
              addresses: [{type: InternalIP, address: 192.168.50.10}, {type: Hostname, address: node-a}]
              conditions: [{type: Ready, status: "True", lastHeartbeatTime: "2026-11-22T10:00:00Z"}]
            """;
    static final String NODE_B = """
            apiVersion: v1
            kind: Node
            metadata: {name: node-b, annotations: {gingham.dev/underlay-mac: "52:54:00:00:00:0b"}}
            spec: {podCIDRs: [10.244.2.0/24]}
            status: {addresses: [{type: InternalIP, address: 192.168.50.11}]}
            """;
    static final String WEB_1 = """
            apiVersion: v1
            kind: Pod
            metadata: {name: web-1, namespace: shop, labels: {app: web}}
            spec:
              nodeName: node-a
              containers: [{name: nginx, image: "nginx:1.27", ports: [{name: http, containerPort: 8080}]}]
            status: {phase: Running, podIP: 10.244.1.5, podIPs: [{ip: 10.244.1.5}]}
            """;
    static final String WEB_2 = """
            apiVersion: v1
            kind: Pod
            metadata: {name: web-2, namespace: shop, labels: {app: web}}
            spec:
              nodeName: node-b
              containers: [{name: nginx, image: "nginx:1.27", ports: [{name: http, containerPort: 8080}]}]
            status: {phase: Running, podIP: 10.244.2.7}
            """;
    static final String SERVICE = """
            apiVersion: v1
            kind: Service
            metadata: {name: web, namespace: shop}
            spec:
              clusterIP: 10.96.0.10
              selector: {app: web}
              ports: [{name: http, port: 80, targetPort: http}]
            """;
    static final String SLICE = """
            apiVersion: discovery.k8s.io/v1
            kind: EndpointSlice
            metadata: {name: web-x1, namespace: shop, labels: {kubernetes.io/service-name: web}}
            addressType: IPv4
            ports: [{name: http, port: 8080, protocol: TCP}]
            endpoints:
              - {addresses: [10.244.1.5], conditions: {ready: true}, nodeName: node-a}
              - {addresses: [10.244.2.7], conditions: {ready: true}, nodeName: node-b}
            """;
    /** Generous: the first start in a JVM loads the client and the model classes (18 s seen on a loaded 2-core machine). */
    private static final Duration SYNC_TIMEOUT = Duration.ofSeconds(90);
    private static final Set<String> BOTH = Set.of("10.244.1.5:8080", "10.244.2.7:8080");

    private MockApiServer api;
    private final ByteArrayOutputStream logged = new ByteArrayOutputStream();
    private final DaemonLog log = new DaemonLog(new PrintStream(logged, true, StandardCharsets.UTF_8), true);

    @BeforeEach
    void server() {
        api = new MockApiServer();
    }

    @AfterEach
    void stop() {
        api.close();
    }

    private KubeApiSource source(KubeApiSource.Settings settings) {
        return new KubeApiSource(api.newClient(), true, settings, log);
    }

    private KubeApiSource source() {
        return source(KubeApiSource.Settings.defaults().withSyncTimeout(SYNC_TIMEOUT));
    }

    private void shop() {
        for (String yaml : new String[] {NAMESPACE, NODE_A, NODE_B, WEB_1, WEB_2, SERVICE, SLICE}) {
            api.apply(yaml);
        }
    }

    @Test
    void shouldApplyTheApiServersObjectsWhenTheSourceStarts() throws Exception {
        shop();
        try (AppliedNode node = new AppliedNode(source())) {
            assertEquals(BOTH, node.backends("10.96.0.10", 80), "frontend and backends from the Service and its EndpointSlice");
            assertEquals(Set.of("shop/web-1"), node.localPods(), "only the pod whose nodeName is node-a gets an endpoint");
            assertEquals(Set.of("EndpointSlice/shop/web-x1", "Namespace/shop", "Node/node-a", "Node/node-b", "Pod/shop/web-1",
                    "Pod/shop/web-2", "Service/shop/web"), Set.copyOf(node.applied().files()), "one pseudo-file per object");
        }
    }

    @Test
    void shouldApplyANewServicePortAndNewEndpointsWhenTheObjectsAreUpdated() throws Exception {
        shop();
        try (AppliedNode node = new AppliedNode(source())) {
            api.apply(SERVICE.replace("port: 80,", "port: 81,"));
            node.await("port 81 serves, port 80 is gone", n -> n.backends("10.96.0.10", 81).equals(BOTH)
                    && n.backends("10.96.0.10", 80).isEmpty());

            api.apply(SLICE.replace("  - {addresses: [10.244.2.7], conditions: {ready: true}, nodeName: node-b}\n", ""));
            node.await("the remote endpoint is removed", n -> n.backends("10.96.0.10", 81).equals(Set.of("10.244.1.5:8080")));
        }
    }

    @Test
    void shouldRemoveTheServiceAndThePodWhenTheyAreDeleted() throws Exception {
        shop();
        try (AppliedNode node = new AppliedNode(source())) {
            api.delete(SERVICE);
            api.delete(WEB_1);
            node.await("no frontend, no local pod", n -> n.backends("10.96.0.10", 80).isEmpty() && n.localPods().isEmpty());
        }
    }

    @Test
    void shouldRejectAnInvalidServiceNamingItAndKeepThePreviousState() throws Exception {
        shop();
        try (AppliedNode node = new AppliedNode(source())) {
            String before = node.applied().fingerprint();
            api.apply("""
                    apiVersion: v1
                    kind: Service
                    metadata: {name: bad, namespace: shop}
                    spec: {clusterIP: 10.96.0.20, ports: [{port: 70000}]}
                    """);
            String rejection = node.awaitRejection();

            assertTrue(rejection.contains("Service/shop/bad: document 1"), "names the object: " + rejection);
            assertTrue(rejection.contains("Service shop/bad: spec.ports[0].port: must be 1..65535, got 70000"), "names the field: " + rejection);
            System.out.println("rejected: " + rejection);
            assertEquals(before, node.applied().fingerprint(), "the set in force is still the one before");
            assertEquals(BOTH, node.backends("10.96.0.10", 80), "the previous state serves");

            api.apply(SERVICE.replace("name: web,", "name: bad,").replace("10.96.0.10", "10.96.0.20"));
            node.await("the corrected service is applied", n -> n.hasFrontend("10.96.0.20", 80));
        }
    }

    @Test
    void shouldSkipAPodWithoutAnAddressWithAWarningAndAddItWhenItGetsOne() throws Exception {
        shop();
        String pending = WEB_1.replace("web-1", "web-3").replace("status: {phase: Running, podIP: 10.244.1.5, podIPs: [{ip: 10.244.1.5}]}",
                "status: {phase: Pending}");
        api.apply(pending);
        try (AppliedNode node = new AppliedNode(source())) {
            assertEquals(Set.of("shop/web-1"), node.localPods());
            assertTrue(node.applied().warnings().stream().anyMatch(w -> w.startsWith("Pod/shop/web-3: skipped: no status.podIP")),
                    "warned: " + node.applied().warnings());

            api.apply(pending.replace("status: {phase: Pending}", "status: {phase: Running, podIP: 10.244.1.6}"));
            node.await("web-3 joins with its address", n -> n.localPods().equals(Set.of("shop/web-1", "shop/web-3")));

            api.apply(pending.replace("status: {phase: Pending}", "status: {phase: Succeeded, podIP: 10.244.1.6}"));
            node.await("a finished pod leaves", n -> n.localPods().equals(Set.of("shop/web-1")));
            assertTrue(node.applied().warnings().stream().anyMatch(w -> w.startsWith("Pod/shop/web-3: skipped: phase Succeeded")),
                    "warned: " + node.applied().warnings());
        }
    }

    @Test
    void shouldListAgainWhenARestartedServerNoLongerHasTheWatchedVersion() throws Exception {
        shop();
        try (AppliedNode node = new AppliedNode(source())) {
            // every watch drops; the new server has no web-2 and the Service on port 81
            api.restart(NAMESPACE, NODE_A, NODE_B, WEB_1, SLICE, SERVICE.replace("port: 80,", "port: 81,"));

            node.await("web-2 gone (only a list can tell), port 81 serves", n -> !n.applied().files().contains("Pod/shop/web-2")
                    && n.backends("10.96.0.10", 81).equals(BOTH) && n.backends("10.96.0.10", 80).isEmpty());
            assertTrue(api.goneAnswers() > 0, "the reconnecting watches were told their version is gone");
        }
    }

    @Test
    void shouldNotPublishWhenAResyncReplaysUnchangedCaches() throws Exception {
        shop();
        KubeApiSource source = source(KubeApiSource.Settings.defaults().withSyncTimeout(SYNC_TIMEOUT)
                .withResyncPeriod(Duration.ofMillis(100)));
        try (AppliedNode node = new AppliedNode(source)) {
            long events = source.events();
            long builds = source.builds();
            node.await("two resyncs replayed the caches and were built", n -> source.events() >= events + 14
                    && source.builds() >= builds + 1);

            assertNull(source.poll(), "an unchanged set is not published");
            assertEquals(BOTH, node.backends("10.96.0.10", 80));
        }
    }

    @Test
    void shouldNameTheServerWhenItDoesNotAnswerWithinTheSyncTimeout() throws Exception {
        int port;
        try (java.net.ServerSocket closed = new java.net.ServerSocket(0)) {
            port = closed.getLocalPort();
        }
        io.fabric8.kubernetes.client.Config config = new io.fabric8.kubernetes.client.ConfigBuilder()
                .withMasterUrl("http://127.0.0.1:" + port).withRequestRetryBackoffLimit(0).build();
        try (KubeApiSource source = new KubeApiSource(new io.fabric8.kubernetes.client.KubernetesClientBuilder().withConfig(config).build(),
                true, KubeApiSource.Settings.defaults().withSyncTimeout(Duration.ofSeconds(2)), log)) {
            long started = System.nanoTime();
            IllegalStateException e = assertThrows(IllegalStateException.class, source::initial);

            assertTrue(e.getMessage().contains("http://127.0.0.1:" + port), e.getMessage());
            assertTrue(e.getMessage().contains("not every kind listed within 2 s"), e.getMessage());
            assertTrue(e.getMessage().contains("Pods"), "names what it waited for: " + e.getMessage());
            assertTrue(System.nanoTime() - started < Duration.ofSeconds(10).toNanos(), "bounded by the sync timeout");
        }
    }

    @Test
    void shouldRejectAnInvalidInitialStateNamingTheObject() {
        shop();
        api.apply(SERVICE.replace("name: web,", "name: dup,"));
        try (KubeApiSource source = source()) {
            ManifestException e = assertThrows(ManifestException.class, source::initial);

            assertTrue(e.getMessage().contains("Service/shop/dup"), e.getMessage());
            assertTrue(e.getMessage().contains("10.96.0.10 is also the address of"), e.getMessage());
        }
    }

    @Test
    void shouldReadEgressGatewayPoliciesWhenTheApiServesThem() throws Exception {
        shop();
        api.applyGeneric(KubeApiSource.EGRESS_GATEWAY_POLICIES, """
                apiVersion: cilium.io/v2
                kind: CiliumEgressGatewayPolicy
                metadata: {name: web-out}
                spec:
                  selectors: [{podSelector: {matchLabels: {app: web}}}]
                  destinationCIDRs: [198.51.100.0/24]
                  egressGateway: {nodeSelector: {matchLabels: {kubernetes.io/hostname: node-a}}, egressIP: 192.168.50.100}
                """);
        try (KubeApiSource source = source()) {
            ManifestSet set = source.initial();

            assertEquals(1, set.egressGatewayPolicies().size(), set.files().toString());
            assertEquals("web-out", set.egressGatewayPolicies().getFirst().name());
        }
    }

    @Test
    void shouldFailAtOnceNamingTheKindWhenTheRoleMayNotListIt() {
        shop();
        api.refuse("/api/v1/pods", 403);
        try (KubeApiSource source = source()) {
            long started = System.nanoTime();
            IllegalStateException e = assertThrows(IllegalStateException.class, source::initial);

            assertTrue(e.getMessage().startsWith("Kubernetes API " + api.url() + " cannot list Pods: "), e.getMessage());
            assertTrue(e.getMessage().contains("see deploy/rbac.yaml"), e.getMessage());
            assertTrue(System.nanoTime() - started < SYNC_TIMEOUT.toNanos() / 2, "without waiting for the sync timeout");
        }
    }

    @Test
    void shouldRunWithoutEgressGatewayPoliciesWhenTheCrdIsNotInstalled() throws Exception {
        shop();
        api.refuse("/apis/cilium.io/v2/ciliumegressgatewaypolicies", 404);
        try (AppliedNode node = new AppliedNode(source())) {
            assertEquals(BOTH, node.backends("10.96.0.10", 80));
            assertTrue(logged.toString(StandardCharsets.UTF_8).contains("CiliumEgressGatewayPolicy is not served (CRD not installed)"),
                    logged.toString(StandardCharsets.UTF_8));

            api.apply(SERVICE.replace("port: 80,", "port: 82,"));
            node.await("later changes still apply", n -> n.backends("10.96.0.10", 82).equals(BOTH));
        }
    }
}
