package dev.gingham.jmh.nat;

import dev.gingham.nat.IpAddress;
import dev.gingham.nat.lb.Maglev;
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
import org.openjdk.jmh.annotations.Warmup;

import java.util.Arrays;
import java.util.concurrent.TimeUnit;

/**
 * How long does the control plane take to (re)build one Maglev table when a service's backend
 * set changes? (Issue target: &le; 5 ms for M = 16381 with 100 backends.)
 *
 * <p>Per operation: one {@link Maglev#build} of a table of {@code m} entries for {@code backends}
 * equal-weight backends (10.128.x.y:8080, keys from {@link Maglev#backendKey}), into a
 * preallocated output array; the build's own scratch arrays ({@code position}, {@code skip},
 * {@code credit}: 20 bytes per backend) are allocated inside {@code build} and are part of the
 * figure, as they are of a real upsert. Writing the table into the {@code lb-maglev} map and the
 * generation flip are not included. The checksum of a few table entries is returned.
 *
 * <p>Disruption (how many entries move when a backend goes) is a property, not a time; it is
 * asserted by {@code MaglevTest} in the nat module, not measured here.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class MaglevBenchmark {
    @Param({"16381", "65521"})
    public int m;

    @Param({"100", "1000"})
    public int backends;

    private int[] ids;
    private long[] keys;
    private int[] weights;
    private int[] table;

    @Setup(Level.Trial)
    public void setUp() {
        ids = new int[backends];
        keys = new long[backends];
        weights = new int[backends];
        for (int i = 0; i < backends; i++) {
            ids[i] = i + 1;
            keys[i] = Maglev.backendKey(IpAddress.of4(BenchServices.BACKEND_BASE + i), BenchServices.TARGET_PORT);
        }
        Arrays.fill(weights, 1);
        table = new int[m];
    }

    @Benchmark
    public int build() {
        Maglev.build(backends, ids, keys, weights, m, table);
        return table[0] + table[m >>> 1] + table[m - 1];
    }
}
