package dev.gingham.dataplane.nodebench;

import dev.gingham.dataplane.demo.Namespaces;
import dev.gingham.dataplane.demo.Shell;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;

/**
 * iperf3 TCP through a ClusterIP: a one-shot server ({@code -s -1}) in the server pod, the client
 * in the client pod, and the client's JSON report read for the goodput the receiver saw
 * ({@code end.sum_received}) and the sender's retransmissions.
 */
final class Iperf3 {
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private Iperf3() {
    }

    /** What one iperf3 run measured. */
    record Result(double receivedGbps, long retransmits) {
    }

    /**
     * Runs server and client and returns the client's figures.
     *
     * @param omitSeconds seconds at the start left out of the result ({@code -O})
     */
    static Result run(PodPair pods, String target, int port, Duration time, int omitSeconds) {
        Process server;
        try {
            server = new ProcessBuilder("ip", "netns", "exec", pods.serverNs(), "iperf3", "-s", "-1", "-p", Integer.toString(port))
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start iperf3 in " + pods.serverNs() + ": " + e.getMessage(), e);
        }
        try {
            Namespaces.awaitTcpListener(pods.serverNs(), port);
            Duration timeout = time.plusSeconds(omitSeconds + 20L);
            Shell.Result client = Shell.run(timeout, "ip", "netns", "exec", pods.clientNs(), "iperf3", "-c", target,
                    "-p", Integer.toString(port), "-t", Long.toString(Math.max(1, time.toSeconds())), "-O", Integer.toString(omitSeconds),
                    "-i", "0", "-J");
            return parse(client.output(), "iperf3 -c " + target + ":" + port + " from " + pods.clientNs());
        } finally {
            Shell.destroyTree(server);
        }
    }

    /** Returns: the figures of an iperf3 JSON report; {@code what} names the run in errors. */
    static Result parse(String json, String what) {
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (RuntimeException e) {
            throw new IllegalStateException(what + ": no JSON report: " + Ping.tail(json), e);
        }
        if (root.hasNonNull("error")) {
            throw new IllegalStateException(what + ": " + root.get("error").asString());
        }
        JsonNode received = root.path("end").path("sum_received");
        if (!received.has("bits_per_second")) {
            throw new IllegalStateException(what + ": the report has no end.sum_received: " + Ping.tail(json));
        }
        double gbps = received.get("bits_per_second").asDouble() / 1e9;
        long retransmits = root.path("end").path("sum_sent").path("retransmits").asLong();
        return new Result(gbps, retransmits);
    }
}
