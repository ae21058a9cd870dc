package dev.gingham.dataplane.cni;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The CNI_* environment variables a runtime calls the plugin with (CNI spec 1.0.0, "Section 3:
 * Execution of Network Configurations" / "Parameters"): CNI_COMMAND, CNI_CONTAINERID, CNI_NETNS,
 * CNI_IFNAME, CNI_ARGS, CNI_PATH. Parsed and checked at once, so every command sees valid values;
 * a missing or malformed variable is error 4 naming it.
 *
 * @param command     ADD, DEL, CHECK or VERSION
 * @param containerId the container (sandbox) ID; "" for VERSION
 * @param netns       the network namespace path; "" for VERSION, and for a DEL the runtime sends without one
 * @param ifname      the interface name to create inside the namespace; "" for VERSION
 * @param args        CNI_ARGS as key=value pairs (K8S_POD_NAMESPACE, K8S_POD_NAME, ...)
 * @param path        CNI_PATH, where delegated plugins would be found (Gingham delegates to none)
 */
public record CniEnvironment(String command, String containerId, String netns, String ifname, Map<String, String> args,
                             String path) {
    public static final String ADD = "ADD";
    public static final String DEL = "DEL";
    public static final String CHECK = "CHECK";
    public static final String VERSION = "VERSION";

    /** The spec: alphanumeric first, then alphanumerics, '_', '.' or '-'. */
    private static final Pattern CONTAINER_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.\\-]*");
    /** Linux's limit: IFNAMSIZ 16 with the terminating NUL. */
    private static final int MAX_IFNAME_BYTES = 15;

    public CniEnvironment {
        args = Map.copyOf(args);
    }

    /**
     * Reads and checks the variables {@code command} needs.
     *
     * @throws CniError code 4 naming the variable that is missing or invalid
     */
    public static CniEnvironment parse(Map<String, String> env) {
        String command = env.getOrDefault("CNI_COMMAND", "");
        switch (command) {
            case ADD, DEL, CHECK, VERSION -> {
            }
            case "" -> throw invalid("CNI_COMMAND", "is not set (ADD, DEL, CHECK or VERSION)");
            default -> throw invalid("CNI_COMMAND", "'" + command + "' is not a CNI command (ADD, DEL, CHECK or VERSION)");
        }
        if (command.equals(VERSION)) {
            return new CniEnvironment(command, "", "", "", Map.of(), env.getOrDefault("CNI_PATH", ""));
        }
        String containerId = env.getOrDefault("CNI_CONTAINERID", "");
        if (!CONTAINER_ID.matcher(containerId).matches()) {
            throw invalid("CNI_CONTAINERID", containerId.isEmpty() ? "is not set"
                    : "'" + containerId + "' must start with a letter or digit followed by letters, digits, '_', '.' or '-'");
        }
        String netns = env.getOrDefault("CNI_NETNS", "");
        if (netns.isEmpty() && !command.equals(DEL)) {
            throw invalid("CNI_NETNS", "is not set (" + command + " needs the network namespace path)");
        }
        if (!netns.isEmpty() && !netns.startsWith("/")) {
            throw invalid("CNI_NETNS", "'" + netns + "' is not an absolute path");
        }
        String ifname = env.getOrDefault("CNI_IFNAME", "");
        checkIfname(ifname);
        return new CniEnvironment(command, containerId, netns, ifname, args(env.getOrDefault("CNI_ARGS", "")),
                env.getOrDefault("CNI_PATH", ""));
    }

    /** The spec's interface name rules: not empty, not "." or "..", under 16 bytes, no '/', ':' or whitespace. */
    private static void checkIfname(String ifname) {
        if (ifname.isEmpty()) {
            throw invalid("CNI_IFNAME", "is not set");
        }
        if (ifname.equals(".") || ifname.equals("..") || ifname.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > MAX_IFNAME_BYTES
                || ifname.chars().anyMatch(c -> c == '/' || c == ':' || Character.isWhitespace(c))) {
            throw invalid("CNI_IFNAME", "'" + ifname + "' is not a Linux interface name (1-15 bytes, no '/', ':' or whitespace, not . or ..)");
        }
    }

    /** CNI_ARGS: "K1=V1;K2=V2" (empty pairs ignored). */
    private static Map<String, String> args(String text) {
        Map<String, String> args = new LinkedHashMap<>();
        for (String pair : text.split(";")) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            if (eq <= 0) {
                throw invalid("CNI_ARGS", "'" + pair + "' is not KEY=VALUE (pairs are separated by ';')");
            }
            args.put(pair.substring(0, eq), pair.substring(eq + 1));
        }
        return args;
    }

    private static CniError invalid(String variable, String why) {
        return new CniError(CniError.INVALID_ENVIRONMENT, "invalid environment: " + variable + " " + why, variable);
    }

    /** Returns: K8S_POD_NAMESPACE from CNI_ARGS, or "". */
    public String podNamespace() {
        return args.getOrDefault("K8S_POD_NAMESPACE", "");
    }

    /** Returns: K8S_POD_NAME from CNI_ARGS, or "". */
    public String podName() {
        return args.getOrDefault("K8S_POD_NAME", "");
    }

    /** Returns: the request the daemon gets. */
    public CniWire.Request request() {
        return new CniWire.Request(containerId, ifname, netns, podNamespace(), podName());
    }
}
