package dev.gingham.dataplane.demo;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Runs the demo's external commands ({@code ip}, {@code ping}, {@code curl}, {@code python3})
 * with a time limit, capturing what they print: a command that hangs is killed (with whatever it
 * started) and reported, so neither the demo nor a test can hang on one.
 *
 * <p>Output is read while the command runs, not after: a command printing more than the pipe
 * holds (64 KiB) would otherwise block on its write and look like a hang.
 */
public final class Shell {
    /**
     * How long the output is still read after the command ended or was killed. The wait ends as soon
     * as the pipe closes, which is at once unless a grandchild still holds it; the bound is wide
     * because the reader is a thread of this JVM: on a loaded machine or in a garbage-collection
     * pause it may not run for a while after the command ended, and a finished command's output
     * must not be reported as "still open" for that.
     */
    private static final long DRAIN_GRACE_MS = 10_000;
    private static final Pattern PLAIN_WORD = Pattern.compile("[A-Za-z0-9_@%+=:,./-]+");

    private Shell() {
    }

    /** What a command did: its exit code (-1 when it timed out or could not start) and its output (stdout and stderr). */
    public record Result(int exitCode, String output) {
        public boolean ok() {
            return exitCode == 0;
        }
    }

    /**
     * Runs {@code command} with a time limit. A virtual thread drains the output while the
     * command runs: a command that prints more than a pipe holds (64 KiB: {@code ping -c 1000},
     * {@code iperf3 -J}) would otherwise block on its write and be killed as hung.
     */
    public static Result run(Duration timeout, List<String> command) {
        Process p;
        try {
            p = new ProcessBuilder(command).redirectErrorStream(true).start();
            p.getOutputStream().close();
        } catch (IOException e) {
            return new Result(-1, String.join(" ", command) + ": " + e.getMessage());
        }
        FutureTask<String> output = new FutureTask<>(() -> read(p.getInputStream()));
        Thread.ofVirtual().name("shell-output").start(output);
        try {
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                destroyTree(p);
                String partial = drained(output);
                return new Result(-1, String.join(" ", command) + ": timed out after " + timeout.toMillis() + " ms"
                        + (partial.isEmpty() ? "" : "; it printed: " + partial));
            }
            return new Result(p.exitValue(), drained(output));
        } catch (InterruptedException e) {
            destroyTree(p);
            Thread.currentThread().interrupt();
            return new Result(-1, "interrupted");
        }
    }

    public static Result run(Duration timeout, String... command) {
        return run(timeout, List.of(command));
    }

    /**
     * Runs a command that must succeed.
     *
     * @throws IllegalStateException with the command and its output otherwise
     */
    public static String must(String... command) {
        Result r = run(Duration.ofSeconds(10), command);
        if (!r.ok()) {
            throw new IllegalStateException(String.join(" ", command) + " failed (" + r.exitCode() + "): " + r.output());
        }
        return r.output();
    }

    /** Returns: whether {@code command --version} (or the given probe) runs. */
    public static boolean available(String... probe) {
        return run(Duration.ofSeconds(5), probe).ok();
    }

    /** Returns: the command as one line a user can paste into a shell (words quoted where needed). */
    public static String quote(List<String> command) {
        return command.stream().map(Shell::quoteWord).collect(Collectors.joining(" "));
    }

    private static String quoteWord(String word) {
        if (PLAIN_WORD.matcher(word).matches()) {
            return word;
        }
        return "'" + word.replace("'", "'\\''") + "'";
    }

    /**
     * Kills the process and everything it started (a shell's pipeline, a server's workers),
     * parents before children. The order matters: a shell whose child dies first notices and
     * prints "Killed" into the output it shares with the child, so a report of what a timed-out
     * command printed would depend on whether the shell ran in between (it did on a loaded machine).
     * The descendants are listed before anything is killed (breadth first, so each parent comes
     * before its children): once a parent is dead its children belong to init and are no longer
     * listed. The process is killed through its handle, not {@link Process#destroyForcibly()}, which
     * also closes the process's output stream: a reader in the middle of reading it lost everything
     * read so far ("Stream closed"). Killed this way, the output ends (EOF) when the last process
     * holding the pipe is gone, and the JDK closes the stream once the process has exited.
     */
    public static void destroyTree(Process p) {
        List<ProcessHandle> descendants = p.descendants().toList();
        p.toHandle().destroyForcibly();
        descendants.forEach(ProcessHandle::destroyForcibly);
    }

    private static String drained(FutureTask<String> output) throws InterruptedException {
        try {
            return output.get(DRAIN_GRACE_MS, TimeUnit.MILLISECONDS).trim();
        } catch (ExecutionException e) {
            return "(output unreadable: " + e.getCause().getMessage() + ")";
        } catch (TimeoutException e) {
            output.cancel(true);
            return "(output still open " + DRAIN_GRACE_MS + " ms after the command ended)";
        }
    }

    private static String read(InputStream in) {
        try (in) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
