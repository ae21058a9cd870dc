package dev.gingham.dataplane.api;

/**
 * A writer of the Prometheus text exposition format 0.0.4: one {@code # HELP} and {@code # TYPE}
 * line per metric family, then its samples with labels. Label values are escaped (backslash,
 * double quote, newline), so a pod or drop reason name can never break a line.
 */
public final class PrometheusText {
    /** The response's content type. */
    public static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

    private final StringBuilder out = new StringBuilder(16 * 1024);

    /** Starts a metric family. */
    public PrometheusText family(String name, String type, String help) {
        out.append("# HELP ").append(name).append(' ').append(help.replace("\\", "\\\\").replace("\n", "\\n")).append('\n');
        out.append("# TYPE ").append(name).append(' ').append(type).append('\n');
        return this;
    }

    /**
     * Writes one sample.
     *
     * @param labels name, value, name, value...
     */
    public PrometheusText sample(String name, long value, String... labels) {
        labels(name, labels);
        out.append(value).append('\n');
        return this;
    }

    /** Writes one sample with a floating-point value. */
    public PrometheusText sample(String name, double value, String... labels) {
        labels(name, labels);
        if (Double.isNaN(value)) {
            out.append("NaN");
        } else if (Double.isInfinite(value)) {
            out.append(value > 0 ? "+Inf" : "-Inf");
        } else {
            out.append(value);
        }
        out.append('\n');
        return this;
    }

    private void labels(String name, String[] labels) {
        if ((labels.length & 1) != 0) {
            throw new IllegalArgumentException("labels come in name, value pairs: " + labels.length + " strings");
        }
        out.append(name);
        if (labels.length > 0) {
            out.append('{');
            for (int i = 0; i < labels.length; i += 2) {
                if (i > 0) {
                    out.append(',');
                }
                out.append(labels[i]).append("=\"");
                escape(labels[i + 1]);
                out.append('"');
            }
            out.append('}');
        }
        out.append(' ');
    }

    private void escape(String value) {
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            switch (c) {
                case '\\' -> out.append("\\\\");
                case '"' -> out.append("\\\"");
                case '\n' -> out.append("\\n");
                default -> out.append(c);
            }
        }
    }

    @Override
    public String toString() {
        return out.toString();
    }
}
