package dev.gingham.dataplane.api;

import dev.gingham.dataplane.cli.ApiClient;
import dev.gingham.dataplane.config.ApiEndpoint;
import dev.gingham.dataplane.program.NodeFixture;
import dev.gingham.encap.TunnelMode;
import dev.gingham.nat.IpAddress;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Where the server may listen: a unix socket (its file's life), and the refusals. */
@Timeout(60)
class AdminServerEndpointTest {
    @TempDir
    Path dir;

    private static ApiEndpoint unix(Path socket) {
        return ApiEndpoint.parse("unix:" + socket);
    }

    @Test
    void shouldServeOverAUnixSocketWithMode0660AndRemoveItOnClose() throws Exception {
        Path socket = dir.resolve("run/api.sock");
        try (ApiFixture api = new ApiFixture(unix(socket))) {
            assertEquals("rw-rw----", PosixFilePermissions.toString(Files.getPosixFilePermissions(socket)));
            ApiClient.Response r = new ApiClient(api.server.endpoint(), Duration.ofSeconds(5)).get("/v1/endpoints");

            assertEquals(200, r.status());
            JsonNode a = ApiJson.MAPPER.readTree(r.body()).get("endpoints").get(0);
            assertEquals(NodeFixture.A_IP, a.get("address").asString());
            assertEquals("ready", a.get("state").asString());
        }
        assertFalse(Files.exists(socket), "the socket file is removed on close");
    }

    @Test
    void shouldReplaceAStaleSocketNobodyListensOn() throws Exception {
        Path socket = dir.resolve("api.sock");
        try (ServerSocketChannel dead = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            dead.bind(UnixDomainSocketAddress.of(socket)); // bound, then closed: the file stays, nobody listens
        }
        assertTrue(Files.exists(socket));

        try (ApiFixture api = new ApiFixture(unix(socket))) {
            assertEquals(200, new ApiClient(api.server.endpoint(), Duration.ofSeconds(5)).get("/healthz").status());
        }
    }

    @Test
    void shouldRefuseASocketAnotherProcessListensOnOrAFileThatIsNoSocket() throws IOException {
        Path live = dir.resolve("live.sock");
        try (ServerSocketChannel other = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
             NodeFixture node = new NodeFixture(TunnelMode.VXLAN)) {
            other.bind(UnixDomainSocketAddress.of(live));
            AdminServer server = new AdminServer(unix(live), node.configured, new FixedTelemetry(node.configured, () -> 0));
            IllegalStateException e = assertThrows(IllegalStateException.class, server::start);
            assertTrue(e.getMessage().contains("another process listens on unix:" + live), e.getMessage());
            server.close();
            assertTrue(Files.exists(live), "someone else's socket is left alone");

            Path file = Files.writeString(dir.resolve("notes.txt"), "not a socket");
            AdminServer onFile = new AdminServer(unix(file), node.configured, new FixedTelemetry(node.configured, () -> 0));
            IllegalStateException e2 = assertThrows(IllegalStateException.class, onFile::start);
            assertTrue(e2.getMessage().contains("exists and is not a socket"), e2.getMessage());
            assertEquals("not a socket", Files.readString(file));
        }
    }

    @Test
    void shouldRefuseToListenOnAnAddressReachableFromOutsideTheNode() {
        try (NodeFixture node = new NodeFixture(TunnelMode.VXLAN)) {
            FixedTelemetry telemetry = new FixedTelemetry(node.configured, () -> 0);
            for (ApiEndpoint outside : new ApiEndpoint[] {
                    new ApiEndpoint(IpAddress.parse("0.0.0.0"), 9890, null),
                    new ApiEndpoint(IpAddress.parse(NodeFixture.NODE_IP), 9890, null),
                    new ApiEndpoint(IpAddress.parse("fd00::1"), 9890, null),
                    new ApiEndpoint(null, 0, Path.of("relative.sock"))}) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                        () -> new AdminServer(outside, node.configured, telemetry));
                assertTrue(e.getMessage().contains("node-local only"), e.getMessage());
            }
            IllegalArgumentException parsed = assertThrows(IllegalArgumentException.class,
                    () -> ApiEndpoint.parse("192.168.1.10:9890"));
            assertTrue(parsed.getMessage().contains("not a loopback address"), parsed.getMessage());
        }
    }

    @Test
    void shouldSayWhyWhenTheTcpPortIsTaken() throws Exception {
        try (ApiFixture first = new ApiFixture();
             NodeFixture node = new NodeFixture(TunnelMode.VXLAN)) {
            AdminServer second = new AdminServer(first.server.endpoint(), node.configured, new FixedTelemetry(node.configured, () -> 0));
            IllegalStateException e = assertThrows(IllegalStateException.class, second::start);
            assertTrue(e.getMessage().startsWith("admin API: cannot listen on " + first.api()), e.getMessage());
            assertTrue(e.getMessage().toLowerCase().contains("address already in use"), e.getMessage());
            second.close();
            assertEquals(200, first.get("/healthz").statusCode(), "the first server is untouched");
        }
    }
}
