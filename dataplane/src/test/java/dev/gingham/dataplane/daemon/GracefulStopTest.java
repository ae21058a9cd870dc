package dev.gingham.dataplane.daemon;

import dev.gingham.dataplane.demo.DemoCluster;
import dev.gingham.dataplane.demo.Shell;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static dev.gingham.dataplane.demo.DemoCluster.PODS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code gingham run} as users run it: a separate JVM (this one's flags and class path) on a
 * demo cluster's namespaces, stopped with SIGTERM as systemd or the kubelet stop it. It must exit
 * by itself with the pods' and the host's TAP devices gone (the kernel deletes a TAP when its
 * last descriptor closes), the underlay given back to the kernel's stack and the underlay veth,
 * which is not the daemon's, left alone. Needs root;
 * skips otherwise.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class GracefulStopTest {
    private static final Duration START_LIMIT = Duration.ofSeconds(30);
    private static final long STOP_LIMIT_SECONDS = 15;
    /** What the JVM exits with after a SIGTERM whose shutdown hooks completed: 128 + 15. */
    private static final int EXIT_AFTER_SIGTERM = 143;

    @TempDir
    Path dir;

    @Test
    void shouldRemoveEveryTapAndExitWhenTheDaemonGetsSigterm() throws Exception {
        EndToEnd.assumeKernel();
        DemoCluster cluster = DemoCluster.prepare(EndToEnd.prefix("stp"), dir);
        Path log = dir.resolve("run.log");
        try (cluster) {
            cluster.build();
            Process daemon = new ProcessBuilder(EndToEnd.daemonCommand(cluster)).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            try {
                String started = EndToEnd.await(START_LIMIT, () -> EndToEnd.read(log), text -> text.contains("INFO running:") || !daemon.isAlive());
                assertTrue(started.contains("INFO running:"), "the daemon started: " + started);
                Shell.Result ping = cluster.exec(cluster.podNamespace("client"), EndToEnd.COMMAND_TIMEOUT, "ping", "-c", "1", "-W", "2",
                        PODS.get("web-1"));
                assertTrue(ping.output().contains(" 1 received"), "the child daemon forwards: " + ping.output());
                assertTrue(underlayFilters(cluster).contains("gingham_rx_drop"), "the kernel is kept off the underlay while it runs");

                daemon.destroy(); // SIGTERM

                assertTrue(daemon.waitFor(STOP_LIMIT_SECONDS, TimeUnit.SECONDS), "stopped within " + STOP_LIMIT_SECONDS + " s: " + EndToEnd.read(log));
                assertEquals(EXIT_AFTER_SIGTERM, daemon.exitValue(), EndToEnd.read(log));
                assertTrue(EndToEnd.read(log).contains("INFO stopped"), EndToEnd.read(log));
            } finally {
                daemon.destroyForcibly();
                daemon.waitFor(5, TimeUnit.SECONDS);
            }
            for (String pod : PODS.keySet()) {
                Shell.Result link = Shell.run(EndToEnd.COMMAND_TIMEOUT, "ip", "-n", cluster.podNamespace(pod), "link", "show", "eth0");
                assertTrue(link.output().contains("does not exist"), pod + "'s TAP is gone: " + link.output());
            }
            Shell.Result host = Shell.run(EndToEnd.COMMAND_TIMEOUT, "ip", "-n", cluster.nodeNamespace(), "link", "show", "gingham_host");
            assertTrue(host.output().contains("does not exist"), "the host TAP is gone: " + host.output());
            assertTrue(Shell.run(EndToEnd.COMMAND_TIMEOUT, "ip", "-n", cluster.nodeNamespace(), "link", "show", "ul0").ok(),
                    "the underlay veth is not the daemon's to delete");
            assertFalse(underlayFilters(cluster).contains("gingham_rx_drop"), "the underlay is given back to the kernel");
        }
    }

    private static String underlayFilters(DemoCluster cluster) {
        return Shell.must("tc", "-n", cluster.nodeNamespace(), "filter", "show", "dev", "ul0", "ingress");
    }
}
