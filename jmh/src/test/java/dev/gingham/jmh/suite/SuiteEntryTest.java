package dev.gingham.jmh.suite;

import dev.gingham.jmh.encap.EncapBenchmark;
import dev.gingham.jmh.kubeproxy.KubeProxyBenchmark;
import dev.gingham.jmh.nat.MaglevBenchmark;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SuiteEntryTest {
    @Test
    void shouldCountEveryParameterCombinationWhenNoneIsOverridden() {
        SuiteEntry e = new SuiteEntry("kube-proxy", KubeProxyBenchmark.class, "selectBackend", Map.of(), null);
        assertEquals(6 * 5, e.runs());
    }

    @Test
    void shouldCountOnlyTheChosenValuesWhenParametersAreOverridden() {
        SuiteEntry e = new SuiteEntry("x", MaglevBenchmark.class, "build", Map.of("m", List.of("16381")), null);
        assertEquals(2, e.runs(), "one m times both backends values");
    }

    @Test
    void shouldCountTheEnumsConstantsWhenAnEnumParameterListsThem() {
        assertEquals(4, new SuiteEntry("encap", EncapBenchmark.class, "encap", Map.of(), null).runs());
    }

    @Test
    void shouldNameTheClassAndItsParametersWhenAnOverrideNamesNoParameter() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new SuiteEntry("x", MaglevBenchmark.class, "build", Map.of("size", List.of("1")), null));
        assertEquals("MaglevBenchmark has no @Param size (it has [m, backends])", e.getMessage());
    }

    @Test
    void shouldSelectExactlyItsOwnMethodWhenJmhMatchesTheIncludePattern() {
        Pattern p = Pattern.compile(new SuiteEntry("encap", EncapBenchmark.class, "baseline", Map.of(), null).includePattern());
        assertTrue(p.matcher("dev.gingham.jmh.encap.EncapBenchmark.baseline").find());
        assertFalse(p.matcher("dev.gingham.jmh.encap.DecapBenchmark.baseline").find());
        assertFalse(p.matcher("dev.gingham.jmh.encap.EncapBenchmark.baselineX").find());
    }

    @Test
    void shouldKeepEveryComparisonOfTheIssueInTheQuickSuite() {
        List<String> names = BenchSuite.quick().stream().map(SuiteEntry::shortName).toList();
        for (String required : List.of("KubeProxyBenchmark.selectBackend", "KubeProxyUpdateBenchmark.update", "PipelineBenchmark.run",
                "EncapBenchmark.encap", "EncapBenchmark.baseline", "PolicyVerdictBenchmark.verdict",
                "ConntrackBenchmark.lookupAndAccount", "NewFlowBenchmark.newFlow", "MaglevBenchmark.build")) {
            assertTrue(names.contains(required), required + " missing from the quick suite");
        }
        assertEquals(79, BenchSuite.runs(BenchSuite.quick()));
        assertTrue(BenchSuite.runs(BenchSuite.full()) > BenchSuite.runs(BenchSuite.quick()));
    }
}
