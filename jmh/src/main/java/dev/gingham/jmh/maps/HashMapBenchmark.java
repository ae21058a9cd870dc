package dev.gingham.jmh.maps;

import dev.gingham.maps.HashMap;
import dev.gingham.maps.LruHashMap;
import dev.gingham.maps.MapSpec;
import dev.gingham.maps.UpdateFlags;
import org.agrona.collections.Long2LongHashMap;
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

import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * Hash map lookup and update, ns per operation, for Gingham's off-heap {@link HashMap} and
 * {@link LruHashMap} against {@code java.util.HashMap<Long, Long>} and Agrona's
 * {@code Long2LongHashMap} in the same run: 8-byte keys, 8-byte values, all keys present.
 *
 * <p>Keys are drawn uniformly (every lookup a likely cache miss at 1M entries) or skewed (a
 * small hot set, as real traffic is: {@code index = size * u^4}). Each invocation runs
 * {@value #BATCH} independent operations, so the CPU may overlap cache misses as a worker's
 * vector loop does.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xmx8g"})
public class HashMapBenchmark {
    static final int BATCH = 1024;
    private static final int PROBES = 1 << 16;

    @Param({"1000", "100000", "1000000"})
    public int size;

    @Param({"uniform", "skewed"})
    public String keys;

    @Param({"gingham", "gingham-lru", "jdk", "agrona"})
    public String impl;

    private long[] probes;
    private int cursor;
    private HashMap hash;
    private LruHashMap lru;
    private java.util.HashMap<Long, Long> jdk;
    private Long2LongHashMap agrona;

    @Setup(Level.Trial)
    public void setUp() {
        SplittableRandom random = new SplittableRandom(42);
        long[] present = new long[size];
        for (int i = 0; i < size; i++) {
            present[i] = random.nextLong() | 1L; // Agrona reserves 0 as its missing value marker
        }
        probes = new long[PROBES];
        for (int i = 0; i < PROBES; i++) {
            double u = random.nextDouble();
            int index = keys.equals("uniform") ? (int) (u * size) : (int) (size * (u * u * u * u));
            probes[i] = present[Math.min(index, size - 1)];
        }
        switch (impl) {
            case "gingham" -> {
                hash = HashMap.create(MapSpec.hash("bench", 8, 8, size), 7L);
                for (long key : present) {
                    check(hash.update(key, key + 1, UpdateFlags.ANY));
                }
            }
            case "gingham-lru" -> {
                lru = LruHashMap.create(MapSpec.lruHash("bench", 8, 8, size), 7L);
                for (long key : present) {
                    check(lru.update(key, key + 1, UpdateFlags.ANY));
                }
            }
            case "jdk" -> {
                jdk = new java.util.HashMap<>(size * 2);
                for (long key : present) {
                    jdk.put(key, key + 1);
                }
            }
            case "agrona" -> {
                agrona = new Long2LongHashMap(size * 2, 0.65f, 0L);
                for (long key : present) {
                    agrona.put(key, key + 1);
                }
            }
            default -> throw new IllegalArgumentException(impl);
        }
    }

    private static void check(int result) {
        if (result != 0) {
            throw new IllegalStateException("setup insert failed: " + result);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        if (hash != null) {
            hash.close();
        }
        if (lru != null) {
            lru.close();
        }
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public long lookup() {
        long sum = 0;
        int c = cursor;
        switch (impl) {
            case "gingham" -> {
                for (int n = 0; n < BATCH; n++) {
                    long offset = hash.lookup(probes[c++ & (PROBES - 1)]);
                    sum += hash.segment().get(ValueLayout.JAVA_LONG_UNALIGNED, offset);
                }
            }
            case "gingham-lru" -> {
                for (int n = 0; n < BATCH; n++) {
                    long offset = lru.lookup(probes[c++ & (PROBES - 1)]);
                    sum += lru.segment().get(ValueLayout.JAVA_LONG_UNALIGNED, offset);
                }
            }
            case "jdk" -> {
                for (int n = 0; n < BATCH; n++) {
                    sum += jdk.get(probes[c++ & (PROBES - 1)]);
                }
            }
            default -> {
                for (int n = 0; n < BATCH; n++) {
                    sum += agrona.get(probes[c++ & (PROBES - 1)]);
                }
            }
        }
        cursor = c;
        return sum;
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public long update() {
        long sum = 0;
        int c = cursor;
        switch (impl) {
            case "gingham" -> {
                for (int n = 0; n < BATCH; n++) {
                    long key = probes[c++ & (PROBES - 1)];
                    sum += hash.update(key, key + c, UpdateFlags.ANY);
                }
            }
            case "gingham-lru" -> {
                for (int n = 0; n < BATCH; n++) {
                    long key = probes[c++ & (PROBES - 1)];
                    sum += lru.update(key, key + c, UpdateFlags.ANY);
                }
            }
            case "jdk" -> {
                for (int n = 0; n < BATCH; n++) {
                    long key = probes[c++ & (PROBES - 1)];
                    jdk.put(key, key + c);
                }
            }
            default -> {
                for (int n = 0; n < BATCH; n++) {
                    long key = probes[c++ & (PROBES - 1)];
                    agrona.put(key, key + c);
                }
            }
        }
        cursor = c;
        return sum;
    }
}
