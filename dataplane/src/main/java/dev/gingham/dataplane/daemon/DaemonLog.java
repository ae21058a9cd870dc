package dev.gingham.dataplane.daemon;

import java.io.PrintStream;
import java.time.Instant;
import java.time.temporal.ChronoUnit;

/**
 * The daemon's log: one line per event on standard error ({@code 2026-11-22T10:00:00.123Z INFO
 * message}), what journald and {@code kubectl logs} collect. Control plane only: nothing on the
 * data path logs (drops are counters and flow events).
 */
public final class DaemonLog {
    private final PrintStream out;
    private final boolean verbose;

    public DaemonLog(PrintStream out, boolean verbose) {
        this.out = out;
        this.verbose = verbose;
    }

    public void info(String message) {
        line("INFO", message);
    }

    public void warn(String message) {
        line("WARN", message);
    }

    public void error(String message) {
        line("ERROR", message);
    }

    /** Logged only with --verbose. */
    public void debug(String message) {
        if (verbose) {
            line("DEBUG", message);
        }
    }

    private void line(String level, String message) {
        out.println(Instant.now().truncatedTo(ChronoUnit.MILLIS) + " " + level + " " + message);
    }
}
