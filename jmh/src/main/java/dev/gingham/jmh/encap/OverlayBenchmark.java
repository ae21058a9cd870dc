package dev.gingham.jmh.encap;

import dev.gingham.packet.FrameVector;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/**
 * What the encap and decap benchmarks share: a vector of 256 received frames (set by the
 * subclass's setup), ns per frame, and the in-run {@link #baseline} (receive and parse only)
 * that a program's cost is measured against.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public abstract class OverlayBenchmark {
    protected BenchOverlay overlay;
    protected ReceivedFrames frames;

    @TearDown(Level.Trial)
    public void tearDown() {
        frames.close();
        overlay.close();
    }

    /** The frames put back as received and parsed, nothing else. */
    @Benchmark
    @OperationsPerInvocation(FrameVector.MAX_FRAMES)
    public int baseline() {
        frames.receive();
        return frames.vector.count();
    }
}
