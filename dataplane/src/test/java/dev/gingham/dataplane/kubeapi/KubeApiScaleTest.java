package dev.gingham.dataplane.kubeapi;

import dev.gingham.dataplane.cluster.ManifestSet;
import dev.gingham.dataplane.config.NodeConfig;
import dev.gingham.dataplane.daemon.DaemonLog;
import dev.gingham.dataplane.node.ConfiguredNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.Locale;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/**
 * What a whole-snapshot source costs at a moderate scale: 1,000 pods on 10 nodes and 500
 * Services with an EndpointSlice each (2,010 objects plus namespaces) in the mock API server, then
 * the three steps of one publication timed separately, for the first set and for a set after one
 * Service changed: the snapshot (serialize and trim every cached object, fingerprint), reading it
 * (parse and check every object, as a manifests directory), applying it (ClusterApplier's diff).
 * The numbers are printed (target/surefire-reports/...KubeApiScaleTest-output.txt) and quoted in
 * docs/architecture.md; the assertions check the result, not the time (a shared machine).
 */
@Timeout(600)
class KubeApiScaleTest {
    static final int NODES = 10;
    static final int PODS = 1000;
    static final int SERVICES = 500;
    private static final int ROUNDS = 3;
    private static final String NODE_YAML = """
            nodeName: node-0
            nodeAddresses: [192.168.50.10]
            podCIDRs: [10.244.0.0/24]
            clusterCIDRs: [10.244.0.0/16]
            serviceCIDRs: [10.96.0.0/12]
            underlay: {interface: eth0, nextHopMac: "52:54:00:00:00:01"}
            maps: {endpoints: 256}
            """;

    private static String node(int n) {
        return """
                apiVersion: v1
                kind: Node
                metadata: {name: node-%d}
                spec: {podCIDR: 10.244.%d.0/24}
                status: {addresses: [{type: InternalIP, address: 192.168.50.%d}]}
                """.formatted(n, n, 10 + n);
    }

    /** Pod p: on node p % NODES, address 10.244.(p % NODES).(p / NODES + 2), label app=svc-(p / 2). */
    private static String podIp(int p) {
        return "10.244." + (p % NODES) + "." + (p / NODES + 2);
    }

    private static String pod(int p) {
        return """
                apiVersion: v1
                kind: Pod
                metadata: {name: pod-%d, namespace: scale, labels: {app: svc-%d}}
                spec:
                  nodeName: node-%d
                  containers: [{name: app, image: "app:1", ports: [{name: http, containerPort: 8080}]}]
                status: {phase: Running, podIP: %s}
                """.formatted(p, p / 2, p % NODES, podIp(p));
    }

    private static String service(int s, int port) {
        return """
                apiVersion: v1
                kind: Service
                metadata: {name: svc-%d, namespace: scale}
                spec:
                  clusterIP: 10.96.%d.%d
                  selector: {app: svc-%d}
                  ports: [{name: http, port: %d, targetPort: http}]
                """.formatted(s, s / 250, s % 250 + 1, s, port);
    }

    private static String slice(int s) {
        return """
                apiVersion: discovery.k8s.io/v1
                kind: EndpointSlice
                metadata: {name: svc-%d-x, namespace: scale, labels: {kubernetes.io/service-name: svc-%d}}
                addressType: IPv4
                ports: [{name: http, port: 8080, protocol: TCP}]
                endpoints:
                  - {addresses: [%s], conditions: {ready: true}}
                  - {addresses: [%s], conditions: {ready: true}}
                """.formatted(s, s, podIp(2 * s), podIp(2 * s + 1));
    }

    @Test
    void shouldBuildAndApplyASetOf1000PodsAnd500ServicesFromTheInformerCaches() throws Exception {
        try (MockApiServer api = new MockApiServer()) {
            api.apply("apiVersion: v1\nkind: Namespace\nmetadata: {name: scale}\n");
            for (int n = 0; n < NODES; n++) {
                api.apply(node(n));
            }
            for (int p = 0; p < PODS; p++) {
                api.apply(pod(p));
            }
            for (int s = 0; s < SERVICES; s++) {
                api.apply(service(s, 80));
                api.apply(slice(s));
            }
            ByteArrayOutputStream logged = new ByteArrayOutputStream();
            DaemonLog log = new DaemonLog(new PrintStream(logged, true, StandardCharsets.UTF_8), false);
            NodeConfig config = NodeConfig.parse(NODE_YAML, "node.yaml");
            try (KubeApiSource source = new KubeApiSource(api.newClient(), true,
                    KubeApiSource.Settings.defaults().withSyncTimeout(Duration.ofSeconds(120)), log)) {
                ManifestSet initial = source.initial();
                System.out.println("kubeapi scale, first set (every object serialized): " + logged.toString(StandardCharsets.UTF_8).strip());
                assertEquals(1 + NODES + PODS + 2 * SERVICES, initial.objects().size());

                long[] snapshotNs = new long[ROUNDS];
                long[] readNs = new long[ROUNDS];
                long[] createNs = new long[ROUNDS];
                long[] changedApplyNs = new long[ROUNDS];
                for (int round = 0; round < ROUNDS; round++) {
                    long t0 = System.nanoTime();
                    KubeApiSource.Snapshot snapshot = source.snapshot();
                    long t1 = System.nanoTime();
                    ManifestSet set = snapshot.read();
                    long t2 = System.nanoTime();
                    try (ConfiguredNode node = ConfiguredNode.create(config, set, 0, 0, false, 1L, null)) {
                        long t3 = System.nanoTime();
                        assertEquals(SERVICES, node.applied().services().size());
                        assertEquals(PODS / NODES, node.applied().localPods().size());

                        long events = source.events();
                        api.apply(service(round, 81 + round));
                        awaitEvent(source, events);
                        long t4 = System.nanoTime();
                        node.apply(source.snapshot().read());
                        long t5 = System.nanoTime();
                        assertEquals(81 + round, node.applied().services().get("scale/svc-" + round).ports().getFirst().port());
                        snapshotNs[round] = t1 - t0;
                        readNs[round] = t2 - t1;
                        createNs[round] = t3 - t2;
                        changedApplyNs[round] = t5 - t4;
                    }
                }
                System.out.println(String.format(Locale.ROOT, "kubeapi scale: %d objects (%d pods on %d nodes, %d services, %d slices);"
                                + " best of %d: snapshot (files reused) %.0f ms, read %.0f ms, apply to new maps %.0f ms;"
                                + " one Service changed: snapshot+read+apply %.0f ms",
                        initial.objects().size(), PODS, NODES, SERVICES, SERVICES, ROUNDS, ms(snapshotNs), ms(readNs), ms(createNs),
                        ms(changedApplyNs)));
            }
        }
    }

    private static void awaitEvent(KubeApiSource source, long before) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (source.events() == before) {
            assertNotNull(System.nanoTime() < deadline ? "" : null, "no informer event within 30 s");
            Thread.sleep(5);
        }
    }

    private static double ms(long[] ns) {
        return Arrays.stream(ns).min().orElseThrow() / 1e6;
    }
}
