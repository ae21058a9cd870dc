package dev.gingham.jmh.fuzz;

import dev.gingham.dataplane.fuzz.FlowFlood;
import dev.gingham.dataplane.fuzz.FrameFuzzer;
import dev.gingham.dataplane.fuzz.FuzzAddresses;
import dev.gingham.dataplane.fuzz.FuzzHarness;
import dev.gingham.packet.BufferPool;
import dev.gingham.packet.Cidr;
import dev.gingham.packet.FrameVector;
import dev.gingham.packet.Parser;
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

import java.util.concurrent.TimeUnit;

/**
 * Fuzz throughput, ns per frame (frames/s = 10^9 / score), one thread:
 * <ul>
 *   <li>{@code mutate}: the structure-aware fuzzer writing a vector of generated and mutated
 *       frames into pool buffers (generation, mutation, checksums);</li>
 *   <li>{@code flood}: the flow flood writing a vector of new-flow SYNs;</li>
 *   <li>{@code harnessWithParser}: the whole fuzz loop minus the pipeline: frames written, input
 *       checksums recorded, the parser as the target, every invariant checked (re-parse on a copy,
 *       full checksum recompute, tunnels entered), buffers released and the pool balance checked.
 *       The pipeline's own cost comes on top once it is wired in.</li>
 * </ul>
 * The target is 500k frames/s for the fuzz command, i.e. at most 2,000 ns per frame for
 * everything, the pipeline included.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class FrameFuzzerBenchmark {
    private BufferPool pool;
    private FrameVector vector;
    private FrameFuzzer fuzzer;
    private FlowFlood flood;
    private FuzzHarness harness;
    private long index;

    @Setup(Level.Trial)
    public void setUp() {
        pool = BufferPool.allocate(FrameVector.MAX_FRAMES, BufferPool.DEFAULT_BUFFER_SIZE);
        vector = new FrameVector(pool);
        fuzzer = new FrameFuzzer(42, FuzzAddresses.defaults());
        flood = new FlowFlood(new FlowFlood.Spec(Cidr.parse("10.244.0.0/16"), Cidr.parse("203.0.113.0/24"), 443, 443,
                FlowFlood.TCP, 0x02_00_00_00_00_01L, 0x02_00_00_00_00_02L));
        Parser parser = new Parser();
        harness = new FuzzHarness((frames, nowNs) -> parser.parseAll(frames));
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        harness.close();
        pool.close();
    }

    @Benchmark
    @OperationsPerInvocation(FrameVector.MAX_FRAMES)
    public int mutate() {
        int added = fuzzer.fill(vector, index, FrameVector.MAX_FRAMES, 1);
        index += added;
        vector.releaseAll();
        return added;
    }

    @Benchmark
    @OperationsPerInvocation(FrameVector.MAX_FRAMES)
    public int flood() {
        int added = flood.fill(vector, index, FrameVector.MAX_FRAMES, 1);
        index += added;
        vector.releaseAll();
        return added;
    }

    @Benchmark
    @OperationsPerInvocation(FrameVector.MAX_FRAMES)
    public String harnessWithParser() {
        String failure = harness.run(fuzzer, index, FrameVector.MAX_FRAMES, 1, index * 1000);
        index += FrameVector.MAX_FRAMES;
        if (failure != null) {
            throw new IllegalStateException(failure);
        }
        return failure;
    }
}
