package dev.gingham.dataplane.cli;

import dev.gingham.dataplane.api.ApiJson;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code gingham metrics}: the node's Prometheus metrics as a table (metric, labels, value), or
 * {@code --json} as a list of samples, or {@code --raw} as the exposition text itself.
 */
@Command(name = "metrics", mixinStandardHelpOptions = true, description = "Show the node's metrics.")
public final class MetricsCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ApiOptions api;

    @Option(names = "--raw", description = "print the Prometheus text as served")
    boolean raw;

    @Option(names = "--match", description = "only metrics whose name contains this text")
    String match;

    /** One sample of the exposition text. */
    public record Sample(String name, Map<String, String> labels, String value) {
    }

    @Override
    public Integer call() {
        ApiClient.Response response;
        try {
            response = ApiCall.get(spec, api, "/metrics");
        } catch (ApiCall.Failed f) {
            return f.exitCode;
        }
        if (response.status() != 200) {
            return ApiCall.failed(spec, response);
        }
        PrintWriter out = spec.commandLine().getOut();
        if (raw) {
            out.print(response.body());
            out.flush();
            return 0;
        }
        List<Sample> samples = new ArrayList<>();
        for (Sample s : parse(response.body())) {
            if (match == null || s.name().contains(match)) {
                samples.add(s);
            }
        }
        if (api.json) {
            out.println(ApiJson.MAPPER.writeValueAsString(samples));
        } else {
            TextTable t = new TextTable("METRIC", "LABELS", "VALUE");
            for (Sample s : samples) {
                StringBuilder labels = new StringBuilder();
                s.labels().forEach((k, v) -> labels.append(labels.isEmpty() ? "" : " ").append(k).append('=').append(v));
                t.row(s.name(), labels.isEmpty() ? "-" : labels, s.value());
            }
            out.print(t);
        }
        out.flush();
        return 0;
    }

    /** Returns: the samples of Prometheus text (comments skipped; label values unescaped). */
    static List<Sample> parse(String text) {
        List<Sample> samples = new ArrayList<>();
        for (String line : text.split("\n")) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            int brace = line.indexOf('{');
            int space = line.lastIndexOf(' ');
            Map<String, String> labels = new LinkedHashMap<>();
            String name;
            if (brace >= 0 && brace < space) {
                name = line.substring(0, brace);
                int close = line.lastIndexOf('}');
                labels(line.substring(brace + 1, close), labels);
            } else {
                name = line.substring(0, space);
            }
            samples.add(new Sample(name, labels, line.substring(space + 1)));
        }
        return samples;
    }

    private static void labels(String text, Map<String, String> into) {
        int i = 0;
        while (i < text.length()) {
            int eq = text.indexOf('=', i);
            String name = text.substring(i, eq);
            StringBuilder value = new StringBuilder();
            int j = eq + 2; // past ="
            for (; j < text.length() && text.charAt(j) != '"'; j++) {
                char c = text.charAt(j);
                if (c == '\\' && j + 1 < text.length()) {
                    char n = text.charAt(++j);
                    value.append(n == 'n' ? '\n' : n);
                } else {
                    value.append(c);
                }
            }
            into.put(name, value.toString());
            i = j + 2; // past ",
        }
    }
}
