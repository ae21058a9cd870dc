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
 * Two pods with their own Linux network stacks (network namespaces, TAP devices configured by
 * the TAP driver) talk through a worker running the node pipeline: ping, HTTP through the
 * ClusterIP, and a spoofed source that never arrives. Every check is what the kernels saw
 * (command exit codes and output), plus Gingham's drop counter for the spoof. Needs root and
 * /dev/net/tun; skips with the reason otherwise.
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
        PodInterface.moveAndConfigure(tapA.name(), new PodInterface.Settings(nsA, "eth0", PacketBuilder.mac(A_MAC), 1500,
                Cidr.parse(A_IP + "/32"), gateway, null, null));
        PodInterface.moveAndConfigure(tapB.name(), new PodInterface.Settings(nsB, "eth0", PacketBuilder.mac(B_MAC), 1500,
                Cidr.parse(B_IP + "/32"), gateway, null, null));
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
}
