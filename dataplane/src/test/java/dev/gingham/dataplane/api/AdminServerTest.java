package dev.gingham.dataplane.api;

import dev.gingham.dataplane.neighbour.NeighbourSnapshot;
import dev.gingham.dataplane.neighbour.NeighbourTable;
import dev.gingham.packet.DropReason;
import dev.gingham.packet.PacketBuilder;
import dev.gingham.packet.Verdict;
import dev.gingham.packet.header.TcpHeader;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import tools.jackson.databind.JsonNode;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import java.util.stream.Stream;

import static dev.gingham.dataplane.program.NodeFixture.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The admin API over loopback TCP against a node with real traffic in its maps (see
 * {@link ApiFixture}): every path's body holds what the frames must have produced.
 */
@Timeout(60)
class AdminServerTest {
    private final ApiFixture api = new ApiFixture();

    @AfterEach
    void tearDown() {
        api.close();
    }

    private JsonNode json(String path) throws Exception {
        HttpResponse<String> r = api.get(path);
        assertEquals(200, r.statusCode(), r.body());
        assertEquals("application/json", r.headers().firstValue("content-type").orElseThrow());
        return ApiJson.MAPPER.readTree(r.body());
    }

    @Test
    void shouldReportHealthyWithWorkersAndManifestsWhenEveryWorkerRuns() throws Exception {
        JsonNode health = json("/healthz");

        assertEquals("ok", health.get("status").asString());
        assertEquals("node-1", health.get("node").asString());
        assertEquals(42.5, health.get("uptimeSeconds").asDouble());
        assertEquals(0.25, health.get("workers").get(0).get("busyRatio").asDouble());
        assertEquals("sha256:abc", health.get("manifests").get("fingerprint").asString());
        assertEquals("2026-11-22T10:00:00Z", health.get("manifests").get("appliedAt").asString());
    }

    @Test
    void shouldAnswer503NamingTheWorkerWhenAWorkerDied() throws Exception {
        api.telemetry.workers(List.of(new NodeTelemetry.WorkerStats(0, true, 0.5), new NodeTelemetry.WorkerStats(1, false, 0)));

        HttpResponse<String> r = api.get("/healthz");

        assertEquals(503, r.statusCode());
        JsonNode health = ApiJson.MAPPER.readTree(r.body());
        assertEquals("unhealthy", health.get("status").asString());
        assertEquals("worker 1 is not running", health.get("problems").get(0).asString());
    }

    @Test
    void shouldExportPrometheusTextWithTheCountsTheFramesProduced() throws Exception {
        HttpResponse<String> r = api.get("/metrics");

        assertEquals(200, r.statusCode());
        assertEquals(PrometheusText.CONTENT_TYPE, r.headers().firstValue("content-type").orElseThrow());
        List<String> lines = r.body().lines().toList();
        for (String expected : List.of(
                "# TYPE gingham_drops_total counter",
                "gingham_drops_total{reason=\"INVALID_SOURCE_IP\",code=\"132\",direction=\"egress\"} 1",
                "gingham_conntrack_entries{table=\"tcp\",family=\"ipv4\"} 2",
                "gingham_conntrack_entries{table=\"other\",family=\"ipv4\"} 1",
                "gingham_conntrack_entries{table=\"tcp\",family=\"ipv6\"} 0",
                "gingham_conntrack_capacity{table=\"tcp\",family=\"ipv4\"} 4096",
                "gingham_conntrack_capacity{table=\"tcp\",family=\"ipv6\"} 4096",
                "gingham_snat_mappings 1",
                "gingham_services 1",
                "gingham_service_backends 1",
                "gingham_endpoints 2",
                "gingham_endpoints_capacity 8",
                "gingham_port_packets_total{port=\"default/a\",direction=\"rx\"} 10",
                "gingham_port_bytes_total{port=\"default/b\",direction=\"tx\"} 2100",
                "gingham_port_errors_total{port=\"host\",direction=\"tx\"} 1",
                "# TYPE gingham_pipeline_latency_seconds summary",
                "gingham_pipeline_latency_seconds{quantile=\"1\"} 0.001000447",
                "gingham_pipeline_latency_seconds_count 1000",
                "gingham_worker_busy_ratio{worker=\"0\"} 0.25",
                "gingham_worker_up{worker=\"0\"} 1",
                "gingham_flow_ring_overflows_total{worker=\"0\"} 0",
                "gingham_uptime_seconds 42.5",
                "gingham_manifests_rejected 0")) {
            assertTrue(lines.contains(expected), () -> "missing line: " + expected + "\n" + r.body());
        }
        String p50 = lines.stream().filter(l -> l.startsWith("gingham_pipeline_latency_seconds{quantile=\"0.5\"}")).findFirst()
                .orElseThrow();
        double p50Seconds = Double.parseDouble(p50.substring(p50.lastIndexOf(' ') + 1));
        assertEquals(500e-6, p50Seconds, 1e-6, "the median of 1..1000 µs");
        assertFalse(r.body().contains("reason=\"POLICY\""), "drops that never happened are not exported");
    }

