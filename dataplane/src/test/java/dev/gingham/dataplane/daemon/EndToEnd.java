package dev.gingham.dataplane.daemon;

import dev.gingham.dataplane.demo.DemoCluster;
import dev.gingham.dataplane.demo.Shell;
import dev.gingham.packet.Netns;
import dev.gingham.tap.TapDevice;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * What the daemon's end-to-end tests share: the checks that skip them with a reason (root,
 * /dev/net/tun, the tools), namespace prefixes in {@link Netns}'s scheme (so a killed run's
 * namespaces are removed by the next one), a {@link DemoCluster} with its log kept for the report,
 * and waiting for a condition with a deadline.
 */
final class EndToEnd {
    static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(15);
    private static final AtomicInteger COUNTER = new AtomicInteger();

    private EndToEnd() {
    }

    /** Skips the caller unless it can build a demo cluster here. */
    static void assumeKernel() {
        Netns.assumeAvailable();
        assumeTrue(Files.exists(TapDevice.TUN_DEVICE), "needs " + TapDevice.TUN_DEVICE);
        for (String tool : new String[]{"python3", "curl", "ping"}) {
            assumeTrue(Shell.available(tool, tool.equals("ping") ? "-V" : "--version"),
                    "needs " + tool + " (./gingham test installs it as root)");
        }
    }

    /** Returns: a namespace prefix unique to this JVM and call: ghtest + role + pid + "x" + n. */
    static String prefix(String role) {
        return Netns.PREFIX + role + ProcessHandle.current().pid() + "x" + COUNTER.incrementAndGet();
    }

    /** A started cluster and its daemon's log. */
    record Started(DemoCluster cluster, ByteArrayOutputStream log) implements AutoCloseable {
        String logText() {
            return log.toString(StandardCharsets.UTF_8);
        }

        /** Removes the cluster and prints the daemon's log into the test report. */
        @Override
        public void close() {
            cluster.close();
            System.out.print(logText());
        }
    }

    /** Builds and starts a demo cluster with its servers (skips the caller when the machine cannot). */
    static Started start(String role) throws IOException {
        assumeKernel();
        Path dir = Files.createTempDirectory("gingham-e2e-" + role);
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        DemoCluster cluster = DemoCluster.create(prefix(role), dir, new DaemonLog(new PrintStream(log, true, StandardCharsets.UTF_8), true));
        try {
            cluster.startServers();
        } catch (RuntimeException | Error e) {
            cluster.close();
            throw e;
        }
        return new Started(cluster, log);
    }

    /**
     * Polls {@code attempt} every 100 ms until it returns a result {@code done} accepts or
     * {@code limit} passes. Returns: the last result (the caller asserts on it, with its text).
     */
    static <T> T await(Duration limit, Supplier<T> attempt, Predicate<T> done) throws InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        T last = attempt.get();
        while (!done.test(last) && System.nanoTime() < deadline) {
            Thread.sleep(100);
            last = attempt.get();
        }
        return last;
    }
}
