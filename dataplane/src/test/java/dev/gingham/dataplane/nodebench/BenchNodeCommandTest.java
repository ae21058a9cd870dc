package dev.gingham.dataplane.nodebench;

import dev.gingham.dataplane.cli.GinghamCli;
import dev.gingham.dataplane.demo.Shell;
import dev.gingham.packet.Netns;
import dev.gingham.tap.TapDevice;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@code gingham bench-node --quick} end to end with tiny windows: the command builds all three
 * paths, runs every measurement and writes a JSON file with every figure. The assertions are on
 * sanity, not speed: traffic went through each path (non-zero throughput and packet rates, answers
 * to every probe), ratios agree with their figures, the steady run carried frames, the cross-node
 * pairs carried TCP and the batched one sent several frames per system call. Needs root,
 * /dev/net/tun, iperf3 and iptables (./gingham test installs them); skips with the reason otherwise.
 * Runs beside anything else on the machine: its namespaces carry this JVM's pid, and its daemons'
 * admin APIs are unix sockets in the run's work directory (no TCP port, so neither a running node
 * nor another bench-node on 127.0.0.1:9890 stops it).
 */
class BenchNodeCommandTest {
    @TempDir
    Path dir;

    // 240 s: about 30 s here when quiet, 70-90 s with two busy loops on the two cores and other builds
    // running (load 12); the bound is for a hung run, not a slow one
    @Test
    @Timeout(value = 240, unit = TimeUnit.SECONDS)
    void shouldWriteEveryFigureWithSaneValuesWhenRunQuick() throws Exception {
        Netns.assumeAvailable();
        assumeTrue(Files.exists(TapDevice.TUN_DEVICE), "needs " + TapDevice.TUN_DEVICE);
        assumeTrue(Shell.available("iperf3", "--version"), "needs iperf3 (./gingham test installs it as root)");
        assumeTrue(Shell.available("iptables-restore", "--version"), "needs iptables (./gingham test installs it as root)");
        Path json = dir.resolve("node.json");
        String prefix = Netns.PREFIX + "nb" + ProcessHandle.current().pid() + "x1";

        ByteArrayOutputStream stdout = new ByteArrayOutputStream();
        PrintStream previous = System.out;
        int exit;
        System.setOut(new PrintStream(stdout, true, StandardCharsets.UTF_8));
        try {
            exit = GinghamCli.commandLine().execute("bench-node", "--quick", "--seconds", "2", "--out", json.toString(),
                    "--netns-prefix", prefix);
        } finally {
            System.setOut(previous);
        }

        assertEquals(0, exit, "bench-node failed; see the test's standard error");
        assertFalse(Shell.run(java.time.Duration.ofSeconds(5), "ip", "netns", "list").output().contains(prefix),
                "every namespace of the run is deleted");
        JsonNode r = JsonMapper.builder().build().readTree(json.toFile());
        assertEquals(NodeBenchResult.KIND, r.get("kind").asString());
        assertTrue(r.get("quick").asBoolean());

        JsonNode tcp = r.get("tcpThroughput");
        assertTrue(tcp.get("ginghamGbps").asDouble() > 0, "Gingham TCP: " + tcp);
        assertTrue(tcp.get("kernelGbps").asDouble() > 0, "kernel TCP: " + tcp);
        assertEquals(tcp.get("ginghamGbps").asDouble() / tcp.get("kernelGbps").asDouble(), tcp.get("ratio").asDouble(), 0.01);
        assertEquals(0.75, tcp.get("target").asDouble());

        JsonNode udp = r.get("udpPacketRate");
        assertTrue(udp.get("ginghamPps").asLong() > 0, "Gingham UDP: " + udp);
        assertTrue(udp.get("tapCeilingPps").asLong() > 0, "TAP ceiling UDP: " + udp);
        assertTrue(udp.get("ginghamOfferedPps").asLong() > 0 && udp.get("tapCeilingOfferedPps").asLong() > 0, udp.toString());
        assertEquals(0.7, udp.get("target").asDouble());

        for (String probe : new String[]{"ping", "tcpRequestResponse"}) {
            for (String path : new String[]{"gingham", "kernel"}) {
                JsonNode stats = r.get("latency").get(probe).get(path);
                assertTrue(stats.get("samples").asInt() >= 90, probe + " " + path + " answered: " + stats);
                double p50 = stats.get("p50Us").asDouble();
                double p99 = stats.get("p99Us").asDouble();
                assertTrue(p50 > 0 && p50 <= p99 && p99 <= stats.get("maxUs").asDouble(), probe + " " + path + ": " + stats);
            }
        }
        assertEquals(100, r.get("latency").get("ping").get("kernel").get("samples").asInt()
                + r.get("latency").get("ping").get("kernel").get("lost").asInt());

        JsonNode gc = r.get("gc");
        assertTrue(gc.get("frames").asLong() > 1000, "the steady run carried traffic: " + gc);
        assertTrue(gc.get("seconds").asDouble() >= 2, gc.toString());
        assertEquals(1, gc.get("workerThreads").asInt(), "the daemon's one worker was watched: " + gc);
        assertTrue(gc.get("collectors").size() > 0, gc.toString());

        JsonNode cross = r.get("crossNode");
        for (String figure : new String[]{"ginghamGbps", "segmentedGbps", "unbatchedGbps", "kernelGbps"}) {
            assertTrue(cross.get(figure).asDouble() > 0, "cross-node " + figure + ": " + cross);
        }
        assertEquals(cross.get("ginghamGbps").asDouble() / cross.get("kernelGbps").asDouble(), cross.get("ratio").asDouble(), 0.01);
        assertTrue(cross.get("ginghamTxFramesPerCall").asDouble() > 1, "node 1 sent bursts: " + cross);
        assertEquals(1.0, cross.get("unbatchedTxFramesPerCall").asDouble(), "one write per frame when unbatched: " + cross);

        String markdown = stdout.toString(StandardCharsets.UTF_8);
        assertTrue(markdown.contains("| iperf3 TCP through a ClusterIP"), markdown);
        assertTrue(markdown.contains("| iperf3 TCP across nodes, defaults (TSO frames as UDP GSO datagrams"), markdown);
        assertTrue(markdown.contains("Linux " + MachineInfo.kernel()), markdown);
    }
}
