package dev.gingham.maps;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;

/**
 * The child JVM of {@link PinnedMapTest}: writes one pinned map of each type into the directory
 * given as its argument, then halts without closing anything, as a crashed owner would (pages of
 * a shared mapping survive the process). The parent then reopens the maps and checks every entry.
 */
public final class PinnedMapWriterProcess {
    static final MapSpec HASH = MapSpec.hash("child-hash", 13, 24, 3000);
    static final MapSpec LRU = MapSpec.lruHash("child-lru", 8, 8, 100);
    static final MapSpec ARRAY = MapSpec.array("child-array", 16, 64);
    static final MapSpec COUNTERS = MapSpec.perWorkerArray("child-counters", 16, 8, 3);
    static final int HASH_ENTRIES = 2000;
    static final int LRU_INSERTS = 150;

    private PinnedMapWriterProcess() {
    }

    static void key13(MemorySegment s, long offset, int i) {
        s.set(ValueLayout.JAVA_LONG_UNALIGNED, offset, i * 0x9E3779B97F4A7C15L);
        s.set(ValueLayout.JAVA_INT_UNALIGNED, offset + 8, i);
        s.set(ValueLayout.JAVA_BYTE, offset + 12, (byte) (i * 7));
    }

    static void value24(MemorySegment s, long offset, int i) {
        s.set(ValueLayout.JAVA_LONG_UNALIGNED, offset, i);
        s.set(ValueLayout.JAVA_LONG_UNALIGNED, offset + 8, -i);
        s.set(ValueLayout.JAVA_LONG_UNALIGNED, offset + 16, (long) i * i);
    }

    public static void main(String[] args) {
        Path dir = Path.of(args[0]);
        Arena arena = Arena.ofConfined();
        MemorySegment k = arena.allocate(32);
        MemorySegment v = arena.allocate(32);
        HashMap hash = HashMap.pinned(HASH, dir.resolve("hash.map"));
        for (int i = 0; i < HASH_ENTRIES; i++) {
            key13(k, 3, i);
            value24(v, 5, i);
            check(hash.update(k, 3, v, 5, UpdateFlags.NOEXIST));
        }
        for (int i = 0; i < HASH_ENTRIES; i += 10) {
            key13(k, 3, i);
            check(hash.delete(k, 3));
        }
        LruHashMap lru = LruHashMap.pinned(LRU, dir.resolve("lru.map"));
        for (long i = 0; i < LRU_INSERTS; i++) {
            check(lru.update(i, i * 3, UpdateFlags.ANY));
        }
        ArrayMap array = ArrayMap.pinned(ARRAY, dir.resolve("array.map"));
        for (int i = 0; i < ARRAY.maxEntries(); i++) {
            v.set(ValueLayout.JAVA_LONG, 0, i + 100L);
            v.set(ValueLayout.JAVA_LONG, 8, i + 200L);
            check(array.update(i, v, 0));
        }
        PerWorkerArray counters = PerWorkerArray.pinned(COUNTERS, dir.resolve("counters.map"));
        for (int worker = 0; worker < COUNTERS.workers(); worker++) {
            for (int index = 0; index < COUNTERS.maxEntries(); index++) {
                counters.add(worker, index, 0, (worker + 1) * 1000L + index);
                counters.add(worker, index, 8, 1);
            }
        }
        System.out.println("written");
        System.out.flush();
        Runtime.getRuntime().halt(0); // no close, no unmap: the owner "crashes"
    }

    private static void check(int rc) {
        if (rc != MapErrors.OK) {
            System.err.println("unexpected " + MapErrors.name(rc));
            Runtime.getRuntime().halt(3);
        }
    }
}