    private static final String GATEWAY = "192.168.1.1";
    private static final String PEER_1 = "192.168.1.11";
    private static final String PEER_2 = "192.168.1.12";
    private static final String PEER_3 = "192.168.1.13";
    private static final String PEER_4 = "192.168.1.14";
    private static final String GATEWAY_MAC = "02:00:00:00:00:fe";
    private static final String PEER_1_MAC = "02:00:00:00:00:11";

    /**
     * A neighbour table driven on the node's clock into one entry of each state, as seen at the
     * fixture's now: the gateway PROBE (confirmed 3 s ago, reachable for 2 s), peer 1 REACHABLE
     * (confirmed again 0.5 s ago), peers 2 and 3 FAILED (2 requests each, no answer), peer 4
     * INCOMPLETE (just wanted). 8 requests sent; 4 observations, 3 of them confirmations (one
     * about an address nobody wants); 2 failures.
     */
    private NeighbourSnapshot neighboursInEveryState() {
        int gateway = PacketBuilder.ip4(GATEWAY);
        int peer1 = PacketBuilder.ip4(PEER_1);
        int peer2 = PacketBuilder.ip4(PEER_2);
        int peer3 = PacketBuilder.ip4(PEER_3);
        long t0 = api.node.nowNs - 3 * SECOND;
        NeighbourTable table = new NeighbourTable(new NeighbourTable.Timers(2 * SECOND, 10 * SECOND, SECOND, 5 * SECOND, 2, 20, 10));
        NeighbourTable.Requester sent = (address, mac) -> true;
        table.want(new int[] {gateway, peer1, peer2, peer3}, t0);
        table.tick(t0, sent);                                          // 4 broadcasts
        table.learn(gateway, PacketBuilder.mac(GATEWAY_MAC), t0);
        table.learn(peer1, PacketBuilder.mac(PEER_1_MAC), t0);
        table.learn(PacketBuilder.ip4("192.168.1.99"), PacketBuilder.mac(PEER_1_MAC), t0); // no next hop: ignored
        table.tick(t0 + SECOND, sent);                                 // peers 2 and 3 asked again
        table.tick(t0 + 2 * SECOND, sent);                             // 2 and 3 FAILED; gateway, peer 1 PROBE (2 unicasts)
        table.learn(peer1, PacketBuilder.mac(PEER_1_MAC), t0 + 2 * SECOND + SECOND / 2);
        table.want(new int[] {gateway, peer1, peer2, peer3, PacketBuilder.ip4(PEER_4)}, t0 + 2 * SECOND + SECOND / 2);
        return table.snapshot();
    }

