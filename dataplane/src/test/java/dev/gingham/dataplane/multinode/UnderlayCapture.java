package dev.gingham.dataplane.multinode;

import dev.gingham.dataplane.demo.Shell;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * A tshark capture on one interface of a test's namespace, written to a pcap file and read back
 * with tshark's dissectors (UDP 8472, flannel's and Linux's VXLAN port, decoded as VXLAN: tshark
 * only knows 4789 by itself), so a test asserts on what really crossed the
 * underlay. Bounded: the capture ends itself after {@code limit}, {@link #close()} ends it early.
 */
final class UnderlayCapture implements AutoCloseable {
    private static final Duration READ_TIMEOUT = Duration.ofSeconds(20);

    private final Process process;
    private final Path file;

    private UnderlayCapture(Process process, Path file) {
        this.process = process;
        this.file = file;
    }

    /** Starts capturing {@code filter} (a BPF filter) on {@code device} in {@code netns}; returns once tshark captures. */
    static UnderlayCapture start(String netns, String device, String filter, Path file, Duration limit) throws IOException {
        Process p = new ProcessBuilder("ip", "netns", "exec", netns, "tshark", "-q", "-i", device, "-f", filter, "-w", file.toString(),
                "-a", "duration:" + limit.toSeconds()).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        BufferedReader err = new BufferedReader(new InputStreamReader(p.getErrorStream(), StandardCharsets.UTF_8));
        StringBuilder seen = new StringBuilder();
        long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        String line;
        while (System.nanoTime() < deadline && (line = err.readLine()) != null) {
            seen.append(line).append('\n');
            if (line.contains("Capturing on")) {
                Thread drain = Thread.ofVirtual().start(() -> {
                    try {
                        err.transferTo(java.io.Writer.nullWriter());
                    } catch (IOException ignored) {
                        // the capture ended
                    }
                });
                drain.setName("tshark-stderr");
                return new UnderlayCapture(p, file);
            }
        }
        p.destroyForcibly();
        throw new IllegalStateException("tshark did not start capturing on " + device + " in " + netns + ": " + seen);
    }

    /** Stops the capture (tshark finishes the file) and waits for it. */
    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            process.destroy();
        }
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly();
        }
    }

    /** Returns: tshark's fields {@code fields} of the packets matching display filter {@code display}, one line each. */
    String fields(String display, String... fields) {
        java.util.List<String> command = new java.util.ArrayList<>(java.util.List.of("tshark", "-r", file.toString(), "-d", "udp.port==8472,vxlan", "-Y", display,
                "-T", "fields", "-E", "separator=/t"));
        for (String f : fields) {
            command.add("-e");
            command.add(f);
        }
        Shell.Result r = Shell.run(READ_TIMEOUT, command);
        if (!r.ok()) {
            throw new IllegalStateException("tshark -r " + file + " failed: " + r.output());
        }
        return r.output().lines().filter(l -> !l.startsWith("Running as user")).reduce("", (a, b) -> a.isEmpty() ? b : a + "\n" + b);
    }
}
