package dev.gingham.dataplane.nodebench;

import dev.gingham.dataplane.config.IdleStrategyConfig;
import dev.gingham.dataplane.daemon.DaemonLog;
import dev.gingham.dataplane.demo.Namespaces;
import dev.gingham.dataplane.demo.Shell;
import dev.gingham.packet.Netns;
import dev.gingham.tap.TapDevice;
import dev.gingham.tap.TapQueue;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The cross-node benchmark's setups carry TCP, without iperf3 and without timing: a 4 MB transfer
 * from the pod on node 1 to the pod on node 2 arrives intact (SHA-256) through two Gingham nodes
 * with the defaults (TSO frames as UDP GSO datagrams: far fewer underlay frames than segments, merged
 * back on node 2), through two cutting TSO frames into segments with batched underlay I/O, through
 * two doing that with one system call per frame, and through the two kernel VXLAN nodes; the
 * batched nodes sent and read their underlay frames several per system call. Needs root and
 * /dev/net/tun; skips with the reason otherwise. Every namespace is deleted after.
 */
class CrossNodeSetupTest {
    @TempDir
    Path dir;

    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void shouldCarryATcpTransferIntactAcrossBothNodePairsWhenBuiltAsTheBenchmarkBuildsThem() {
        Netns.assumeAvailable();
        assumeTrue(Files.exists(TapDevice.TUN_DEVICE), "needs " + TapDevice.TUN_DEVICE);
        // "x1" ends the pid: Netns.assumeAvailable in a concurrent test JVM reads the digits up to the x as the
        // owner's pid and deletes namespaces whose owner is gone (or whose name it cannot read)
        String prefix = Netns.PREFIX + "xn" + ProcessHandle.current().pid() + "x1";
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        try (Namespaces namespaces = new Namespaces(prefix)) {
            namespaces.removeLeftovers();
            DaemonLog daemonLog = new DaemonLog(new PrintStream(log, true, StandardCharsets.UTF_8), false);
            try (GinghamNodePair gso = GinghamNodePair.start(namespaces, dir, "xg", true, true, IdleStrategyConfig.Kind.BACKOFF, daemonLog);
                 GinghamNodePair batched = GinghamNodePair.start(namespaces, dir, "xb", true, false, IdleStrategyConfig.Kind.BACKOFF, daemonLog);
                 GinghamNodePair unbatched = GinghamNodePair.start(namespaces, dir, "xu", false, false, IdleStrategyConfig.Kind.BACKOFF,
                         daemonLog)) {
                PodPair kernel = KernelVxlanPair.build(namespaces, batched.podMtuBytes());
                TapQueue sender = batched.daemons().get(0).underlaySockets().queue(0);
                TapQueue receiver = batched.daemons().get(1).underlaySockets().queue(0);
                assertTrue(sender.batched() && receiver.batched());
                assertFalse(unbatched.daemons().get(0).underlaySockets().queue(0).batched());

                for (PodPair pods : new PodPair[]{gso.pods(), batched.pods(), unbatched.pods(), kernel}) {
                    TcpTransfer.Result r = TcpTransfer.run(pods, CrossNodeThroughput.CHECK_PORT, CrossNodeThroughput.CHECK_BYTES, 30_000);
                    assertEquals(CrossNodeThroughput.CHECK_BYTES, r.receivedBytes(), pods.path() + ": every byte arrived");
                    assertEquals(r.sentSha256(), r.receivedSha256(), pods.path() + ": the bytes arrived unchanged and in order");
                }
                long minimumFrames = CrossNodeThroughput.CHECK_BYTES / batched.podMtuBytes();
                assertTrue(sender.txFrameCount() >= minimumFrames, "node 1 sent the transfer over its underlay: " + sender.txFrameCount());
                assertTrue(sender.txCallCount() < sender.txFrameCount(), "node 1 sent several frames per sendmmsg: "
                        + sender.txFrameCount() + " frames in " + sender.txCallCount() + " calls");
                assertTrue(receiver.rxFrameCount() >= minimumFrames, "node 2 read the transfer from its underlay: " + receiver.rxFrameCount());
                TapQueue gsoSender = gso.daemons().get(0).underlaySockets().queue(0);
                TapQueue gsoReceiver = gso.daemons().get(1).underlaySockets().queue(0);
                assertTrue(gsoSender.txByteCount() >= CrossNodeThroughput.CHECK_BYTES, "node 1 sent the transfer: "
                        + gsoSender.txByteCount() + " bytes");
                assertTrue(gsoSender.txFrameCount() < minimumFrames / 4, "TSO frames left as UDP GSO datagrams: "
                        + gsoSender.txFrameCount() + " underlay frames for " + minimumFrames + " segments");
                assertTrue(gsoReceiver.rxFrameCount() < minimumFrames / 4, "node 2 read them as datagrams: " + gsoReceiver.rxFrameCount());
            }
        } catch (RuntimeException | Error e) {
            System.out.print(log.toString(StandardCharsets.UTF_8));
            throw e;
        }
        assertFalse(Shell.run(Duration.ofSeconds(5), "ip", "netns", "list").output().contains(prefix), "every namespace is deleted");
    }
}
