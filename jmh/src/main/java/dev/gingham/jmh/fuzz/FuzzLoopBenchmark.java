package dev.gingham.jmh.fuzz;

import dev.gingham.dataplane.fuzz.FuzzHarness;
import dev.gingham.dataplane.fuzz.FuzzNode;
import dev.gingham.dataplane.fuzz.FuzzRun;
import dev.gingham.dataplane.node.ConfiguredNode;
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

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The whole fuzz loop as {@code gingham fuzz} runs it, ns per frame (frames/s = 10^9 / score),
 * one thread, per fuzzed port: the command's own classes ({@link FuzzNode#create()}, the port's
 * frame stream and run from {@link FuzzNode#run}, a {@link FuzzHarness} over
 * {@link FuzzNode#target()}) and its per-vector step ({@link FuzzRun#runVector}): 256 frames
 * generated and mutated (a tenth from the port's floods), copied aside, the node pipeline at the
 * fuzz clock, every emitted frame re-parsed and its checksums recomputed, buffers released and the
 * pool balance checked, table occupancy checked, and every
 * {@link FuzzNode#FULL_CHECK_VECTORS} vectors the full conntrack/SNAT cross-check. The issue's
 * target is 500k frames/s for the fuzz command, i.e. 2,000 ns per frame over the three ports
 * (judged in the report on the combination of the three, each a third of the time, as the
 * command splits its time).
 *
 * <p><b>Steady state: full tables.</b> The fuzz node ships conntrack tables of 8,192 entries (TCP
 * and other) and a 1,024-port SNAT range per protocol, and a tenth of the frames open new flows:
 * on every port the TCP table is full within about 100,000 frames (and on the pod port the SNAT
 * ports as fast), the other table, filled by mutated frames, within about 3M (measured with the
 * command's classes: 16,384 entries after 3M frames on the underlay port). The measured
 * iterations therefore run with the tables full or nearly, new flows failing (CT_CREATE_FAILED,
 * NAT_NO_MAPPING) and lookups probing full tables: the state the command spends nearly all of
 * its run in too. One difference: the command runs the three ports one after the other on one
 * node (the underlay and host ports find the tables the pod port filled), here each port's fork
 * builds its own node and its own frames fill it.
 *
 * <p>The frame index only grows across invocations and iterations, so the fuzz clock (a microsecond
 * per frame) never goes back, as in one long run of the command. A broken invariant throws: a
 * figure measured over a failing run is worthless. After each iteration (outside the measured
 * time) the full cross-check runs once more, as the command runs it at the end of each port.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class FuzzLoopBenchmark {
    /** The seed of {@code gingham fuzz --seed 42} (each port's frames seeded 42 + its index, as the command does). */
    public static final long SEED = 42;

    /** A fuzzed port by {@link FuzzNode#portName(int)}: the pod shop/web-1, the underlay, the host port. */
    @Param({FuzzNode.POD_PORT, ConfiguredNode.UNDERLAY, ConfiguredNode.HOST})
    public String port;

    private FuzzNode node;
    private FuzzHarness harness;
    private FuzzRun run;
    private long index;

    @Setup(Level.Trial)
    public void setUp() {
        node = FuzzNode.create();
        harness = new FuzzHarness(node.target());
        run = node.run(harness, portIndex(node, port), SEED);
    }

    /** Returns: the fuzzed port index whose name is {@code name}; names the ports there are when none is. */
    static int portIndex(FuzzNode node, String name) {
        List<String> names = new ArrayList<>();
        for (int p = 0; p < FuzzNode.PORTS; p++) {
            if (node.portName(p).equals(name)) {
                return p;
            }
            names.add(node.portName(p));
        }
        throw new IllegalArgumentException("port " + name + ": the fuzz node's fuzzed ports are " + names);
    }

    @TearDown(Level.Iteration)
    public void checkState() {
        String inconsistent = node.checkState();
        if (inconsistent != null) {
            throw new IllegalStateException("fuzz loop, port " + port + ", seed " + SEED + ", after frame " + index
                    + ": conntrack/SNAT " + inconsistent);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        harness.close();
        node.close();
    }

    @Benchmark
    @OperationsPerInvocation(FrameVector.MAX_FRAMES)
    public long vector() {
        String failure = run.runVector(index, FrameVector.MAX_FRAMES);
        if (failure != null) {
            throw new IllegalStateException("fuzz loop, port " + port + ", seed " + SEED + ": " + failure
                    + " (the command reproduces it: ./gingham fuzz --seed " + SEED + ")");
        }
        index += FrameVector.MAX_FRAMES;
        return index;
    }
}
