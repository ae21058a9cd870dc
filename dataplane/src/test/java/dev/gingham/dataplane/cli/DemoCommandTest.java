package dev.gingham.dataplane.cli;

import dev.gingham.dataplane.demo.Shell;
import dev.gingham.packet.Netns;
import dev.gingham.tap.TapDevice;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
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

        Run run = execute("demo", "--prefix", prefix, "--requests", "9");

        assertEquals(0, run.exit(), run.output());
        for (int step = 1; step <= 6; step++) {
            assertTrue(run.output().contains("== Step " + step + " of 6: "), run.output());
        }
        assertFalse(run.output().contains("NOT what should happen"), run.output());
        assertTrue(run.output().contains("POLICY (133), ingress: +"), "the policy drop from the daemon's counters: " + run.output());
        assertTrue(run.output().contains("outside saw 192.168.60.10"), run.output());
        assertTrue(run.output().contains("Every step did what it should"), run.output());
        assertFalse(Shell.run(Duration.ofSeconds(5), "ip", "netns", "list").output().contains(prefix), "namespaces removed");
        Matcher dir = Pattern.compile("files in (\\S+)\\)").matcher(run.output());
        assertTrue(dir.find(), run.output());
        assertFalse(Files.exists(Path.of(dir.group(1))), "files removed: " + dir.group(1));
    }

    @Test
    void shouldRefuseZeroRequestsBeforeCreatingAnything() {
        Run run = execute("demo", "--prefix", Netns.PREFIX + "demo" + ProcessHandle.current().pid() + "x2", "--requests", "0");

        assertEquals(2, run.exit());
        assertEquals("gingham demo: --requests must be at least 1\n", run.output());
    }

    private record Run(int exit, String output) {
    }

    private static Run execute(String... args) {
        PrintStream saved = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int exit;
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            exit = GinghamCli.commandLine().execute(args);
        } finally {
            System.setOut(saved);
        }
        return new Run(exit, out.toString(StandardCharsets.UTF_8));
    }
}
