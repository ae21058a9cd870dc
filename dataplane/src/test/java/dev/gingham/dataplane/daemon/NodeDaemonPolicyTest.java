package dev.gingham.dataplane.daemon;

import dev.gingham.dataplane.demo.DemoCluster;
import dev.gingham.dataplane.demo.DropTally;
import dev.gingham.dataplane.demo.Shell;
import dev.gingham.dataplane.policy.Direction;
import dev.gingham.packet.DropReason;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

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
    @RegisterExtension
    static final EndToEndCluster E2E = new EndToEndCluster("pol");

    @Test
    void shouldDropAConnectionThePolicyDoesNotAllowBeforeItReachesTheServer() throws InterruptedException {
        long dbReceived = settledRxPackets("db");
        DropTally before = E2E.drops();

        Shell.Result viaService = E2E.inPod("client", "curl", "-sS", "--max-time", "2", "telnet://" + DB_VIP + ":5432");
        Shell.Result direct = E2E.inPod("client", "curl", "-sS", "--max-time", "2", "telnet://" + PODS.get("db") + ":5432");

        assertTrue(viaService.output().contains("curl: (28)"), "timed out, no reset: " + viaService.output());
        assertTrue(direct.output().contains("curl: (28)"), "timed out, no reset: " + direct.output());
        assertEquals(dbReceived, rxPackets("db"), "db's kernel received nothing");
        DropTally after = E2E.drops();
        assertTrue(after.added(before, DropReason.POLICY, Direction.INGRESS) >= 2, "the SYNs, at db's ingress: " + after.since(before));
        assertEquals(0, after.added(before, DropReason.POLICY, Direction.EGRESS), "the client has no egress policy");
    }

    @Test
    void shouldLetTheWebTierReachTheDatabase() {
        Shell.Result viaService = E2E.inPod("web-2", "curl", "-sS", "--max-time", "3", "telnet://" + DB_VIP + ":5432");
        Shell.Result direct = E2E.inPod("web-3", "curl", "-sS", "--max-time", "3", "telnet://" + PODS.get("db") + ":5432");

        assertEquals("db saw " + PODS.get("web-2"), viaService.output(), "the server's view");
        assertEquals("db saw " + PODS.get("web-3"), direct.output(), "the server's view");
    }

    @Test
    void shouldDropPacketsFromAnAddressThePodWasNotGiven() throws InterruptedException {
        Shell.must("ip", "-n", E2E.cluster().podNamespace("client"), "addr", "add", SPOOFED_IP + "/32", "dev", "eth0");
        try {
            long web1Received = settledRxPackets("web-1");
            DropTally before = E2E.drops();

            Shell.Result spoofed = E2E.inPod("client", "curl", "-sS", "--max-time", "2", "--interface", SPOOFED_IP,
                    "http://" + PODS.get("web-1") + ":8080/");

            assertTrue(spoofed.output().contains("curl: (28)"), spoofed.output());
            assertEquals(web1Received, rxPackets("web-1"), "web-1's kernel received nothing");
            assertTrue(E2E.drops().added(before, DropReason.INVALID_SOURCE_IP, Direction.EGRESS) >= 2, E2E.drops().since(before).toString());
            Shell.Result genuine = E2E.inPod("client", "curl", "-sS", "--max-time", "2", "--interface", PODS.get("client"),
                    "http://" + PODS.get("web-1") + ":8080/");
            assertEquals("web-1 saw " + PODS.get("client"), genuine.output(), "its own address still works");
        } finally {
            Shell.run(EndToEnd.COMMAND_TIMEOUT, "ip", "-n", E2E.cluster().podNamespace("client"), "addr", "del", SPOOFED_IP + "/32", "dev", "eth0");
        }
    }

    @Test
    void shouldDropFramesFromAMacThePodWasNotGiven() {
        String pod = "web-3";
        String realMac = Shell.must("ip", "netns", "exec", E2E.cluster().podNamespace(pod), "cat", "/sys/class/net/eth0/address");
        Shell.must("ip", "-n", E2E.cluster().podNamespace(pod), "link", "set", "eth0", "address", SPOOFED_MAC);
        try {
            DropTally before = E2E.drops();

            Shell.Result ping = E2E.inPod(pod, "ping", "-c", "2", "-i", "0.2", "-W", "1", PODS.get("client"));

            assertTrue(ping.output().contains(" 0 received"), ping.output());
            assertTrue(E2E.drops().added(before, DropReason.INVALID_SOURCE_MAC, Direction.EGRESS) >= 2, E2E.drops().since(before).toString());
        } finally {
            Shell.run(EndToEnd.COMMAND_TIMEOUT, "ip", "-n", E2E.cluster().podNamespace(pod), "link", "set", "eth0", "address", realMac);
        }
        Shell.Result restored = E2E.inPod(pod, "ping", "-c", "1", "-W", "2", PODS.get("client"));
        assertTrue(restored.output().contains(" 1 received"), "its own MAC still works: " + restored.output());
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
        String stats = Shell.must("ip", "-n", E2E.cluster().podNamespace(pod), "-s", "link", "show", "eth0");
        Matcher m = Pattern.compile("RX:[^\\n]*\\n\\s*(\\d+)\\s+(\\d+)").matcher(stats);
        assertTrue(m.find(), stats);
        return Long.parseLong(m.group(2));
    }
}
