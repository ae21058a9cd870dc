package dev.gingham.dataplane.cli;

import dev.gingham.dataplane.api.ApiFixture;
import dev.gingham.dataplane.api.ApiJson;
import dev.gingham.dataplane.config.ApiEndpoint;
import dev.gingham.packet.DropReason;
import dev.gingham.packet.PacketBuilder;
import dev.gingham.packet.Verdict;
import dev.gingham.packet.header.TcpHeader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import tools.jackson.databind.JsonNode;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static dev.gingham.dataplane.program.NodeFixture.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The inspection commands end to end: {@code gingham <command> --api ...} against an admin API
 * over a node with real traffic ({@link ApiFixture}); exact tables, {@code --json}, the live
 * monitor with filters, and the errors a user meets.
 */
@Timeout(60)
class InspectionCommandsTest {
    @TempDir
    Path dir;

    private record Run(int exitCode, String out, String err) {
    }

    private static Run gingham(String... args) {
        CommandLine cl = GinghamCli.commandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int rc = cl.execute(args);
        return new Run(rc, out.toString(), err.toString());
    }

    private static List<String> args(ApiFixture api, String... words) {
        List<String> all = new ArrayList<>(List.of(words));
        all.add("--api");
        all.add(api.api());
        return all;
    }

    private static Run gingham(ApiFixture api, String... words) {
        Run run = gingham(args(api, words).toArray(String[]::new));
        assertEquals(0, run.exitCode, run.err);
        return run;
    }

    @Test
    void shouldPrintAlignedTablesForServicesEndpointsConntrackAndNat() {
        try (ApiFixture api = new ApiFixture()) {
            assertEquals("""
                    ID  SERVICE      PORT  FRONTEND                TYPE       BACKENDS
                    1   default/web  http  10.96.0.10:80/TCP       ClusterIP  1 => 10.244.1.6:8080 (active)
                    2   default/web  http  192.168.1.10:30080/TCP  NodePort   1 => 10.244.1.6:8080 (active)
                    2 frontends
                    """, gingham(api, "service", "list").out);

            int a = api.node.node.policy().identityOf("default/a");
            int b = api.node.node.policy().identityOf("default/b");
            assertEquals("""
                    ID  POD        ADDRESS     MAC                IDENTITY  INGRESS   EGRESS  STATE  LABELS
                    0   default/a  10.244.1.5  0a:00:00:00:00:05  %d       open      open    ready  app=client
                    1   default/b  10.244.1.6  0a:00:00:00:00:06  %d       enforced  open    ready  app=web
                    2 endpoints (2 of 8 slots in the endpoint map)
                    """.formatted(a, b), gingham(api, "endpoint", "list").out);

            assertEquals("""
                    PROTO  SOURCE            DESTINATION      STATE     EXPIRES  PACKETS  BYTES  FLAGS
                    TCP    10.244.1.5:40000  10.244.1.6:8080  SYN_SENT  55s      1        54     dnat
                    TCP    10.244.1.5:40000  10.96.0.10:80    -         55s      0        0      service,dnat
                    UDP    10.244.1.5:40011  8.8.8.8:53       -         55s      1        42     snat
                    3 entries; tables hold tcp 2, other 1
                    """, gingham(api, "ct", "list").out);

            assertEquals("""
                    PROTO  SOURCE            DESTINATION  NAT                 AGE
                    UDP    10.244.1.5:40011  8.8.8.8:53   192.168.1.10:%d  5s
                    1 mapping; 1 of 524288 in use
                    """.formatted(api.natPort), gingham(api, "nat", "list").out);
        }
    }

    @Test
    void shouldFilterConntrackAndSayWhenTheLimitCutTheList() {
        try (ApiFixture api = new ApiFixture()) {
            assertEquals("""
                    PROTO  SOURCE            DESTINATION      STATE     EXPIRES  PACKETS  BYTES  FLAGS
                    TCP    10.244.1.5:40000  10.244.1.6:8080  SYN_SENT  55s      1        54     dnat
                    showing 1 of 3 matching entries (raise --limit); tables hold tcp 2, other 1
                    """, gingham(api, "ct", "list", "--limit", "1").out);
            assertTrue(gingham(api, "ct", "list", "--protocol", "udp").out.contains("1 entry;"));
            assertTrue(gingham(api, "ct", "list", "--pod", "b").out.contains("10.244.1.6:8080  SYN_SENT"));
        }
    }

