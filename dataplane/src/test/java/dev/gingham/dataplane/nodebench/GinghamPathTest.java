package dev.gingham.dataplane.nodebench;

import dev.gingham.dataplane.config.ApiEndpoint;
import dev.gingham.dataplane.config.IdleStrategyConfig;
import dev.gingham.dataplane.demo.Namespaces;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The single-node benchmark's files: what the daemon of {@code gingham bench-node} is started on.
 * Needs nothing (no namespace is made).
 */
class GinghamPathTest {
    @TempDir
    Path dir;

    /**
     * bench-node failed at once ("cannot listen on 127.0.0.1:9890") whenever something else on the
     * machine held the daemon's default API port: a running node, another bench-node, a concurrent
     * test run. Its daemon's API is a unix socket of the run's own instead.
     */
    @Test
    void shouldPutTheAdminApiOnASocketInTheWorkDirectoryNotTheDefaultPortWhenWritingTheNodeFiles() {
        GinghamPath.NodeFiles files = GinghamPath.writeFiles(new Namespaces("ghtestgp"), dir, IdleStrategyConfig.Kind.BACKOFF);

        ApiEndpoint api = files.config().api();
        assertTrue(api.isUnix(), "API on " + api);
        assertEquals(dir.resolve(GinghamPath.API_SOCKET), api.unixSocket());
        assertTrue(Files.isRegularFile(dir.resolve("node.yaml")) && Files.isDirectory(files.manifests()));
    }
}
