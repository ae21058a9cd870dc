package dev.gingham.dataplane.api;

import dev.gingham.dataplane.config.ApiEndpoint;
import dev.gingham.dataplane.k8s.NetworkPolicyYaml;
import dev.gingham.dataplane.program.NodeFixture;
import dev.gingham.encap.TunnelMode;
import dev.gingham.nat.IpAddress;
import dev.gingham.packet.DropReason;
import dev.gingham.packet.PacketBuilder;
import dev.gingham.packet.Verdict;
import dev.gingham.packet.header.TcpHeader;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

import static dev.gingham.dataplane.program.NodeFixture.*;

/**
 * A node with traffic in its maps and an admin API on 127.0.0.1 (an ephemeral port), for the API
 * and CLI tests. What the frames leave behind (each checked when sent):
 * <ul>
 *   <li>a TCP SYN a:40000 -&gt; web's ClusterIP 10.96.0.10:80, DNATed to b:8080: two TCP conntrack
 *       entries (the service entry keyed client -&gt; VIP, and the flow a -&gt; b:8080);</li>
 *   <li>UDP a:40011 -&gt; 8.8.8.8:53, masqueraded: one SNAT mapping to 192.168.1.10:{@link #natPort},
 *       one non-TCP conntrack entry;</li>
 *   <li>a frame from a with b's source address: one INVALID_SOURCE_IP drop (egress);</li>
 *   <li>policy {@code default/web-from-client}: b admits TCP 8080 from app=client only.</li>
 * </ul>
 */
public final class ApiFixture implements AutoCloseable {
    public static final String POLICY = """
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: {name: web-from-client, namespace: default}
            spec:
              podSelector: {matchLabels: {app: web}}
              ingress:
              - from:
                - podSelector: {matchLabels: {app: client}}
                ports:
                - {protocol: TCP, port: 8080}
            """;

    public final NodeFixture node = new NodeFixture(TunnelMode.VXLAN);
    public final FixedTelemetry telemetry = new FixedTelemetry(node.configured, () -> node.nowNs);
    public final AdminServer server;
    public final int natPort;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    public ApiFixture() {
        this(new ApiEndpoint(IpAddress.parse("127.0.0.1"), 0, null));
    }

    public ApiFixture(ApiEndpoint endpoint) {
        try {
            node.node.policy().replacePolicies(NetworkPolicyYaml.parse(POLICY, "policy.yaml"));
            expect(Verdict.tx(POD_B), fromA(PacketBuilder.tcp4(A_IP, 40000, VIP, 80).flags(TcpHeader.SYN)));
            expect(Verdict.tx(UNDERLAY), fromA(PacketBuilder.udp4(A_IP, 40011, "8.8.8.8", 53)));
            byte[] sent = node.out();
            natPort = ((sent[34] & 0xFF) << 8) | (sent[35] & 0xFF);
            expect(DropReason.INVALID_SOURCE_IP.verdict(), fromA(PacketBuilder.icmp4Echo(B_IP, C_IP, 1, 1)));
            node.nowNs += 5 * SECOND; // entries are 5 s old when dumped
            server = new AdminServer(endpoint, node.configured, telemetry);
            server.start();
        } catch (RuntimeException e) {
            node.close();
            throw e;
        }
    }

    public static PacketBuilder fromA(PacketBuilder b) {
        return b.srcMac(A_MAC).dstMac(ROUTER_MAC);
    }

    /** Sends a frame from pod a and checks its verdict. */
    public void expect(int verdict, PacketBuilder frame) {
        int got = node.send(POD_A, frame.build());
        if (got != verdict) {
            throw new IllegalStateException("fixture frame: verdict " + got + ", expected " + verdict);
        }
    }

    /** Returns: the API's address, "127.0.0.1:PORT" or "unix:/path". */
    public String api() {
        return server.endpoint().toString();
    }

    public HttpResponse<String> get(String pathAndQuery) throws IOException, InterruptedException {
        return send(HttpRequest.newBuilder(uri(pathAndQuery)).timeout(Duration.ofSeconds(10)).GET().build());
    }

    public HttpResponse<String> send(HttpRequest request) throws IOException, InterruptedException {
        return http.send(request, HttpResponse.BodyHandlers.ofString());
    }

    public URI uri(String pathAndQuery) {
        return URI.create("http://" + api() + pathAndQuery);
    }

    public HttpClient http() {
        return http;
    }

    @Override
    public void close() {
        try {
            server.close();
        } finally {
            node.close();
        }
    }
}
