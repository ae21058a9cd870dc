package dev.gingham.dataplane.agent;

import dev.gingham.dataplane.program.NodeFixture;
import dev.gingham.encap.TunnelMode;
import dev.gingham.packet.BufferPool;
import dev.gingham.packet.Cidr;
import dev.gingham.packet.DropReason;
import dev.gingham.packet.Netns;
import dev.gingham.packet.PacketBuilder;
import dev.gingham.tap.PodInterface;
import dev.gingham.tap.TapConfig;
import dev.gingham.tap.TapDevice;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static dev.gingham.dataplane.program.NodeFixture.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Two dual-stack pods with their own Linux network stacks (network namespaces, TAP devices
 * configured by the TAP driver, an IPv4 and an IPv6 default route via the gateway, onlink) talk
 * through a worker running the node pipeline: ping over IPv4 and over IPv6 (the kernel resolves
 * the gateway by neighbor discovery, which only Gingham answers), HTTP through the ClusterIP, and
 * a spoofed source that never arrives. Every check is what the kernels saw (command exit codes
 * and output), plus Gingham's drop counters. Needs root and /dev/net/tun; skips with the reason
 * otherwise.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class KernelPodsTest {
    private final Netns netns = new Netns();
    private NodeFixture node;
    private BufferPool pool;
    private PortCounters counters;
    private TapDevice tapA;
    private TapDevice tapB;
    private AgentRunner runner;
    private Process server;
    private String nsA;
    private String nsB;

    @BeforeEach
    void setUp() {
        Netns.assumeAvailable();
        assumeTrue(Files.exists(TapDevice.TUN_DEVICE), "needs " + TapDevice.TUN_DEVICE);
        assumeTrue(Netns.run("python3", "--version").ok(), "needs python3 (./gingham test installs it as root)");
        node = new NodeFixture(TunnelMode.VXLAN);
        pool = BufferPool.allocate(512, BufferPool.DEFAULT_BUFFER_SIZE);
        counters = new PortCounters(8, 1);
        nsA = netns.create("poda");
        nsB = netns.create("podb");
        long pid = ProcessHandle.current().pid() % 100_000;
        tapA = TapDevice.create(TapConfig.of("ghta" + pid).withVnetHeader(false));
        tapB = TapDevice.create(TapConfig.of("ghtb" + pid).withVnetHeader(false));
        Cidr gateway = Cidr.parse(GATEWAY_IP + "/32");
        Cidr gateway6 = Cidr.parse(GATEWAY_IP6 + "/128");
        PodInterface.moveAndConfigure(tapA.name(), new PodInterface.Settings(nsA, "eth0", PacketBuilder.mac(A_MAC), 1500,
                Cidr.parse(A_IP + "/32"), gateway, Cidr.parse(A_IP6 + "/128"), gateway6));
        PodInterface.moveAndConfigure(tapB.name(), new PodInterface.Settings(nsB, "eth0", PacketBuilder.mac(B_MAC), 1500,
                Cidr.parse(B_IP + "/32"), gateway, Cidr.parse(B_IP6 + "/128"), gateway6));
        WorkerAgent worker = new WorkerAgent(0, node.pipeline, pool, System::nanoTime, counters, null, 32);
        PortIo[] ports = new PortIo[8];
        ports[POD_A] = new TapPort(POD_A, tapA.queue(0));
        ports[POD_B] = new TapPort(POD_B, tapB.queue(0));
        worker.ports(ports);
        runner = new AgentRunner(new BackoffIdleStrategy(), Throwable::printStackTrace, null, worker);
        AgentRunner.startOnThread(runner);
    }

    @AfterEach
    void tearDown() {
        if (server != null) {
            server.destroyForcibly();
        }
        if (runner != null) {
            runner.close();
        }
        if (tapA != null) {
            tapA.close();
        }
        if (tapB != null) {
            tapB.close();
        }
        netns.close();
        if (counters != null) {
            counters.close();
        }
        if (node != null) {
            node.close();
        }
        if (pool != null) {
            pool.close();
        }
    }

    @Test
    void shouldPingFromPodToPodThroughThePipeline() {
        Netns.Result ping = Netns.run("ip", "netns", "exec", nsA, "ping", "-c", "3", "-i", "0.2", "-W", "2", B_IP);

        assertTrue(ping.ok(), ping.output());
        assertTrue(ping.output().contains("3 received"), ping.output());
        assertTrue(ping.output().contains("ttl=63"), "routed by the gateway, TTL decremented: " + ping.output());
    }

    @Test
    void shouldServeHttpThroughTheClusterIp() throws Exception {
        Path root = Files.createTempDirectory("gingham-http");
        Files.writeString(root.resolve("hello.txt"), "hello from pod b\n");
        server = new ProcessBuilder("ip", "netns", "exec", nsB, "python3", "-m", "http.server", "8080", "--bind", B_IP,
                "--directory", root.toString()).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (!Netns.run("ip", "netns", "exec", nsB, "ss", "-ltn").output().contains(":8080") && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        String fetch = "import urllib.request,time\n"
                + "for attempt in range(50):\n"
                + "    try:\n"
                + "        print(urllib.request.urlopen('http://" + VIP + ":80" + "/hello.txt', timeout=2).read().decode(), end='')\n"
                + "        break\n"
                + "    except Exception as e:\n"
                + "        time.sleep(0.1)\n";
        Netns.Result get = Netns.run("ip", "netns", "exec", nsA, "python3", "-c", fetch);

        assertEquals("hello from pod b", get.output().trim(), "what the client saw through the ClusterIP");
    }

    @Test
    void shouldDropASpoofedSourceBeforeItReachesTheOtherPod() {
        Netns.must("ip", "-n", nsA, "addr", "add", "10.244.1.99/32", "dev", "eth0");
        Netns.Result ping = Netns.run("ip", "netns", "exec", nsA, "ping", "-c", "2", "-i", "0.2", "-W", "1", "-I", "10.244.1.99", B_IP);

        assertTrue(!ping.ok() && ping.output().contains("0 received"), ping.output());
        assertTrue(node.node.drops().sum(DropReason.INVALID_SOURCE_IP) >= 2, "counted as spoofed");
    }

    @Test
    void shouldPingIpv6FromPodToPodOnceTheGatewayAnswersNeighborSolicitations() throws InterruptedException {
        awaitLinkLocalReady(nsA);
        awaitLinkLocalReady(nsB);

        Netns.Result ping = Netns.run("ip", "netns", "exec", nsA, "ping", "-6", "-c", "3", "-i", "0.2", "-W", "2", B_IP6);

        assertTrue(ping.ok(), ping.output());
        assertTrue(ping.output().contains("3 received"), ping.output());
        assertTrue(ping.output().contains("ttl=63"), "routed by the gateway, hop limit decremented: " + ping.output());
        String neighbors = Netns.must("ip", "-n", nsA, "-6", "neigh", "show", "dev", "eth0");
        assertTrue(neighbors.matches("(?s).*" + GATEWAY_IP6 + " lladdr " + ROUTER_MAC + " router (REACHABLE|STALE|DELAY|PROBE).*"),
                "the pod's kernel learned the gateway MAC, flagged as a router: " + neighbors);
        String addresses = Netns.must("ip", "-n", nsA, "-6", "addr", "show", "dev", "eth0");
        assertTrue(addresses.contains(A_LINK_LOCAL) && !addresses.contains("dadfailed"),
                "nobody defended the pod's own link-local address: " + addresses);
        assertTrue(node.node.drops().sum(DropReason.NDP_DAD_PROBE) >= 1, "the link-local address's probe was seen and not answered");
    }

    /**
     * Waits (at most 10 s) until the pod's link-local address finished duplicate address detection:
     * before, the kernel has no usable link-local source for neighbor discovery.
     */
    private static void awaitLinkLocalReady(String ns) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        String addresses = "";
        while (System.nanoTime() < deadline) {
            addresses = Netns.must("ip", "-n", ns, "-6", "addr", "show", "dev", "eth0", "scope", "link");
            if (addresses.contains("fe80::") && !addresses.contains("tentative")) {
                return;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("link-local address of " + ns + " still tentative after 10 s: " + addresses);
    }
}
