package dev.gingham.dataplane.multinode;

import dev.gingham.dataplane.demo.DropTally;
import dev.gingham.dataplane.demo.Shell;
import dev.gingham.encap.TunnelMode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static dev.gingham.dataplane.multinode.MultiNodeCluster.nodeIp;
import static dev.gingham.dataplane.multinode.MultiNodeScenarios.T;
import static dev.gingham.dataplane.multinode.MultiNodeScenarios.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Kernel interop (issue 7): a Gingham node and a node that is plain Linux, configured as
 * flannel's VXLAN backend configures a node (flannel.1: VNI 1, port 8472, nolearning; routes
 * onlink via each subnet's .0, permanent neighbour entries to each Gingham node's VTEP MAC, FDB
 * entries to its address; a cni0 bridge with the pod behind it). Gingham knows the kernel node
 * only from its Node object's flannel annotations (VtepMAC, public-ip) and finds its underlay MAC
 * by ARP; the kernel finds Gingham's by ARP too. Root; skipped with the reason otherwise.
 *
 * <pre>
 *  node-1 (Gingham)  g1 10.244.1.2      node-2 (plain Linux)  kpod 10.244.2.2 behind cni0
 * </pre>
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class KernelVxlanNodeTest {
    private MultiNodeCluster cluster;

    @BeforeAll
    void startCluster() throws Exception {
        MultiNodeScenarios.assumeKernel();
        cluster = MultiNodeCluster.prepare(MultiNodeScenarios.prefix("krn"), Files.createTempDirectory("gingham-kernel-node-"),
                TunnelMode.VXLAN, 1, true).pod("g1", 1, "client").pod("kpod", 2, "web").start();
        cluster.server(cluster.namespace("kpod"), "http", "kpod", 8080);
        cluster.server(cluster.namespace("g1"), "http", "g1", 8080);
    }

    @AfterAll
    void stopCluster() {
        if (cluster != null) {
            System.out.print(cluster.logs());
            cluster.close();
        }
    }

    private Shell.Result in(String role, String... command) {
        return cluster.exec(cluster.namespace(role), T, command);
    }

    @Test
    void shouldPingBothWaysBetweenAGinghamPodAndAKernelNodesPod() throws Exception {
        String g1 = cluster.pod("g1").ip();
        String kpod = cluster.pod("kpod").ip();
        DropTally before = DropTally.of(cluster.daemon(1).node().state().drops());
        Shell.Result first = await(Duration.ofSeconds(15), () -> in("g1", "ping", "-c", "1", "-W", "1", kpod), Shell.Result::ok);
        assertTrue(first.ok(), "Gingham -> kernel: " + first.output() + "; drops on node-1: "
                + DropTally.of(cluster.daemon(1).node().state().drops()).since(before));
        Shell.Result there = in("g1", "ping", "-c", "3", "-i", "0.2", "-W", "2", kpod);
        assertTrue(there.output().contains("3 received"), there.output());
        Shell.Result back = in("kpod", "ping", "-c", "3", "-i", "0.2", "-W", "2", g1);
        assertTrue(back.output().contains("3 received"), "kernel -> Gingham: " + back.output());
    }

    @Test
    void shouldCarryTcpBothWaysAndDecodeAsFlannelsVxlanOnTheUnderlay() throws Exception {
        assumeTrue(Shell.available("tshark", "--version"), "needs tshark (./gingham test installs it as root)");
        String g1 = cluster.pod("g1").ip();
        String kpod = cluster.pod("kpod").ip();
        await(Duration.ofSeconds(15), () -> in("g1", "ping", "-c", "1", "-W", "1", kpod), Shell.Result::ok);
        Path dir = Files.createTempDirectory("gingham-kernel-capture-");
        try (UnderlayCapture capture = UnderlayCapture.start(cluster.bridgeNamespace(), cluster.bridgePort(1), "udp port 8472",
                dir.resolve("underlay.pcap"), Duration.ofSeconds(30), () -> in("g1", "ping", "-c", "1", "-W", "1", kpod))) {
            Shell.Result toKernel = in("g1", "curl", "-sS", "--max-time", "5", "http://" + kpod + ":8080/");
            Shell.Result toGingham = in("kpod", "curl", "-sS", "--max-time", "5", "http://" + g1 + ":8080/");
            Thread.sleep(300);
            capture.close();
            assertEquals("kpod saw " + g1, toKernel.output().trim(), "Gingham pod -> kernel pod over TCP");
            assertEquals("g1 saw " + kpod, toGingham.output().trim(), "kernel pod -> Gingham pod over TCP");

            // every VXLAN packet: VNI 1, outer addresses the two nodes', inner addresses the two pods'
            List<String> packets = capture.fields("vxlan && tcp", "vxlan.vni", "ip.src", "ip.dst").lines().toList();
            assertTrue(packets.size() >= 10, "two HTTP exchanges cross as VXLAN: " + packets);
            String out = "1\t" + nodeIp(1) + "," + g1 + "\t" + nodeIp(2) + "," + kpod;
            String in = "1\t" + nodeIp(2) + "," + kpod + "\t" + nodeIp(1) + "," + g1;
            for (String p : packets) {
                assertTrue(p.equals(out) || p.equals(in), "VNI 1, outer node addresses, inner pod addresses: " + p);
            }
            assertTrue(packets.contains(out) && packets.contains(in), "both directions seen: " + packets);
            String macs = capture.fields("vxlan && tcp && ip.src == " + nodeIp(1), "eth.dst").lines().distinct()
                    .reduce("", (a, b) -> a + b + ";");
            assertTrue(macs.contains(MultiNodeCluster.KERNEL_VTEP_MAC), "inner frames to flannel.1's VtepMAC: " + macs);
        } finally {
            Shell.run(T, "rm", "-rf", dir.toString());
        }
    }
}
