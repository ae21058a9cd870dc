package dev.gingham.jmh.report;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MaglevDisruptionTest {
    @Test
    void shouldMoveLittleMoreThanTheRemovedBackendsShareWhenOneOfAHundredLeaves() {
        MaglevDisruption.Figures f = MaglevDisruption.measure(100, 16_381);
        assertEquals(1.0, f.idealPercent(), 1e-9);
        // the leaving backend's ~1% must move; Maglev moves only a little more than that
        assertTrue(f.removedPercent() >= 0.9 && f.removedPercent() < 3, "removed: " + f.removedPercent() + "%");
        assertTrue(f.addedPercent() >= 0.9 && f.addedPercent() < 3, "added: " + f.addedPercent() + "%");
    }

    @Test
    void shouldCountOnlyTheOtherBackendsEntriesThatMovedWhenJudgingIssueThreesTarget() {
        MaglevDisruption.Figures small = MaglevDisruption.measure(100, 16_381);
        MaglevDisruption.Figures large = MaglevDisruption.measure(100, 65_521);
        // what moved beyond the leaving backend's own share, relative to the other backends' entries
        assertEquals((small.removedPercent() - small.idealPercent()) / (100 - small.idealPercent()) * 100,
                small.othersMovedPercent(), 0.05);
        assertTrue(large.othersMovedPercent() < small.othersMovedPercent(), "a larger table reshuffles less");
        assertTrue(small.othersMovedWorstPercent() >= small.othersMovedPercent(), "the worst of 100 is at least their mean");
        assertEquals(Targets.Verdict.MET, Targets.disruption(large).verdict(), large.othersMovedPercent() + "%");
    }
}
