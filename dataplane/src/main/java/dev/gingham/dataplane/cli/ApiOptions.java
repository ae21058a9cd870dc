package dev.gingham.dataplane.cli;

import dev.gingham.dataplane.config.ApiEndpoint;
import dev.gingham.dataplane.config.NodeConfig;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.time.Duration;

/**
 * The options every inspection command shares: where the admin API is, and the output form.
 * Where: {@code --api}, else the {@code api.listen} of {@code --config node.yaml}, else
 * {@link ApiEndpoint#DEFAULT}.
 */
public final class ApiOptions {
    /** How long a request may take before the daemon counts as unreachable. */
    static final Duration TIMEOUT = Duration.ofSeconds(10);

    @Option(names = "--api", paramLabel = "ADDRESS",
            description = "the admin API: 127.0.0.1:PORT, [::1]:PORT or unix:/path (default: --config's api.listen, else "
                    + ApiEndpoint.DEFAULT + ")")
    String api;

    @Option(names = "--config", paramLabel = "FILE", description = "the node configuration, to find the API's address")
    Path config;

    @Option(names = "--json", description = "print the API's JSON instead of a table (for scripts)")
    boolean json;

    /**
     * Returns: the endpoint to use.
     *
     * @throws IllegalArgumentException for a bad --api, or a node.yaml that does not load (message names the problem)
     */
    ApiEndpoint endpoint() {
        if (api != null) {
            return ApiEndpoint.parse(api);
        }
        if (config != null) {
            return NodeConfig.load(config).api();
        }
        return ApiEndpoint.parse(ApiEndpoint.DEFAULT);
    }

    ApiClient client() {
        return new ApiClient(endpoint(), TIMEOUT);
    }
}
