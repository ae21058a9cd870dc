package dev.gingham.jmh.report;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.DoubleFunction;

/**
 * Line and grouped-bar charts written as plain SVG, small enough to read in a diff and shown by
 * GitHub and any browser: axes with ticks and grid lines, linear or logarithmic scales (log for
 * service counts and for times spanning decades), a legend, and dashed horizontal reference
 * lines (for example the whole pipeline's cost per packet). No plotting library: the report is
 * regenerated from JSON by a Java main and nothing else.
 */
final class SvgChart {
    /** An axis scale. */
    enum Scale { LINEAR, LOG }

    /** One line of a line chart: points (x, y); NaN y values are skipped. */
    record Series(String name, double[] xs, double[] ys) {
    }

    /** One colour of a bar chart: a value per category (NaN: no bar). */
    record Bars(String name, double[] values) {
    }

    /** A dashed horizontal line at {@code y} with a label. */
    record Reference(String label, double y) {
    }

    static final int WIDTH = 780;
    static final int HEIGHT = 440;
    private static final int LEFT = 78;
    private static final int RIGHT = 200;
    private static final int TOP = 44;
    private static final int BOTTOM = 62;
    private static final String[] PALETTE = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b",
            "#e377c2", "#17becf", "#7f7f7f", "#bcbd22"};

    private final String title;
    private final String xLabel;
    private final String yLabel;
    private Scale xScale = Scale.LINEAR;
    private Scale yScale = Scale.LINEAR;
    private DoubleFunction<String> xTicks = v -> Fmt.shortCount(v);
    private DoubleFunction<String> yTicks = v -> Fmt.shortCount(v);
    private List<String> xCategories;
    private final List<Series> series = new ArrayList<>();
    private final List<Reference> references = new ArrayList<>();
    private final List<String> colors = new ArrayList<>();

    SvgChart(String title, String xLabel, String yLabel) {
        this.title = title;
        this.xLabel = xLabel;
        this.yLabel = yLabel;
    }

    SvgChart xScale(Scale scale, DoubleFunction<String> tickFormat) {
        this.xScale = scale;
        this.xTicks = tickFormat;
        return this;
    }

    SvgChart yScale(Scale scale, DoubleFunction<String> tickFormat) {
        this.yScale = scale;
        this.yTicks = tickFormat;
        return this;
    }

    /** Returns: 0, 1, ..., n-1: the x values of a series drawn over {@link #xCategories}. */
    static double[] indexes(int n) {
        double[] xs = new double[n];
        for (int i = 0; i < n; i++) {
            xs[i] = i;
        }
        return xs;
    }

    /** Evenly spaced categories on the x axis (series x values are then category indexes). */
    SvgChart xCategories(List<String> categories) {
        this.xCategories = List.copyOf(categories);
        this.xScale = Scale.LINEAR;
        return this;
    }

    /**
     * Adds a line with an explicit colour ({@code null}: the next palette colour). A series
     * without a single value (not in the run) is left out, legend included.
     */
    SvgChart series(Series s, String color) {
        if (java.util.Arrays.stream(s.ys()).allMatch(Double::isNaN)) {
            return this;
        }
        series.add(s);
        colors.add(color != null ? color : PALETTE[(series.size() - 1) % PALETTE.length]);
        return this;
    }

    SvgChart reference(Reference r) {
        references.add(r);
        return this;
    }

    /** Returns: the line chart as an SVG document. */
    String lineChart() {
        double[] xr = range(true);
        double[] yr = range(false);
        Axis x = xCategories != null ? Axis.categories(xCategories.size()) : Axis.of(xScale, xr[0], xr[1]);
        Axis y = Axis.of(yScale, yr[0], yr[1]);
        StringBuilder svg = open();
        frame(svg, x, y);
        if (xCategories != null) {
            for (int i = 0; i < xCategories.size(); i++) {
                xTick(svg, x.position(i), xCategories.get(i));
            }
        } else {
            for (double t : x.ticks()) {
                xTick(svg, x.position(t), xTicks.apply(t));
            }
        }
        references(svg, y);
        for (int s = 0; s < series.size(); s++) {
            Series line = series.get(s);
            StringBuilder points = new StringBuilder();
            StringBuilder markers = new StringBuilder();
            for (int i = 0; i < line.xs().length; i++) {
                if (Double.isNaN(line.ys()[i])) {
                    continue;
                }
                double px = LEFT + plotWidth() * x.position(line.xs()[i]);
                double py = TOP + plotHeight() * (1 - y.position(line.ys()[i]));
                points.append(String.format(Locale.ROOT, "%.1f,%.1f ", px, py));
                markers.append(String.format(Locale.ROOT, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\" fill=\"%s\"><title>%s: %s</title></circle>%n",
                        px, py, colors.get(s), escape(line.name()), escape(yTicks.apply(line.ys()[i]))));
            }
            svg.append(String.format(Locale.ROOT, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" points=\"%s\"/>%n",
                    colors.get(s), points.toString().trim()));
            svg.append(markers);
        }
        legend(svg, series.stream().map(Series::name).toList());
        return svg.append("</svg>\n").toString();
    }

    /** Returns: a grouped bar chart (one group per category, one bar per {@link Bars}) as SVG. */
    String barChart(List<String> categories, List<Bars> bars) {
        double max = 0;
        double min = Double.MAX_VALUE;
        for (Bars b : bars) {
            for (double v : b.values()) {
                if (!Double.isNaN(v)) {
                    max = Math.max(max, v);
                    min = Math.min(min, v);
                }
            }
        }
        for (Reference r : references) {
            max = Math.max(max, r.y());
        }
        Axis y = yScale == Scale.LOG ? Axis.of(Scale.LOG, min == Double.MAX_VALUE ? 1 : min, Math.max(max, 1))
                : Axis.of(Scale.LINEAR, 0, max == 0 ? 1 : max);
        Axis x = Axis.categories(categories.size());
        StringBuilder svg = open();
        frame(svg, x, y);
        double group = plotWidth() / (double) categories.size();
        double barWidth = group * 0.8 / Math.max(1, bars.size());
        for (int c = 0; c < categories.size(); c++) {
            xTick(svg, x.position(c), categories.get(c));
            for (int b = 0; b < bars.size(); b++) {
                double v = bars.get(b).values()[c];
                if (Double.isNaN(v)) {
                    continue;
                }
                double top = TOP + plotHeight() * (1 - y.position(v));
                double bottom = TOP + plotHeight() * (1 - y.position(y.min()));
                double px = LEFT + group * c + group * 0.1 + barWidth * b;
                String color = PALETTE[b % PALETTE.length];
                svg.append(String.format(Locale.ROOT,
                        "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"><title>%s, %s: %s</title></rect>%n",
                        px, top, barWidth, Math.max(0, bottom - top), color, escape(categories.get(c)),
                        escape(bars.get(b).name()), escape(yTicks.apply(v))));
            }
        }
        references(svg, y);
        for (int b = 0; b < bars.size(); b++) {
            colors.add(PALETTE[b % PALETTE.length]);
        }
        legend(svg, bars.stream().map(Bars::name).toList());
        return svg.append("</svg>\n").toString();
    }

    private double[] range(boolean xs) {
        double min = Double.MAX_VALUE;
        double max = -Double.MAX_VALUE;
        for (Series s : series) {
            double[] values = xs ? s.xs() : s.ys();
            double[] other = xs ? s.ys() : s.xs();
            for (int i = 0; i < values.length; i++) {
                if (Double.isNaN(values[i]) || Double.isNaN(other[i])) {
                    continue;
                }
                min = Math.min(min, values[i]);
                max = Math.max(max, values[i]);
            }
        }
        if (!xs) {
            for (Reference r : references) {
                min = Math.min(min, r.y());
                max = Math.max(max, r.y());
            }
        }
        if (min == Double.MAX_VALUE) {
            return new double[]{1, 10};
        }
        return new double[]{min, max};
    }

    private static int plotWidth() {
        return WIDTH - LEFT - RIGHT;
    }

    private static int plotHeight() {
        return HEIGHT - TOP - BOTTOM;
    }

    private StringBuilder open() {
        StringBuilder svg = new StringBuilder();
        svg.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
                + "font-family=\"sans-serif\">%n", WIDTH, HEIGHT, WIDTH, HEIGHT));
        svg.append(String.format(Locale.ROOT, "<rect width=\"%d\" height=\"%d\" fill=\"white\"/>%n", WIDTH, HEIGHT));
        svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"24\" font-size=\"15\" font-weight=\"bold\">%s</text>%n", LEFT, escape(title)));
        return svg;
    }

    /** Axes, y ticks with grid lines, axis labels. */
    private void frame(StringBuilder svg, Axis x, Axis y) {
        int bottom = TOP + plotHeight();
        for (double t : y.ticks()) {
            double py = TOP + plotHeight() * (1 - y.position(t));
            svg.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#e5e5e5\"/>%n",
                    LEFT, py, WIDTH - RIGHT, py));
            svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%.1f\" font-size=\"11\" text-anchor=\"end\">%s</text>%n",
                    LEFT - 6, py + 4, escape(yTicks.apply(t))));
        }
        svg.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"black\"/>%n", LEFT, TOP, LEFT, bottom));
        svg.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"black\"/>%n",
                LEFT, bottom, WIDTH - RIGHT, bottom));
        svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" font-size=\"12\" text-anchor=\"middle\">%s</text>%n",
                LEFT + plotWidth() / 2, HEIGHT - 16, escape(xLabel)));
        svg.append(String.format(Locale.ROOT, "<text x=\"16\" y=\"%d\" font-size=\"12\" text-anchor=\"middle\" transform=\"rotate(-90 16 %d)\">%s</text>%n",
                TOP + plotHeight() / 2, TOP + plotHeight() / 2, escape(yLabel)));
    }

    /** Dashed horizontal lines across the plot with their labels above them, right-aligned. */
    private void references(StringBuilder svg, Axis y) {
        for (Reference r : references) {
            double py = TOP + plotHeight() * (1 - y.position(r.y()));
            svg.append(String.format(Locale.ROOT,
                    "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#555\" stroke-dasharray=\"6 4\"/>%n",
                    LEFT, py, WIDTH - RIGHT, py));
            svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%.1f\" font-size=\"11\" fill=\"#333\" text-anchor=\"end\">%s</text>%n",
                    WIDTH - RIGHT - 4, py - 4, escape(r.label())));
        }
    }

    private static void xTick(StringBuilder svg, double position, String label) {
        double px = LEFT + plotWidth() * position;
        int bottom = TOP + plotHeight();
        svg.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"black\"/>%n", px, bottom, px, bottom + 5));
        svg.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" font-size=\"11\" text-anchor=\"middle\">%s</text>%n",
                px, bottom + 18, escape(label)));
    }

    private void legend(StringBuilder svg, List<String> names) {
        int x = WIDTH - RIGHT + 14;
        for (int i = 0; i < names.size(); i++) {
            int y = TOP + 10 + 20 * i;
            svg.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"14\" height=\"10\" fill=\"%s\"/>%n", x, y - 9, colors.get(i)));
            svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" font-size=\"12\">%s</text>%n", x + 20, y, escape(names.get(i))));
        }
    }

    static String escape(String text) {
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }

    /**
     * A mapping from data values to [0, 1] along an axis, with its tick values: decades for a
     * log axis, 1-2-5 steps for a linear one, indexes for categories.
     */
    record Axis(Scale scale, double min, double max, boolean categorical, int count) {
        static Axis of(Scale scale, double low, double high) {
            if (scale == Scale.LOG) {
                double lo = Math.pow(10, Math.floor(Math.log10(Math.max(low, 1e-12))));
                double hi = Math.pow(10, Math.ceil(Math.log10(Math.max(high, lo * 10))));
                if (hi <= lo) {
                    hi = lo * 10;
                }
                return new Axis(scale, lo, hi, false, 0);
            }
            double step = niceStep(Math.max(high, 1e-12) / 5);
            double hi = Math.ceil(high / step) * step;
            return new Axis(scale, 0, hi == 0 ? 1 : hi, false, 0);
        }

        static Axis categories(int count) {
            return new Axis(Scale.LINEAR, -0.5, count - 0.5, true, count);
        }

        double position(double v) {
            if (scale == Scale.LOG) {
                return (Math.log10(v) - Math.log10(min)) / (Math.log10(max) - Math.log10(min));
            }
            return (v - min) / (max - min);
        }

        List<Double> ticks() {
            List<Double> ticks = new ArrayList<>();
            if (categorical) {
                return ticks;
            }
            if (scale == Scale.LOG) {
                for (double t = min; t <= max * 1.0001; t *= 10) {
                    ticks.add(t);
                }
                return ticks;
            }
            double step = niceStep(max / 5);
            for (double t = 0; t <= max * 1.0001; t += step) {
                ticks.add(t);
            }
            return ticks;
        }

        static double niceStep(double raw) {
            double magnitude = Math.pow(10, Math.floor(Math.log10(raw)));
            double f = raw / magnitude;
            double nice = f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10;
            return nice * magnitude;
        }
    }
}
