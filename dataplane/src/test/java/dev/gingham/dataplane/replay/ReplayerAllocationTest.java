package dev.gingham.dataplane.replay;

import dev.gingham.dataplane.program.NodeFixture;
import dev.gingham.encap.TunnelMode;
import dev.gingham.packet.PacketBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The whole replay (pipeline with the decision trace, egress pcap, a verdicts.jsonl line per frame)
 * allocates nothing per frame: a capture twice as long allocates no more than a fixed amount more.
 * (Before the verdict writer was reworked it allocated 868 bytes per frame.)
 */
class ReplayerAllocationTest {
    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    private static final int FRAMES = 20_000;

    @TempDir
    Path dir;

    private Path capture(String name, int frames) throws IOException {
        Path file = dir.resolve(name);
        byte[] syn = PacketBuilder.tcp4(NodeFixture.A_IP, 40000, NodeFixture.B_IP, 8080).flags(PacketBuilder.SYN)
                .srcMac(NodeFixture.A_MAC).dstMac(NodeFixture.ROUTER_MAC).build();
        byte[] ack = PacketBuilder.tcp4(NodeFixture.A_IP, 40000, NodeFixture.B_IP, 8080).flags(PacketBuilder.ACK)
                .payload(64).srcMac(NodeFixture.A_MAC).dstMac(NodeFixture.ROUTER_MAC).build();
        try (PcapngWriter writer = PcapngWriter.create(file, List.of("default/a"))) {
            writer.write(0, syn, ReplayFixture.T0);
            for (int n = 1; n < frames; n++) {
                writer.write(0, ack, ReplayFixture.T0 + n * 1000L);
            }
        }
        return file;
    }

    private long allocatedWhileReplaying(NodeFixture node, Path capture) throws IOException {
        long thread = Thread.currentThread().threadId();
        long before = THREADS.getThreadAllocatedBytes(thread);
        try (CaptureFeed feed = new CaptureFeed(CaptureReader.open(capture), (index, name) -> node.configured.port(name))) {
            Replayer.Summary summary = new Replayer(node.configured, dir.resolve("out")).replay(feed, null);
            assertEquals(summary.framesIn(), summary.forwarded(), "every frame of the connection delivered");
        }
        return THREADS.getThreadAllocatedBytes(thread) - before;
    }

    @Test
    void shouldAllocateNothingPerFrameWhenReplayingWithDecisionsAndVerdictLines() throws IOException {
        Path once = capture("once.pcapng", FRAMES);
        Path twice = capture("twice.pcapng", 2 * FRAMES);
        try (NodeFixture node = new NodeFixture(TunnelMode.VXLAN)) {
            long fewer = Long.MAX_VALUE;
            long more = Long.MAX_VALUE;
            for (int round = 0; round < 4; round++) { // the first rounds warm up the JIT (its allocations)
                fewer = Math.min(fewer, allocatedWhileReplaying(node, once));
                more = Math.min(more, allocatedWhileReplaying(node, twice));
            }
            double perFrame = (double) (more - fewer) / FRAMES;
            assertTrue(perFrame < 2, "bytes per extra frame: " + perFrame + " (" + fewer + " B for " + FRAMES + " frames, "
                    + more + " B for " + 2 * FRAMES + ")");
        }
    }
}
