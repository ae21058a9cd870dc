package dev.gingham.dataplane.daemon;

import dev.gingham.dataplane.demo.DemoCluster;
import dev.gingham.dataplane.demo.Shell;
import dev.gingham.packet.Netns;
import dev.gingham.tap.TapDevice;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.PrintStream;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static dev.gingham.dataplane.demo.DemoCluster.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The daemon on real kernels: {@link DemoCluster} (pods in network namespaces with TAPs the
 * daemon made, an external namespace behind the underlay veth) and what the clients and servers
 * saw. Needs root, /dev/net/tun, ip, python3 and curl; skips with the reason otherwise.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class NodeDaemonTest {
    private static final Duration T = Duration.ofSeconds(10);
    private static DemoCluster cluster;
    private static final ByteArrayOutputStream LOG = new ByteArrayOutputStream();

    @BeforeAll
    static void start() throws Exception {
        Netns.assumeAvailable();
        assumeTrue(Files.exists(TapDevice.TUN_DEVICE), "needs " + TapDevice.TUN_DEVICE);
        assumeTrue(Shell.available("python3", "--version"), "needs python3 (./gingham test installs it as root)");
        assumeTrue(Shell.available("curl", "--version"), "needs curl (./gingham test installs it as root)");
        Path dir = Files.createTempDirectory("gingham-daemon-test");
        String prefix = Netns.PREFIX + "dmn" + ProcessHandle.current().pid() + "x1";
        cluster = DemoCluster.create(prefix, dir, new DaemonLog(new PrintStream(LOG, true), true));
        cluster.startServers();
    }

    @AfterAll
    static void stop() {
        if (cluster != null) {
            cluster.close();
        }
        System.out.print(LOG);
    }

    @Test
    void shouldPingFromPodToPod() {
        Shell.Result ping = cluster.exec(cluster.podNamespace("client"), T, "ping", "-c", "3", "-i", "0.2", "-W", "2", PODS.get("web-1"));

        assertTrue(ping.output().contains("3 received"), ping.output());
        assertTrue(ping.output().contains("ttl=63"), "routed by the gateway, TTL decremented: " + ping.output());
    }

    @Test
    void shouldServeHttpThroughTheClusterIpFromABackendThatSeesTheClient() {
        Shell.Result get = cluster.exec(cluster.podNamespace("client"), T, "curl", "-sS", "--max-time", "5", "http://" + WEB_VIP + "/");

        assertTrue(get.ok(), get.output());
        assertTrue(get.output().matches("web-[123] saw " + PODS.get("client")), "no SNAT inside the cluster: " + get.output());
    }

    @Test
    void shouldReachTheNodePortFromOutside() {
        Shell.Result get = cluster.exec(cluster.externalNamespace(), T, "curl", "-sS", "--max-time", "5",
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
        String client = cluster.podNamespace("client");
        Shell.must("ip", "-n", client, "link", "set", "eth0", "mtu", "1500");
        try {
            Shell.Result big = cluster.exec(client, T, "ping", "-M", "do", "-s", "1472", "-c", "1", "-W", "2", REMOTE_POD_IP);
            assertTrue(big.output().contains("mtu = 1450"), "ICMP fragmentation needed with the tunnel MTU: " + big.output());
            Shell.Result route = cluster.exec(client, T, "ip", "route", "get", REMOTE_POD_IP);
            assertTrue(route.output().contains("mtu 1450"), "the sender's kernel learned the path MTU: " + route.output());

            Process capture = new ProcessBuilder("ip", "netns", "exec", cluster.externalNamespace(), "tshark", "-i", "eth0",
                    "-a", "duration:25", "-c", "1", "-f", "udp port 8472", "-T", "fields", "-e", "frame.len", "-e", "ip.dst",
                    "-e", "vxlan.vni").redirectError(ProcessBuilder.Redirect.DISCARD).start();
            // tshark takes a moment (longer on a loaded machine) before it captures: ping until it has its frame
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(25);
            while (capture.isAlive() && System.nanoTime() < deadline) {
                cluster.exec(client, T, "ping", "-M", "do", "-s", "1422", "-c", "1", "-W", "1", REMOTE_POD_IP);
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
        cluster.exec(cluster.podNamespace("client"), T, "ping", "-c", "2", "-i", "0.2", "-W", "2", PODS.get("web-2"));
        String socket = cluster.daemon().api().endpoint().unixSocket().toString();

        Shell.Result health = Shell.run(T, "curl", "-sS", "--max-time", "5", "--unix-socket", socket, "http://localhost/healthz");
        Shell.Result metrics = Shell.run(T, "curl", "-sS", "--max-time", "5", "--unix-socket", socket, "http://localhost/metrics");

        assertTrue(health.output().contains("\"status\":\"ok\""), health.output());
        String rx = metrics.output().lines().filter(l -> l.startsWith("gingham_port_packets_total")
                && l.contains("demo/client") && l.contains("rx")).findFirst().orElse("");
        assertTrue(!rx.isEmpty() && Double.parseDouble(rx.substring(rx.lastIndexOf(' ') + 1)) >= 2,
                "the client's port received its pings: " + rx);
        assertTrue(metrics.output().contains("gingham_worker_busy_ratio"), "per-worker busy ratio exported");
    }

    @Test
    void shouldMasqueradeAPodConnectionToTheOutside() {
        Shell.Result hello = cluster.exec(cluster.podNamespace("client"), T, "curl", "-sS", "--max-time", "5",
                "telnet://" + EXTERNAL_IP + ":" + EXTERNAL_PORT);

        assertEquals("outside saw " + NODE_IP, hello.output().trim(), "the outside sees only the node address");
    }
}
