package dev.gingham.dataplane.cli;

import dev.gingham.dataplane.demo.Shell;
import dev.gingham.packet.Netns;
import dev.gingham.tap.TapDevice;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@code gingham demo} end to end, in this JVM: every step does what it says, and nothing it
 * created (namespaces, files) is left. Runs under a test prefix so it cannot disturb a user's
 * demo. Needs root and the demo's tools; skips otherwise.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class DemoCommandTest {
    @Test
    void shouldWalkThroughEveryStepAndRemoveEverythingWhenTheMachineCanRunIt() {
        Netns.assumeAvailable();
        assumeTrue(Files.exists(TapDevice.TUN_DEVICE), "needs " + TapDevice.TUN_DEVICE);
        assumeTrue(Shell.available("curl", "--version") && Shell.available("python3", "--version"), "needs curl and python3");
        String prefix = Netns.PREFIX + "demo" + ProcessHandle.current().pid() + "x1";

        CliRun run = CliRun.execute("demo", "--prefix", prefix, "--requests", "9");

        assertEquals(0, run.exit(), run.out());
        for (int step = 1; step <= 6; step++) {
            assertTrue(run.out().contains("== Step " + step + " of 6: "), run.out());
        }
        assertFalse(run.out().contains("NOT what should happen"), run.out());
        assertTrue(run.out().contains("POLICY (133), ingress: +"), "the policy drop from the daemon's counters: " + run.out());
        assertTrue(run.out().contains("outside saw 192.168.60.10"), run.out());
        assertTrue(run.out().contains("Every step did what it should"), run.out());
        assertFalse(Shell.run(Duration.ofSeconds(5), "ip", "netns", "list").output().contains(prefix), "namespaces removed");
        Matcher dir = Pattern.compile("files in (\\S+)\\)").matcher(run.out());
        assertTrue(dir.find(), run.out());
        assertFalse(Files.exists(Path.of(dir.group(1))), "files removed: " + dir.group(1));
    }

    @Test
    void shouldRefuseZeroRequestsBeforeCreatingAnything() {
        CliRun run = CliRun.execute("demo", "--prefix", Netns.PREFIX + "demo" + ProcessHandle.current().pid() + "x2", "--requests", "0");

        assertEquals(2, run.exit());
        assertEquals("gingham demo: --requests must be at least 1\n", run.out());
    }
}
