package dev.gingham.jmh.replay;

import dev.gingham.dataplane.program.NodeFixture;
import dev.gingham.dataplane.replay.CaptureFeed;
import dev.gingham.dataplane.replay.CaptureReader;
import dev.gingham.dataplane.replay.PcapngWriter;
import dev.gingham.dataplane.replay.Replayer;
import dev.gingham.encap.TunnelMode;
import dev.gingham.packet.PacketBuilder;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The whole replay, ns per frame (frames/s = 10^9 / score), one thread: a capture of
 * {@link #FRAMES} frames of one established TCP connection between two pods of
 * {@link NodeFixture}'s node (a SYN, then ACKs with 64 bytes of data, 1 µs apart), in the page cache,
 * through {@link Replayer}: read, the node pipeline with the decision trace, the egress pcap and
 * a {@code verdicts.jsonl} line per frame, into a directory on tmpfs ({@code /dev/shm} when there
 * is one), so the disk is not what is measured. The target: at least 1M frames/s.
 *
 * <p>One invocation replays the whole capture on the same node (the connection stays established
 * across invocations, as in a long capture). Single-shot: an iteration is one replay. Five warm-up
 * replays, because the JIT is still compiling the path in the first three (measured here: 1,935,
 * 1,386, 1,241, then about 720 ns per frame).
 *
 * <p>Allocation: about 1.5 MB per replay (the line buffer, the line memo, the writers), which JMH's
 * GC profiler divides by the frames (about 1.5 B per frame); the per-frame part is
 * {@code ReplayerAllocationTest}'s to hold.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 5)
@Measurement(iterations = 5)
@Fork(1)
public class ReplayBenchmark {
    /** One million frames: the "1M-frame established-TCP capture". */
    public static final int FRAMES = 1_000_000;

    private NodeFixture node;
    private Path capture;
    private Path work;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        node = new NodeFixture(TunnelMode.VXLAN);
        Path shm = Path.of("/dev/shm");
        work = Files.isDirectory(shm) && Files.isWritable(shm)
                ? Files.createTempDirectory(shm, "gingham-replay-bench") : Files.createTempDirectory("gingham-replay-bench");
        capture = work.resolve("established.pcapng");
        byte[] syn = PacketBuilder.tcp4(NodeFixture.A_IP, 40000, NodeFixture.B_IP, 8080).flags(PacketBuilder.SYN)
                .srcMac(NodeFixture.A_MAC).dstMac(NodeFixture.ROUTER_MAC).build();
        byte[] ack = PacketBuilder.tcp4(NodeFixture.A_IP, 40000, NodeFixture.B_IP, 8080).flags(PacketBuilder.ACK)
                .payload(64).srcMac(NodeFixture.A_MAC).dstMac(NodeFixture.ROUTER_MAC).build();
        try (PcapngWriter writer = PcapngWriter.create(capture, List.of("default/a"))) {
            writer.write(0, syn, 1_700_000_000_000_000_000L);
            for (int n = 1; n < FRAMES; n++) {
                writer.write(0, ack, 1_700_000_000_000_000_000L + n * 1000L);
            }
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        node.close();
        try (Stream<Path> files = Files.walk(work)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    @Benchmark
    @OperationsPerInvocation(FRAMES)
    public long replay() throws IOException {
        try (CaptureFeed feed = new CaptureFeed(CaptureReader.open(capture), (index, name) -> node.configured.port(name))) {
            return new Replayer(node.configured, work.resolve("out")).replay(feed, null).forwarded();
        }
    }
}
