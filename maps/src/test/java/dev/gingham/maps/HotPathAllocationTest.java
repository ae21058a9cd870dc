package dev.gingham.maps;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.management.ManagementFactory;
import org.junit.jupiter.api.Test;

/**
 * The hot-path methods allocate nothing (DESIGN.md §3): measured with the JVM's per-thread
 * allocation counter over a warmed-up loop of every operation, including misses, full-table
 * refusals, evictions and return codes.
 */
class HotPathAllocationTest {
    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    private long sink;

    @Test
    void shouldAllocateNothingWhenMapsAreUsedOnTheHotPath() {
        try (Arena arena = Arena.ofConfined();
             HashMap hash = HashMap.create(MapSpec.hash("h", 13, 16, 1000), 1L);
             HashMap hash8 = HashMap.create(MapSpec.hash("h8", 8, 8, 1000), 1L);
             LruHashMap lru = LruHashMap.create(MapSpec.lruHash("l", 8, 8, 500), 1L);
             ArrayMap array = ArrayMap.create(MapSpec.array("a", 16, 64));
             PerWorkerArray counters = PerWorkerArray.create(MapSpec.perWorkerArray("c", 16, 64, 2))) {
            MemorySegment key = arena.allocate(32);
            MemorySegment value = arena.allocate(32);
            MemorySegment copy = arena.allocate(32);
            for (int i = 0; i < 1000; i++) {
                key.set(ValueLayout.JAVA_INT_UNALIGNED, 1, i);
                hash.update(key, 1, value, 0, UpdateFlags.ANY);
                hash8.update(i, i, UpdateFlags.ANY);
            }
            Runnable loop = () -> {
                for (int i = 0; i < 20_000; i++) {
                    key.set(ValueLayout.JAVA_INT_UNALIGNED, 1, i & 2047); // half hits, half misses
                    sink += hash.lookup(key, 1);
                    sink += hash.lookupCopy(key, 1, copy, 0) ? 1 : 0;
                    sink += hash.update(key, 1, value, 0, UpdateFlags.EXIST);
                    sink += hash.update(key, 1, value, 0, UpdateFlags.NOEXIST); // EEXIST or E2BIG
                    sink += hash8.lookup(i & 2047);
                    sink += hash8.delete(i & 1023);
                    sink += hash8.update(i & 1023, i, UpdateFlags.NOEXIST);
                    sink += lru.update(i, i, UpdateFlags.ANY); // evicts once full
                    sink += lru.lookup(i - 7);
                    sink += array.valueOffset(i & 127);
                    sink += array.update(i & 63, value, 0);
                    sink += array.lookupCopy(i & 63, copy, 0) ? 1 : 0;
                    counters.add(i & 1, i & 63, 0, 1);
                    sink += counters.sum(i & 63, 0);
                    sink += counters.valueOffset(i & 3, i & 127);
                }
            };
            for (int warm = 0; warm < 30; warm++) {
                loop.run();
            }
            long thread = Thread.currentThread().threadId();
            long before = THREADS.getThreadAllocatedBytes(thread);
            loop.run();
            loop.run();
            long allocated = THREADS.getThreadAllocatedBytes(thread) - before;
            assertTrue(allocated < 1024, "hot path allocated " + allocated + " bytes over 40,000 rounds");
            assertEquals(500, lru.count());
            assertTrue(sink != 0);
        }
    }
}
