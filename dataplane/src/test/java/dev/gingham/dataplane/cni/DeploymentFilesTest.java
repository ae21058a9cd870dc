package dev.gingham.dataplane.cni;

import dev.gingham.dataplane.config.NodeConfig;
import dev.gingham.dataplane.config.YamlDocuments;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The deployment files (deploy/) parsed as what reads them: the DaemonSet's YAML documents, the
 * node configuration its ConfigMap renders (as {@link NodeConfig}), the CNI network configurations
 * (as {@link NetworkConfig}), and the systemd unit's settings; and that they agree with each other
 * (the API socket the plugin dials is the one the daemon listens on).
 */
class DeploymentFilesTest {
    private static final Path DEPLOY = Path.of("..", "deploy");
    private static final String API = "/run/gingham/api.sock";

    private static List<JsonNode> documents(String file) throws IOException {
        return YamlDocuments.read(Files.readString(DEPLOY.resolve(file)), file).stream().map(YamlDocuments.Document::root).toList();
    }

    private static JsonNode kind(List<JsonNode> docs, String kind) {
        return docs.stream().filter(d -> d.path("kind").asString("").equals(kind)).findFirst().orElseThrow(() -> new AssertionError("no " + kind));
    }

    private static Set<String> strings(JsonNode array) {
        Set<String> values = new HashSet<>();
        array.forEach(v -> values.add(v.asString()));
        return values;
    }

    @Test
    void shouldRunTheDaemonSetOnTheHostNetworkWithOnlyTheCapabilitiesItNeeds() throws IOException {
        JsonNode pod = kind(documents("daemonset.yaml"), "DaemonSet").path("spec").path("template").path("spec");

        assertTrue(pod.path("hostNetwork").asBoolean() && pod.path("hostPID").asBoolean(), pod.toString());
        assertEquals("system-node-critical", pod.path("priorityClassName").asString());
        assertEquals("Exists", pod.path("tolerations").get(0).path("operator").asString(), "runs on every node, tainted or not");
        assertEquals("gingham", pod.path("serviceAccountName").asString());
        JsonNode container = pod.path("containers").get(0);
        JsonNode security = container.path("securityContext");
        assertEquals(Set.of("NET_ADMIN", "SYS_ADMIN", "NET_RAW", "IPC_LOCK"), strings(security.path("capabilities").path("add")));
        assertEquals(Set.of("ALL"), strings(security.path("capabilities").path("drop")));
        assertTrue(container.path("command").toString().contains("run --config /rendered/node.yaml --in-cluster"),
                container.path("command").toString());
    }

    @Test
    void shouldMountTunTheNamespacesThePinsAndTheApiSocketFromTheHost() throws IOException {
        JsonNode pod = kind(documents("daemonset.yaml"), "DaemonSet").path("spec").path("template").path("spec");
        Map<String, JsonNode> volumes = new java.util.HashMap<>();
        pod.path("volumes").forEach(v -> volumes.put(v.path("name").asString(), v));
        Map<String, JsonNode> mounts = new java.util.HashMap<>();
        pod.path("containers").get(0).path("volumeMounts").forEach(m -> mounts.put(m.path("mountPath").asString(), m));

        assertEquals("CharDevice", volumes.get(mounts.get("/dev/net/tun").path("name").asString()).path("hostPath").path("type").asString());
        assertEquals("HostToContainer", mounts.get("/var/run/netns").path("mountPropagation").asString(),
                "namespaces the runtime mounts after the daemon started must show up in it");
        assertEquals("/var/lib/gingham", volumes.get(mounts.get("/var/lib/gingham").path("name").asString()).path("hostPath").path("path").asString());
        assertEquals("/run/gingham", volumes.get(mounts.get("/run/gingham").path("name").asString()).path("hostPath").path("path").asString());
        JsonNode installer = pod.path("initContainers").get(1);
        assertEquals("install-cni", installer.path("name").asString());
        Set<String> hostPaths = new HashSet<>();
        installer.path("volumeMounts").forEach(m -> hostPaths.add(volumes.get(m.path("name").asString()).path("hostPath").path("path").asString("")));
        assertTrue(hostPaths.containsAll(Set.of("/opt/cni/bin", "/etc/cni/net.d", "/opt/gingham")), hostPaths.toString());
    }

