package dev.gingham.dataplane.node;

import dev.gingham.dataplane.cluster.ManifestSet;
import dev.gingham.dataplane.config.NodeConfig;
import dev.gingham.dataplane.program.NodePipeline;
import dev.gingham.encap.EndpointMap;
import dev.gingham.encap.IpCache;
import dev.gingham.packet.BufferPool;
import dev.gingham.packet.Cidr;
import dev.gingham.packet.FrameVector;
import dev.gingham.packet.PacketBuilder;
import dev.gingham.packet.Verdict;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A node whose maps are pinned, closed (the daemon died) and built again over the same pin
 * directory from changed manifests, with another hash seed argument (pinned maps keep the seed
 * their file was created with): established service flows keep their backend, pods keep their
 * endpoint slots, and what was deleted meanwhile (pods, a node, a policy) is gone from the
 * maps: endpoints, ipcache and tunnel peers.
 */
class PinnedNodeRestartTest {
    private static final String CLIENT_IP = "10.244.1.2";
    private static final String CLIENT_MAC = "0a:00:00:00:01:02";
    private static final String GATEWAY_MAC = "02:00:00:00:00:01";
    private static final String VIP = "10.96.0.10";
    private static final int FLOWS = 12;
    private static final long NOW_NS = 100_000_000_000L;
    /** 192.168.1.20: node-2, deleted while the daemon was down. */
    private static final int NODE_2_ADDRESS = 0xC0A8_0114;
    /** Ipcache prefixes of objects deleted while the daemon was down: pod "old", node-2's pod CIDR and pod, a policy's CIDR. */
    private static final String[] STALE_AFTER_RESTART = {"10.244.1.3/32", "10.244.2.0/24", "10.244.2.5/32", "203.0.113.0/24"};

    @TempDir
    Path dir;

    @Test
    void shouldKeepServiceBackendsAndSlotsWhenPinnedNodeIsRebuiltAfterADeathWithOtherManifests() {
        NodeConfig config = config();
        String[] backendOf = new String[FLOWS];
        Map<String, Integer> slotsBefore = new HashMap<>();
        try (ConfiguredNode node = ConfiguredNode.create(config, manifests(false), 0, 0, true, 1L, null);
             BufferPool pool = BufferPool.allocate(8, BufferPool.DEFAULT_BUFFER_SIZE)) {
            FrameVector vector = new FrameVector(pool);
            NodePipeline pipeline = node.state().pipeline(0);
            for (int f = 0; f < FLOWS; f++) {
                backendOf[f] = sendToService(node, pipeline, vector, 40000 + f, PacketBuilder.SYN);
            }
            for (String pod : new String[] {"old", "client", "web-1", "web-2", "web-3"}) {
                slotsBefore.put(pod, node.port("demo/" + pod));
            }
            assertNotNull(node.restoreSummary(), "pinned: a summary even for a first start");
            IpCache ipCache = node.state().maps().ipCache();
            for (String prefix : STALE_AFTER_RESTART) {
                assertNotEquals(IpCache.MISSING, ipCache.lookupExact(Cidr.parse(prefix)), prefix + " is installed before the restart");
            }
            assertTrue(node.state().maps().peers().isPeer(NODE_2_ADDRESS), "node-2 is a tunnel peer before the restart");
        }

        // the daemon died; meanwhile pod "old" was deleted and web-4 added; the next start uses another seed argument
        try (ConfiguredNode node = ConfiguredNode.create(config, manifests(true), 0, 0, true, 2L, null);
             BufferPool pool = BufferPool.allocate(8, BufferPool.DEFAULT_BUFFER_SIZE)) {
            FrameVector vector = new FrameVector(pool);
            NodePipeline pipeline = node.state().pipeline(0);
            assertTrue(node.state().maps().conntrack().tcpCount() >= FLOWS, "the established flows were reopened");
            for (int f = 0; f < FLOWS; f++) {
                assertEquals(backendOf[f], sendToService(node, pipeline, vector, 40000 + f, PacketBuilder.ACK),
                        "flow " + f + " kept its backend");
            }
            for (String pod : new String[] {"client", "web-1", "web-2", "web-3"}) {
                assertEquals(slotsBefore.get(pod), node.port("demo/" + pod), pod + " kept its endpoint slot");
            }
            int web4 = node.port("demo/web-4");
            assertTrue(web4 >= 0 && !slotsBefore.containsValue(web4), "the newcomer got a free slot: " + web4);
            EndpointMap endpoints = node.state().maps().endpoints();
            assertEquals(EndpointMap.MISSING, endpoints.lookup4(0x0AF4_0103), "the deleted pod's address is gone");
            assertEquals(EndpointMap.NO_MAC, endpoints.portMac(slotsBefore.get("old")), "the deleted pod's port MAC is gone");
            assertTrue(node.restoreSummary().contains("(1 of deleted pods removed)"), node.restoreSummary());

            // the ipcache entries of what was deleted meanwhile (a pod here, a node with its pod,
            // a policy's CIDR) are gone; those of pods still there are kept
            IpCache ipCache = node.state().maps().ipCache();
            for (String prefix : STALE_AFTER_RESTART) {
                assertEquals(IpCache.MISSING, ipCache.lookupExact(Cidr.parse(prefix)), prefix + " was pruned");
            }
            assertEquals(IpCache.MISSING, ipCache.lookup4(0x0AF4_0205), "nothing routes the deleted node's pod any more");
            long web1 = ipCache.lookupExact(Cidr.parse("10.244.1.11/32"));
            assertNotEquals(IpCache.MISSING, web1, "a pod still in the cluster keeps its entry");
            assertNotEquals(0, ipCache.identity(web1), "with its identity");
            assertTrue(node.restoreSummary().contains("(" + STALE_AFTER_RESTART.length + " no longer in the cluster removed)"),
                    node.restoreSummary());
            assertFalse(node.state().maps().peers().isPeer(NODE_2_ADDRESS), "the deleted node is no tunnel peer any more");
            assertTrue(node.restoreSummary().contains("2 tunnel peer entries of deleted nodes removed"), node.restoreSummary());
        }
    }

