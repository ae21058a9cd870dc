package dev.gingham.dataplane.cli;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code gingham run} fails fast, before any device is made, with one line naming the problem:
 * a bad configuration field, a manifest that does not parse, a missing underlay interface, a
 * kubeconfig that is missing or names an API server that does not answer; and it takes its
 * cluster state from exactly one source.
 */
class RunCommandTest {
    private static final String GOOD_NODE = """
            nodeName: n1
            nodeAddresses: [192.168.70.10]
            podCIDRs: [10.244.9.0/24]
            clusterCIDRs: [10.244.0.0/16]
            serviceCIDRs: [10.96.0.0/12]
            underlay: {interface: nosuchif0}
            """;

    @TempDir
    Path dir;

    @Test
    void shouldNameTheFieldWhenTheConfigurationIsInvalid() throws IOException {
        Path config = Files.writeString(dir.resolve("node.yaml"), GOOD_NODE.replace("10.244.9.0/24", "10.244.9.0/33"));
        Files.createDirectories(dir.resolve("manifests"));

        CliRun o = CliRun.execute("run", "--config", config.toString(), "--manifests", dir.resolve("manifests").toString());

        assertEquals(1, o.exit());
        assertTrue(o.err().contains("podCIDRs"), o.err());
        assertTrue(o.err().contains("gingham run: "), o.err());
    }

    @Test
    void shouldNameTheFileAndObjectWhenAManifestIsInvalidAndMakeNoDevice() throws IOException {
        Path config = Files.writeString(dir.resolve("node.yaml"), GOOD_NODE);
        Path manifests = Files.createDirectories(dir.resolve("manifests"));
        Files.writeString(manifests.resolve("svc.yaml"), """
                apiVersion: v1
                kind: Service
                metadata: {name: web, namespace: default}
                spec:
                  clusterIP: 10.96.0.10
                  ports: [{port: 99999}]
                """);

        CliRun o = CliRun.execute("run", "--config", config.toString(), "--manifests", manifests.toString());

        assertEquals(1, o.exit());
        assertTrue(o.err().contains("svc.yaml"), o.err());
        assertTrue(o.err().contains("web"), o.err());
        assertFalse(o.err().contains("gingham_host"), "nothing was created: " + o.err());
    }

    @Test
    void shouldSayWhatIsMissingWhenTheConfigFileDoesNotExist() {
        CliRun o = CliRun.execute("run", "--config", dir.resolve("absent.yaml").toString(), "--manifests", dir.toString());

        assertEquals(1, o.exit());
        assertTrue(o.err().contains("absent.yaml"), o.err());
    }

    @Test
    void shouldRefuseBothSourcesWithAUsageError() throws IOException {
        Path config = Files.writeString(dir.resolve("node.yaml"), GOOD_NODE);

        CliRun o = CliRun.execute("run", "--config", config.toString(), "--manifests", dir.toString(), "--kubeconfig",
                dir.resolve("kubeconfig").toString());

        assertEquals(2, o.exit(), "a usage error");
        assertTrue(o.err().contains("--manifests=DIR, --kubeconfig=FILE are mutually exclusive"), o.err());
    }

    @Test
    void shouldAskForOneSourceWhenNoneIsGiven() throws IOException {
        Path config = Files.writeString(dir.resolve("node.yaml"), GOOD_NODE);

        CliRun o = CliRun.execute("run", "--config", config.toString());

        assertEquals(2, o.exit(), "a usage error");
        assertTrue(o.err().contains("Missing required argument (specify one of these): (--manifests=DIR | --kubeconfig=FILE | --in-cluster)"), o.err());
    }

