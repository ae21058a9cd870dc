package dev.gingham.dataplane.cli;

import dev.gingham.dataplane.api.ApiJson;
import dev.gingham.dataplane.flow.FlowEvent;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;

import java.io.IOException;
import java.io.PrintWriter;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.concurrent.Callable;

/**
 * {@code gingham monitor}: the live flow stream (policy verdicts and drops), filtered by verdict,
 * pod and drop reason, one line per event, until Ctrl-C (or {@code --max-events}).
 */
@Command(name = "monitor", mixinStandardHelpOptions = true,
        description = "Stream flow events live (policy verdicts, drops) until Ctrl-C.")
public final class MonitorCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ApiOptions api;

    @Option(names = "--verdict", description = "FORWARDED, DROPPED or AUDIT")
    String verdict;

    @Option(names = "--pod", description = "a pod (namespace/name or name) on either side")
    String pod;

    @Option(names = "--reason", description = "a drop reason: name (POLICY) or code (133)")
    String reason;

    @Option(names = "--max-events", description = "stop after this many events (default: run until Ctrl-C)")
    long maxEvents = Long.MAX_VALUE;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        ApiClient client;
        try {
            client = ApiCall.client(spec, api);
        } catch (ApiCall.Failed f) {
            return f.exitCode;
        }
        String path = ApiCall.path("/v1/flows", ApiCall.parameters("verdict", verdict, "pod", pod, "reason", reason));
        long[] seen = {0};
        ApiClient.Response refused;
        try {
            refused = client.stream(path, line -> {
                if (line.isBlank()) {
                    return true;
                }
                boolean event = print(out, line);
                out.flush();
                if (event) {
                    seen[0]++;
                }
                return seen[0] < maxEvents;
            });
        } catch (IOException e) {
            spec.commandLine().getErr().println(spec.qualifiedName() + ": " + e.getMessage());
            return 1;
        }
        if (refused != null) {
            return ApiCall.failed(spec, refused);
        }
        return 0;
    }

    /** Prints one stream line; returns true when it was a flow event (not a loss notice). */
    private boolean print(PrintWriter out, String line) {
        if (api.json) {
            out.println(line);
            return !line.contains("\"lostEvents\"");
        }
        try {
            JsonNode node = ApiJson.MAPPER.readTree(line);
            if (node.has("lostEvents")) {
                out.println("(" + node.get("lostEvents").asLong() + " events lost: this client fell behind)");
                return false;
            }
            out.println(format(node.get("time").asString(), ApiJson.MAPPER.treeToValue(node.get("flow"), FlowEvent.class)));
            return true;
        } catch (JacksonException e) {
            out.println(line);
            return false;
        }
    }

    /** Returns: one readable line for an event. */
    static String format(String time, FlowEvent e) {
        StringBuilder b = new StringBuilder();
        b.append(Instant.parse(time).truncatedTo(ChronoUnit.MILLIS)).append(' ').append(e.verdict());
        if (!e.dropReason().isEmpty()) {
            b.append(' ').append(e.dropReason()).append(" (").append(e.dropCode()).append(')');
        }
        b.append(' ').append(e.direction()).append(' ').append(protocol(e.protocol())).append(' ')
                .append(peer(e.source())).append(" -> ").append(peer(e.destination()));
        if (!e.policy().isEmpty()) {
            b.append(" policy ").append(e.policy());
        }
        return b.toString();
    }

    private static String protocol(int number) {
        return dev.gingham.dataplane.api.IpProtocols.name(number);
    }

    private static String peer(FlowEvent.Peer p) {
        String at = p.address() + ":" + p.port();
        return p.pod().isEmpty() ? at : p.namespace() + "/" + p.pod() + " " + at;
    }
}