    @Test
    void shouldExportTheNeighbourTableByStateAndItsCountersWhenNextHopsAreInEveryState() throws Exception {
        api.telemetry.neighbours(neighboursInEveryState());
        var ring = api.node.node.maps().neighbours(); // nobody drains it here: fill it, then lose two
        for (int k = 0; ring.offer(PacketBuilder.ip4(PEER_1), PacketBuilder.mac(PEER_1_MAC)); k++) {
            assertTrue(k < 100_000, "the hand-off ring never filled");
        }
        ring.offer(PacketBuilder.ip4(PEER_1), PacketBuilder.mac(PEER_1_MAC));

        HttpResponse<String> r = api.get("/metrics");

        assertEquals(200, r.statusCode());
        String neighbourLines = r.body().lines().filter(l -> l.contains("gingham_neighbour_"))
                .collect(java.util.stream.Collectors.joining("\n", "", "\n"));
        assertEquals("""
                # HELP gingham_neighbour_entries Underlay next hops resolved by ARP, by state (incomplete and failed have no MAC: frames to them are dropped as NEIGHBOUR_UNRESOLVED).
                # TYPE gingham_neighbour_entries gauge
                gingham_neighbour_entries{state="incomplete"} 1
                gingham_neighbour_entries{state="reachable"} 1
                gingham_neighbour_entries{state="probe"} 1
                gingham_neighbour_entries{state="failed"} 2
                # HELP gingham_neighbour_requests_sent_total ARP requests sent on the underlay for next hops.
                # TYPE gingham_neighbour_requests_sent_total counter
                gingham_neighbour_requests_sent_total 8
                # HELP gingham_neighbour_observations_total ARP senders the workers saw on the underlay and handed to the control agent.
                # TYPE gingham_neighbour_observations_total counter
                gingham_neighbour_observations_total 4
                # HELP gingham_neighbour_observations_lost_total ARP observations lost to a full hand-off ring.
                # TYPE gingham_neighbour_observations_lost_total counter
                gingham_neighbour_observations_lost_total 2
                # HELP gingham_neighbour_confirmations_total ARP observations that confirmed a next hop's MAC.
                # TYPE gingham_neighbour_confirmations_total counter
                gingham_neighbour_confirmations_total 3
                # HELP gingham_neighbour_resolution_failures_total Times a next hop became failed: its first ARP requests all went unanswered.
                # TYPE gingham_neighbour_resolution_failures_total counter
                gingham_neighbour_resolution_failures_total 2
                """, neighbourLines);
    }

    @Test
    void shouldExportEveryNeighbourStateAsZeroWhenTheNodeResolvesNothing() throws Exception {
        List<String> lines = api.get("/metrics").body().lines().toList();

        for (String state : List.of("incomplete", "reachable", "probe", "failed")) {
            assertTrue(lines.contains("gingham_neighbour_entries{state=\"" + state + "\"} 0"), state);
        }
        assertTrue(lines.contains("gingham_neighbour_requests_sent_total 0"));
    }

    @Test
    void shouldListNeighboursWithMacStateAndAgeWhenNextHopsAreInEveryState() throws Exception {
        api.telemetry.neighbours(neighboursInEveryState());

        JsonNode body = json("/v1/neighbours");

        assertEquals("""
                [{"address":"192.168.1.1","mac":"02:00:00:00:00:fe","state":"probe","ageMs":3000,"requests":1},\
                {"address":"192.168.1.11","mac":"02:00:00:00:00:11","state":"reachable","ageMs":500,"requests":0},\
                {"address":"192.168.1.12","mac":"","state":"failed","ageMs":null,"requests":2},\
                {"address":"192.168.1.13","mac":"","state":"failed","ageMs":null,"requests":2},\
                {"address":"192.168.1.14","mac":"","state":"incomplete","ageMs":null,"requests":0}]""",
                body.get("neighbours").toString());
        assertEquals(8, body.get("requestsSent").asLong());
        assertEquals(4, body.get("observations").asLong());
        assertEquals(3, body.get("confirmations").asLong());
        assertEquals(2, body.get("resolutionFailures").asLong());
        assertEquals(0, body.get("observationsLost").asLong());
    }

