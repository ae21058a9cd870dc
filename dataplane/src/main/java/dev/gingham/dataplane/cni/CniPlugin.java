package dev.gingham.dataplane.cni;

import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * The plugin's logic, with the process's environment, stdin and stdout injected (so tests call it
 * in-process exactly as a runtime calls the executable): reads CNI_* ({@link CniEnvironment}) and
 * the network configuration ({@link NetworkConfig}), asks the daemon ({@link DaemonClient}), and
 * writes the CNI spec 1.0.0 answer ("Section 5: Result Types"):
 * <ul>
 *   <li>ADD: the Success result {@code {cniVersion, interfaces: [{name, mac, sandbox}],
 *       ips: [{address, gateway, interface: 0}], routes: [{dst, gw}], dns}}, exit 0;</li>
 *   <li>DEL: nothing, exit 0, also for a container the daemon does not know (DEL is idempotent,
 *       "Section 2: Execution Protocol", DEL);</li>
 *   <li>CHECK: nothing and exit 0 when the interface and every address of {@code prevResult} are
 *       as ADD made them, else error 101; a CHECK without prevResult is error 7;</li>
 *   <li>VERSION: {@code {cniVersion, supportedVersions}};</li>
 *   <li>any failure: the Error result {@code {cniVersion, code, msg, details}} on stdout, exit 1.</li>
 * </ul>
 */
public final class CniPlugin {
    static final String ADD_PATH = "/v1/cni/add";
    static final String DEL_PATH = "/v1/cni/del";
    static final String CHECK_PATH = "/v1/cni/check";

    /**
     * Runs one CNI command.
     *
     * @return the process exit status: 0 on success, 1 after writing an error result
     */
    public int run(Map<String, String> env, InputStream stdin, OutputStream stdout) {
        String version = NetworkConfig.SUPPORTED_VERSIONS.getFirst();
        try {
            CniEnvironment environment = CniEnvironment.parse(env);
            byte[] input;
            try {
                input = stdin.readAllBytes();
            } catch (IOException e) {
                throw new CniError(CniError.IO_FAILURE, "cannot read the network configuration from stdin: " + e.getMessage(), "stdin");
            }
            if (environment.command().equals(CniEnvironment.VERSION)) {
                ObjectNode answer = NetworkConfig.JSON.createObjectNode();
                answer.put("cniVersion", version);
                ArrayNode supported = answer.putArray("supportedVersions");
                NetworkConfig.SUPPORTED_VERSIONS.forEach(supported::add);
                write(stdout, answer);
                return 0;
            }
            NetworkConfig config = NetworkConfig.parse(input);
            version = config.cniVersion();
            DaemonClient daemon = new DaemonClient(config.api(), config.timeout());
            switch (environment.command()) {
                case CniEnvironment.ADD -> write(stdout, result(config, attached(daemon.post(ADD_PATH, request(environment)))));
                case CniEnvironment.DEL -> answer(daemon.post(DEL_PATH, request(environment)));
                default -> {
                    if (config.prevResult() == null) {
                        throw new CniError(CniError.INVALID_NETWORK_CONFIG, "invalid network configuration: CHECK needs prevResult "
                                + "(the result of the ADD)", "prevResult");
                    }
                    compare(config.prevResult(), attached(daemon.post(CHECK_PATH, request(environment))));
                }
            }
            return 0;
        } catch (CniError e) {
            ObjectNode error = NetworkConfig.JSON.createObjectNode();
            error.put("cniVersion", version);
            error.put("code", e.code());
            error.put("msg", e.getMessage());
            error.put("details", e.details());
            write(stdout, error);
            return 1;
        }
    }

    private static byte[] request(CniEnvironment environment) {
        return NetworkConfig.JSON.writeValueAsBytes(environment.request());
    }

    /** Returns: the body of a 200 answer; a daemon error is re-thrown with the daemon's own code. */
    private static byte[] answer(DaemonClient.Response response) {
        if (response.status() == 200) {
            return response.body();
        }
        CniWire.Failure failure;
        try {
            failure = NetworkConfig.JSON.readValue(response.body(), CniWire.Failure.class);
        } catch (JacksonException e) {
            failure = null;
        }
        if (failure == null || failure.code() == 0) {
            throw new CniError(CniError.IO_FAILURE, "the Gingham daemon answered HTTP " + response.status() + ": "
                    + new String(response.body(), StandardCharsets.UTF_8), "");
        }
        throw new CniError(failure.code(), failure.msg(), failure.details());
    }

    private static CniWire.Attached attached(DaemonClient.Response response) {
        byte[] body = answer(response);
        try {
            return NetworkConfig.JSON.readValue(body, CniWire.Attached.class);
        } catch (JacksonException e) {
            throw new CniError(CniError.DECODE_FAILURE, "cannot decode the Gingham daemon's answer: " + e.getOriginalMessage(), "");
        }
    }

    /** The ADD Success result: one sandbox interface, its addresses on it (index 0), the routes, the config's dns. */
    static ObjectNode result(NetworkConfig config, CniWire.Attached attached) {
        ObjectNode result = NetworkConfig.JSON.createObjectNode();
        result.put("cniVersion", config.cniVersion());
        ObjectNode itf = result.putArray("interfaces").addObject();
        itf.put("name", attached.ifname());
        itf.put("mac", attached.mac());
        itf.put("sandbox", attached.sandbox());
        ArrayNode ips = result.putArray("ips");
        for (CniWire.Ip ip : attached.ips()) {
            ObjectNode entry = ips.addObject();
            entry.put("address", ip.address());
            entry.put("gateway", ip.gateway());
            entry.put("interface", 0);
        }
        ArrayNode routes = result.putArray("routes");
        for (CniWire.Route route : attached.routes()) {
            routes.addObject().put("dst", route.dst()).put("gw", route.gw());
        }
        if (config.dns() != null) {
            result.set("dns", config.dns());
        } else {
            result.putObject("dns");
        }
        return result;
    }

    /** CHECK: every sandbox interface and address {@code prevResult} lists must be what the daemon has now. */
    static void compare(JsonNode prevResult, CniWire.Attached attached) {
        for (JsonNode itf : prevResult.path("interfaces")) {
            if (itf.path("sandbox").asString("").isEmpty()) {
                continue; // a host-side interface of another plugin in the chain
            }
            String name = itf.path("name").asString("");
            String mac = itf.path("mac").asString("");
            if (!name.equals(attached.ifname()) || !mac.isEmpty() && !mac.equalsIgnoreCase(attached.mac())) {
                throw new CniError(CniError.CHECK_FAILED, "prevResult interface " + name + " (" + mac + ") is not the pod's "
                        + attached.ifname() + " (" + attached.mac() + ")", "prevResult.interfaces");
            }
        }
        Set<String> now = new HashSet<>();
        attached.ips().forEach(ip -> now.add(ip.address()));
        for (JsonNode ip : prevResult.path("ips")) {
            String address = ip.path("address").asString("");
            if (!now.contains(address)) {
                throw new CniError(CniError.CHECK_FAILED, "prevResult address " + address + " is not on the pod's interface "
                        + attached.ifname() + " (it has " + now + ")", "prevResult.ips");
            }
        }
    }

    private static void write(OutputStream stdout, JsonNode json) {
        try {
            stdout.write(NetworkConfig.JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(json));
            stdout.write('\n');
            stdout.flush();
        } catch (IOException e) {
            // stdout gone: the runtime is not listening any more; the exit status still tells it
        }
    }
}