    @Test
    void shouldShowPolicyPerEndpointWithPeersPortsAndThePolicy() {
        try (ApiFixture api = new ApiFixture()) {
            int a = api.node.node.policy().identityOf("default/a");
            int b = api.node.node.policy().identityOf("default/b");
            assertEquals("""
                    default/b  identity %d  app=web,namespace=default
                      ingress: enforced
                        FROM                              PORTS     POLICY
                        %d app=client,namespace=default  TCP 8080  default/web-from-client
                      egress: not enforced (everything allowed)
                    """.formatted(b, a), gingham(api, "policy", "get", "default/b").out);
            String all = gingham(api, "policy", "get").out;
            assertTrue(all.startsWith("default/a  identity " + a + "  app=client,namespace=default\n"
                    + "  ingress: not enforced (everything allowed)\n"), all);
        }
    }

    @Test
    void shouldPrintTheApisJsonForScripts() {
        try (ApiFixture api = new ApiFixture()) {
            JsonNode services = ApiJson.MAPPER.readTree(gingham(api, "service", "list", "--json").out);
            assertEquals(VIP, services.get("services").get(0).get("address").asString());
            JsonNode ct = ApiJson.MAPPER.readTree(gingham(api, "ct", "list", "--json", "--protocol", "udp").out);
            assertEquals("8.8.8.8", ct.get("entries").get(0).get("destination").asString());
            JsonNode nat = ApiJson.MAPPER.readTree(gingham(api, "nat", "list", "--json").out);
            assertEquals(api.natPort, nat.get("mappings").get(0).get("natPort").asInt());
            JsonNode endpoints = ApiJson.MAPPER.readTree(gingham(api, "endpoint", "list", "--json").out);
            assertEquals(B_MAC, endpoints.get("endpoints").get(1).get("mac").asString());
            JsonNode policy = ApiJson.MAPPER.readTree(gingham(api, "policy", "get", "b", "--json").out);
            assertEquals("TCP 8080", policy.get("endpoints").get(0).get("ingress").get("allowed").get(0).get("ports").get(0).asString());
            JsonNode metrics = ApiJson.MAPPER.readTree(gingham(api, "metrics", "--json", "--match", "snat_mappings").out);
            assertEquals("gingham_snat_mappings", metrics.get(0).get("name").asString());
            assertEquals("1", metrics.get(0).get("value").asString());
        }
    }

    @Test
    void shouldTabulateMetricsAndPrintThemRawWhenAsked() {
        try (ApiFixture api = new ApiFixture()) {
            assertEquals("""
                    METRIC               LABELS                                              VALUE
                    gingham_drops_total  reason=INVALID_SOURCE_IP code=132 direction=egress  1
                    """, gingham(api, "metrics", "--match", "drops").out);
            String raw = gingham(api, "metrics", "--raw").out;
            assertTrue(raw.contains("\ngingham_conntrack_entries{table=\"tcp\",family=\"ipv4\"} 2\n"), raw);
        }
    }

