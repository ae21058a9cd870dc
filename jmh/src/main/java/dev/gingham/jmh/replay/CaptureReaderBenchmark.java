package dev.gingham.jmh.replay;

import dev.gingham.dataplane.replay.CaptureFeed;
import dev.gingham.dataplane.replay.CaptureReader;
import dev.gingham.dataplane.replay.PcapWriter;
import dev.gingham.dataplane.replay.PcapngWriter;
import dev.gingham.packet.BufferPool;
import dev.gingham.packet.FrameVector;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Replay input throughput, ns per frame (frames/s = 10^9 / score), one thread: a capture of
 * 200,000 frames in the page cache (written in setup, so read back from memory), read by
 * {@link CaptureFeed} into vectors of 256 pool buffers (header decode, port mapping, one copy per
 * frame), buffers released. Sizes: 64-byte frames (the per-frame cost) and IMIX (7:4:1 of 64,
 * 594 and 1518 bytes, average 353: the copy cost). The target is 1M frames/s for the whole
 * replay, i.e. at most 1,000 ns per frame with the pipeline.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class CaptureReaderBenchmark {
    private static final int FRAMES = 200_000;

    @Param({"pcap", "pcapng"})
    public String format;

    @Param({"64", "imix"})
    public String size;

    private Path file;
    private BufferPool pool;
    private FrameVector vector;
    private CaptureFeed feed;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        byte[][] frames = BenchFrames.of(size);
        file = Files.createTempFile("gingham-bench", "." + format);
        if (format.equals("pcap")) {
            try (PcapWriter writer = PcapWriter.create(file)) {
                for (int n = 0; n < FRAMES; n++) {
                    writer.write(frames[n % frames.length], 1_700_000_000_000_000_000L + n * 1000L);
                }
            }
        } else {
            try (PcapngWriter writer = PcapngWriter.create(file, List.of("pod-a", "underlay"))) {
                for (int n = 0; n < FRAMES; n++) {
                    writer.write(n & 1, frames[n % frames.length], 1_700_000_000_000_000_000L + n * 1000L);
                }
            }
        }
        pool = BufferPool.allocate(FrameVector.MAX_FRAMES, BufferPool.DEFAULT_BUFFER_SIZE);
        vector = new FrameVector(pool);
        feed = open();
    }

    private CaptureFeed open() throws IOException {
        return new CaptureFeed(CaptureReader.open(file), (index, name) -> index + 1);
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        feed.close();
        pool.close();
        Files.deleteIfExists(file);
    }

    @Benchmark
    @OperationsPerInvocation(FrameVector.MAX_FRAMES)
    public int read() throws IOException {
        int added = feed.fill(vector);
        if (added < FrameVector.MAX_FRAMES) {
            feed.close();
            feed = open();
            added += feed.fill(vector);
        }
        vector.releaseAll();
        return added;
    }
}
