package dev.gingham.dataplane.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code gingham fuzz} for one second: the whole pipeline through all three port kinds, every invariant held. */
class FuzzCommandTest {
    @TempDir
    Path dir;

    @Test
    void shouldFuzzEveryPortKindAndReportInvariantsHeld() {
        CliRun run = CliRun.execute("fuzz", "--seconds", "1", "--seed", "7", "--corpus", dir.toString());
        String report = run.out();

        assertEquals(0, run.exit(), report);
        for (String port : new String[]{"port shop/web-1: fuzz seed 7:", "port underlay: fuzz seed 8:", "port host: fuzz seed 9:"}) {
            assertTrue(report.contains(port), report);
        }
        assertEquals(3, report.split("all invariants held", -1).length - 1, report);
        assertTrue(report.contains("INVALID_SOURCE_IP"), "anti-spoofing reached: " + report);
    }
}
