package dev.gingham.dataplane.cli;

import dev.gingham.dataplane.replay.Replayer;

import java.io.PrintStream;
import java.util.function.LongSupplier;

/**
 * A one-line progress bar for long replays on stderr: bar, percentage of the capture read, frames
 * so far and frames per second since the start, redrawn in place ({@code \r}) at most every
 * {@link #REDRAW_INTERVAL_NS}. It never writes to stdout or the output directory, so the
 * byte-identical outputs stay identical whether it runs or not.
 *
 * <p>Shown only when asked ({@code --progress}) or when the console is a terminal: a bar in a
 * log file or a pipe is noise. Rate-limited by a clock read per update (one per vector of up to
 * 256 frames), so it costs the replay nothing measurable.
 */
final class ProgressBar implements Replayer.Progress {
    /** Redraw at most four times a second: faster is unreadable and costs terminal time. */
    static final long REDRAW_INTERVAL_NS = 250_000_000L;
    private static final int WIDTH = 30;

    private final PrintStream out;
    private final LongSupplier clockNs;
    private final long startNs;
    private long lastDrawNs;
    private int lastLength;

    ProgressBar(PrintStream out, LongSupplier clockNs) {
        this.out = out;
        this.clockNs = clockNs;
        this.startNs = clockNs.getAsLong();
        this.lastDrawNs = startNs - REDRAW_INTERVAL_NS; // the first update draws
    }

    /** Returns: true when a bar should be shown without being asked (the console is a terminal). */
    static boolean terminalAttached() {
        java.io.Console console = System.console();
        return console != null && console.isTerminal();
    }

    @Override
    public void update(long frames, long bytesRead, long bytesTotal) {
        long now = clockNs.getAsLong();
        if (now - lastDrawNs < REDRAW_INTERVAL_NS) {
            return;
        }
        lastDrawNs = now;
        String text = render(frames, bytesRead, bytesTotal, now - startNs);
        StringBuilder b = new StringBuilder(text.length() + 8).append('\r').append(text);
        for (int k = text.length(); k < lastLength; k++) {
            b.append(' '); // wipe what a longer previous line left
        }
        lastLength = text.length();
        out.print(b);
        out.flush();
    }

    /** Clears the bar's line, so what follows starts on a clean line. */
    void finish() {
        if (lastLength > 0) {
            out.print("\r" + " ".repeat(lastLength) + "\r");
            out.flush();
            lastLength = 0;
        }
    }

    /** Returns: the bar's text: {@code [#######.......]  45%  1,234,567 frames  812,345 frames/s}. */
    static String render(long frames, long bytesRead, long bytesTotal, long elapsedNs) {
        double fraction = bytesTotal <= 0 ? 0 : Math.min(1.0, Math.max(0.0, (double) bytesRead / bytesTotal));
        int filled = (int) Math.round(fraction * WIDTH);
        double seconds = elapsedNs / 1e9;
        long rate = seconds <= 0 ? 0 : Math.round(frames / seconds);
        return "[" + "#".repeat(filled) + ".".repeat(WIDTH - filled) + "] "
                + String.format("%3d%%  %,d frames  %,d frames/s", Math.round(fraction * 100), frames, rate);
    }
}
