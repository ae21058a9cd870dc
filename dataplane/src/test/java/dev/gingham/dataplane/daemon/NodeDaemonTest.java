package dev.gingham.dataplane.daemon;

import dev.gingham.dataplane.agent.PortCounters;
import dev.gingham.dataplane.demo.DemoCluster;
import dev.gingham.dataplane.demo.DropTally;
import dev.gingham.dataplane.demo.Shell;
import dev.gingham.dataplane.policy.Direction;
import dev.gingham.packet.DropReason;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static dev.gingham.dataplane.demo.DemoCluster.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The daemon on real kernels: {@link DemoCluster} (pods in network namespaces with TAPs the
 * daemon made, an external namespace behind the underlay veth) and what the clients and servers
 * saw: the servers print whom they saw, the clients what they got. Needs root, /dev/net/tun, ip,
 * python3, curl and ping; skips with the reason otherwise.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class NodeDaemonTest {
    private static final int SPREAD_REQUESTS = 60;
    private static final int LARGE_BYTES = 20_000_000;
    private static final Duration T = EndToEnd.COMMAND_TIMEOUT;
    @RegisterExtension
    static final EndToEndCluster E2E = new EndToEndCluster("dmn");

    @Test
    void shouldPingFromPodToPod() {
        Shell.Result ping = client("ping", "-c", "3", "-i", "0.2", "-W", "2", PODS.get("web-1"));

        assertTrue(ping.output().contains(" 3 received"), ping.output());
        assertTrue(ping.output().contains("ttl=63"), "routed by the gateway, TTL decremented: " + ping.output());
    }

    @Test
    void shouldServeHttpThroughTheClusterIpFromABackendThatSeesTheClient() {
        Shell.Result get = client("curl", "-sS", "--max-time", "5", "http://" + WEB_VIP + "/");

        assertTrue(get.ok(), get.output());
        assertTrue(get.output().matches("web-[123] saw " + PODS.get("client")), "no SNAT inside the cluster: " + get.output());
    }

    @Test
    void shouldReachTheNodePortFromOutside() {
        Shell.Result get = E2E.cluster().exec(E2E.cluster().externalNamespace(), EndToEnd.COMMAND_TIMEOUT, "curl", "-sS", "--max-time", "5",
                "http://" + NODE_IP + ":" + NODE_PORT + "/");

        assertTrue(get.ok(), get.output());
        // A local backend sees the real client (Cilium's behaviour; replies return through this node
        // anyway): only a NodePort forwarded to another node's backend is SNATed to the node address.
        assertTrue(get.output().matches("web-[123] saw " + EXTERNAL_IP), "the client address is kept: " + get.output());
    }

    /**
     * Issue 4's end-to-end PMTU check with a real Linux sender: a pod whose interface says 1500
     * (as a plain Linux node would) sends a 1500-byte DF ping to a pod on the other node; the
     * VXLAN tunnel carries 1450, so the gateway answers "fragmentation needed, mtu 1450", the
     * sender's kernel caches that path MTU, and a 1450-byte packet then leaves as one VXLAN
     * datagram (seen on the wire in the external namespace).
     */
    @Test
    void shouldTeachARealSenderThePathMtuOfTheTunnel() throws Exception {
        assumeTrue(Shell.available("tshark", "--version"), "needs tshark (./gingham test installs it as root)");
        String client = E2E.cluster().podNamespace("client");
        Shell.must("ip", "-n", client, "link", "set", "eth0", "mtu", "1500");
        try {
            Shell.Result big = E2E.cluster().exec(client, T, "ping", "-M", "do", "-s", "1472", "-c", "1", "-W", "2", REMOTE_POD_IP);
            assertTrue(big.output().contains("mtu = 1450"), "ICMP fragmentation needed with the tunnel MTU: " + big.output());
            Shell.Result route = E2E.cluster().exec(client, T, "ip", "route", "get", REMOTE_POD_IP);
            assertTrue(route.output().contains("mtu 1450"), "the sender's kernel learned the path MTU: " + route.output());

            Process capture = new ProcessBuilder("ip", "netns", "exec", E2E.cluster().externalNamespace(), "tshark", "-i", "eth0",
                    "-a", "duration:25", "-c", "1", "-f", "udp port 8472", "-T", "fields", "-e", "frame.len", "-e", "ip.dst",
                    "-e", "vxlan.vni").redirectError(ProcessBuilder.Redirect.DISCARD).start();
            // tshark takes a moment (longer on a loaded machine) before it captures: ping until it has its frame
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(25);
            while (capture.isAlive() && System.nanoTime() < deadline) {
                E2E.cluster().exec(client, T, "ping", "-M", "do", "-s", "1422", "-c", "1", "-W", "1", REMOTE_POD_IP);
                capture.waitFor(300, TimeUnit.MILLISECONDS);
            }
            assertTrue(capture.waitFor(5, TimeUnit.SECONDS), "tshark did not finish");
            String seen = new String(capture.getInputStream().readAllBytes()).trim();
            // 1422 ICMP payload + 8 + 20 + 14 inner, + 50 VXLAN overhead: one 1514-byte frame to the other node
            assertTrue(seen.startsWith("1514\t" + REMOTE_NODE_IP), "one full-size VXLAN frame to the other node: " + seen);
        } finally {
            Shell.run(T, "ip", "-n", client, "link", "set", "eth0", "mtu", "1450");
        }
    }

    @Test
    void shouldAnswerTheAdminApiOnItsUnixSocketWithTheTrafficItCarried() {
        E2E.inPod("client", "ping", "-c", "2", "-i", "0.2", "-W", "2", PODS.get("web-2"));
        String socket = E2E.daemon().api().endpoint().unixSocket().toString();

        Shell.Result health = Shell.run(T, "curl", "-sS", "--max-time", "5", "--unix-socket", socket, "http://localhost/healthz");
        Shell.Result metrics = Shell.run(T, "curl", "-sS", "--max-time", "5", "--unix-socket", socket, "http://localhost/metrics");

        assertTrue(health.output().contains("\"status\":\"ok\""), health.output());
        String rx = metrics.output().lines().filter(l -> l.startsWith("gingham_port_packets_total")
                && l.contains("demo/client") && l.contains("rx")).findFirst().orElse("");
        assertTrue(!rx.isEmpty() && Double.parseDouble(rx.substring(rx.lastIndexOf(' ') + 1)) >= 2,
                "the client's port received its pings: " + rx);
        assertTrue(metrics.output().contains("gingham_worker_busy_ratio"), "per-worker busy ratio exported");
        // The demo node's next hops are static (nextHopMac, the annotated node): its neighbour table stays empty.
        assertTrue(metrics.output().lines().toList().contains("gingham_neighbour_entries{state=\"reachable\"} 0"), metrics.output());
        Shell.Result neighbours = Shell.run(T, "curl", "-sS", "--max-time", "5", "--unix-socket", socket,
                "http://localhost/v1/neighbours");
        assertTrue(neighbours.output().startsWith("{\"neighbours\":[],\"requestsSent\":0,"), neighbours.output());
    }

    /**
     * The node's kernel owns the node address (on gingham_host) and, in the demo as on a real
     * node, has a route back to the outside: if it also received the underlay's frames (a packet
     * socket reads only a copy) it would answer this ping a second time and reset the NodePort
     * connections of the test above. The daemon keeps it off the underlay.
     */
    @Test
    void shouldAnswerAPingToTheNodeOnceThroughTheHostPort() {
        Shell.Result ping = E2E.cluster().exec(E2E.cluster().externalNamespace(), T, "ping", "-c", "3", "-i", "0.2", "-W", "2", NODE_IP);

        assertTrue(ping.output().contains(" 3 received"), ping.output());
        assertFalse(ping.output().contains("duplicates") || ping.output().contains("DUP!"), "one answer each: " + ping.output());
        assertTrue(Shell.must("tc", "-n", E2E.cluster().nodeNamespace(), "filter", "show", "dev", "ul0", "ingress")
                .contains("gingham_rx_drop"), "the kernel is kept off the underlay");
    }

    @Test
    void shouldCarryTheNodesOwnConnectionToTheOutsideWithItsAddress() {
        Shell.Result hello = E2E.cluster().exec(E2E.cluster().nodeNamespace(), T, "curl", "-sS", "--max-time", "5",
                "telnet://" + EXTERNAL_IP + ":" + EXTERNAL_PORT);

        assertEquals("outside saw " + NODE_IP, hello.output().trim(), "from gingham_host through the pipeline to the underlay and back");
    }

    @Test
    void shouldMasqueradeAPodConnectionToTheOutside() {
        Shell.Result hello = client("curl", "-sS", "--max-time", "5", "telnet://" + EXTERNAL_IP + ":" + EXTERNAL_PORT);

        assertEquals("outside saw " + NODE_IP, hello.output().trim(), "the outside sees only the node address");
    }

    @Test
    void shouldEchoUdpThroughAServiceAnsweringFromTheServiceAddress() {
        // udp-ask uses a connected socket: the kernel delivers the answer only if its source is the VIP:port asked.
        Shell.Result echo = client("python3", E2E.cluster().serversScript().toString(), "udp-ask", ECHO_VIP, "7", "over udp");

        assertTrue(echo.ok(), echo.output());
        assertTrue(echo.output().matches("web-[123] saw " + PODS.get("client") + ": over udp"), echo.output());
    }

    @Test
    void shouldSpreadNewConnectionsOverEveryBackend() {
        Shell.Result loop = client("sh", "-c", "for i in $(seq " + SPREAD_REQUESTS + "); do curl -sS --max-time 3 http://"
                + WEB_VIP + "/; done");

        Map<String, Integer> answers = new TreeMap<>();
        for (String line : loop.output().split("\n")) {
            answers.merge(line, 1, Integer::sum);
        }
        assertEquals(SPREAD_REQUESTS, answers.values().stream().mapToInt(Integer::intValue).sum(), loop.output());
        for (String web : WEB_PODS) {
            // Random selection: each backend's share is Binomial(60, 1/3); below 5 has probability ~1e-5.
            assertTrue(answers.getOrDefault(web + " saw " + PODS.get("client"), 0) >= 5, "every backend serves: " + answers);
        }
    }

    @Test
    void shouldAnswerAnExpiringTtlWithTimeExceededFromTheGateway() {
        DropTally before = E2E.drops();

        Shell.Result ping = client("ping", "-c", "1", "-t", "1", "-W", "2", EXTERNAL_IP);

        assertTrue(ping.output().contains("From " + GATEWAY_IP + " icmp_seq=1 Time to live exceeded"), ping.output());
        DropTally after = E2E.drops();
        assertEquals(0, after.added(before, DropReason.TTL_EXCEEDED, Direction.EGRESS), "answered, not dropped: " + after.since(before));
    }

    @Test
    void shouldDownloadTwentyMegabytesThroughTheClusterIpIntactInTsoFrames() {
        long[] rxBefore = webRx();

        // Headers (with the server's SHA-256) go to stderr, the body through sha256sum: both land in the output.
        Shell.Result get = client("sh", "-c", "curl -sS --max-time 60 -D /dev/stderr http://" + WEB_VIP + "/bytes/" + LARGE_BYTES
                + " | sha256sum");

        Matcher served = Pattern.compile("(?im)^X-Content-Sha256: ([0-9a-f]{64})").matcher(get.output());
        Matcher received = Pattern.compile("(?m)^([0-9a-f]{64})  -$").matcher(get.output());
        assertTrue(served.find() && received.find(), get.output());
        assertEquals(served.group(1), received.group(1), "the bytes the client received are the bytes the server sent");
        long[] rxAfter = webRx();
        long frames = rxAfter[0] - rxBefore[0];
        long bytes = rxAfter[1] - rxBefore[1];
        assertTrue(bytes >= LARGE_BYTES, "the web pods' ports carried the body: " + bytes + " bytes");
        int podMtu = E2E.daemon().config().tunnelConfig(0, 1).podMtuBytes();
        assertTrue(bytes / frames > podMtu, "frames larger than the MTU (TSO from the server's kernel): " + bytes + " bytes in "
                + frames + " frames");
    }

    /** Returns: frames and bytes the three web pods' ports received (from their servers), summed. */
    private static long[] webRx() {
        long frames = 0;
        long bytes = 0;
        for (String web : WEB_PODS) {
            int port = E2E.daemon().node().port("demo/" + web);
            frames += E2E.daemon().counters().sum(port, PortCounters.RX_PACKETS);
            bytes += E2E.daemon().counters().sum(port, PortCounters.RX_BYTES);
        }
        return new long[]{frames, bytes};
    }

    private static Shell.Result client(String... command) {
        return E2E.inPod("client", command);
    }
}
