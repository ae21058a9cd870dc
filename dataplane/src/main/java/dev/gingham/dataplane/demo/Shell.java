package dev.gingham.dataplane.demo;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs the demo's external commands ({@code ip}, {@code ping}, {@code curl}, {@code python3})
 * with a time limit, capturing what they print: a command that hangs is killed and reported, so
 * neither the demo nor a test can hang on one.
 */
public final class Shell {
    private Shell() {
    }

    /** What a command did: its exit code (-1 when it timed out or could not start) and its output (stdout and stderr). */
    public record Result(int exitCode, String output) {
        public boolean ok() {
            return exitCode == 0;
        }
    }

    /**
     * Runs {@code command} with a time limit. The output goes to a temporary file, not a pipe: a
     * command that prints more than a pipe holds (64 KiB: {@code ping -c 1000}, {@code iperf3 -J})
     * would otherwise block on its write while this waits for it to exit, and be killed as hung.
     */
    public static Result run(Duration timeout, List<String> command) {
        Path output = null;
        try {
            output = Files.createTempFile("gingham-shell", ".out");
            Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(output.toFile()).start();
            p.getOutputStream().close();
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                p.waitFor(1, TimeUnit.SECONDS);
                return new Result(-1, String.join(" ", command) + ": timed out after " + timeout.toMillis() + " ms");
            }
            return new Result(p.exitValue(), new String(Files.readAllBytes(output), StandardCharsets.UTF_8).trim());
        } catch (IOException e) {
            return new Result(-1, String.join(" ", command) + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Result(-1, "interrupted");
        } finally {
            if (output != null) {
                try {
                    Files.deleteIfExists(output);
                } catch (IOException ignored) {
                    // a temporary file left in /tmp is harmless
                }
            }
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
}
