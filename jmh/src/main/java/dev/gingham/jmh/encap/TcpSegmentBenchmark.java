package dev.gingham.jmh.encap;

import dev.gingham.encap.TcpSegmenter;
import dev.gingham.packet.BufferPool;
import dev.gingham.packet.FrameVector;
import dev.gingham.packet.PacketBuilder;
import dev.gingham.packet.Parser;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.lang.foreign.MemorySegment;
import java.util.concurrent.TimeUnit;

/**
 * Software segmentation of one 64 KB TSO frame (what a pod's kernel hands a vnet-header TAP for a
 * bulk TCP send: MSS 1448, timestamps, checksum partial) into 45 segments for the tunnel: ns per
 * frame. Each invocation first puts the frame back as received (its header bytes restored,
 * parsed, the GSO request marked) and returns the 44 appended buffers afterwards; {@link #baseline}
 * does exactly that without segmenting, so segmentation = segment - baseline.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class TcpSegmentBenchmark {
    /** Segment payload: a 1500-byte MTU less IPv4 (20) and TCP with timestamps (32). */
    static final int MSS_BYTES = 1448;
    static final int SEGMENTS = 45;

    /** 4: TCPv4 (GSO_TCPV4); 6: TCPv6 (GSO_TCPV6). */
    @Param({"4", "6"})
    public int ipVersion;

    private final BufferPool pool = BufferPool.allocate(SEGMENTS + 2, BufferPool.TSO_BUFFER_SIZE);
    private final FrameVector vector = new FrameVector(pool);
    private final Parser parser = new Parser();
    private final TcpSegmenter segmenter = new TcpSegmenter();
    private MemorySegment template;
    private int frameBytes;
    private int headerBytes;
    private int buffer;

    @Setup(Level.Trial)
    public void setUp() {
        PacketBuilder tcp = ipVersion == 4
                ? PacketBuilder.tcp4(BenchOverlay.LOCAL_POD, 41000, BenchOverlay.REMOTE_POD, 5201).dontFragment()
                : PacketBuilder.tcp6("fd00:10:244:1::5", 41000, "fd00:10:244:2::7", 5201);
        byte[] frame = tcp.flags(PacketBuilder.ACK | PacketBuilder.PSH).timestamps(1, 2).seq(1).ack(1)
                .payload(SEGMENTS * MSS_BYTES).checksumPartial().build();
        template = MemorySegment.ofArray(frame);
        frameBytes = frame.length;
        headerBytes = frameBytes - SEGMENTS * MSS_BYTES;
        buffer = vector.buffer(PacketBuilder.load(vector, BenchOverlay.POD_PORT, frame));
        receive();
        if (segmenter.segment(vector, 0) != SEGMENTS - 1) {
            throw new IllegalStateException("the frame was not cut into " + SEGMENTS + " segments");
        }
        releaseSegments();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        pool.release(buffer);
        pool.close();
    }

    /** The frame as the TAP driver leaves it: whole again (segmenting rewrote only its headers), parsed, GSO marked. */
    private void receive() {
        vector.clear();
        int i = vector.add(buffer, BenchOverlay.POD_PORT, frameBytes);
        MemorySegment.copy(template, 0, vector.segment(), vector.start(i), headerBytes);
        parser.parse(vector, i);
        PacketBuilder.markOffload(vector, i, ipVersion == 4 ? FrameVector.GSO_TCPV4 : FrameVector.GSO_TCPV6, MSS_BYTES);
    }

    /** Returns the buffers of the appended segments (the worker does this after TX); the frame's own stays. */
    private void releaseSegments() {
        for (int i = 1, n = vector.count(); i < n; i++) {
            pool.release(vector.buffer(i));
        }
        vector.clear();
    }

    /** The frame put back as received, nothing else. */
    @Benchmark
    public int baseline() {
        receive();
        int frames = vector.count();
        releaseSegments();
        return frames;
    }

    @Benchmark
    public int segment() {
        receive();
        int appended = segmenter.segment(vector, 0);
        releaseSegments();
        return appended;
    }
}
