package dev.gingham.dataplane.demo;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Named network namespaces that one run owns ({@code PREFIX-ROLE}): created with IPv6 off (the
 * demo and the node benchmark are IPv4; no router solicitations in the counters), deleted by
 * {@link #close()} even after a failure, and those a killed earlier run left under the same prefix
 * deleted by {@link #removeLeftovers()} before anything is made.
 */
public final class Namespaces implements AutoCloseable {
    private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(10);
    /** How long a server (python3 via a pyenv shim, iperf3) may take to listen on a loaded machine. */
    private static final Duration LISTENER_DEADLINE = Duration.ofSeconds(20);

    private final String prefix;
    private final List<String> created = new ArrayList<>();

    /** @param prefix namespace name prefix (unique per run or per tool; letters, digits, '-') */
    public Namespaces(String prefix) {
        this.prefix = prefix;
    }

    /** Deletes every namespace whose name starts with {@code PREFIX-} (what a killed run left). */
    public void removeLeftovers() {
        Shell.Result list = Shell.run(COMMAND_TIMEOUT, "ip", "netns", "list");
        for (String line : list.output().split("\n")) {
            String name = line.split(" ")[0];
            if (name.startsWith(prefix + "-")) {
                Shell.run(COMMAND_TIMEOUT, "ip", "netns", "del", name);
            }
        }
    }

    /** Creates namespace {@code PREFIX-ROLE} with IPv6 off and loopback up; returns its name. */
    public String create(String role) {
        String name = name(role);
        Shell.must("ip", "netns", "add", name);
        created.add(name);
        Shell.run(COMMAND_TIMEOUT, "ip", "netns", "exec", name, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1",
                "net.ipv6.conf.default.disable_ipv6=1");
        Shell.must("ip", "-n", name, "link", "set", "lo", "up");
        return name;
    }

    /** Returns: the name role {@code role} has (or will have) in this set. */
    public String name(String role) {
        return prefix + "-" + role;
    }

    /**
     * Waits (at most {@link #LISTENER_DEADLINE}, returning as soon as it listens) until a TCP socket
     * listens on {@code port} in namespace {@code netns} ({@code ss}), so a client started next does
     * not race its server.
     *
     * @throws IllegalStateException when nothing listens in time
     */
    public static void awaitTcpListener(String netns, int port) {
        long deadline = System.nanoTime() + LISTENER_DEADLINE.toNanos();
        while (System.nanoTime() < deadline) {
            if (Shell.run(COMMAND_TIMEOUT, "ip", "netns", "exec", netns, "ss", "-Hltn", "sport = :" + port).output().contains(":" + port)) {
                return;
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        throw new IllegalStateException("no server listening on port " + port + " in " + netns + " after "
                + LISTENER_DEADLINE.toSeconds() + " s");
    }

    /** Deletes every namespace this set created (their interfaces go with them). */
    @Override
    public void close() {
        for (String name : created) {
            Shell.run(COMMAND_TIMEOUT, "ip", "netns", "del", name);
        }
        created.clear();
    }
}