    @Test
    void shouldStartWithEmptyMapsWhenPinDirectoryIsFromAnEarlierBoot() throws Exception {
        NodeConfig config = config();
        Path pins = dir.resolve("pins");
        try (ConfiguredNode node = ConfiguredNode.create(config, manifests(false), 0, 0, true, 1L, null, "boot-a");
             BufferPool pool = BufferPool.allocate(8, BufferPool.DEFAULT_BUFFER_SIZE)) {
            FrameVector vector = new FrameVector(pool);
            for (int f = 0; f < FLOWS; f++) {
                sendToService(node, node.state().pipeline(0), vector, 40000 + f, PacketBuilder.SYN);
            }
            assertTrue(node.state().maps().conntrack().tcpCount() >= FLOWS);
        }
        Files.createDirectories(pins.resolve("cni"));
        Files.writeString(pins.resolve("cni/10.244.1.50"), "an address allocation");

        // a restart in the same boot keeps the flows
        try (ConfiguredNode node = ConfiguredNode.create(config, manifests(false), 0, 0, true, 1L, null, "boot-a")) {
            assertTrue(node.state().maps().conntrack().tcpCount() >= FLOWS, "same boot: flows kept");
            assertFalse(node.restoreSummary().contains("earlier boot"), node.restoreSummary());
        }
        // the machine rebooted: nothing of the old flows may come back, the cluster state is applied afresh
        try (ConfiguredNode node = ConfiguredNode.create(config, manifests(true), 0, 0, true, 1L, null, "boot-b")) {
            assertEquals(0, node.state().maps().conntrack().tcpCount() + node.state().maps().conntrack().nonTcpCount(),
                    "another boot: no conntrack entry restored");
            assertTrue(node.restoreSummary().startsWith("pin directory " + pins + " is from an earlier boot (boot id boot-a)"),
                    node.restoreSummary());
            assertTrue(node.restoreSummary().contains("(0 of deleted pods removed)"), "nothing stale to prune: " + node.restoreSummary());
            assertEquals(IpCache.MISSING, node.state().maps().ipCache().lookupExact(Cidr.parse("10.244.2.0/24")),
                    "the deleted node's route did not come back");
            assertNotEquals(IpCache.MISSING, node.state().maps().ipCache().lookupExact(Cidr.parse("10.244.1.14/32")),
                    "the manifests' pods are installed");
        }
        assertEquals("boot-b", Files.readString(pins.resolve(PinnedBoot.STAMP_FILE)).strip());
        assertEquals("an address allocation", Files.readString(pins.resolve("cni/10.244.1.50")), "CNI state is not a map: kept");
    }

