package dev.gingham.dataplane.cni;

import dev.gingham.dataplane.config.ApiEndpoint;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

import java.time.Duration;
import java.util.List;
import java.util.Set;

/**
 * The network configuration a runtime streams to the plugin on stdin (CNI spec 1.0.0, "Section 1:
 * Network configuration format", "Plugin configuration objects"): {@code cniVersion}, {@code name},
 * {@code type}, the optional {@code ipam}, {@code dns} and (for CHECK and DEL) {@code prevResult},
 * and Gingham's own object:
 * <pre>
 *   "gingham": {"api": "unix:/run/gingham/api.sock", "timeoutSeconds": 30}
 * </pre>
 * {@code api} is where the daemon's admin API listens (default {@value ApiEndpoint#DEFAULT}, the
 * daemon's own default), {@code timeoutSeconds} how long a call may take (default 30).
 *
 * <p>Why no IPAM plugin: the daemon allocates pod addresses from its node's podCIDR itself (see
 * {@link HostLocalIpam}); an {@code ipam} object may be left out or name type {@value #IPAM_TYPE},
 * anything else is error 2 (unsupported field) naming it. Other fields a runtime adds
 * ({@code runtimeConfig}, {@code capabilities}, {@code args}) are ignored, as the spec allows.
 *
 * @param cniVersion  the spec version the runtime speaks ({@link #SUPPORTED_VERSIONS})
 * @param name        the network's name
 * @param type        the plugin's name (what the runtime ran)
 * @param api         the daemon's admin API
 * @param timeout     the longest wait for the daemon
 * @param dns         the {@code dns} object, copied into the ADD result (null when absent)
 * @param prevResult  the result of the previous ADD (CHECK, DEL), null when absent
 */
public record NetworkConfig(String cniVersion, String name, String type, ApiEndpoint api, Duration timeout, JsonNode dns,
                            JsonNode prevResult) {
    /** The spec versions this plugin implements. */
    public static final List<String> SUPPORTED_VERSIONS = List.of("1.0.0");
    /** The only {@code ipam.type} accepted: the daemon's own allocator. */
    public static final String IPAM_TYPE = "gingham";
    private static final int DEFAULT_TIMEOUT_SECONDS = 30;
    private static final int MAX_TIMEOUT_SECONDS = 600;
    private static final Set<String> GINGHAM_FIELDS = Set.of("api", "timeoutSeconds");

    static final JsonMapper JSON = JsonMapper.builder().build();

    /**
     * Parses the configuration.
     *
     * @throws CniError 6 when it is not JSON, 7 when a required field is missing or wrong, 1 for an
     *                  unsupported cniVersion, 2 for an unsupported ipam type or gingham field
     */
    public static NetworkConfig parse(byte[] stdin) {
        JsonNode root;
        try {
            root = JSON.readTree(stdin);
        } catch (JacksonException e) {
            throw new CniError(CniError.DECODE_FAILURE, "cannot decode the network configuration on stdin: "
                    + e.getOriginalMessage(), "stdin");
        }
        if (root == null || !root.isObject()) {
            throw new CniError(CniError.DECODE_FAILURE, "the network configuration on stdin is not a JSON object", "stdin");
        }
        String cniVersion = requiredString(root, "cniVersion");
        if (!SUPPORTED_VERSIONS.contains(cniVersion)) {
            throw new CniError(CniError.INCOMPATIBLE_VERSION, "cniVersion '" + cniVersion + "' is not supported; this plugin speaks "
                    + String.join(", ", SUPPORTED_VERSIONS), "cniVersion");
        }
        String name = requiredString(root, "name");
        String type = requiredString(root, "type");
        JsonNode ipam = root.get("ipam");
        if (ipam != null && !ipam.isNull()) {
            if (!ipam.isObject()) {
                throw invalid("ipam", "must be an object");
            }
            JsonNode ipamType = ipam.get("type");
            if (ipamType != null && !IPAM_TYPE.equals(ipamType.asString())) {
                throw new CniError(CniError.UNSUPPORTED_FIELD, "unsupported field ipam.type=" + ipamType
                        + ": the Gingham daemon allocates pod addresses from its node's podCIDR; leave ipam out or write "
                        + "{\"type\": \"" + IPAM_TYPE + "\"}", "ipam.type");
            }
        }
        JsonNode dns = root.get("dns");
        if (dns != null && !dns.isNull() && !dns.isObject()) {
            throw invalid("dns", "must be an object");
        }
        JsonNode prevResult = root.get("prevResult");
        if (prevResult != null && !prevResult.isNull() && !prevResult.isObject()) {
            throw invalid("prevResult", "must be an object");
        }
        ApiEndpoint api = ApiEndpoint.parse(ApiEndpoint.DEFAULT);
        int timeoutSeconds = DEFAULT_TIMEOUT_SECONDS;
        JsonNode gingham = root.get("gingham");
        if (gingham != null && !gingham.isNull()) {
            if (!(gingham instanceof ObjectNode object)) {
                throw invalid("gingham", "must be an object");
            }
            for (String field : object.propertyNames()) {
                if (!GINGHAM_FIELDS.contains(field)) {
                    throw new CniError(CniError.UNSUPPORTED_FIELD, "unsupported field gingham." + field + "=" + object.get(field)
                            + " (known: api, timeoutSeconds)", "gingham." + field);
                }
            }
            JsonNode apiField = object.get("api");
            if (apiField != null) {
                try {
                    api = ApiEndpoint.parse(apiField.asString());
                } catch (IllegalArgumentException e) {
                    throw invalid("gingham.api", e.getMessage());
                }
            }
            JsonNode timeoutField = object.get("timeoutSeconds");
            if (timeoutField != null) {
                if (!timeoutField.isInt() || timeoutField.asInt() < 1 || timeoutField.asInt() > MAX_TIMEOUT_SECONDS) {
                    throw invalid("gingham.timeoutSeconds", timeoutField + " must be a whole number 1.." + MAX_TIMEOUT_SECONDS);
                }
                timeoutSeconds = timeoutField.asInt();
            }
        }
        return new NetworkConfig(cniVersion, name, type, api, Duration.ofSeconds(timeoutSeconds),
                dns == null || dns.isNull() ? null : dns, prevResult == null || prevResult.isNull() ? null : prevResult);
    }

    private static String requiredString(JsonNode root, String field) {
        JsonNode value = root.get(field);
        if (value == null || !value.isString() || value.asString().isEmpty()) {
            throw invalid(field, "is required (a non-empty string)");
        }
        return value.asString();
    }

    private static CniError invalid(String field, String why) {
        return new CniError(CniError.INVALID_NETWORK_CONFIG, "invalid network configuration: " + field + " " + why, field);
    }
}
