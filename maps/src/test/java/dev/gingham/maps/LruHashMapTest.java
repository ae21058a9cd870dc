package dev.gingham.maps;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.HashSet;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class LruHashMapTest {
    private static final long A = 0xA1, B = 0xB2, C = 0xC3, D = 0xD4, E = 0xE5;

    private static LruHashMap lru(int maxEntries) {
        return LruHashMap.create(MapSpec.lruHash("lru", 8, 8, maxEntries), 11L);
    }

    private static boolean present(LruHashMap map, long key) {
        // By iteration, not lookup(): checking must not set reference flags (and must see duplicates).
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment k = arena.allocate(8);
            k.set(ValueLayout.JAVA_LONG, 0, key);
            int[] hits = {0};
            map.forEach((segment, keyOffset, valueOffset) -> {
                if (segment.get(ValueLayout.JAVA_LONG, keyOffset) == key) {
                    hits[0]++;
                }
            });
            assertTrue(hits[0] <= 1, "key " + key + " present " + hits[0] + " times");
            return hits[0] == 1;
        }
    }

    private static long value(LruHashMap map, long key) {
        long offset = map.lookup(key);
        return offset < 0 ? Long.MIN_VALUE : map.segment().get(ValueLayout.JAVA_LONG, offset);
    }

    @Test
    void shouldEvictBThenCWhenAWasLookedUpBeforeInsertingD() {
        try (LruHashMap map = lru(3)) {
            assertEquals(MapErrors.OK, map.update(A, 1, UpdateFlags.NOEXIST));
            assertEquals(MapErrors.OK, map.update(B, 2, UpdateFlags.NOEXIST));
            assertEquals(MapErrors.OK, map.update(C, 3, UpdateFlags.NOEXIST));
            assertTrue(map.lookup(A) >= 0);
            assertEquals(MapErrors.OK, map.update(D, 4, UpdateFlags.NOEXIST));
            assertTrue(present(map, A));
            assertTrue(!present(map, B), "B, the oldest unreferenced entry, is evicted");
            assertTrue(present(map, C));
            assertTrue(present(map, D));
            assertEquals(MapErrors.OK, map.update(E, 5, UpdateFlags.NOEXIST));
            assertTrue(!present(map, C), "C is next: A spent its second chance on D's insert");
            assertTrue(present(map, A) && present(map, D) && present(map, E));
            assertEquals(3, map.count());
            assertEquals(1, value(map, A));
            assertEquals(4, value(map, D));
            assertEquals(5, value(map, E));
            assertNull(map.table().verify());
        }
    }

    @Test
    void shouldEvictTheOldestAndReturnTheNewOffsetWhenInsertingIntoAFullMap() {
        try (LruHashMap map = lru(3);
             Arena arena = Arena.ofConfined()) {
            MemorySegment key = arena.allocate(8);
            MemorySegment value = arena.allocate(8);
            for (long k : new long[] {A, B, C, D}) {
                key.set(ValueLayout.JAVA_LONG, 0, k);
                value.set(ValueLayout.JAVA_LONG, 0, k + 100);
                long offset = map.insert(key, 0, value, 0, map.hash(key, 0));
                assertTrue(offset >= 0, "insert " + k + ": " + offset);
                assertEquals(k + 100, map.segment().get(ValueLayout.JAVA_LONG, offset));
            }
            assertTrue(!present(map, A), "A, the oldest, made room for D");
            assertTrue(present(map, B) && present(map, C) && present(map, D));
            assertEquals(3, map.count());
            assertNull(map.table().verify());
        }
    }

    @Test
    void shouldEvictOldestWhenNothingWasLookedUp() {
        try (LruHashMap map = lru(100)) {
            for (long k = 1; k <= 100; k++) {
                assertEquals(MapErrors.OK, map.update(k, k, UpdateFlags.ANY));
            }
            for (long k = 101; k <= 150; k++) {
                assertEquals(MapErrors.OK, map.update(k, k, UpdateFlags.ANY));
                assertTrue(!present(map, k - 100), "insert " + k + " evicts " + (k - 100));
                assertEquals(100, map.count());
            }
            for (long k = 51; k <= 150; k++) {
                assertEquals(k, value(map, k));
            }
            assertNull(map.table().verify());
        }
    }

    @Test
    void shouldNotTreatUpdateOrInsertAsUseWhenChoosingVictim() {
        try (LruHashMap map = lru(3)) {
            map.update(A, 1, UpdateFlags.ANY);
            map.update(B, 2, UpdateFlags.ANY);
            map.update(C, 3, UpdateFlags.ANY);
            assertEquals(MapErrors.OK, map.update(A, 10, UpdateFlags.EXIST));
            assertEquals(MapErrors.OK, map.update(D, 4, UpdateFlags.ANY));
            assertTrue(!present(map, A), "an in-place update neither moves nor references the entry");
        }
    }

    @Test
    void shouldBoundWorkAndEvictSixtyFifthOldestWhenEveryEntryIsReferenced() {
        int n = 1000;
        try (LruHashMap map = lru(n)) {
            for (long k = 0; k < n; k++) {
                map.update(k, k, UpdateFlags.ANY);
            }
            for (long k = 0; k < n; k++) {
                assertTrue(map.lookup(k) >= 0);
            }
            long started = System.nanoTime();
            assertEquals(MapErrors.OK, map.update(5000L, 5000L, UpdateFlags.NOEXIST));
            long tookNs = System.nanoTime() - started;
            // 64 second chances (entries 0..63 move to the newest end), then the oldest goes.
            long evicted = -1;
            for (long k = 0; k < n; k++) {
                if (!present(map, k)) {
                    assertEquals(-1, evicted, "exactly one entry evicted");
                    evicted = k;
                }
            }
            assertEquals(HashTable.MAX_SECOND_CHANCES, evicted);
            assertEquals(n, map.count());
            int[] order = map.table().lruOrder();
            long firstKey = map.segment().get(ValueLayout.JAVA_LONG, map.table().slotOffset(order[0]) + 24);
            long lastKey = map.segment().get(ValueLayout.JAVA_LONG, map.table().slotOffset(order[n - 1]) + 24);
            long beforeLast = map.segment().get(ValueLayout.JAVA_LONG, map.table().slotOffset(order[n - 2]) + 24);
            assertEquals(65, firstKey, "the oldest is now the first entry that was not given a chance");
            assertEquals(5000, lastKey);
            assertEquals(63, beforeLast, "the 64 entries given a second chance moved to the newest end");
            assertTrue(tookNs < 50_000_000L, "one insert took " + tookNs + " ns");
            assertNull(map.table().verify());
        }
    }

    @Test
    void shouldInsertWithoutEvictingWhenADeleteFreedRoom() {
        try (LruHashMap map = lru(50)) {
            for (long k = 0; k < 50; k++) {
                map.update(k, k, UpdateFlags.ANY);
            }
            assertEquals(MapErrors.OK, map.delete(25L));
            assertEquals(MapErrors.ENOENT, map.delete(25L));
            assertEquals(49, map.count());
            assertEquals(MapErrors.OK, map.update(99L, 99L, UpdateFlags.NOEXIST));
            for (long k = 0; k < 50; k++) {
                assertEquals(k != 25, present(map, k));
            }
            assertEquals(99, value(map, 99));
            assertEquals(50, map.count());
            assertNull(map.table().verify());
        }
    }

    @Test
    void shouldReturnSameCodesAsHashMapWhenFlagsConflict() {
        try (LruHashMap map = lru(4)) {
            assertEquals(MapErrors.ENOENT, map.update(A, 1, UpdateFlags.EXIST));
            assertEquals(MapErrors.OK, map.update(A, 1, UpdateFlags.NOEXIST));
            assertEquals(MapErrors.EEXIST, map.update(A, 2, UpdateFlags.NOEXIST));
            assertEquals(MapErrors.EINVAL, map.update(A, 2, 7));
            assertEquals(1, value(map, A));
            assertEquals(MapErrors.OK, map.update(A, 3, UpdateFlags.EXIST));
            assertEquals(3, value(map, A));
        }
    }

    @Test
    void shouldKeepOddSizedKeysAndValuesIntactWhenEvicting() {
        try (LruHashMap map = LruHashMap.create(MapSpec.lruHash("odd", 13, 5, 64), 3L);
             Arena arena = Arena.ofConfined()) {
            MemorySegment key = arena.allocate(20);
            MemorySegment value = arena.allocate(9);
            MemorySegment copy = arena.allocate(5);
            for (int i = 0; i < 1000; i++) {
                key.fill((byte) 0);
                key.set(ValueLayout.JAVA_INT_UNALIGNED, 3, i);
                key.set(ValueLayout.JAVA_INT_UNALIGNED, 3 + 9, ~i);
                value.set(ValueLayout.JAVA_INT_UNALIGNED, 1, i * 7);
                value.set(ValueLayout.JAVA_BYTE, 5, (byte) i);
                assertEquals(MapErrors.OK, map.update(key, 3, value, 1, UpdateFlags.NOEXIST));
                assertTrue(map.lookupCopy(key, 3, copy, 0));
                assertEquals(i * 7, copy.get(ValueLayout.JAVA_INT_UNALIGNED, 0));
                assertEquals((byte) i, copy.get(ValueLayout.JAVA_BYTE, 4));
            }
            assertEquals(64, map.count());
            assertNull(map.table().verify());
        }
    }

    @Test
    void shouldStayConsistentWhenChurningWithEvictionsAndLookups() {
        int max = 4000;
        try (LruHashMap map = lru(max)) {
            SplittableRandom random = new SplittableRandom(3);
            Set<Long> everInserted = new HashSet<>();
            long last = 0;
            for (int op = 0; op < 400_000; op++) {
                long k = random.nextLong(20_000);
                int action = random.nextInt(10);
                if (action < 5) {
                    int rc = map.update(k, ~k, UpdateFlags.ANY);
                    assertEquals(MapErrors.OK, rc);
                    everInserted.add(k);
                    last = k;
                } else if (action < 8) {
                    long offset = map.lookup(k);
                    if (offset >= 0) {
                        assertEquals(~k, map.segment().get(ValueLayout.JAVA_LONG, offset));
                    }
                } else {
                    int rc = map.delete(k);
                    assertTrue(rc == MapErrors.OK || rc == MapErrors.ENOENT);
                }
            }
            assertTrue(map.count() <= max);
            assertNotEquals(MapErrors.MISSING, map.lookup(last), "the newest entry is never the victim");
            assertNull(map.table().verify());
            Set<Long> seen = new HashSet<>();
            int visited = map.forEach((segment, keyOffset, valueOffset) -> {
                long key = segment.get(ValueLayout.JAVA_LONG, keyOffset);
                assertTrue(seen.add(key));
                assertEquals(~key, segment.get(ValueLayout.JAVA_LONG, valueOffset));
            });
            assertEquals(map.count(), visited);
            assertTrue(everInserted.containsAll(seen));
        }
    }
}
