package dev.gingham.dataplane.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code gingham fuzz} for one second: the whole pipeline through all three port kinds, every invariant held
 * (conntrack/NAT included), floods in every port's mix, and the pod port's frames past anti-spoofing.
 */
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
        assertEquals(3, report.split("flood frames: ", -1).length - 1, "every port's mix has floods: " + report);
        assertEquals(3, report.split("  state: conntrack ", -1).length - 1, "conntrack/NAT checked: " + report);
        Matcher podVerdicts = Pattern.compile("verdicts: ([\\d,]+) passed, ([\\d,]+) dropped").matcher(report);
        assertTrue(podVerdicts.find(), report);
        long passed = Long.parseLong(podVerdicts.group(1).replace(",", ""));
        long dropped = Long.parseLong(podVerdicts.group(2).replace(",", ""));
        assertTrue(passed * 20 > passed + dropped,
                "more than 5% of the pod port's frames get past anti-spoofing (the pod's own source): " + passed + " of "
                        + (passed + dropped));
    }
}