    @Test
    void shouldLetTheDaemonListAndWatchExactlyWhatItReads() throws IOException {
        JsonNode role = kind(documents("rbac.yaml"), "ClusterRole");
        Set<String> readable = new HashSet<>();
        for (JsonNode rule : role.path("rules")) {
            assertEquals(Set.of("get", "list", "watch"), strings(rule.path("verbs")), "read-only: " + rule);
            rule.path("resources").forEach(r -> readable.add(r.asString()));
        }

        assertEquals(Set.of("nodes", "pods", "namespaces", "services", "endpointslices", "networkpolicies",
                "ciliumegressgatewaypolicies"), readable);
        JsonNode binding = kind(documents("rbac.yaml"), "ClusterRoleBinding");
        assertEquals("gingham", binding.path("subjects").get(0).path("name").asString());
        assertEquals(role.path("metadata").path("name").asString(), binding.path("roleRef").path("name").asString());
        JsonNode account = kind(documents("rbac.yaml"), "ServiceAccount");
        assertEquals(kind(documents("daemonset.yaml"), "DaemonSet").path("spec").path("template").path("spec")
                .path("serviceAccountName").asString(), account.path("metadata").path("name").asString(), "the DaemonSet runs as it");
    }

    @Test
    void shouldRenderANodeConfigurationThatValidatesAndAgreesWithTheCniConfiguration() throws IOException {
        JsonNode data = kind(documents("daemonset.yaml"), "ConfigMap").path("data");
        String rendered = data.path("node.yaml.template").asString().replace("NODE_NAME", "node-a").replace("NODE_IP", "192.168.1.10")
                .replace("POD_CIDR", "10.244.3.0/24");

        NodeConfig config = NodeConfig.parse(rendered, "node.yaml");

        assertEquals(Path.of("/var/lib/gingham"), config.pinDirectory().orElseThrow(), "the CNI state lives under the pins");
        assertEquals(Path.of(API), config.api().unixSocket());
        for (String conflist : List.of(data.path("10-gingham.conflist").asString(), Files.readString(DEPLOY.resolve("10-gingham.conflist")))) {
            JsonNode list = NetworkConfig.JSON.readTree(conflist);
            assertEquals("1.0.0", list.path("cniVersion").asString());
            JsonNode plugin = list.path("plugins").get(0);
            ((tools.jackson.databind.node.ObjectNode) plugin).put("cniVersion", list.path("cniVersion").asString())
                    .put("name", list.path("name").asString());
            NetworkConfig parsed = NetworkConfig.parse(plugin.toString().getBytes(StandardCharsets.UTF_8));
            assertEquals("gingham-cni", parsed.type(), "the runtime runs the executable named by type");
            assertEquals(config.api(), parsed.api(), "the plugin dials the socket the daemon listens on");
        }
    }

    @Test
    void shouldRestartTheSystemdServiceOnFailureWithItsCapabilitiesAndState() throws IOException {
        Map<String, List<String>> settings = new java.util.HashMap<>();
        for (String line : Files.readAllLines(DEPLOY.resolve("gingham.service"))) {
            int eq = line.indexOf('=');
            if (!line.startsWith("#") && eq > 0) {
                settings.computeIfAbsent(line.substring(0, eq), k -> new ArrayList<>()).add(line.substring(eq + 1));
            }
        }

        assertEquals(List.of("on-failure"), settings.get("Restart"));
        assertTrue(settings.get("ExecStart").getFirst().contains("run --config /etc/gingham/node.yaml --manifests /etc/gingham/manifests"));
        assertTrue(settings.get("ExecStart").getFirst().contains("jvm.properties"), "the JVM flags from their one place");
        assertEquals(Set.of("CAP_NET_ADMIN", "CAP_SYS_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK"),
                Set.of(settings.get("AmbientCapabilities").getFirst().split(" ")));
        assertEquals(settings.get("AmbientCapabilities"), settings.get("CapabilityBoundingSet"));
        assertEquals(List.of("infinity"), settings.get("LimitMEMLOCK"));
        assertEquals(List.of("/dev/net/tun rw"), settings.get("DeviceAllow"));
        assertEquals(List.of("gingham"), settings.get("StateDirectory"), "/var/lib/gingham: the pinDirectory");
        assertEquals(List.of("gingham"), settings.get("RuntimeDirectory"), "/run/gingham: the API socket");
        assertTrue(settings.get("ReadWritePaths").getFirst().contains("/run/netns"));
        assertEquals(List.of("multi-user.target"), settings.get("WantedBy"));
    }
}
