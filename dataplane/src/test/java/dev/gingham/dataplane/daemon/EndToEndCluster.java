package dev.gingham.dataplane.daemon;

import dev.gingham.dataplane.demo.DemoCluster;
import dev.gingham.dataplane.demo.DropTally;
import dev.gingham.dataplane.demo.Shell;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A {@link DemoCluster} with its servers for one end-to-end test class, as a JUnit extension
 * ({@code @RegisterExtension static final EndToEndCluster E2E = new EndToEndCluster("role")}):
 * before the class it skips with the reason when the machine cannot run it, else builds and starts
 * it under a fresh prefix; after the class it removes everything, also when tests failed, and
 * prints the daemon's log into the test report.
 */
final class EndToEndCluster implements BeforeAllCallback, AfterAllCallback {
    private final String role;
    private final ByteArrayOutputStream log = new ByteArrayOutputStream();
    private DemoCluster cluster;

    /** @param role a few lowercase letters naming the test class in the namespaces' names */
    EndToEndCluster(String role) {
        this.role = role;
    }

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        EndToEnd.assumeKernel();
        Path dir = Files.createTempDirectory("gingham-e2e-" + role);
        DemoCluster started = DemoCluster.create(EndToEnd.prefix(role), dir,
                new DaemonLog(new PrintStream(log, true, StandardCharsets.UTF_8), true));
        try {
            started.startServers();
        } catch (RuntimeException | Error e) {
            started.close();
            throw e;
        }
        cluster = started;
    }

    @Override
    public void afterAll(ExtensionContext context) {
        if (cluster != null) {
            cluster.close();
            cluster = null;
        }
        System.out.print(logText());
    }

    /** Returns: the running cluster (only between beforeAll and afterAll). */
    DemoCluster cluster() {
        return cluster;
    }

    NodeDaemon daemon() {
        return cluster.daemon();
    }

    /** Returns: the daemon's drop counters now (compare two with {@link DropTally#since}). */
    DropTally drops() {
        return DropTally.of(cluster.daemon().node().state().drops());
    }

    /** Runs {@code command} in pod {@code pod}'s namespace with the common time limit. */
    Shell.Result inPod(String pod, String... command) {
        return cluster.exec(cluster.podNamespace(pod), EndToEnd.COMMAND_TIMEOUT, command);
    }

    /** Returns: what the daemon logged so far. */
    String logText() {
        return log.toString(StandardCharsets.UTF_8);
    }
}
