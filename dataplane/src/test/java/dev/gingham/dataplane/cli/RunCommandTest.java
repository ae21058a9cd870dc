package dev.gingham.dataplane.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code gingham run} fails fast, before any device is made, with one line naming the problem:
 * a bad configuration field, a manifest that does not parse, a missing underlay interface.
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

    private record Outcome(int exit, String stderr) {
    }

    private Outcome run(String... args) {
        PrintStream saved = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit;
        try {
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            exit = GinghamCli.commandLine().execute(args);
        } finally {
            System.setErr(saved);
        }
        return new Outcome(exit, err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void shouldNameTheFieldWhenTheConfigurationIsInvalid() throws IOException {
        Path config = Files.writeString(dir.resolve("node.yaml"), GOOD_NODE.replace("10.244.9.0/24", "10.244.9.0/33"));
        Files.createDirectories(dir.resolve("manifests"));

        Outcome o = run("run", "--config", config.toString(), "--manifests", dir.resolve("manifests").toString());

        assertEquals(1, o.exit());
        assertTrue(o.stderr().contains("podCIDRs"), o.stderr());
        assertTrue(o.stderr().contains("gingham run: "), o.stderr());
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

        Outcome o = run("run", "--config", config.toString(), "--manifests", manifests.toString());

        assertEquals(1, o.exit());
        assertTrue(o.stderr().contains("svc.yaml"), o.stderr());
        assertTrue(o.stderr().contains("web"), o.stderr());
        assertFalse(o.stderr().contains("gingham_host"), "nothing was created: " + o.stderr());
    }

    @Test
    void shouldSayWhatIsMissingWhenTheConfigFileDoesNotExist() {
        Outcome o = run("run", "--config", dir.resolve("absent.yaml").toString(), "--manifests", dir.toString());

        assertEquals(1, o.exit());
        assertTrue(o.stderr().contains("absent.yaml"), o.stderr());
    }
}
