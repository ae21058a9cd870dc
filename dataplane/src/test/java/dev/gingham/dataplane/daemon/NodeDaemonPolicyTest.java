package dev.gingham.dataplane.daemon;

import dev.gingham.dataplane.demo.DemoCluster;
import dev.gingham.dataplane.demo.DropTally;
import dev.gingham.dataplane.demo.Shell;
import dev.gingham.dataplane.policy.Direction;
import dev.gingham.packet.DropReason;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static dev.gingham.dataplane.demo.DemoCluster.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * NetworkPolicy and anti-spoofing on real kernels: a real TCP client refused or let through by
 * the demo's policy (only app=web may reach db on 5432), and a pod sending from an address or MAC
 * it was not given. Each is checked on the kernel side (the client's error, the server's answer,
 * the receiving interface's packet count) and in the daemon's drop counters. Needs root; skips
 * otherwise.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class NodeDaemonPolicyTest {
    private static final String SPOOFED_IP = "10.244.1.99";
    private static final String SPOOFED_MAC = "0a:58:0a:f4:01:63";
    private static EndToEnd.Started started;
    private static DemoCluster cluster;

    @BeforeAll
    static void start() throws Exception {
        started = EndToEnd.start("pol");
        cluster = started.cluster();
    }

    @AfterAll
    static void stop() {
        if (started != null) {
            started.close();
        }
    }

    @Test
    void shouldDropAConnectionThePolicyDoesNotAllowBeforeItReachesTheServer() throws InterruptedException {
        long dbReceived = settledRxPackets("db");
        DropTally before = drops();

        Shell.Result viaService = exec("client", "curl", "-sS", "--max-time", "2", "telnet://" + DB_VIP + ":5432");
        Shell.Result direct = exec("client", "curl", "-sS", "--max-time", "2", "telnet://" + PODS.get("db") + ":5432");

        assertTrue(viaService.output().contains("curl: (28)"), "timed out, no reset: " + viaService.output());
        assertTrue(direct.output().contains("curl: (28)"), "timed out, no reset: " + direct.output());
        assertEquals(dbReceived, rxPackets("db"), "db's kernel received nothing");
        DropTally after = drops();
        assertTrue(after.added(before, DropReason.POLICY, Direction.INGRESS) >= 2, "the SYNs, at db's ingress: " + after.since(before));
        assertEquals(0, after.added(before, DropReason.POLICY, Direction.EGRESS), "the client has no egress policy");
    }

    @Test
    void shouldLetTheWebTierReachTheDatabase() {
        Shell.Result viaService = exec("web-2", "curl", "-sS", "--max-time", "3", "telnet://" + DB_VIP + ":5432");
        Shell.Result direct = exec("web-3", "curl", "-sS", "--max-time", "3", "telnet://" + PODS.get("db") + ":5432");

        assertEquals("db saw " + PODS.get("web-2"), viaService.output(), "the server's view");
        assertEquals("db saw " + PODS.get("web-3"), direct.output(), "the server's view");
    }

    @Test
    void shouldDropPacketsFromAnAddressThePodWasNotGiven() throws InterruptedException {
        Shell.must("ip", "-n", cluster.podNamespace("client"), "addr", "add", SPOOFED_IP + "/32", "dev", "eth0");
        try {
            long web1Received = settledRxPackets("web-1");
            DropTally before = drops();

            Shell.Result spoofed = exec("client", "curl", "-sS", "--max-time", "2", "--interface", SPOOFED_IP,
                    "http://" + PODS.get("web-1") + ":8080/");

            assertTrue(spoofed.output().contains("curl: (28)"), spoofed.output());
            assertEquals(web1Received, rxPackets("web-1"), "web-1's kernel received nothing");
            assertTrue(drops().added(before, DropReason.INVALID_SOURCE_IP, Direction.EGRESS) >= 2, drops().since(before).toString());
            Shell.Result genuine = exec("client", "curl", "-sS", "--max-time", "2", "--interface", PODS.get("client"),
                    "http://" + PODS.get("web-1") + ":8080/");
            assertEquals("web-1 saw " + PODS.get("client"), genuine.output(), "its own address still works");
        } finally {
            Shell.run(EndToEnd.COMMAND_TIMEOUT, "ip", "-n", cluster.podNamespace("client"), "addr", "del", SPOOFED_IP + "/32", "dev", "eth0");
        }
    }

    @Test
    void shouldDropFramesFromAMacThePodWasNotGiven() {
        String pod = "web-3";
        String realMac = Shell.must("ip", "netns", "exec", cluster.podNamespace(pod), "cat", "/sys/class/net/eth0/address");
        Shell.must("ip", "-n", cluster.podNamespace(pod), "link", "set", "eth0", "address", SPOOFED_MAC);
        try {
            DropTally before = drops();

            Shell.Result ping = exec(pod, "ping", "-c", "2", "-i", "0.2", "-W", "1", PODS.get("client"));

            assertTrue(ping.output().contains(" 0 received"), ping.output());
            assertTrue(drops().added(before, DropReason.INVALID_SOURCE_MAC, Direction.EGRESS) >= 2, drops().since(before).toString());
        } finally {
            Shell.run(EndToEnd.COMMAND_TIMEOUT, "ip", "-n", cluster.podNamespace(pod), "link", "set", "eth0", "address", realMac);
        }
        Shell.Result restored = exec(pod, "ping", "-c", "1", "-W", "2", PODS.get("client"));
        assertTrue(restored.output().contains(" 1 received"), "its own MAC still works: " + restored.output());
    }

    private static DropTally drops() {
        return DropTally.of(cluster.daemon().node().state().drops());
    }

    /**
     * Returns: packets the pod's eth0 received, as its kernel counts them, once the count has
     * stayed the same for 300 ms (the last packets of an earlier test's connection may still arrive).
     */
    private static long settledRxPackets(String pod) throws InterruptedException {
        long previous = rxPackets(pod);
        for (int i = 0; i < 10; i++) {
            Thread.sleep(300);
            long now = rxPackets(pod);
            if (now == previous) {
                return now;
            }
            previous = now;
        }
        return previous;
    }

    private static long rxPackets(String pod) {
        String stats = Shell.must("ip", "-n", cluster.podNamespace(pod), "-s", "link", "show", "eth0");
        Matcher m = Pattern.compile("RX:[^\\n]*\\n\\s*(\\d+)\\s+(\\d+)").matcher(stats);
        assertTrue(m.find(), stats);
        return Long.parseLong(m.group(2));
    }

    private static Shell.Result exec(String pod, String... command) {
        return cluster.exec(cluster.podNamespace(pod), EndToEnd.COMMAND_TIMEOUT, command);
    }
}
