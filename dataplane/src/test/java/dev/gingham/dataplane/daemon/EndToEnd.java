package dev.gingham.dataplane.daemon;

import dev.gingham.dataplane.cli.GinghamCli;
import dev.gingham.dataplane.demo.DemoCluster;
import dev.gingham.dataplane.demo.Shell;
import dev.gingham.packet.Netns;
import dev.gingham.tap.TapDevice;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * What the daemon's end-to-end tests share: the checks that skip them with a reason (root,
 * /dev/net/tun, the tools), namespace prefixes in {@link Netns}'s scheme (so a killed run's
 * namespaces are removed by the next one), and waiting for a condition with a deadline. The
 * cluster itself is {@link EndToEndCluster} (the multi-node tests' is {@code multinode.MultiNodeCluster}).
 */
public final class EndToEnd {
    public static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(15);
    private static final AtomicInteger COUNTER = new AtomicInteger();

    private EndToEnd() {
    }

    /** Skips the caller unless it can build a demo cluster here. */
    public static void assumeKernel() {
        Netns.assumeAvailable();
        assumeTrue(Files.exists(TapDevice.TUN_DEVICE), "needs " + TapDevice.TUN_DEVICE);
        for (String tool : new String[]{"python3", "curl", "ping"}) {
            assumeTrue(Shell.available(tool, tool.equals("ping") ? "-V" : "--version"),
                    "needs " + tool + " (./gingham test installs it as root)");
        }
    }

    /** Returns: a namespace prefix unique to this JVM and call: ghtest + role + pid + "x" + n. */
    public static String prefix(String role) {
        return Netns.PREFIX + role + ProcessHandle.current().pid() + "x" + COUNTER.incrementAndGet();
    }

    /**
     * Returns: java with this JVM's flags and class path, running {@code gingham run} on the
     * cluster's files in its node namespace: the daemon as a separate process a test can stop
     * (SIGTERM) or kill (SIGKILL).
     */
    static List<String> daemonCommand(DemoCluster cluster) {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), GinghamCli.class.getName(), "run",
                "--config", cluster.configFile().toString(), "--manifests", cluster.manifestsDirectory().toString(),
                "--netns", cluster.nodeNamespace()));
        return command;
    }

    /** Returns: the text of a log file so far ("" before it exists). */
    static String read(Path log) {
        try {
            return Files.exists(log) ? Files.readString(log) : "";
        } catch (IOException e) {
            return "(unreadable: " + e.getMessage() + ")";
        }
    }

    /**
     * Polls {@code attempt} every 100 ms until it returns a result {@code done} accepts or
     * {@code limit} passes. Returns: the last result (the caller asserts on it, with its text).
     */
    public static <T> T await(Duration limit, Supplier<T> attempt, Predicate<T> done) throws InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        T last = attempt.get();
        while (!done.test(last) && System.nanoTime() < deadline) {
            Thread.sleep(100);
            last = attempt.get();
        }
        return last;
    }
}
