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
    void shouldQuoteOnlyTheWordsAShellWouldSplitOrExpand() {
        assertEquals("ip netns exec gdemo-client sh -c 'for i in $(seq 3); do curl http://10.96.0.10/; done'",
                Shell.quote(List.of("ip", "netns", "exec", "gdemo-client", "sh", "-c", "for i in $(seq 3); do curl http://10.96.0.10/; done")));
        assertEquals("echo 'it'\\''s' ''", Shell.quote(List.of("echo", "it's", "")));
    }
}
