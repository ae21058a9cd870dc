package dev.gingham.dataplane.multinode;

import dev.gingham.dataplane.demo.Shell;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A tshark capture on one interface of a test's namespace, written to a pcap file and read back
 * with tshark's dissectors (UDP 8472, flannel's and Linux's VXLAN port, decoded as VXLAN: tshark
 * only knows 4789 by itself), so a test asserts on what really crossed the
 * underlay. Bounded: the capture ends itself after {@code limit}, {@link #close()} ends it early.
 * Because it is one process among many on a loaded machine, it proves it captures before the
 * test's traffic starts, and it is stopped so that the file is complete.
 */
final class UnderlayCapture implements AutoCloseable {
    private static final Duration READ_TIMEOUT = Duration.ofSeconds(20);

    private final Process process;
    private final Path file;

    private UnderlayCapture(Process process, Path file) {
        this.process = process;
        this.file = file;
    }

    /**
     * Starts capturing {@code filter} (a BPF filter) on {@code device} in {@code netns}, and returns
     * once the capture provably runs: tshark announces "Capturing on" before it captures, so
     * {@code probe} (traffic the filter matches, e.g. one ping through the tunnel) is repeated until
     * tshark reports a packet.
     */
    static UnderlayCapture start(String netns, String device, String filter, Path file, Duration limit, Runnable probe)
            throws IOException, InterruptedException {
        Process p = new ProcessBuilder("ip", "netns", "exec", netns, "tshark", "-l", "-n", "-P", "-i", device, "-f", filter,
                "-w", file.toString(), "-a", "duration:" + limit.toSeconds()).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        BlockingQueue<String> printed = new LinkedBlockingQueue<>();
        Thread.ofVirtual().name("tshark-stdout").start(() -> {
            try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = out.readLine()) != null; ) {
                    printed.add(line);
                }
            } catch (IOException ignored) {
                // the capture ended
            }
        });
        UnderlayCapture capture = new UnderlayCapture(p, file);
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (System.nanoTime() < deadline && p.isAlive()) {
            probe.run();
            if (printed.poll(500, TimeUnit.MILLISECONDS) != null) {
                return capture;
            }
        }
        capture.close();
        throw new IllegalStateException("tshark captured nothing on " + device + " in " + netns + " within 20 s");
    }

    /**
     * Stops the capture the way Ctrl-C does (SIGINT: tshark flushes the file; SIGTERM may lose
     * its buffered end) and waits for it.
     */
    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            Shell.run(Duration.ofSeconds(5), "kill", "-INT", Long.toString(process.pid()));
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