    @Test
    void shouldListTheServiceFrontendsWithTheirBackend() throws Exception {
        JsonNode services = json("/v1/services").get("services");

        JsonNode clusterIp = find(services, "type", "ClusterIP");
        assertEquals("default/web", clusterIp.get("service").asString());
        assertEquals("http", clusterIp.get("portName").asString());
        assertEquals(VIP, clusterIp.get("address").asString());
        assertEquals(80, clusterIp.get("port").asInt());
        assertEquals("TCP", clusterIp.get("protocol").asString());
        JsonNode backend = clusterIp.get("backends").get(0);
        assertEquals(B_IP, backend.get("address").asString());
        assertEquals(8080, backend.get("port").asInt());
        assertEquals("active", backend.get("state").asString());
        assertTrue(backend.get("selected").asBoolean());
        assertTrue(backend.get("nodeLocal").asBoolean());
        JsonNode nodePort = find(services, "type", "NodePort");
        assertEquals(30080, nodePort.get("port").asInt());
        assertEquals("default/web", nodePort.get("service").asString());
    }

    @Test
    void shouldListLocalPodsAsReadyEndpoints() throws Exception {
        JsonNode body = json("/v1/endpoints");

        assertEquals(2, body.get("count").asInt());
        assertEquals(8, body.get("capacity").asInt());
        JsonNode b = body.get("endpoints").get(1);
        assertEquals(POD_B, b.get("id").asInt());
        assertEquals("b", b.get("pod").asString());
        assertEquals(B_IP, b.get("address").asString());
        assertEquals(B_MAC, b.get("mac").asString());
        assertEquals(api.node.node.policy().identityOf("default/b"), b.get("identity").asInt());
        assertEquals("web", b.get("labels").get("app").asString());
        assertTrue(b.get("ingressEnforced").asBoolean(), "web-from-client isolates b");
        assertFalse(b.get("egressEnforced").asBoolean());
        assertEquals("ready", b.get("state").asString());
    }

    @Test
    void shouldDumpConntrackWithStateCountersAndExpiry() throws Exception {
        JsonNode body = json("/v1/conntrack");

        assertEquals(3, body.get("matched").asInt());
        assertEquals(2, body.get("tcpEntries").asInt());
        JsonNode flow = find(body.get("entries"), "destination", B_IP);
        assertEquals("TCP", flow.get("protocol").asString());
        assertEquals(A_IP, flow.get("source").asString());
        assertEquals(40000, flow.get("sourcePort").asInt());
        assertEquals(8080, flow.get("destinationPort").asInt());
        assertEquals("SYN_SENT", flow.get("state").asString());
        assertEquals(55, flow.get("expiresInSeconds").asLong(), "60 s SYN lifetime, 5 s ago");
        assertEquals("ipv4", flow.get("family").asString());
        assertEquals(1, flow.get("packets").asLong());
        assertEquals(54, flow.get("bytes").asLong(), "the SYN's frame");
        assertTrue(flow.get("revNat").asInt() > 0, "a DNATed flow carries its frontend's rev-NAT index");
        JsonNode service = find(body.get("entries"), "destination", VIP);
        assertTrue(service.get("service").asBoolean());
    }

    @Test
    void shouldFilterAndLimitConntrackWhenAsked() throws Exception {
        JsonNode udp = json("/v1/conntrack?protocol=udp");
        assertEquals(1, udp.get("matched").asInt());
        assertEquals("8.8.8.8", udp.get("entries").get(0).get("destination").asString());

        JsonNode limited = json("/v1/conntrack?limit=1&table=tcp");
        assertEquals(1, limited.get("entries").size());
        assertEquals(2, limited.get("matched").asInt());
        assertTrue(limited.get("truncated").asBoolean());

        assertEquals(0, json("/v1/conntrack?pod=b&port=53").get("matched").asInt(), "b sent no DNS");
        assertEquals(1, json("/v1/conntrack?pod=default/b").get("matched").asInt(), "the DNATed flow goes to b");
        assertEquals(1, json("/v1/conntrack?dst=" + VIP + "&port=40000").get("matched").asInt());
    }

