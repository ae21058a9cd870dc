package dev.gingham.jmh.maps;

import dev.gingham.maps.LpmTrie;
import dev.gingham.maps.MapSpec;
import dev.gingham.maps.UpdateFlags;
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

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * IPv4 longest-prefix-match lookup and update, ns per operation, with an ipcache-like prefix
 * mix: 70% /32 (pod and node addresses), 20% /24, 10% random lengths /8../31. Lookups are for
 * addresses inside inserted prefixes (host bits random), uniformly or skewed to a hot set.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xmx8g"})
public class LpmTrieBenchmark {
    static final int BATCH = 1024;
    private static final int PROBES = 1 << 16;

    @Param({"1000", "10000", "100000", "1000000"})
    public int prefixes;

    @Param({"uniform", "skewed"})
    public String keys;

    private LpmTrie trie;
    private int[] probes;
    private int[] prefixAddress;
    private int[] prefixLength;
    private int cursor;
    private Arena arena;
    private MemorySegment value;

    @Setup(Level.Trial)
    public void setUp() {
        SplittableRandom random = new SplittableRandom(42);
        trie = LpmTrie.create(MapSpec.lpmTrie("bench", 4, 8, prefixes));
        arena = Arena.ofConfined();
        value = arena.allocate(8);
        prefixAddress = new int[prefixes];
        prefixLength = new int[prefixes];
        int inserted = 0;
        while (inserted < prefixes) {
            int roll = random.nextInt(10);
            int length = roll < 7 ? 32 : roll < 9 ? 24 : 8 + random.nextInt(24);
            int address = random.nextInt() & mask(length);
            value.set(ValueLayout.JAVA_LONG, 0, inserted);
            if (trie.update4(address, length, value, 0, UpdateFlags.NOEXIST) == 0) {
                prefixAddress[inserted] = address;
                prefixLength[inserted] = length;
                inserted++;
            }
        }
        probes = new int[PROBES];
        for (int i = 0; i < PROBES; i++) {
            double u = random.nextDouble();
            int index = Math.min(prefixes - 1, keys.equals("uniform") ? (int) (u * prefixes) : (int) (prefixes * (u * u * u * u)));
            probes[i] = prefixAddress[index] | (random.nextInt() & ~mask(prefixLength[index]));
        }
    }

    private static int mask(int length) {
        return length == 0 ? 0 : -1 << (32 - length);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        trie.close();
        arena.close();
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public long lookup() {
        long sum = 0;
        int c = cursor;
        for (int n = 0; n < BATCH; n++) {
            sum += trie.lookup4(probes[c++ & (PROBES - 1)]);
        }
        cursor = c;
        return sum;
    }

    /** Replaces the value of an existing prefix (what an ipcache identity change does). */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public long update() {
        long sum = 0;
        int c = cursor;
        for (int n = 0; n < BATCH; n++) {
            int index = c++ % prefixes;
            value.set(ValueLayout.JAVA_LONG, 0, c);
            sum += trie.update4(prefixAddress[index], prefixLength[index], value, 0, UpdateFlags.EXIST);
        }
        cursor = c;
        return sum;
    }
}
