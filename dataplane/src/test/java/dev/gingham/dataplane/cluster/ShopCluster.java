package dev.gingham.dataplane.cluster;

import dev.gingham.dataplane.config.NodeConfig;
import dev.gingham.dataplane.config.NodeConfigTest;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/** The "shop" fixture (test resources, kubectl-style manifests) and the configuration of node-a, the node under test. */
final class ShopCluster {
    static final String NODE_YAML = NodeConfigTest.MINIMAL + "maps: {endpoints: 8}\n";

    private ShopCluster() {
    }

    static NodeConfig config() {
        return NodeConfig.parse(NODE_YAML, "node.yaml");
    }

    static Path directory() {
        try {
            return Path.of(ShopCluster.class.getResource("/dev/gingham/dataplane/cluster/shop").toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Returns: every file of the fixture directory by name (the README too: ManifestSet.of reads what it is given). */
    static Map<String, String> files() {
        Map<String, String> files = new TreeMap<>();
        try (Stream<Path> paths = Files.list(directory())) {
            for (Path path : paths.toList()) {
                String name = path.getFileName().toString();
                if (!name.endsWith(".md")) {
                    files.put(name, Files.readString(path));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return files;
    }

    /** Returns: the fixture with {@code name} replaced by {@code content} (null removes it). */
    static Map<String, String> with(String name, String content) {
        Map<String, String> files = files();
        if (content == null) {
            files.remove(name);
        } else {
            files.put(name, content);
        }
        return files;
    }

    static ManifestSet set() {
        return ManifestSet.of("shop", files());
    }
}