    @Test
    void shouldListTheMasqueradeMappingWithTheNodeAddressAndPort() throws Exception {
        JsonNode body = json("/v1/nat?pod=a");

        assertEquals(1, body.get("count").asInt());
        JsonNode m = body.get("mappings").get(0);
        assertEquals("UDP", m.get("protocol").asString());
        assertEquals(A_IP, m.get("source").asString());
        assertEquals(40011, m.get("sourcePort").asInt());
        assertEquals("8.8.8.8", m.get("destination").asString());
        assertEquals(53, m.get("destinationPort").asInt());
        assertEquals(NODE_IP, m.get("natAddress").asString());
        assertEquals(api.natPort, m.get("natPort").asInt());
        assertEquals(5, m.get("ageSeconds").asLong());
        assertEquals(0, json("/v1/nat?protocol=tcp").get("matched").asInt());
    }

    @Test
    void shouldShowThePolicyAsComputedForAnEndpoint() throws Exception {
        JsonNode b = json("/v1/policy?pod=b").get("endpoints").get(0);

        assertEquals("default/b", b.get("pod").asString());
        JsonNode ingress = b.get("ingress");
        assertTrue(ingress.get("enforced").asBoolean());
        JsonNode allow = ingress.get("allowed").get(0);
        assertEquals(api.node.node.policy().identityOf("default/a"), allow.get("peerIdentity").asInt());
        assertTrue(allow.get("peer").asString().contains("app=client"), allow.toString());
        assertEquals("TCP 8080", allow.get("ports").get(0).asString());
        assertEquals("default/web-from-client", allow.get("policy").asString());
        assertFalse(b.get("egress").get("enforced").asBoolean());
        assertEquals(2, json("/v1/policy").get("endpoints").size());
    }

    @Test
    void shouldAnswerJsonErrorsForBadPathMethodAndParameters() throws Exception {
        assertError(api.get("/v1/nope"), 404, "no such path /v1/nope");
        HttpResponse<String> post = api.send(HttpRequest.newBuilder(api.uri("/v1/services"))
                .POST(HttpRequest.BodyPublishers.ofString("{}")).build());
        assertError(post, 405, "use GET");
        assertEquals("GET", post.headers().firstValue("allow").orElseThrow());
        assertError(api.get("/v1/conntrack?limt=5"), 400, "unknown parameter 'limt'");
        assertError(api.get("/v1/conntrack?protocol=xyz"), 400, "'xyz' is not a protocol");
        assertError(api.get("/v1/conntrack?limit=0"), 400, "limit=0 must be a whole number");
        assertError(api.get("/v1/policy?pod=nobody"), 404, "no local pod 'nobody'");
        assertError(api.get("/v1/flows?verdict=MAYBE"), 400, "verdict 'MAYBE'");
        assertError(api.get("/v1/flows?reason=NOPE"), 400, "reason 'NOPE' is no drop reason");
    }

    private static void assertError(HttpResponse<String> r, int status, String text) {
        assertEquals(status, r.statusCode(), r.body());
        JsonNode body = ApiJson.MAPPER.readTree(r.body());
        assertEquals(status, body.get("status").asInt());
        assertTrue(body.get("error").asString().contains(text), body.toString());
    }

