package dev.gingham.jmh.report;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BenchResultsTest {
    private static final String ONE = """
            [{"jmhVersion":"1.37","benchmark":"dev.gingham.jmh.kubeproxy.KubeProxyUpdateBenchmark.update","mode":"avgt",
              "jdkVersion":"25.0.3","vmName":"OpenJDK 64-Bit Server VM","vmVersion":"25.0.3+9-LTS",
              "params":{"services":"1000","impl":"iptables"},
              "primaryMetric":{"score":210.5,"scoreError":"NaN","scoreUnit":"us/op","rawData":[[200.0,221.0]]},
              "secondaryMetrics":{"gc.alloc.rate.norm":{"score":2753585.5,"scoreUnit":"B/op"}}}]""";

    @Test
    void shouldReadScoreParamsIterationsAndAllocationWhenGivenJmhJson() {
        BenchResults results = BenchResults.parse(ONE, "one.json");
        BenchResult r = results.find("KubeProxyUpdateBenchmark.update", "impl", "iptables", "services", "1000").orElseThrow();
        assertEquals(210_500, r.nanos(), 1e-6);
        assertTrue(Double.isNaN(r.scoreError()), "JMH writes an error it could not compute as the string NaN");
        assertEquals(2, r.iterations().size());
        assertEquals(2_753_585.5, r.allocBytesPerOp());
        assertEquals(100.0 * 10.5 / 210.5, r.spreadPercent(), 1e-9);
        assertEquals("[services, impl]", r.params().keySet().toString(), "parameters keep the file's order");
        assertEquals("25.0.3", results.jdkVersion());
    }

    @Test
    void shouldNotFindAResultWhenAParameterDiffers() {
        BenchResults results = BenchResults.parse(ONE, "one.json");
        assertTrue(results.find("KubeProxyUpdateBenchmark.update", "impl", "ipvs").isEmpty());
        assertTrue(results.find("KubeProxyBenchmark.selectBackend").isEmpty());
    }

    @Test
    void shouldNameTheFileAndEntryWhenAResultHasNoPrimaryMetric() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> BenchResults.parse("[{\"benchmark\":\"a.B.c\"}]", "broken.json"));
        assertEquals("broken.json[0]: no primaryMetric", e.getMessage());
    }

    @Test
    void shouldRefuseADocumentThatIsNotAnArray() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> BenchResults.parse("{\"benchmark\":\"a.B.c\"}", "object.json"));
        assertTrue(e.getMessage().startsWith("object.json: expected JMH's JSON array"), e.getMessage());
    }
}
