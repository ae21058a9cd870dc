package dev.gingham.jmh.packet;

import dev.gingham.packet.BufferPool;
import dev.gingham.packet.FrameVector;
import dev.gingham.packet.PacketBuilder;
import dev.gingham.packet.Parser;
import dev.gingham.packet.Verdict;
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

import java.util.concurrent.TimeUnit;

/**
 * Parser throughput on a full vector of 256 frames: ns per frame. VXLAN parses the outer
 * frame, strips the 50 outer bytes and parses the inner frame, as decapsulation will.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class ParserBenchmark {
    @Param({"tcp4", "udp4", "tcp6", "vxlan"})
    public String frame;

    private BufferPool pool;
    private FrameVector vector;
    private final Parser parser = new Parser();

    @Setup(Level.Trial)
    public void setUp() {
        byte[] bytes = switch (frame) {
            case "tcp4" -> PacketBuilder.tcp4("10.0.0.1", 40000, "10.0.0.2", 80).flags(PacketBuilder.ACK).payload(64).build();
            case "udp4" -> PacketBuilder.udp4("10.0.0.1", 40000, "10.0.0.2", 53).payload(64).build();
            case "tcp6" -> PacketBuilder.tcp6("fd00::1", 40000, "fd00::2", 443).flags(PacketBuilder.ACK).payload(64).build();
            case "vxlan" -> PacketBuilder.vxlan("192.168.1.1", "192.168.1.2", 42,
                    PacketBuilder.tcp4("10.1.0.1", 40000, "10.2.0.2", 80).flags(PacketBuilder.ACK).payload(64).build()).build();
            default -> throw new IllegalArgumentException(frame);
        };
        pool = BufferPool.allocate(FrameVector.MAX_FRAMES, BufferPool.DEFAULT_BUFFER_SIZE);
        vector = new FrameVector(pool);
        for (int i = 0; i < FrameVector.MAX_FRAMES; i++) {
            PacketBuilder.load(vector, 1, bytes);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        vector.releaseAll();
        pool.close();
    }

    @Benchmark
    @OperationsPerInvocation(FrameVector.MAX_FRAMES)
    public int parse() {
        int parsed = 0;
        if (frame.equals("vxlan")) {
            for (int i = 0; i < FrameVector.MAX_FRAMES; i++) {
                if (parser.parse(vector, i) == Verdict.CONTINUE && vector.trimFront(i, 50)) {
                    parsed += parser.parse(vector, i) == Verdict.CONTINUE ? 1 : 0;
                    vector.prepend(i, 50);
                }
            }
            return parsed;
        }
        for (int i = 0; i < FrameVector.MAX_FRAMES; i++) {
            parsed += parser.parse(vector, i) == Verdict.CONTINUE ? 1 : 0;
        }
        return parsed;
    }
}
