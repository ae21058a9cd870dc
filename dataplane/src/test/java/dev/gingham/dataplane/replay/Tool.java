package dev.gingham.dataplane.replay;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs an external tool (tshark, editcap, mergecap) with a time limit, keeping stdout and stderr
 * apart: the interop tests assert that Wireshark's tools print no warning about our files.
 */
public record Tool(int exitCode, String stdout, String stderr) {
    private static final long TIMEOUT_SECONDS = 30;

    public static Tool run(String... command) {
        try {
            File out = File.createTempFile("gingham-tool", ".out");
            File err = File.createTempFile("gingham-tool", ".err");
            try {
                Process process = new ProcessBuilder(command).redirectOutput(out).redirectError(err).start();
                if (!process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                    return new Tool(-1, "", String.join(" ", command) + ": timed out after " + TIMEOUT_SECONDS + " s");
                }
                return new Tool(process.exitValue(), Files.readString(out.toPath()), withoutRootNotice(Files.readString(err.toPath())));
            } finally {
                Files.deleteIfExists(out.toPath());
                Files.deleteIfExists(err.toPath());
            }
        } catch (IOException e) {
            return new Tool(-1, "", String.join(" ", command) + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Tool(-1, "", "interrupted");
        }
    }

    /** tshark run as root says so on stderr; that line is about the user, not the file. */
    private static String withoutRootNotice(String stderr) {
        return String.join("\n", stderr.lines().filter(l -> !l.startsWith("Running as user")).toList());
    }

    /** Returns: true when the tool is installed (runs with --version). */
    public static boolean installed(String tool) {
        return run(tool, "--version").exitCode() == 0;
    }

    public List<String> lines() {
        return stdout.lines().toList();
    }

    public static String path(Path file) {
        return file.toAbsolutePath().toString();
    }
}