    @Test
    void shouldAnswerPipelinedRequestsInTheOrderTheyCame() throws Exception {
        String[] hostPort = api.api().split(":");
        try (java.net.Socket socket = new java.net.Socket(hostPort[0], Integer.parseInt(hostPort[1]))) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"
                    + "GET /v1/nat HTTP/1.1\r\nHost: x\r\n\r\n"
                    + "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            String all = new String(socket.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);

            int metrics = all.indexOf("# TYPE gingham_port_packets_total counter");
            int nat = all.indexOf("\"mappings\"");
            int health = all.indexOf("\"status\":\"ok\"");
            assertTrue(metrics >= 0 && metrics < nat && nat < health, all);
        }
    }

    @Test
    void shouldStreamMatchingFlowsToEveryStreamWithoutStealing() throws Exception {
        HttpRequest dropsOfA = HttpRequest.newBuilder(api.uri("/v1/flows?verdict=DROPPED&pod=a&reason=POLICY")).build();
        HttpRequest everything = HttpRequest.newBuilder(api.uri("/v1/flows")).build();
        HttpResponse<Stream<String>> first = api.http().send(dropsOfA, HttpResponse.BodyHandlers.ofLines());
        HttpResponse<Stream<String>> second = api.http().send(everything, HttpResponse.BodyHandlers.ofLines());
        assertEquals("application/x-ndjson", first.headers().firstValue("content-type").orElseThrow());
        assertEquals(2, api.server.flows().subscribers(), "both streams subscribed before their headers came");

        // Allowed by web-from-client (TCP 8080), then denied (9090): only the denial matches the filter.
        api.expect(Verdict.tx(POD_B), ApiFixture.fromA(PacketBuilder.tcp4(A_IP, 41000, B_IP, 8080).flags(TcpHeader.SYN)));
        api.expect(DropReason.POLICY.verdict(), ApiFixture.fromA(PacketBuilder.tcp4(A_IP, 41001, B_IP, 9090).flags(TcpHeader.SYN)));

        JsonNode denied = ApiJson.MAPPER.readTree(first.body().iterator().next());
        JsonNode flow = denied.get("flow");
        assertEquals("DROPPED", flow.get("verdict").asString());
        assertEquals("POLICY", flow.get("dropReason").asString());
        assertEquals(133, flow.get("dropCode").asInt());
        assertEquals("a", flow.get("source").get("pod").asString());
        assertEquals(41001, flow.get("source").get("port").asInt());
        assertEquals(9090, flow.get("destination").get("port").asInt());
        assertTrue(denied.get("time").asString().endsWith("Z"));

        Iterator<String> all = second.body().iterator();
        JsonNode allowed = ApiJson.MAPPER.readTree(all.next()).get("flow");
        assertEquals("FORWARDED", allowed.get("verdict").asString(), "the unfiltered stream sees the allowed flow first");
        assertEquals(41000, allowed.get("source").get("port").asInt());
        boolean sawDenial = false;
        while (!sawDenial && all.hasNext()) {
            JsonNode next = ApiJson.MAPPER.readTree(all.next()).get("flow");
            sawDenial = next.get("source").get("port").asInt() == 41001 && "POLICY".equals(next.get("dropReason").asString());
        }
        assertTrue(sawDenial, "the denial reached the second stream too");
        first.body().close();
        second.body().close();
    }

    @Test
    void shouldEndTheSubscriptionWhenTheClientDisconnects() throws Exception {
        HttpResponse<Stream<String>> stream = api.http().send(HttpRequest.newBuilder(api.uri("/v1/flows")).build(),
                HttpResponse.BodyHandlers.ofLines());
        assertEquals(1, api.server.flows().subscribers());

        stream.body().close();

        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (api.server.flows().subscribers() != 0 && System.nanoTime() < deadline) {
            // The close reaches the server when the hub next writes to the dead connection or the
            // event loop sees the reset; drive both.
            api.expect(DropReason.INVALID_SOURCE_IP.verdict(), ApiFixture.fromA(PacketBuilder.icmp4Echo(B_IP, C_IP, 1, 1)));
            Thread.sleep(20);
        }
        assertEquals(0, api.server.flows().subscribers());
    }

    private static JsonNode find(JsonNode array, String field, String value) {
        for (JsonNode n : array) {
            if (value.equals(n.get(field).asString())) {
                return n;
            }
        }
        throw new AssertionError("no element with " + field + "=" + value + " in " + array);
    }
}
