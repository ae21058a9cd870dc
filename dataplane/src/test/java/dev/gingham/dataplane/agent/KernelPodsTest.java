package dev.gingham.dataplane.agent;

import dev.gingham.dataplane.demo.Namespaces;
import dev.gingham.dataplane.demo.Shell;
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
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
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
 *
 * <p>Nothing here depends on how fast the machine is: the worker runs on a thread of its own in
 * this JVM, and on a loaded machine (or during a garbage-collection pause) an answer can take
 * hundreds of milliseconds. So each wait is a condition polled up to a generous deadline that
 * ends as soon as the condition holds: ping runs with a deadline ({@code -w}) rather than a
 * reply timeout ({@code -W}, which after a first answer becomes twice the longest round trip
 * seen, a few milliseconds, and counted a late answer as lost), and the test checks that each
 * of its echo requests was answered; the HTTP server (one that listens without a reverse DNS
 * lookup first) is awaited until it listens; drop counters are awaited until the worker has
 * counted the frames. TAP device names carry the whole pid, so
 * concurrent runs on one machine do not collide.
 */
// 90 s: above the longest chain of waits (the IPv6 test: two addresses, ping, counter), so a failure names its cause
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class KernelPodsTest {
    /** How long a condition may take on a loaded machine; every wait ends as soon as its condition holds. */
    private static final Duration DEADLINE = Duration.ofSeconds(20);
    /** The limit of a command that waits up to {@link #DEADLINE} itself. */
    private static final Duration COMMAND_TIMEOUT = DEADLINE.plusSeconds(10);
    /**
     * A file server (ADDRESS PORT DIRECTORY) that listens at once. Not {@code python3 -m http.server}:
     * its HTTPServer looks up the bound address's name (reverse DNS) before it listens, and from the
     * pod that query goes through the gateway to a name server nothing answers for, so it listened
     * only after the resolver's timeout (10 s with this machine's resolv.conf; more with more name servers).
     */
    private static final String FILE_SERVER = """
            import functools, http.server, socketserver, sys
            handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=sys.argv[3])
            with socketserver.TCPServer((sys.argv[1], int(sys.argv[2])), handler) as server:
                server.serve_forever()
            """;
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
    @TempDir
    Path webRoot;

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
        long pid = ProcessHandle.current().pid(); // at most 7 digits (pid_max 2^22): "ghta" + pid fits IFNAMSIZ
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
            Shell.destroyTree(server);
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
        Shell.Result ping = ping(nsA, B_IP);

        assertTrue(ping.ok(), ping.output());
        assertEveryRequestAnsweredWithTtl63(ping.output());
    }

    @Test
    void shouldServeHttpThroughTheClusterIp() throws Exception {
        Files.writeString(webRoot.resolve("hello.txt"), "hello from pod b\n");
        server = new ProcessBuilder("ip", "netns", "exec", nsB, "python3", "-c", FILE_SERVER, B_IP, "8080", webRoot.toString())
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        Namespaces.awaitTcpListener(nsB, 8080);
        // Retried until a deadline: the first SYN waits for the kernel to resolve the gateway through
        // Gingham; the last error is printed only when every attempt failed, so success prints the body alone.
        String fetch = "import urllib.request,time,sys\n"
                + "deadline = time.monotonic() + 20\n"
                + "while True:\n"
                + "    try:\n"
                + "        print(urllib.request.urlopen('http://" + VIP + ":80" + "/hello.txt', timeout=5).read().decode(), end='')\n"
                + "        break\n"
                + "    except Exception as e:\n"
                + "        if time.monotonic() > deadline:\n"
                + "            sys.exit('no answer within 20 s: %r' % e)\n"
                + "        time.sleep(0.1)\n";
        Shell.Result get = Shell.run(COMMAND_TIMEOUT, "ip", "netns", "exec", nsA, "python3", "-c", fetch);

        assertEquals("hello from pod b", get.output().trim(), "what the client saw through the ClusterIP");
    }

    @Test
    void shouldDropASpoofedSourceBeforeItReachesTheOtherPod() throws InterruptedException {
        Netns.must("ip", "-n", nsA, "addr", "add", "10.244.1.99/32", "dev", "eth0");
        Shell.Result ping = Shell.run(COMMAND_TIMEOUT, "ip", "netns", "exec", nsA, "ping", "-n", "-c", "2", "-i", "0.2", "-W", "1",
                "-I", "10.244.1.99", B_IP);

        assertTrue(!ping.ok() && ping.output().contains(" 0 received"), ping.output());
        awaitDrops(DropReason.INVALID_SOURCE_IP, 2, "both spoofed echo requests counted as spoofed");
    }

    @Test
    void shouldPingIpv6FromPodToPodOnceTheGatewayAnswersNeighborSolicitations() throws InterruptedException {
        awaitLinkLocalReady(nsA);
        awaitLinkLocalReady(nsB);

        Shell.Result ping = ping(nsA, B_IP6);

        assertTrue(ping.ok(), ping.output());
        assertEveryRequestAnsweredWithTtl63(ping.output());
        String neighbors = Netns.must("ip", "-n", nsA, "-6", "neigh", "show", "dev", "eth0");
        assertTrue(neighbors.matches("(?s).*" + GATEWAY_IP6 + " lladdr " + ROUTER_MAC + " router (REACHABLE|STALE|DELAY|PROBE).*"),
                "the pod's kernel learned the gateway MAC, flagged as a router: " + neighbors);
        String addresses = Netns.must("ip", "-n", nsA, "-6", "addr", "show", "dev", "eth0");
        assertTrue(addresses.contains(A_LINK_LOCAL) && !addresses.contains("dadfailed"),
                "nobody defended the pod's own link-local address: " + addresses);
        awaitDrops(DropReason.NDP_DAD_PROBE, 1, "the link-local address's probe was seen and not answered");
    }

    /**
     * Three echo requests 0.2 s apart from {@code netns} to {@code target}; ping ends as soon as all
     * three are answered, or at its deadline.
     */
    private static Shell.Result ping(String netns, String target) {
        return Shell.run(COMMAND_TIMEOUT, "ip", "netns", "exec", netns, "ping", "-n", "-c", "3", "-i", "0.2",
                "-w", Long.toString(DEADLINE.toSeconds()), target);
    }

    /**
     * Each of the three echo requests (icmp_seq 1 to 3) was answered, by the other pod through the
     * gateway (TTL or hop limit 64 decremented once). With a deadline ping sends on while answers
     * are missing (late answers arrive together, so it may count 4 to 6 received), so its
     * "N received" says less than this: a lost request fails here.
     */
    private static void assertEveryRequestAnsweredWithTtl63(String output) {
        for (int seq = 1; seq <= 3; seq++) {
            assertTrue(output.contains("icmp_seq=" + seq + " ttl=63 "),
                    "echo request " + seq + " answered, routed by the gateway (TTL decremented): " + output);
        }
    }

    /**
     * Waits until the worker counted at least {@code min} drops of {@code reason}: it counts on its
     * own thread, possibly after the command that sent the frames has returned.
     */
    private void awaitDrops(DropReason reason, long min, String what) throws InterruptedException {
        long deadline = System.nanoTime() + DEADLINE.toNanos();
        long seen = node.node.drops().sum(reason);
        while (seen < min && System.nanoTime() < deadline) {
            Thread.sleep(20);
            seen = node.node.drops().sum(reason);
        }
        assertTrue(seen >= min, what + ": " + reason + " counted " + seen + " time(s) within " + DEADLINE.toSeconds() + " s");
    }

    /**
     * Waits (at most {@link #DEADLINE}) until the pod's link-local address finished duplicate address
     * detection: before, the kernel has no usable link-local source for neighbor discovery.
     */
    private static void awaitLinkLocalReady(String ns) throws InterruptedException {
        long deadline = System.nanoTime() + DEADLINE.toNanos();
        String addresses = "";
        while (System.nanoTime() < deadline) {
            addresses = Netns.must("ip", "-n", ns, "-6", "addr", "show", "dev", "eth0", "scope", "link");
            if (addresses.contains("fe80::") && !addresses.contains("tentative")) {
                return;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("link-local address of " + ns + " still tentative after " + DEADLINE.toSeconds() + " s: " + addresses);
    }
}