    @Test
    void shouldStreamFilteredFlowsUntilTheEventLimit() throws Exception {
        try (ApiFixture api = new ApiFixture()) {
            CompletableFuture<Run> monitor = CompletableFuture.supplyAsync(() -> gingham(args(api, "monitor", "--pod", "a",
                    "--verdict", "dropped", "--reason", "POLICY", "--max-events", "1").toArray(String[]::new)));
            awaitSubscribers(api, 1);
            api.expect(Verdict.tx(POD_B),
                    ApiFixture.fromA(PacketBuilder.tcp4(A_IP, 41000, B_IP, 8080).flags(TcpHeader.SYN)));
            api.expect(DropReason.POLICY.verdict(), ApiFixture.fromA(PacketBuilder.tcp4(A_IP, 41001, B_IP, 9090).flags(TcpHeader.SYN)));

            Run run = monitor.get(20, TimeUnit.SECONDS);

            assertEquals(0, run.exitCode, run.err);
            List<String> lines = run.out.lines().toList();
            assertEquals(1, lines.size(), run.out);
            assertTrue(lines.get(0).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d(\\.\\d+)?Z DROPPED POLICY \\(133\\) \\w+ TCP "
                    + "default/a 10\\.244\\.1\\.5:41001 -> default/b 10\\.244\\.1\\.6:9090.*"), lines.get(0));
            awaitSubscribers(api, 0);
        }
    }

    @Test
    void shouldWorkOverAUnixSocketIncludingTheStream() throws Exception {
        try (ApiFixture api = new ApiFixture(ApiEndpoint.parse("unix:" + dir.resolve("api.sock")))) {
            assertTrue(gingham(api, "endpoint", "list").out.contains("1   default/b  10.244.1.6"));
            CompletableFuture<Run> monitor = CompletableFuture.supplyAsync(() -> gingham(args(api, "monitor", "--json",
                    "--reason", "132", "--max-events", "1").toArray(String[]::new)));
            awaitSubscribers(api, 1);
            api.expect(DropReason.INVALID_SOURCE_IP.verdict(), ApiFixture.fromA(PacketBuilder.icmp4Echo(B_IP, C_IP, 9, 1)));

            Run run = monitor.get(20, TimeUnit.SECONDS);

            assertEquals(0, run.exitCode, run.err);
            JsonNode flow = ApiJson.MAPPER.readTree(run.out.lines().findFirst().orElseThrow()).get("flow");
            assertEquals("INVALID_SOURCE_IP", flow.get("dropReason").asString());
            assertEquals(B_IP, flow.get("source").get("address").asString());
        }
    }

    @Test
    void shouldFindTheApiThroughTheNodeConfiguration() throws Exception {
        try (ApiFixture api = new ApiFixture()) {
            Path config = Files.writeString(dir.resolve("node.yaml"), """
                    nodeName: node-1
                    nodeAddresses: [192.168.1.10]
                    podCIDRs: [10.244.1.0/24]
                    clusterCIDRs: [10.244.0.0/16]
                    serviceCIDRs: [10.96.0.0/12]
                    underlay: {interface: eth0}
                    api: {listen: "%s"}
                    """.formatted(api.api()));
            Run run = gingham("service", "list", "--config", config.toString());
            assertEquals(0, run.exitCode, run.err);
            assertTrue(run.out.contains("default/web"), run.out);
        }
    }

    @Test
    void shouldSayTheDaemonIsNotReachableAndExitNonZero() throws Exception {
        int freePort;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            freePort = s.getLocalPort();
        }
        for (String command : List.of("service list", "endpoint list", "ct list", "nat list", "policy get", "metrics", "monitor")) {
            List<String> args = new ArrayList<>(List.of(command.split(" ")));
            args.addAll(List.of("--api", "127.0.0.1:" + freePort));
            Run run = gingham(args.toArray(String[]::new));
            assertEquals(1, run.exitCode, command);
            assertTrue(run.err.startsWith("gingham " + command + ": cannot reach the Gingham admin API at 127.0.0.1:" + freePort),
                    run.err);
            assertTrue(run.err.contains("Is 'gingham run' running on this node?"), run.err);
        }
        Run unix = gingham("ct", "list", "--api", "unix:" + dir.resolve("none.sock"));
        assertEquals(1, unix.exitCode);
        assertTrue(unix.err.contains("cannot reach the Gingham admin API at unix:" + dir.resolve("none.sock")), unix.err);
    }

    @Test
    void shouldTreatANonLoopbackApiAddressOrAMissingSubcommandAsAUsageError() {
        Run run = gingham("service", "list", "--api", "10.0.0.1:9890");
        assertEquals(2, run.exitCode);
        assertTrue(run.err.contains("is not a loopback address"), run.err);
        Run group = gingham("ct");
        assertEquals(2, group.exitCode);
        assertTrue(group.err.startsWith("Missing subcommand: list\nUsage: gingham ct"), group.err);
        Run policy = gingham("policy");
        assertTrue(policy.err.startsWith("Missing subcommand: get\n"), policy.err);
    }

    @Test
    void shouldReportTheApisErrorMessage() {
        try (ApiFixture api = new ApiFixture()) {
            Run run = gingham(args(api, "policy", "get", "nobody").toArray(String[]::new));
            assertEquals(1, run.exitCode);
            assertEquals("gingham policy get: no local pod 'nobody' on this node (give namespace/name or a name) (HTTP 404)\n",
                    run.err);
            Run bad = gingham(args(api, "monitor", "--verdict", "MAYBE").toArray(String[]::new));
            assertEquals(1, bad.exitCode);
            assertTrue(bad.err.contains("verdict 'MAYBE' is not one of FORWARDED, DROPPED, AUDIT (HTTP 400)"), bad.err);
        }
    }

    private static void awaitSubscribers(ApiFixture api, int n) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (api.server.flows().subscribers() != n && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertEquals(n, api.server.flows().subscribers());
    }
}
