package dev.gingham.dataplane.daemon;

import dev.gingham.dataplane.demo.DemoCluster;
import dev.gingham.dataplane.demo.DropTally;
import dev.gingham.dataplane.demo.Shell;
import dev.gingham.dataplane.policy.Direction;
import dev.gingham.nat.lb.ServiceSpec;
import dev.gingham.packet.DropReason;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

import static dev.gingham.dataplane.demo.DemoCluster.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Hot reload of the manifests directory on a running node, seen from the pods: a new Service
 * file serves within seconds, a Service without endpoints refuses connections at once (ICMP port
 * unreachable: {@code services.noBackendAction: reject}, the default), a broken file is rejected
 * as a whole while the previous state keeps serving, and a deleted Pod's interface disappears
 * from its namespace. Every test removes the files it wrote. Needs root; skips otherwise.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class NodeDaemonReloadTest {
    /** How long a reload may take to show: the watcher's 200 ms debounce plus the apply, with room for a loaded machine. */
    private static final Duration RELOAD_LIMIT = Duration.ofSeconds(5);
    @RegisterExtension
    static final EndToEndCluster E2E = new EndToEndCluster("rld");

    @Test
    void shouldServeANewServiceWithinSecondsOfItsFileAppearing() throws Exception {
        long writtenNs = System.nanoTime();
        write("api.yaml", """
                apiVersion: v1
                kind: Service
                metadata: {name: api, namespace: demo}
                spec:
                  clusterIP: 10.96.0.50
                  selector: {app: web}
                  ports: [{name: http, port: 8000, targetPort: 8080}]
                ---
                apiVersion: discovery.k8s.io/v1
                kind: EndpointSlice
                metadata:
                  name: api-x1
                  namespace: demo
                  labels: {kubernetes.io/service-name: api}
                addressType: IPv4
                ports: [{name: http, protocol: TCP, port: 8080}]
                endpoints:
                  - addresses: [%s]
                    conditions: {ready: true}
                    nodeName: demo-node
                """.formatted(PODS.get("web-2")));
        try {
            Shell.Result get = EndToEnd.await(RELOAD_LIMIT, () -> client("curl", "-sS", "--max-time", "1", "http://10.96.0.50:8000/"),
                    Shell.Result::ok);
            long tookMs = (System.nanoTime() - writtenNs) / 1_000_000;

            assertEquals("web-2 saw " + PODS.get("client"), get.output(), "served " + tookMs + " ms after the file was written");
        } finally {
            delete("api.yaml");
        }
        Shell.Result gone = EndToEnd.await(RELOAD_LIMIT, () -> client("curl", "-sS", "--max-time", "1", "http://10.96.0.50:8000/"),
                r -> !r.ok());
        assertFalse(gone.ok(), "the deleted service no longer answers: " + gone.output());
    }

    @Test
    void shouldRefuseConnectionsToAServiceWithoutEndpoints() throws Exception {
        assertEquals(ServiceSpec.NoBackendAction.REJECT, E2E.daemon().config().services().noBackendAction(),
                "the demo node keeps kube-proxy's default");
        write("nobody.yaml", """
                apiVersion: v1
                kind: Service
                metadata: {name: nobody, namespace: demo}
                spec:
                  clusterIP: 10.96.0.40
                  selector: {app: nobody}
                  ports: [{name: http, port: 80, targetPort: 8080}]
                """);
        try {
            DropTally before = E2E.drops();

            Shell.Result connect = EndToEnd.await(RELOAD_LIMIT, () -> client("python3", E2E.cluster().serversScript().toString(), "tcp-ask",
                    "10.96.0.40", "80"), r -> r.output().startsWith("refused"));
            Shell.Result curl = client("curl", "-sS", "--max-time", "1", "http://10.96.0.40/");

            assertEquals("refused: [Errno 111] Connection refused", connect.output(),
                    "the client's kernel got an ICMP port unreachable (kube-proxy's REJECT), not silence");
            // curl 7.88 words ECONNREFUSED as "Couldn't connect to server", other versions as "Connection refused"; both exit 7.
            assertEquals(7, curl.exitCode(), "curl could not connect, at once: " + curl.output());
            assertEquals(0, E2E.drops().added(before, DropReason.NO_SERVICE, Direction.EGRESS),
                    "answered, so not a drop (the service program counts it as NO_SERVICE itself)");
        } finally {
            delete("nobody.yaml");
        }
    }

    @Test
    void shouldRejectABrokenFileAsAWholeAndKeepServing() throws Exception {
        write("broken.yaml", """
                apiVersion: v1
                kind: Service
                metadata: {name: fine, namespace: demo}
                spec:
                  clusterIP: 10.96.0.60
                  ports: [{name: http, port: 80, targetPort: 8080}]
                ---
                apiVersion: v1
                kind: Service
                metadata: {name: typo, namespace: demo}
                spec:
                  clusterIP: 10.96.0.61
                  ports: [{name: http, port: 80, targetport: 8080}]
                """);
        try {
            String rejection = EndToEnd.await(RELOAD_LIMIT, () -> E2E.daemon().lastRejection(), Objects::nonNull);

            assertNotNull(rejection, "the reload was rejected");
            assertTrue(rejection.contains("broken.yaml") && rejection.contains("Service demo/typo")
                    && rejection.contains("spec.ports[0].targetport"), "names the file, the object and the field: " + rejection);
            assertTrue(E2E.logText().contains("manifests rejected, the previous state stays"), E2E.logText());
            Shell.Result fine = client("curl", "-sS", "--max-time", "2", "http://10.96.0.60/");
            assertEquals(28, fine.exitCode(), "the valid Service beside the broken one was not applied either (no port "
                    + "unreachable from a service without endpoints, just silence): " + fine.output());
            Shell.Result web = client("curl", "-sS", "--max-time", "2", "http://" + WEB_VIP + "/");
            assertTrue(web.output().matches("web-[123] saw " + PODS.get("client")), "the previous state serves: " + web.output());
        } finally {
            delete("broken.yaml");
        }
        assertNull(EndToEnd.await(RELOAD_LIMIT, () -> E2E.daemon().lastRejection(), Objects::isNull),
                "the directory without the broken file is applied again");
    }

    @Test
    void shouldRemoveAPodsInterfaceWhenThePodIsDeleted() throws Exception {
        String netns = E2E.cluster().namespace("spare");
        String ip = "10.244.1.30";
        write("spare.yaml", DemoCluster.podYaml("spare", "spare", netns, ip));
        try {
            Shell.Result link = EndToEnd.await(RELOAD_LIMIT, () -> Shell.run(EndToEnd.COMMAND_TIMEOUT, "ip", "-n", netns, "link", "show", "eth0"),
                    Shell.Result::ok);
            assertTrue(link.ok(), "the new pod got its interface: " + link.output());
            Shell.Result ping = client("ping", "-c", "1", "-W", "2", ip);
            assertTrue(ping.output().contains(" 1 received"), ping.output());
        } finally {
            delete("spare.yaml");
        }
        Shell.Result link = EndToEnd.await(RELOAD_LIMIT, () -> Shell.run(EndToEnd.COMMAND_TIMEOUT, "ip", "-n", netns, "link", "show", "eth0"),
                r -> !r.ok());
        assertTrue(link.output().contains("does not exist"), "the deleted pod's interface is gone: " + link.output());
        assertFalse(Pattern.compile("(?m)^\\d+: gh\\d+x").matcher(Shell.must("ip", "-n", E2E.cluster().nodeNamespace(), "-o", "link")).find(),
                "no pod TAP left behind in the node's namespace");
    }

    /** Writes a manifest the way an editor or kubectl would not half-do it: a hidden file renamed into place. */
    private static void write(String name, String yaml) throws IOException {
        Path dir = E2E.cluster().manifestsDirectory();
        Path hidden = dir.resolve("." + name + ".tmp");
        Files.writeString(hidden, yaml);
        Files.move(hidden, dir.resolve(name), StandardCopyOption.ATOMIC_MOVE);
    }

    private static void delete(String name) throws IOException {
        Files.deleteIfExists(E2E.cluster().manifestsDirectory().resolve(name));
    }

    private static Shell.Result client(String... command) {
        return E2E.inPod("client", command);
    }
}