    private NodeConfig config() {
        return NodeConfig.parse("""
                nodeName: node-1
                nodeAddresses: [192.168.1.10]
                podCIDRs: [10.244.1.0/24]
                clusterCIDRs: [10.244.0.0/16]
                serviceCIDRs: [10.96.0.0/12]
                gateway: {mac: "%s"}
                underlay: {interface: eth0, mac: "02:00:00:00:00:10", nextHopMac: "02:00:00:00:00:fe"}
                pinDirectory: %s
                maps: {endpoints: 8}
                """.formatted(GATEWAY_MAC, dir.resolve("pins")), "test node.yaml");
    }

    /** Sends one TCP frame of flow {@code clientPort} to the VIP; returns the backend address it was sent to. */
    private static String sendToService(ConfiguredNode node, NodePipeline pipeline, FrameVector vector, int clientPort, int flags) {
        vector.releaseAll();
        PacketBuilder.load(vector, node.port("demo/client"), PacketBuilder.tcp4(CLIENT_IP, clientPort, VIP, 80).flags(flags)
                .srcMac(CLIENT_MAC).dstMac(GATEWAY_MAC).build());
        pipeline.run(vector, NOW_NS);
        int verdict = vector.verdict(0);
        assertTrue(Verdict.isTx(verdict), "forwarded to a backend: verdict " + verdict);
        byte[] out = PacketBuilder.bytesOf(vector, 0);
        vector.releaseAll();
        return (out[30] & 0xFF) + "." + (out[31] & 0xFF) + "." + (out[32] & 0xFF) + "." + (out[33] & 0xFF);
    }

    private static ManifestSet manifests(boolean afterRestart) {
        StringBuilder yaml = new StringBuilder("""
                apiVersion: v1
                kind: Namespace
                metadata: {name: demo}
                ---
                apiVersion: v1
                kind: Node
                metadata: {name: node-1}
                spec: {podCIDR: 10.244.1.0/24}
                status: {addresses: [{type: InternalIP, address: 192.168.1.10}]}
                """);
        if (!afterRestart) {
            yaml.append(pod("old", "other", "10.244.1.3", "0a:00:00:00:01:03"));
            yaml.append("""
                    ---
                    apiVersion: v1
                    kind: Node
                    metadata: {name: node-2}
                    spec: {podCIDR: 10.244.2.0/24}
                    status: {addresses: [{type: InternalIP, address: 192.168.1.20}]}
                    ---
                    apiVersion: v1
                    kind: Pod
                    metadata: {name: remote, namespace: demo, labels: {app: remote}}
                    spec: {nodeName: node-2}
                    status: {podIP: 10.244.2.5}
                    ---
                    apiVersion: networking.k8s.io/v1
                    kind: NetworkPolicy
                    metadata: {name: old-to-partner, namespace: demo}
                    spec:
                      podSelector: {matchLabels: {app: other}}
                      policyTypes: [Egress]
                      egress:
                      - to: [{ipBlock: {cidr: 203.0.113.0/24}}]
                    """);
        }
        yaml.append(pod("client", "client", CLIENT_IP, CLIENT_MAC));
        int webs = afterRestart ? 4 : 3;
        StringBuilder endpoints = new StringBuilder();
        for (int w = 1; w <= webs; w++) {
            yaml.append(pod("web-" + w, "web", "10.244.1." + (10 + w), "0a:00:00:00:01:1" + w));
            endpoints.append("  - addresses: [10.244.1.").append(10 + w).append("]\n    conditions: {ready: true}\n    nodeName: node-1\n");
        }
        yaml.append("""
                ---
                apiVersion: v1
                kind: Service
                metadata: {name: web, namespace: demo}
                spec:
                  clusterIP: %s
                  ports: [{name: http, protocol: TCP, port: 80, targetPort: 8080}]
                ---
                apiVersion: discovery.k8s.io/v1
                kind: EndpointSlice
                metadata: {name: web-1, namespace: demo, labels: {kubernetes.io/service-name: web}}
                addressType: IPv4
                ports: [{name: http, protocol: TCP, port: 8080}]
                endpoints:
                """.formatted(VIP)).append(endpoints);
        return ManifestSet.of("test", Map.of("cluster.yaml", yaml.toString()));
    }

    private static String pod(String name, String app, String ip, String mac) {
        return """
                ---
                apiVersion: v1
                kind: Pod
                metadata: {name: %s, namespace: demo, labels: {app: %s}, annotations: {gingham.dev/mac: "%s"}}
                spec: {nodeName: node-1}
                status: {podIP: %s}
                """.formatted(name, app, mac, ip);
    }
}
