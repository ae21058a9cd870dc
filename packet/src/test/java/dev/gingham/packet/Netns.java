package dev.gingham.packet;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Network namespaces a test owns: unique names (prefix, this JVM's pid, a counter), every
 * command bounded by a timeout, and deletion on {@link #close()} (so also when the test fails).
 * Namespaces left behind by a killed test JVM of an earlier run are deleted on the next start.
 * Traffic stays inside the namespaces: nothing is added to the namespace the JVM runs in.
 * Shared by every module's kernel tests through packet's test-jar.
 */
public final class Netns implements AutoCloseable {
    /** Every test namespace starts with this, followed by a role, the creating JVM's pid and a counter. */
    public static final String PREFIX = "ghtest";
    private static final long TIMEOUT_SECONDS = 5;
    private static final AtomicInteger COUNTER = new AtomicInteger();

    private final List<String> created = new ArrayList<>();

    public record Result(int exitCode, String output) {
        public boolean ok() {
            return exitCode == 0;
        }
    }

    /**
     * Skips the calling test (JUnit assumption) unless this process can create namespaces:
     * root, {@code ip} on the PATH, and a namespace actually created and deleted.
     */
    public static void assumeAvailable() {
        assumeTrue("root".equals(System.getProperty("user.name")),
                "kernel interop tests need root (network namespaces); running as " + System.getProperty("user.name"));
        Result ip = run("ip", "-V");
        assumeTrue(ip.ok(), "kernel interop tests need 'ip' (Debian: iproute2): " + ip.output());
        removeStale();
        String probe = PREFIX + "probe" + ProcessHandle.current().pid();
        Result add = run("ip", "netns", "add", probe);
        run("ip", "netns", "del", probe);
        assumeTrue(add.ok(), "cannot create a network namespace here: " + add.output());
    }

    /** Returns: the name of a new namespace, deleted by {@link #close()}. */
    public String create(String role) {
        String name = PREFIX + role + ProcessHandle.current().pid() + "x" + COUNTER.incrementAndGet();
        must("ip", "netns", "add", name);
        created.add(name);
        return name;
    }

    /** Runs a command with a timeout; returns its exit code (-1 on timeout) and combined output. */
    public static Result run(String... command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            p.getOutputStream().close();
            if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return new Result(-1, String.join(" ", command) + ": timed out after " + TIMEOUT_SECONDS + " s");
            }
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            return new Result(p.exitValue(), out);
        } catch (IOException e) {
            return new Result(-1, String.join(" ", command) + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Result(-1, "interrupted");
        }
    }

    /** Runs a command that must succeed. */
    public static String must(String... command) {
        Result r = run(command);
        if (!r.ok()) {
            throw new IllegalStateException(String.join(" ", command) + " failed (" + r.exitCode() + "): " + r.output());
        }
        return r.output();
    }

    /** Returns: the interface index of {@code device} in namespace {@code netns}. */
    public static int ifindex(String netns, String device) {
        String line = must("ip", "-n", netns, "-o", "link", "show", device);
        return Integer.parseInt(line.substring(0, line.indexOf(':')).trim());
    }

    /** Deletes namespaces with our prefix whose creating JVM is gone (a killed earlier run). */
    private static void removeStale() {
        Path dir = Path.of("/var/run/netns");
        if (!Files.isDirectory(dir)) {
            return;
        }
        try (var names = Files.list(dir)) {
            for (Path p : names.toList()) {
                String name = p.getFileName().toString();
                if (!name.startsWith(PREFIX)) {
                    continue;
                }
                String digits = name.replaceAll("^" + PREFIX + "[a-z]*", "").replaceAll("x.*$", "");
                boolean alive = !digits.isEmpty() && digits.chars().allMatch(Character::isDigit)
                        && ProcessHandle.of(Long.parseLong(digits)).isPresent();
                if (!alive) {
                    run("ip", "netns", "del", name);
                }
            }
        } catch (IOException ignored) {
            // best effort: a leftover namespace costs a little memory, nothing else
        }
    }

    @Override
    public void close() {
        for (String name : created) {
            run("ip", "netns", "del", name);
        }
        created.clear();
    }
}
