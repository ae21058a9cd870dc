package dev.gingham.jmh.replay;

import dev.gingham.dataplane.replay.CaptureWriter;
import dev.gingham.dataplane.replay.PcapWriter;
import dev.gingham.dataplane.replay.PcapngWriter;
import dev.gingham.packet.BufferPool;
import dev.gingham.packet.FrameVector;
import dev.gingham.packet.PacketBuilder;
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
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Replay output cost, ns per frame: a vector of 256 frames written from pool memory by the pcap
 * or pcapng writer (record header, copy into the 1 MiB buffer, a write(2) per MiB). The file is
 * /dev/null, so the figure is the writer's CPU cost without the disk (the page cache would add a
 * memcpy per byte, as for any writer). Same sizes as {@link CaptureReaderBenchmark}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class CaptureWriterBenchmark {
    @Param({"pcap", "pcapng"})
    public String format;

    @Param({"64", "imix"})
    public String size;

    private BufferPool pool;
    private FrameVector vector;
    private CaptureWriter writer;
    private PcapWriter pcap;
    private PcapngWriter pcapng;
    private long timeNs = 1_700_000_000_000_000_000L;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        byte[][] frames = BenchFrames.of(size);
        pool = BufferPool.allocate(FrameVector.MAX_FRAMES, BufferPool.DEFAULT_BUFFER_SIZE);
        vector = new FrameVector(pool);
        for (int n = 0; n < FrameVector.MAX_FRAMES; n++) {
            PacketBuilder.load(vector, 1, frames[n % frames.length]);
        }
        Path devNull = Path.of("/dev/null");
        if (format.equals("pcap")) {
            pcap = PcapWriter.create(devNull);
            writer = pcap;
        } else {
            pcapng = PcapngWriter.create(devNull, List.of("pod-a", "underlay"));
            writer = pcapng;
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        writer.close();
        vector.releaseAll();
        pool.close();
    }

    @Benchmark
    @OperationsPerInvocation(FrameVector.MAX_FRAMES)
    public long write() throws IOException {
        for (int i = 0; i < FrameVector.MAX_FRAMES; i++) {
            timeNs += 1000;
            if (pcap != null) {
                pcap.write(vector, i, timeNs);
            } else {
                pcapng.write(i & 1, vector, i, timeNs);
            }
        }
        return writer.frames();
    }
}
