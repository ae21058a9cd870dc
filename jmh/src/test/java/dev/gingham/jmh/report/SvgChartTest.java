package dev.gingham.jmh.report;

import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.NodeList;

import javax.xml.parsers.DocumentBuilderFactory;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SvgChartTest {
    private static Document parse(String svg) throws Exception {
        return DocumentBuilderFactory.newInstance().newDocumentBuilder()
                .parse(new ByteArrayInputStream(svg.getBytes(StandardCharsets.UTF_8)));
    }

    private static List<String> texts(Document d) {
        NodeList nodes = d.getElementsByTagName("text");
        List<String> texts = new ArrayList<>();
        for (int i = 0; i < nodes.getLength(); i++) {
            texts.add(nodes.item(i).getTextContent());
        }
        return texts;
    }

    @Test
    void shouldLabelEveryDecadeWhenBothAxesAreLogarithmic() throws Exception {
        String svg = new SvgChart("t", "services", "time")
                .xScale(SvgChart.Scale.LOG, Fmt::shortCount)
                .yScale(SvgChart.Scale.LOG, Fmt::timeTick)
                .series(new SvgChart.Series("a", new double[]{1, 100, 100_000}, new double[]{5, 400, 128_000}), null)
                .lineChart();
        List<String> texts = texts(parse(svg));
        for (String label : List.of("1", "10", "100", "1k", "10k", "100k", "1 ns", "10 ns", "100 ns", "1 µs", "10 µs", "100 µs", "1 ms")) {
            assertTrue(texts.contains(label), "missing tick " + label + " in " + texts);
        }
    }

    @Test
    void shouldWriteTicksBelowOneWithoutTrailingZeros() {
        assertEquals("0.1 ns", Fmt.timeTick(0.1));
        assertEquals("2.5 µs", Fmt.timeTick(2500));
        assertEquals("10 ms", Fmt.timeTick(1e7));
    }

    @Test
    void shouldPlaceTheFirstAndLastPointsAtTheEndsOfALogAxisWhenTheyAreDecades() throws Exception {
        Document d = parse(new SvgChart("t", "x", "y")
                .xScale(SvgChart.Scale.LOG, Fmt::shortCount)
                .yScale(SvgChart.Scale.LOG, Fmt::shortCount)
                .series(new SvgChart.Series("a", new double[]{1, 1000}, new double[]{10, 1000}), null)
                .lineChart());
        String points = d.getElementsByTagName("polyline").item(0).getAttributes().getNamedItem("points").getNodeValue();
        // plot area: x from 78 to 780 - 200 = 580, y from 44 to 440 - 62 = 378
        assertEquals("78.0,378.0 580.0,44.0", points);
    }

    @Test
    void shouldDrawOneBarPerValueAndSkipMissingOnes() throws Exception {
        Document d = parse(new SvgChart("t", "path", "Mpps")
                .reference(new SvgChart.Reference("target", 12))
                .barChart(List.of("a", "b"), List.of(new SvgChart.Bars("1", new double[]{3, Double.NaN}),
                        new SvgChart.Bars("256", new double[]{10, 14}))));
        NodeList rects = d.getElementsByTagName("rect");
        // background + 3 bars + 2 legend swatches
        assertEquals(6, rects.getLength());
        assertEquals(1, d.getElementsByTagName("line").getLength() - countAxisAndGridLines(d), "one dashed reference line");
    }

    private static int countAxisAndGridLines(Document d) {
        NodeList lines = d.getElementsByTagName("line");
        int n = 0;
        for (int i = 0; i < lines.getLength(); i++) {
            if (lines.item(i).getAttributes().getNamedItem("stroke-dasharray") == null) {
                n++;
            }
        }
        return n;
    }

    @Test
    void shouldEscapeMarkupWhenLabelsContainIt() throws Exception {
        Document d = parse(new SvgChart("a < b & \"c\"", "x", "y")
                .series(new SvgChart.Series("s<1>", new double[]{1}, new double[]{1}), null).lineChart());
        assertTrue(texts(d).contains("a < b & \"c\""));
        assertTrue(texts(d).contains("s<1>"));
    }

    @Test
    void shouldLeaveOutASeriesWithoutValues() throws Exception {
        Document d = parse(new SvgChart("t", "x", "y")
                .series(new SvgChart.Series("empty", new double[]{1, 2}, new double[]{Double.NaN, Double.NaN}), null)
                .series(new SvgChart.Series("full", new double[]{1, 2}, new double[]{1, 2}), null)
                .lineChart());
        assertEquals(1, d.getElementsByTagName("polyline").getLength());
        assertTrue(!texts(d).contains("empty"), "no legend entry for a series that did not run");
    }
}
