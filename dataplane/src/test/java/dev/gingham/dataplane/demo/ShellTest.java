package dev.gingham.dataplane.demo;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The demo's command runner: output larger than a pipe, time limits, and commands printed so they paste. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ShellTest {
    @Test
    void shouldReturnOutputLargerThanThePipeBuffer() {
        // 200 KB: a runner that reads only after the command exits would wait forever on the full 64 KiB pipe.
        Shell.Result r = Shell.run(Duration.ofSeconds(10), "sh", "-c", "head -c 200000 /dev/zero | tr '\\0' x");

        assertEquals(0, r.exitCode(), r.output());
        assertEquals(200_000, r.output().length());
    }

    @Test
    void shouldKillACommandThatOutlivesItsTimeLimitAndSayWhat() {
        long startNs = System.nanoTime();

        // 3 s: long enough for a loaded machine to start sh and run its echo, far below the sleep
        Shell.Result r = Shell.run(Duration.ofSeconds(3), "sh", "-c", "echo started; sleep 60");

        assertEquals(-1, r.exitCode());
        assertTrue(r.output().startsWith("sh -c echo started; sleep 60: timed out after 3000 ms"), r.output());
        assertTrue(r.output().endsWith("it printed: started"), r.output());
        assertTrue(System.nanoTime() - startNs < TimeUnit.SECONDS.toNanos(30), "the sleeping child was killed too");
    }

    @Test
    void shouldKeepWhatACommandPrintedUpToItsKillWhenItPrintsUntilKilled() {
        // Killing through Process.destroyForcibly closed the stream while the reader was in it: the
        // reader failed with "Stream closed" and everything it had read was lost.
        Shell.Result r = Shell.run(Duration.ofSeconds(1), "sh", "-c", "while :; do echo tick; done");

        assertEquals(-1, r.exitCode());
        String prefix = "sh -c while :; do echo tick; done: timed out after 1000 ms; it printed: ";
        assertTrue(r.output().startsWith(prefix), r.output().substring(0, Math.min(300, r.output().length())));
        String printed = r.output().substring(prefix.length());
        assertTrue(printed.startsWith("tick\ntick\n"), "what it printed, from its first line: "
                + printed.substring(0, Math.min(300, printed.length())));
        assertTrue(printed.lines().allMatch("tick"::equals), "whole lines only, nothing but the command's own");
    }

    @Test
    void shouldQuoteOnlyTheWordsAShellWouldSplitOrExpand() {
        assertEquals("ip netns exec gdemo-client sh -c 'for i in $(seq 3); do curl http://10.96.0.10/; done'",
                Shell.quote(List.of("ip", "netns", "exec", "gdemo-client", "sh", "-c", "for i in $(seq 3); do curl http://10.96.0.10/; done")));
        assertEquals("echo 'it'\\''s' ''", Shell.quote(List.of("echo", "it's", "")));
    }
}
