package dev.gingham.maps;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.HashSet;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class HashMapTest {
    private static final ValueLayout.OfLong LONG_U = ValueLayout.JAVA_LONG_UNALIGNED;
    private static final int KEY = 13;
    private static final int VALUE = 24;

    private final Arena arena = Arena.ofConfined();

    @AfterEach
    void closeArena() {
        arena.close();
    }

    /** A 13-byte key derived from n, at an odd offset of a fresh segment. */
    private MemorySegment key13(long n, long offset) {
        MemorySegment s = arena.allocate(offset + KEY + 5);
        s.fill((byte) 0x5A);
        for (int i = 0; i < KEY; i++) {
            s.set(ValueLayout.JAVA_BYTE, offset + i, (byte) (n >>> (8 * (i % 8)) ^ i * 31));
        }
        return s;
    }

    private MemorySegment value24(long a, long b, long c) {
        MemorySegment s = arena.allocate(VALUE + 3);
        s.set(LONG_U, 3, a);
        s.set(LONG_U, 11, b);
        s.set(LONG_U, 19, c);
        return s;
    }

    private static long[] readValue(HashMap map, long offset) {
        MemorySegment s = map.segment();
        return new long[] {s.get(LONG_U, offset), s.get(LONG_U, offset + 8), s.get(LONG_U, offset + 16)};
    }

    private static HashMap map13(int maxEntries) {
        return HashMap.create(MapSpec.hash("t13", KEY, VALUE, maxEntries), 42L);
    }

    @Test
    void shouldInsertAndReadBackValueWhenUpdatingWithAny() {
        try (HashMap map = map13(100)) {
            MemorySegment k = key13(7, 3);
            assertEquals(MapErrors.OK, map.update(k, 3, value24(1, 2, 3), 3, UpdateFlags.ANY));
            long offset = map.lookup(k, 3);
            assertTrue(offset >= 0);
            assertEquals(0, offset % 8, "values are 8-byte aligned");
            assertArrayEquals(new long[] {1, 2, 3}, readValue(map, offset));
            assertEquals(1, map.count());
        }
    }

    @Test
    void shouldFindTheSameEntryWhenLookedUpWithItsPrecomputedHash() {
        try (HashMap map = map13(100)) {
            for (int k = 0; k < 50; k++) {
                assertEquals(MapErrors.OK, map.update(key13(k, 0), 0, value24(k, k, k), 3, UpdateFlags.NOEXIST));
            }
            for (int k = 0; k < 60; k++) {
                MemorySegment key = key13(k, 0);
                long hash = map.hash(key, 0);
                map.prefetch(hash);
                assertEquals(map.lookup(key, 0), map.lookup(key, 0, hash), "key " + k);
                MemorySegment copy = arena.allocate(VALUE + 3);
                assertEquals(k < 50, map.lookupCopy(key, 0, copy, 3, hash), "key " + k);
                if (k < 50) {
                    assertEquals(k, copy.get(LONG_U, 3 + 16), "key " + k + "'s value copied");
                }
            }
        }
    }

    @Test
    void shouldMissWhenLookedUpWithAnotherKeysHash() {
        try (HashMap map = HashMap.create(MapSpec.hash("h", KEY, VALUE, 1000), 5L)) {
            MemorySegment key = key13(1, 0);
            assertEquals(MapErrors.OK, map.update(key, 0, value24(1, 1, 1), 3, UpdateFlags.NOEXIST));
            long hash = map.hash(key, 0);
            // The neighbouring home slot is empty (one key in 2048 slots): the probe stops there.
            assertEquals(MapErrors.MISSING, map.lookup(key, 0, hash ^ 1));
            assertFalse(map.lookupCopy(key, 0, arena.allocate(VALUE + 3), 3, hash ^ 1));
            assertTrue(map.lookup(key, 0, hash) >= 0);
        }
    }

    @Test
    void shouldHashLikeTheMapWhenKeyIsHashedWordByWord() {
        try (HashMap map = HashMap.create(MapSpec.hash("w", 16, 8, 10), 0x1234L)) {
            MemorySegment key = arena.allocate(16, 8);
            key.set(ValueLayout.JAVA_LONG, 0, 0x0102_0304_0506_0708L);
            key.set(ValueLayout.JAVA_LONG, 8, -42L);
            long words = KeyHash.finish(KeyHash.mix(KeyHash.mix(KeyHash.start(map.seed(), 16),
                    0x0102_0304_0506_0708L), -42L), 16);
            assertEquals(map.hash(key, 0), words);
            assertEquals(0x1234L, map.seed());
        }
        try (HashMap longs = HashMap.create(MapSpec.hash("l", 8, 8, 10), 9L)) {
            MemorySegment key = arena.allocate(8, 8);
            key.set(ValueLayout.JAVA_LONG, 0, 77L);
            assertEquals(longs.hash(key, 0), longs.hash(77L));
            assertEquals(longs.hash(77L), KeyHash.finish(KeyHash.mix(KeyHash.start(9L, 8), 77L), 8));
        }
    }

    @Test
    void shouldFindEveryTwoWordKeyByItsWordsWhenKeysCollide() {
        // 200 keys in 512 slots: many share a home slot and sit further along their probe.
        try (HashMap map = HashMap.create(MapSpec.hash("pair", 16, 8, 300), 0x77L)) {
            MemorySegment key = arena.allocate(16, 8);
            MemorySegment value = arena.allocate(8, 8);
            for (long n = 0; n < 200; n++) {
                key.set(LONG_U, 0, n * 0x9E37_79B9L);
                key.set(LONG_U, 8, ~n);
                value.set(LONG_U, 0, 1000 + n);
                assertEquals(MapErrors.OK, map.update(key, 0, value, 0, UpdateFlags.NOEXIST));
            }
            int displaced = 0;
            for (long n = 0; n < 200; n++) {
                long word0 = n * 0x9E37_79B9L;
                long word1 = ~n;
                key.set(LONG_U, 0, word0);
                key.set(LONG_U, 8, word1);
                long hash = map.hash(key, 0);
                long offset = map.lookupPair(word0, word1, hash);
                assertEquals(1000 + n, map.segment().get(LONG_U, offset), "key " + n + "'s own value");
                if (offset - map.homeSlotOffset(hash) != 8 + 16) {
                    displaced++;
                }
            }
            assertTrue(displaced > 10, "the probe walked past home slots: " + displaced + " displaced keys");
            key.set(LONG_U, 0, 5 * 0x9E37_79B9L);
            key.set(LONG_U, 8, ~6L); // a word of one key with the other word of another
            assertEquals(MapErrors.MISSING, map.lookupPair(5 * 0x9E37_79B9L, ~6L, map.hash(key, 0)));
            assertEquals(MapErrors.MISSING, map.lookup(key, 0));
        }
    }

    @Test
    void shouldRefuseATwoWordLookupWhenKeysAreNotSixteenBytes() {
        try (HashMap map = map13(10)) {
            IllegalStateException refused = assertThrows(IllegalStateException.class, () -> map.lookupPair(1, 2, 3));
            assertTrue(refused.getMessage().contains("keySize 16, not 13"), refused.getMessage());
        }
    }

    @Test
    void shouldFindKeyWhenLookupKeySitsAtUnalignedOffsetOfAnotherSegment() {
        try (HashMap map = map13(100)) {
            MemorySegment stored = key13(99, 5);
            assertEquals(MapErrors.OK, map.update(stored, 5, value24(9, 8, 7), 3, UpdateFlags.NOEXIST));
            MemorySegment packet = arena.allocate(64);
            packet.fill((byte) 0x11);
            MemorySegment.copy(stored, 5, packet, 17, KEY);
            long offset = map.lookup(packet, 17);
            assertArrayEquals(new long[] {9, 8, 7}, readValue(map, offset));
            // One byte different: another key.
            packet.set(ValueLayout.JAVA_BYTE, 17 + 12, (byte) (packet.get(ValueLayout.JAVA_BYTE, 17 + 12) + 1));
            assertEquals(MapErrors.MISSING, map.lookup(packet, 17));
        }
    }

    @Test
    void shouldReturnEexistAndKeepValueWhenNoexistAndKeyPresent() {
        try (HashMap map = map13(100)) {
            MemorySegment k = key13(1, 0);
            assertEquals(MapErrors.OK, map.update(k, 0, value24(1, 1, 1), 3, UpdateFlags.NOEXIST));
            assertEquals(MapErrors.EEXIST, map.update(k, 0, value24(2, 2, 2), 3, UpdateFlags.NOEXIST));
            assertArrayEquals(new long[] {1, 1, 1}, readValue(map, map.lookup(k, 0)));
            assertEquals(1, map.count());
        }
    }

    @Test
    void shouldReturnTheOffsetALookupFindsWhenInsertingANewKeyWithItsHash() {
        try (HashMap map = map13(100)) {
            for (long n = 1; n <= 50; n++) {
                MemorySegment k = key13(n, 0);
                long offset = map.insert(k, 0, value24(n, n + 1, n + 2), 3, map.hash(k, 0));
                assertTrue(offset >= 0, "insert " + n + ": " + offset);
                assertEquals(map.lookup(k, 0), offset, "key " + n);
                assertArrayEquals(new long[] {n, n + 1, n + 2}, readValue(map, offset));
            }
            assertEquals(50, map.count());
            assertNull(map.table().verify());
        }
    }

    @Test
    void shouldReturnEexistAndWriteNothingWhenInsertingAPresentKey() {
        try (HashMap map = map13(100)) {
            MemorySegment k = key13(7, 0);
            assertEquals(MapErrors.OK, map.update(k, 0, value24(1, 1, 1), 3, UpdateFlags.NOEXIST));
            assertEquals(MapErrors.EEXIST, map.insert(k, 0, value24(2, 2, 2), 3, map.hash(k, 0)));
            assertArrayEquals(new long[] {1, 1, 1}, readValue(map, map.lookup(k, 0)));
            assertEquals(1, map.count());
        }
    }

    @Test
    void shouldReturnE2bigWhenInsertingIntoAFullMap() {
        try (HashMap map = HashMap.create(MapSpec.hash("full", 8, 8, 4), 1L);
             Arena local = Arena.ofConfined()) {
            MemorySegment key = local.allocate(8);
            MemorySegment value = local.allocate(8);
            for (long k = 1; k <= 5; k++) {
                key.set(ValueLayout.JAVA_LONG, 0, k);
                value.set(ValueLayout.JAVA_LONG, 0, k * 10);
                long inserted = map.insert(key, 0, value, 0, map.hash(key, 0));
                if (k <= 4) {
                    assertEquals(map.lookup(k), inserted);
                } else {
                    assertEquals(MapErrors.E2BIG, inserted);
                    assertEquals(MapErrors.MISSING, map.lookup(k));
                }
            }
            assertEquals(4, map.count());
        }
    }

    @Test
    void shouldReturnEnoentAndNotInsertWhenExistAndKeyAbsent() {
        try (HashMap map = map13(100)) {
            MemorySegment k = key13(1, 0);
            assertEquals(MapErrors.ENOENT, map.update(k, 0, value24(1, 1, 1), 3, UpdateFlags.EXIST));
            assertEquals(MapErrors.MISSING, map.lookup(k, 0));
            assertEquals(0, map.count());
        }
    }

    @Test
    void shouldReplaceValueInPlaceWhenExistOrAnyAndKeyPresent() {
        try (HashMap map = map13(100)) {
            MemorySegment k = key13(1, 0);
            map.update(k, 0, value24(1, 1, 1), 3, UpdateFlags.ANY);
            long offset = map.lookup(k, 0);
            assertEquals(MapErrors.OK, map.update(k, 0, value24(2, 3, 4), 3, UpdateFlags.EXIST));
            assertEquals(offset, map.lookup(k, 0), "an update rewrites the value where it is");
            assertArrayEquals(new long[] {2, 3, 4}, readValue(map, offset));
            assertEquals(MapErrors.OK, map.update(k, 0, value24(5, 6, 7), 3, UpdateFlags.ANY));
            assertArrayEquals(new long[] {5, 6, 7}, readValue(map, offset));
            assertEquals(1, map.count());
        }
    }

    @Test
    void shouldReturnEinvalWhenFlagsUnknown() {
        try (HashMap map = map13(100)) {
            MemorySegment k = key13(1, 0);
            assertEquals(MapErrors.EINVAL, map.update(k, 0, value24(1, 1, 1), 3, 3));
            assertEquals(MapErrors.EINVAL, map.update(k, 0, value24(1, 1, 1), 3, -1));
            assertEquals(0, map.count());
        }
        try (HashMap map = HashMap.create(MapSpec.hash("t8", 8, 8, 10))) {
            assertEquals(MapErrors.EINVAL, map.update(1L, 2L, 4));
        }
    }

    @Test
    void shouldReturnOkThenEnoentWhenDeletingTwice() {
        try (HashMap map = map13(100)) {
            MemorySegment k = key13(1, 0);
            assertEquals(MapErrors.ENOENT, map.delete(k, 0));
            map.update(k, 0, value24(1, 1, 1), 3, UpdateFlags.ANY);
            assertEquals(MapErrors.OK, map.delete(k, 0));
            assertEquals(MapErrors.MISSING, map.lookup(k, 0));
            assertEquals(MapErrors.ENOENT, map.delete(k, 0));
            assertEquals(0, map.count());
            assertEquals(0, map.table().overflowSum());
        }
    }

    @Test
    void shouldAgreeBetweenLongAndSegmentFormsWhenKeySizeIs8() {
        try (HashMap map = HashMap.create(MapSpec.hash("t8", 8, 8, 1000), 7L)) {
            for (long k = 0; k < 500; k++) {
                assertEquals(MapErrors.OK, map.update(k * 0x9E3779B97F4A7C15L, k + 1000, UpdateFlags.NOEXIST));
            }
            MemorySegment key = arena.allocate(16);
            for (long k = 0; k < 500; k++) {
                key.set(LONG_U, 5, k * 0x9E3779B97F4A7C15L);
                long viaSegment = map.lookup(key, 5);
                assertEquals(map.lookup(k * 0x9E3779B97F4A7C15L), viaSegment);
                assertEquals(k + 1000, map.segment().get(ValueLayout.JAVA_LONG, viaSegment));
            }
            MemorySegment value = arena.allocate(8);
            value.set(ValueLayout.JAVA_LONG, 0, -5L);
            key.set(LONG_U, 5, 123456789L);
            assertEquals(MapErrors.OK, map.update(key, 5, value, 0, UpdateFlags.ANY));
            assertEquals(-5L, map.segment().get(ValueLayout.JAVA_LONG, map.lookup(123456789L)));
            assertEquals(MapErrors.OK, map.delete(123456789L));
            assertEquals(MapErrors.MISSING, map.lookup(key, 5));
            assertEquals(MapErrors.ENOENT, map.delete(key, 5));
            assertEquals(500, map.count());
        }
    }

    @Test
    void shouldThrowIllegalStateWhenLongFormUsedOnOtherSizes() {
        try (HashMap map = map13(10)) {
            assertThrows(IllegalStateException.class, () -> map.lookup(1L));
            assertThrows(IllegalStateException.class, () -> map.update(1L, 1L, UpdateFlags.ANY));
            assertThrows(IllegalStateException.class, () -> map.delete(1L));
        }
        try (HashMap map = HashMap.create(MapSpec.hash("k8v16", 8, 16, 10))) {
            assertEquals(MapErrors.MISSING, map.lookup(1L));
            assertThrows(IllegalStateException.class, () -> map.update(1L, 1L, UpdateFlags.ANY));
        }
    }

    @Test
    void shouldReturnE2bigWhenFullAndAcceptAgainAfterDelete() {
        try (HashMap map = HashMap.create(MapSpec.hash("full", 8, 8, 100), 1L)) {
            for (long k = 1; k <= 100; k++) {
                assertEquals(MapErrors.OK, map.update(k, k * 10, UpdateFlags.ANY));
            }
            assertEquals(100, map.count());
            assertEquals(MapErrors.E2BIG, map.update(101L, 1L, UpdateFlags.ANY));
            assertEquals(MapErrors.E2BIG, map.update(101L, 1L, UpdateFlags.NOEXIST));
            assertEquals(MapErrors.MISSING, map.lookup(101L));
            // Replacing a present key needs no room.
            assertEquals(MapErrors.OK, map.update(50L, 5L, UpdateFlags.ANY));
            assertEquals(MapErrors.OK, map.update(50L, 6L, UpdateFlags.EXIST));
            assertEquals(6L, map.segment().get(ValueLayout.JAVA_LONG, map.lookup(50L)));
            assertEquals(MapErrors.OK, map.delete(3L));
            assertEquals(MapErrors.OK, map.update(101L, 1010L, UpdateFlags.NOEXIST));
            assertEquals(1010L, map.segment().get(ValueLayout.JAVA_LONG, map.lookup(101L)));
            assertEquals(MapErrors.E2BIG, map.update(102L, 1L, UpdateFlags.ANY));
            assertEquals(100, map.count());
            assertNull(map.table().verify());
        }
    }

    @Test
    void shouldCopyValueWhenLookupCopyAndReportAbsentKeys() {
        try (HashMap map = map13(100)) {
            MemorySegment k = key13(5, 1);
            map.update(k, 1, value24(11, 22, 33), 3, UpdateFlags.ANY);
            MemorySegment dst = arena.allocate(VALUE + 7);
            assertTrue(map.lookupCopy(k, 1, dst, 7));
            assertEquals(11, dst.get(LONG_U, 7));
            assertEquals(22, dst.get(LONG_U, 15));
            assertEquals(33, dst.get(LONG_U, 23));
            assertFalse(map.lookupCopy(key13(6, 1), 1, dst, 7));
        }
    }

    @Test
    void shouldVisitEveryEntryOnceWhenForEach() {
        try (HashMap map = HashMap.create(MapSpec.hash("each", 8, 8, 1000), 3L)) {
            for (long k = 0; k < 700; k++) {
                map.update(k, ~k, UpdateFlags.ANY);
            }
            for (long k = 0; k < 700; k += 7) {
                map.delete(k);
            }
            Set<Long> seen = new HashSet<>();
            int visited = map.forEach((segment, keyOffset, valueOffset) -> {
                long key = segment.get(ValueLayout.JAVA_LONG, keyOffset);
                assertEquals(~key, segment.get(ValueLayout.JAVA_LONG, valueOffset));
                assertTrue(seen.add(key), "key " + key + " visited twice");
            });
            assertEquals(600, visited);
            assertEquals(600, seen.size());
            assertEquals(600, map.count());
            for (long k = 0; k < 700; k++) {
                assertEquals(k % 7 != 0, seen.contains(k));
            }
        }
    }

    @Test
    void shouldHandCopiesWithTheValueAlignedAfterAnOddSizedKeyWhenForEachCopy() {
        try (HashMap map = HashMap.create(MapSpec.hash("copies", KEY, VALUE, 100), 3L);
             Arena arena = Arena.ofConfined()) {
            MemorySegment value = arena.allocate(VALUE, 8);
            for (int k = 0; k < 10; k++) {
                MemorySegment key = key13(k, 0);
                value.set(LONG_U, 0, key.get(LONG_U, 0) + 1); // the value names its key
                map.update(key, 0, value, 0, UpdateFlags.ANY);
            }
            Set<Long> seen = new HashSet<>();
            int visited = map.forEachCopy((segment, keyOffset, valueOffset) -> {
                assertEquals(0, keyOffset);
                assertEquals(16, valueOffset, "13-byte keys: values start at the next multiple of 8");
                long k = segment.get(LONG_U, keyOffset);
                assertEquals(k + 1, segment.get(LONG_U, valueOffset), "the value of this key");
                assertTrue(seen.add(k));
            });
            assertEquals(10, visited);
            assertEquals(10, seen.size());
        }
    }

    @Test
    void shouldRejectSpecWhenTypeIsNotHash() {
        assertThrows(IllegalArgumentException.class, () -> HashMap.create(MapSpec.lruHash("x", 8, 8, 10)));
        assertThrows(IllegalArgumentException.class, () -> LruHashMap.create(MapSpec.hash("x", 8, 8, 10)));
    }

    @Test
    void shouldSizeTableToLoadAtMostSevenTenthsWhenCreated() {
        assertEquals(2, HashTable.slotsFor(MapSpec.hash("a", 8, 8, 1)));
        assertEquals(16, HashTable.slotsFor(MapSpec.hash("a", 8, 8, 7)));
        assertEquals(16, HashTable.slotsFor(MapSpec.hash("a", 8, 8, 11)));
        assertEquals(32, HashTable.slotsFor(MapSpec.hash("a", 8, 8, 12)));
        assertEquals(65536, HashTable.slotsFor(MapSpec.hash("a", 8, 8, 45875)));
        assertEquals(131072, HashTable.slotsFor(MapSpec.hash("a", 8, 8, 45876)));
    }

    /**
     * Insert/delete churn at full load (load 0.7). A tombstone table degrades without bound here
     * (every miss walks the accumulated tombstones until a rehash). With overflow counts, misses
     * lengthen at first, because keys keep the displacement they were inserted with (linear
     * probing without moves), then reach a steady state: measured ~27 slots on average (~11
     * sequential cache lines) after 1M, 2M or 4M operations alike. The test asserts that steady
     * state (no growth between 1M and 2M operations, a hard cap on the longest miss), that every
     * key is still found with its value, and that deleting everything returns every overflow count
     * and the count word to zero.
     */
    @Test
    void shouldKeepMissesBoundedWhenChurningMillionsOfKeysAtFullLoad() {
        int max = 45875; // 65536 slots at load 0.7
        try (HashMap map = HashMap.create(MapSpec.hash("churn", 8, 8, max), 99L)) {
            SplittableRandom random = new SplittableRandom(5);
            long[] present = new long[max];
            Set<Long> presentSet = new HashSet<>();
            for (int n = 0; n < max; ) {
                long k = random.nextLong();
                if (presentSet.add(k)) {
                    assertEquals(MapErrors.OK, map.update(k, k ^ 1, UpdateFlags.NOEXIST));
                    present[n++] = k;
                }
            }
            MemorySegment probe = arena.allocate(8);
            double meanAfterFill = meanMissProbe(map, probe, new SplittableRandom(77));
            churn(map, random, present, presentSet, 1_000_000);
            double meanAfter1M = meanMissProbe(map, probe, new SplittableRandom(78));
            churn(map, random, present, presentSet, 1_000_000);
            double meanAfter2M = meanMissProbe(map, probe, new SplittableRandom(78));
            int maxMiss = maxMissProbe(map, probe, new SplittableRandom(79));
            assertEquals(max, map.count());
            assertNull(map.table().verify());
            assertTrue(meanAfterFill < 6, "misses right after the fill average " + meanAfterFill + " slots");
            assertTrue(meanAfter2M < 45, "misses after churn average " + meanAfter2M + " slots");
            assertTrue(meanAfter2M < meanAfter1M * 1.25 + 1,
                    "misses keep growing: " + meanAfter1M + " slots after 1M operations, " + meanAfter2M + " after 2M");
            assertTrue(maxMiss < 500, "longest miss " + maxMiss + " slots");
            for (long k : present) {
                assertEquals(k ^ 1, map.segment().get(ValueLayout.JAVA_LONG, map.lookup(k)));
            }
            for (long k : present) {
                assertEquals(MapErrors.OK, map.delete(k));
            }
            assertEquals(0, map.count());
            assertEquals(0, map.table().countWord());
            assertEquals(0, map.table().overflowSum(), "every overflow count is back to zero");
            for (int i = 0; i < map.table().slots(); i++) {
                assertEquals(HashTable.EMPTY, map.segment().get(ValueLayout.JAVA_LONG, map.table().slotOffset(i)) & HashTable.STATE_MASK);
            }
            assertEquals(1, maxMissProbe(map, probe, new SplittableRandom(80)), "an empty table answers every miss at home");
        }
    }

    private static void churn(HashMap map, SplittableRandom random, long[] present, Set<Long> presentSet, int ops) {
        for (int op = 0; op < ops; op++) {
            int victim = random.nextInt(present.length);
            long old = present[victim];
            assertEquals(MapErrors.OK, map.delete(old));
            presentSet.remove(old);
            long k;
            do {
                k = random.nextLong();
            } while (!presentSet.add(k));
            assertEquals(MapErrors.OK, map.update(k, k ^ 1, UpdateFlags.NOEXIST));
            present[victim] = k;
        }
    }

    private static double meanMissProbe(HashMap map, MemorySegment probe, SplittableRandom random) {
        long total = 0;
        int n = 20_000;
        for (int i = 0; i < n; i++) {
            probe.set(ValueLayout.JAVA_LONG, 0, random.nextLong());
            total += map.table().probeLength(probe, 0);
        }
        return (double) total / n;
    }

    private static int maxMissProbe(HashMap map, MemorySegment probe, SplittableRandom random) {
        int longest = 0;
        for (int i = 0; i < 20_000; i++) {
            probe.set(ValueLayout.JAVA_LONG, 0, random.nextLong());
            longest = Math.max(longest, map.table().probeLength(probe, 0));
        }
        return longest;
    }
    @Test
    void shouldVisitEveryEntryOnceAndAllowDeletesWhenScanningInSmallSteps() {
        try (HashMap map = HashMap.create(MapSpec.hash("scan", 8, 8, 1000), 42L)) {
            for (long k = 1; k <= 700; k++) {
                assertEquals(MapErrors.OK, map.update(k, k * 10, UpdateFlags.ANY));
            }
            java.util.Set<Long> seen = new java.util.HashSet<>();
            int cursor = 0;
            int calls = 0;
            do {
                cursor = map.scan(cursor, 97, (segment, keyOffset, valueOffset) -> {
                    long key = segment.get(ValueLayout.JAVA_LONG, keyOffset);
                    assertEquals(key * 10, segment.get(ValueLayout.JAVA_LONG, valueOffset));
                    assertTrue(seen.add(key), "visited twice: " + key);
                    if (key % 2 == 0) {
                        assertEquals(MapErrors.OK, map.delete(key));
                    }
                });
                calls++;
            } while (cursor != 0);
            assertEquals(700, seen.size());
            assertEquals((map.slots() + 96) / 97, calls, "a full round is slots / budget calls");
            assertEquals(350, map.count());
            for (long k = 1; k <= 700; k++) {
                assertEquals(k % 2 == 0, map.lookup(k) == MapErrors.MISSING, "key " + k);
            }
        }
    }

    @Test
    void shouldRejectCursorOutsideTheTableWhenScanning() {
        try (HashMap map = HashMap.create(MapSpec.hash("scan", 8, 8, 10), 42L)) {
            org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                    () -> map.scan(map.slots(), 1, (segment, keyOffset, valueOffset) -> { }));
        }
    }
}
