package dev.gingham.dataplane.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
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
}
