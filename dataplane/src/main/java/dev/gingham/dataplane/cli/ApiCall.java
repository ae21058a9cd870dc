package dev.gingham.dataplane.cli;

import dev.gingham.dataplane.api.ApiJson;
import dev.gingham.dataplane.config.ConfigException;
import picocli.CommandLine.Model.CommandSpec;
import tools.jackson.core.JacksonException;

import java.io.IOException;
import java.io.PrintWriter;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.StringJoiner;
import java.util.function.Function;

/**
 * What every inspection command does with one GET: resolve the endpoint, request, and print the
 * JSON as is ({@code --json}) or rendered as text; errors go to stderr as one line naming the
 * command, with exit code 1 (2 for a bad {@code --api} or {@code --config}).
 */
final class ApiCall {
    private ApiCall() {
    }

    /**
     * @param type   the view record the JSON reads into
     * @param render turns it into the text printed
     * @return the exit code
     */
    static <T> int run(CommandSpec spec, ApiOptions options, String pathAndQuery, Class<T> type, Function<T, String> render) {
        PrintWriter out = spec.commandLine().getOut();
        ApiClient.Response response;
        try {
            response = get(spec, options, pathAndQuery);
        } catch (Failed f) {
            return f.exitCode;
        }
        if (response.status() != 200) {
            return failed(spec, response);
        }
        if (options.json) {
            out.println(response.body());
        } else {
            try {
                out.print(render.apply(ApiJson.MAPPER.readValue(response.body(), type)));
            } catch (JacksonException e) {
                spec.commandLine().getErr().println(spec.qualifiedName() + ": the API answered something unexpected: "
                        + e.getOriginalMessage());
                return 1;
            }
        }
        out.flush();
        return 0;
    }

    /** The command cannot go on; what went wrong is already printed. */
    static final class Failed extends Exception {
        private static final long serialVersionUID = 1L;
        final int exitCode;

        Failed(int exitCode) {
            super(null, null, false, false);
            this.exitCode = exitCode;
        }
    }

    /**
     * Returns: a client for the command's endpoint.
     *
     * @throws Failed with exit code 2 after printing why --api or --config is unusable
     */
    static ApiClient client(CommandSpec spec, ApiOptions options) throws Failed {
        try {
            return options.client();
        } catch (IllegalArgumentException | ConfigException e) {
            spec.commandLine().getErr().println(spec.qualifiedName() + ": " + e.getMessage());
            throw new Failed(2);
        }
    }

    /**
     * Returns: the response of one GET.
     *
     * @throws Failed after printing why there is none (exit code 1: unreachable; 2: bad options)
     */
    static ApiClient.Response get(CommandSpec spec, ApiOptions options, String pathAndQuery) throws Failed {
        ApiClient client = client(spec, options);
        try {
            return client.get(pathAndQuery);
        } catch (IOException e) {
            spec.commandLine().getErr().println(spec.qualifiedName() + ": " + e.getMessage());
            throw new Failed(1);
        }
    }

    /** Prints an error response's message; returns 1. */
    static int failed(CommandSpec spec, ApiClient.Response response) {
        String message;
        try {
            message = ApiJson.MAPPER.readValue(response.body(), ApiJson.Error.class).error();
        } catch (JacksonException e) {
            message = response.body();
        }
        spec.commandLine().getErr().println(spec.qualifiedName() + ": " + message + " (HTTP " + response.status() + ")");
        return 1;
    }

    /** Returns: {@code path?name=value&...} for the parameters that are set (null values left out), URL-encoded. */
    static String path(String path, Map<String, Object> parameters) {
        StringJoiner query = new StringJoiner("&", "?", "").setEmptyValue("");
        for (Map.Entry<String, Object> e : parameters.entrySet()) {
            if (e.getValue() != null) {
                query.add(e.getKey() + "=" + URLEncoder.encode(String.valueOf(e.getValue()), StandardCharsets.UTF_8));
            }
        }
        return path + query;
    }

    /** Returns: a parameter map keeping insertion order (name, value, name, value...). */
    static Map<String, Object> parameters(Object... nameValues) {
        Map<String, Object> map = new LinkedHashMap<>();
        for (int i = 0; i < nameValues.length; i += 2) {
            map.put((String) nameValues[i], nameValues[i + 1]);
        }
        return map;
    }
}
