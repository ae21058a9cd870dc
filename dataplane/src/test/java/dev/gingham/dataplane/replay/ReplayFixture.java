package dev.gingham.dataplane.replay;

import dev.gingham.dataplane.cli.GinghamCli;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * What the replay tests share: node-a's configuration (node address 192.168.50.10, pods
 * 10.244.1.0/24, next hop 02:00:00:00:00:fe), the "shop" manifests, running {@code gingham replay}
 * on a directory laid out as {@code node.yaml} + {@code manifests/}, and reading a pcap back.
 */
final class ReplayFixture {
    static final String NODE_YAML = """
            nodeName: node-a
            nodeAddresses: [192.168.50.10]
            podCIDRs: [10.244.1.0/24]
            clusterCIDRs: [10.244.0.0/16]
            serviceCIDRs: [10.96.0.0/12]
            underlay:
              interface: eth0
              nextHopMac: "02:00:00:00:00:fe"
            maps: {endpoints: 8}
            """;
    /** The gateway MAC pods send to (the configuration's default). */
    static final String GATEWAY_MAC = "02:67:68:00:00:01";
    /** The underlay MAC replay gives the node (ConfiguredNode.DEFAULT_UNDERLAY_MAC). */
    static final String UNDERLAY_MAC = "02:67:68:00:00:10";
    static final long SECOND = 1_000_000_000L;
    static final long T0 = 1_700_000_000L * SECOND;

    private ReplayFixture() {
    }

    /** Writes {@code node.yaml} and an empty {@code manifests/} under {@code dir}; returns the manifests directory. */
    static Path node(Path dir) throws IOException {
        Files.writeString(dir.resolve("node.yaml"), NODE_YAML);
        return Files.createDirectories(dir.resolve("manifests"));
    }

    /** {@link #node} plus the shop cluster's manifests (test resources cluster/shop). */
    static void shop(Path dir) throws IOException, URISyntaxException {
        Path manifests = node(dir);
        Path shop = Path.of(ReplayFixture.class.getResource("/dev/gingham/dataplane/cluster/shop").toURI());
        try (Stream<Path> files = Files.list(shop)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".yaml")).toList()) {
                Files.copy(f, manifests.resolve(f.getFileName()));
            }
        }
    }

    /** Runs {@code gingham replay} on {@code dir}'s node and manifests; returns its exit code. */
    static int replay(Path dir, Path capture, Path out, String... extra) {
        List<String> args = new ArrayList<>(List.of("replay", "--config", dir.resolve("node.yaml").toString(),
                "--manifests", dir.resolve("manifests").toString(), "--in", capture.toString(), "--out", out.toString()));
        args.addAll(List.of(extra));
        return GinghamCli.commandLine().execute(args.toArray(String[]::new));
    }

    /** Returns: every frame of a capture, in order. */
    static List<byte[]> frames(Path capture) throws IOException {
        List<byte[]> frames = new ArrayList<>();
        try (CaptureReader reader = CaptureReader.open(capture)) {
            while (reader.next()) {
                byte[] frame = new byte[reader.capturedLength()];
                MemorySegment.copy(reader.fileData(), ValueLayout.JAVA_BYTE, reader.frameOffset(), frame, 0, frame.length);
                frames.add(frame);
            }
        }
        return frames;
    }
}
