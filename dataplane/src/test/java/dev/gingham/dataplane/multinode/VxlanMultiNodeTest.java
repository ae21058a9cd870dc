package dev.gingham.dataplane.multinode;

import dev.gingham.dataplane.demo.Shell;
import dev.gingham.encap.TunnelMode;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The cross-node scenarios over VXLAN (root; skipped with the reason otherwise), and the MTU
 * across nodes with a real Linux sender: pod m1's interface says 1500 (as a plain Linux host's
 * would), the tunnel carries 1450.
 */
class VxlanMultiNodeTest extends MultiNodeScenarios {
    @Override
    TunnelMode mode() {
        return TunnelMode.VXLAN;
    }

    @Test
    void shouldAnswerFragNeededWithTheTunnelMtuAndPassTheSmallerPing() throws Exception {
        String s2 = cluster.pod("s2").ip();
        Shell.must("ip", "-n", cluster.namespace("m1"), "link", "set", "eth0", "mtu", "1500");
        try {
            assertTrue(pingUntilAnswered("m1", s2).ok(), "small pings cross first");
            Shell.Result big = in("m1", "ping", "-M", "do", "-s", "1472", "-c", "1", "-W", "2", s2);
            assertTrue(big.output().contains("Frag needed and DF set (mtu = 1450)"), big.output());
            Shell.Result fits = in("m1", "ping", "-M", "do", "-s", "1422", "-c", "2", "-i", "0.2", "-W", "2", s2);
            assertTrue(fits.output().contains("2 received"), "1422 + 28 = 1450 bytes fit the tunnel: " + fits.output());
        } finally {
            Shell.run(T, "ip", "-n", cluster.namespace("m1"), "link", "set", "eth0", "mtu", "1450");
        }
    }

    /**
     * A 4 MB download from a pod on node-2 to pod m1 (interface MTU 1500, so its SYN offers MSS
     * 1460): the bytes arrive intact, the underlay carries no IP fragment, and the SYN and SYN-ACK
     * as captured inside the VXLAN packets carry the clamped MSS (pod MTU 1450 - 40 = 1410).
     */
    @Test
    void shouldTransferMegabytesWithoutFragmentsAndWithTheMssClampedOnTheWire() throws Exception {
        assumeTrue(Shell.available("tshark", "--version"), "needs tshark (./gingham test installs it as root)");
        int mss = cluster.daemon(1).node().config().tunnelConfig(0, 1).mssIpv4Bytes();
        assertEquals(1410, mss, "VXLAN on a 1500-byte underlay: pod MTU 1450 - 40");
        String s2 = cluster.pod("s2").ip();
        Path dir = Files.createTempDirectory("gingham-mtu-");
        Shell.must("ip", "-n", cluster.namespace("m1"), "link", "set", "eth0", "mtu", "1500");
        try {
            pingUntilAnswered("m1", s2);
            Path pcap = dir.resolve("underlay.pcap");
            Path headers = dir.resolve("headers.txt");
            Shell.Result got;
            try (UnderlayCapture capture = UnderlayCapture.start(cluster.bridgeNamespace(), cluster.bridgePort(1),
                    "udp port 8472 or ip[6:2] & 0x3fff != 0", pcap, Duration.ofSeconds(40), () -> in("m1", "ping", "-c", "1", "-W", "1", s2))) {
                got = cluster.exec(cluster.namespace("m1"), Duration.ofSeconds(30), "sh", "-c", "curl -sS --max-time 25 -D " + headers
                        + " http://" + s2 + ":8080/bytes/4000000 | sha256sum");
                Thread.sleep(300); // the last frames reach the capture
                capture.close();
                assertTrue(got.ok(), got.output());
                String sent = Files.readAllLines(headers).stream().filter(l -> l.toLowerCase().startsWith("x-content-sha256:"))
                        .map(l -> l.substring(l.indexOf(':') + 1).trim()).findFirst().orElse("(no header)");
                assertEquals(sent, got.output().trim().split(" ")[0], "the 4 MB arrived intact");

                String fragments = capture.fields("ip.flags.mf == 1 || ip.frag_offset > 0", "frame.number");
                assertEquals("", fragments, "no IP fragment on the underlay");
                List<String> synMss = capture.fields("tcp.flags.syn == 1", "tcp.options.mss_val").lines().toList();
                assertEquals(2, synMss.size(), "the SYN and the SYN-ACK, each inside a VXLAN packet: " + synMss + "; captured: "
                        + capture.fields("frame.number <= 5", "frame.len", "frame.protocols"));
                assertTrue(synMss.stream().allMatch(v -> v.equals(Integer.toString(mss))), "MSS clamped to " + mss + ": " + synMss);
                String vxlan = capture.fields("vxlan && tcp.len > 1000", "vxlan.vni");
                assertFalse(vxlan.isEmpty(), "the data crossed as VXLAN");
                assertTrue(Arrays.stream(vxlan.split("\n")).allMatch("1"::equals), "VNI 1 throughout");
            }
        } finally {
            Shell.run(T, "ip", "-n", cluster.namespace("m1"), "link", "set", "eth0", "mtu", "1450");
            Shell.run(T, "rm", "-rf", dir.toString());
        }
    }
}