    @Test
    void shouldNameTheKubeconfigWhenItDoesNotExist() throws IOException {
        Path config = Files.writeString(dir.resolve("node.yaml"), GOOD_NODE);

        CliRun o = CliRun.execute("run", "--config", config.toString(), "--kubeconfig", dir.resolve("absent-kubeconfig").toString());

        assertEquals(1, o.exit());
        assertTrue(o.err().contains("gingham run: kubeconfig " + dir.resolve("absent-kubeconfig") + ": no such file"), o.err());
        assertFalse(o.err().contains("nosuchif0"), "stopped before any device: " + o.err());
    }

    @Test
    void shouldSayWhyInClusterCannotWorkOutsideAPod() throws IOException {
        org.junit.jupiter.api.Assumptions.assumeTrue(System.getenv("KUBERNETES_SERVICE_HOST") == null,
                "this test runs in a Kubernetes pod: --in-cluster would find the API server");
        Path config = Files.writeString(dir.resolve("node.yaml"), GOOD_NODE);

        CliRun o = CliRun.execute("run", "--config", config.toString(), "--in-cluster");

        assertEquals(1, o.exit());
        assertTrue(o.err().contains("gingham run: --in-cluster: KUBERNETES_SERVICE_HOST is not set (not running in a pod?); "
                + "use --kubeconfig FILE"), o.err());
        assertFalse(o.err().contains("nosuchif0"), "stopped before any device: " + o.err());
    }

    @Test
    @Timeout(120)
    void shouldNameTheApiServerAndMakeNoDeviceWhenItDoesNotAnswer() throws IOException {
        Path config = Files.writeString(dir.resolve("node.yaml"), GOOD_NODE);
        int port;
        try (ServerSocket free = new ServerSocket(0)) {
            port = free.getLocalPort(); // closed again: nothing answers there
        }
        Path kubeconfig = Files.writeString(dir.resolve("kubeconfig"), kubeconfig("http://127.0.0.1:" + port));

        CliRun o = CliRun.execute("run", "--config", config.toString(), "--kubeconfig", kubeconfig.toString(),
                "--api-sync-timeout-seconds", "2");

        assertEquals(1, o.exit());
        assertTrue(o.err().contains("gingham run: Kubernetes API http://127.0.0.1:" + port + "/: not every kind listed within 2 s"), o.err());
        assertFalse(o.err().contains("nosuchif0"), "stopped before any device: " + o.err());
    }

    @Test
    @Timeout(180)
    void shouldReadTheApiServerBeforeTheDevicesWhenTheKubeconfigIsGood() throws IOException {
        Path config = Files.writeString(dir.resolve("node.yaml"), GOOD_NODE);
        KubernetesMockServer server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(),
                new KubernetesCrudDispatcher(), false);
        server.init(InetAddress.getLoopbackAddress(), 0);
        try (KubernetesClient client = server.createClient()) {
            client.resource("""
                    apiVersion: v1
                    kind: Service
                    metadata: {name: web, namespace: default}
                    spec: {clusterIP: 10.96.0.10, ports: [{port: 80}]}
                    """).create();
            Path kubeconfig = Files.writeString(dir.resolve("kubeconfig"), kubeconfig(client.getConfiguration().getMasterUrl()));

            CliRun o = CliRun.execute("run", "--config", config.toString(), "--kubeconfig", kubeconfig.toString(),
                    "--api-sync-timeout-seconds", "90");

            assertEquals(1, o.exit(), "the underlay interface does not exist");
            assertTrue(o.err().contains("Kubernetes API " + client.getConfiguration().getMasterUrl() + ": 1 objects"), o.err());
            assertTrue(o.err().contains("nosuchif0"), "the device step came after the API: " + o.err());
        } finally {
            server.destroy();
        }
    }

    /** Returns: a kubeconfig whose current context is {@code server} with a bearer token. */
    private static String kubeconfig(String server) {
        return """
                apiVersion: v1
                kind: Config
                clusters: [{name: test, cluster: {server: "%s"}}]
                users: [{name: gingham, user: {token: not-checked}}]
                contexts: [{name: test, context: {cluster: test, user: gingham}}]
                current-context: test
                """.formatted(server);
    }
}
