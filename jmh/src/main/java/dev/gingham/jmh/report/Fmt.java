package dev.gingham.jmh.report;

import java.util.Locale;

/** Number formats the report uses, so every table writes the same quantity the same way. */
final class Fmt {
    private Fmt() {
    }

    /** Returns: a time in ns with about three significant digits ("5.69", "251", "128,398"); "–" for NaN. */
    static String ns(double ns) {
        if (Double.isNaN(ns)) {
            return "–";
        }
        if (ns >= 100) {
            return String.format(Locale.ROOT, "%,.0f", ns);
        }
        return ns >= 10 ? String.format(Locale.ROOT, "%.1f", ns) : String.format(Locale.ROOT, "%.2f", ns);
    }

    /** Returns: a time chosen in ns, µs, ms or s to read easily ("251 ns", "9.86 µs", "884 ms"). */
    static String time(double ns) {
        if (Double.isNaN(ns)) {
            return "–";
        }
        if (ns < 1e3) {
            return ns(ns) + " ns";
        }
        if (ns < 1e6) {
            return ns(ns / 1e3) + " µs";
        }
        if (ns < 1e9) {
            return ns(ns / 1e6) + " ms";
        }
        return ns(ns / 1e9) + " s";
    }

    /** Returns: an axis label for a time: "1 ns", "100 ns", "1 µs", "10 ms" (no needless decimals). */
    static String timeTick(double ns) {
        String[] units = {"ns", "µs", "ms", "s"};
        double v = ns;
        int u = 0;
        while (Math.abs(v) >= 1000 && u < units.length - 1) {
            v /= 1000;
            u++;
        }
        String number = new java.math.BigDecimal(v).round(new java.math.MathContext(3)).stripTrailingZeros().toPlainString();
        return number + " " + units[u];
    }

    /** Returns: packets per second for a per-packet time, in Mpps with two decimals. */
    static String mpps(double nsPerPacket) {
        return Double.isNaN(nsPerPacket) || nsPerPacket <= 0 ? "–" : String.format(Locale.ROOT, "%.2f", 1000 / nsPerPacket);
    }

    /** Returns: frames per second for a per-frame time: millions with two decimals from 1M ("1.43M"), else thousands ("612k"); "–" for NaN. */
    static String frameRate(double nsPerFrame) {
        if (Double.isNaN(nsPerFrame) || nsPerFrame <= 0) {
            return "–";
        }
        double perSecond = 1e9 / nsPerFrame;
        return perSecond >= 1e6 ? String.format(Locale.ROOT, "%.2fM", perSecond / 1e6)
                : String.format(Locale.ROOT, "%,.0fk", perSecond / 1e3);
    }

    /** Returns: B/op: "0.003", "1.1", "8,247". */
    static String bytes(double bytes) {
        if (Double.isNaN(bytes)) {
            return "–";
        }
        if (bytes >= 100) {
            return String.format(Locale.ROOT, "%,.0f", bytes);
        }
        return bytes >= 1 ? String.format(Locale.ROOT, "%.1f", bytes) : String.format(Locale.ROOT, "%.3f", bytes);
    }

    /** Returns: a ratio: "0.45×", "12×", "1,950×". */
    static String ratio(double ratio) {
        if (Double.isNaN(ratio) || Double.isInfinite(ratio)) {
            return "–";
        }
        if (ratio >= 100) {
            return String.format(Locale.ROOT, "%,.0f×", ratio);
        }
        return ratio >= 10 ? String.format(Locale.ROOT, "%.0f×", ratio) : String.format(Locale.ROOT, "%.2f×", ratio);
    }

    /** Returns: a count as people write it in tables: "1", "1,000", "100,000". */
    static String count(String value) {
        try {
            return String.format(Locale.ROOT, "%,d", Long.parseLong(value));
        } catch (NumberFormatException e) {
            return value;
        }
    }

    /** Returns: a count in short form for plot axes: 1, 10, 100, 1k, 10k, 100k, 1M. */
    static String shortCount(double value) {
        if (value >= 1e6 && value % 1e6 == 0) {
            return String.format(Locale.ROOT, "%.0fM", value / 1e6);
        }
        if (value >= 1e3 && value % 1e3 == 0) {
            return String.format(Locale.ROOT, "%.0fk", value / 1e3);
        }
        return value == Math.rint(value) ? String.format(Locale.ROOT, "%.0f", value) : String.format(Locale.ROOT, "%.2g", value);
    }

    /** Returns: "±4%" for an iteration spread in percent. */
    static String spread(double percent) {
        return String.format(Locale.ROOT, "±%.0f%%", percent);
    }

    /** Returns: seconds as "m:ss". */
    static String clock(long seconds) {
        return String.format(Locale.ROOT, "%d:%02d", seconds / 60, seconds % 60);
    }
}
