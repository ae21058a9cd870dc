package dev.gingham.dataplane.api;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class PrometheusTextTest {
    @Test
    void shouldWriteHelpTypeAndEscapedLabelsInExpositionFormat() {
        String text = new PrometheusText()
                .family("x_total", "counter", "A help\\line\nwith a newline.")
                .sample("x_total", 3, "pod", "ns/a\"b\\c\nd", "direction", "rx")
                .sample("x_ratio", 0.25)
                .sample("x_nan", Double.NaN)
                .sample("x_inf", Double.POSITIVE_INFINITY)
                .toString();

        assertEquals("""
                # HELP x_total A help\\\\line\\nwith a newline.
                # TYPE x_total counter
                x_total{pod="ns/a\\"b\\\\c\\nd",direction="rx"} 3
                x_ratio 0.25
                x_nan NaN
                x_inf +Inf
                """, text);
    }

    @Test
    void shouldRefuseAnOddNumberOfLabelStrings() {
        assertThrows(IllegalArgumentException.class, () -> new PrometheusText().sample("x", 1, "lonely"));
    }
}
