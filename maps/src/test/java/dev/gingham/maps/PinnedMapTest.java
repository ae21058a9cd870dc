package dev.gingham.maps;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PinnedMapTest {
    private static final MapSpec SPEC = MapSpec.hash("pinned", 13, 24, 500);

    @TempDir
    Path dir;

    private final Arena arena = Arena.ofConfined();

    @AfterEach
    void closeArena() {
        arena.close();
    }

    private void fill(HashMap map, int from, int to) {
        MemorySegment k = arena.allocate(32);
        MemorySegment v = arena.allocate(32);
        for (int i = from; i < to; i++) {
            PinnedMapWriterProcess.key13(k, 3, i);
            PinnedMapWriterProcess.value24(v, 5, i);
            assertEquals(MapErrors.OK, map.update(k, 3, v, 5, UpdateFlags.NOEXIST));
        }
    }

    /** Asserts key i is present with its value (or absent), through lookup and lookupCopy. */
    private void assertEntry(MemorySegment segment, long offset, int i) {
        assertTrue(offset >= 0, "key " + i + " missing");
        assertEquals(i, segment.get(ValueLayout.JAVA_LONG, offset));
        assertEquals(-i, segment.get(ValueLayout.JAVA_LONG, offset + 8));
        assertEquals((long) i * i, segment.get(ValueLayout.JAVA_LONG, offset + 16));
    }

    private void assertHashEntries(HashMap map, int from, int to, int skipEvery) {
        MemorySegment k = arena.allocate(16);
        MemorySegment copy = arena.allocate(24);
        for (int i = from; i < to; i++) {
            PinnedMapWriterProcess.key13(k, 1, i);
            if (skipEvery > 0 && i % skipEvery == 0) {
                assertEquals(MapErrors.MISSING, map.lookup(k, 1), "key " + i + " was deleted");
                assertFalse(map.lookupCopy(k, 1, copy, 0));
            } else {
                assertEntry(map.segment(), map.lookup(k, 1), i);
                assertTrue(map.lookupCopy(k, 1, copy, 0));
                assertEquals(-i, copy.get(ValueLayout.JAVA_LONG, 8));
            }
        }
    }

    @Test
    void shouldKeepEntriesWhenPinnedMapIsClosedAndReopened() {
        Path file = dir.resolve("m.map");
        long seed;
        try (HashMap map = HashMap.pinned(SPEC, file)) {
            assertFalse(map.memory().reopened());
            fill(map, 0, 400);
            seed = map.memory().hashSeed();
        }
        try (HashMap map = HashMap.pinned(SPEC, file)) {
            assertTrue(map.memory().reopened());
            assertEquals(seed, map.memory().hashSeed(), "a reopened map keeps the seed its slots were placed with");
            assertEquals(400, map.count());
            assertHashEntries(map, 0, 400, 0);
            assertNull(map.table().verify());
            fill(map, 400, 500);
            assertEquals(500, map.count());
        }
        try (HashMap map = HashMap.pinned(SPEC, file)) {
            assertHashEntries(map, 0, 500, 0);
        }
    }

    @Test
    void shouldKeepEvictionOrderWhenPinnedLruIsReopened() {
        Path file = dir.resolve("lru.map");
        MapSpec spec = MapSpec.lruHash("lru", 8, 8, 10);
        int[] order;
        try (LruHashMap map = LruHashMap.pinned(spec, file)) {
            for (long k = 0; k < 10; k++) {
                map.update(k, k * 2, UpdateFlags.ANY);
            }
            assertTrue(map.lookup(0L) >= 0); // 0 gets a second chance
            order = map.table().lruOrder();
        }
        try (LruHashMap map = LruHashMap.pinned(spec, file)) {
            assertArrayEquals(order, map.table().lruOrder());
            assertNull(map.table().verify());
            assertEquals(MapErrors.OK, map.update(10L, 20L, UpdateFlags.NOEXIST));
            assertTrue(map.lookup(0L) >= 0, "the reference flag survived the reopen");
            assertEquals(MapErrors.MISSING, map.lookup(1L), "1 is the oldest unreferenced entry");
            for (long k = 2; k <= 10; k++) {
                assertEquals(k * 2, map.segment().get(ValueLayout.JAVA_LONG, map.lookup(k)));
            }
        }
    }

    @Test
    void shouldKeepValuesWhenPinnedArraysAreReopened() {
        Path arrayFile = dir.resolve("array.map");
        Path countersFile = dir.resolve("counters.map");
        MapSpec arraySpec = MapSpec.array("a", 8, 16);
        MapSpec counterSpec = MapSpec.perWorkerArray("c", 8, 4, 2);
        MemorySegment v = arena.allocate(8);
        try (ArrayMap array = ArrayMap.pinned(arraySpec, arrayFile);
             PerWorkerArray counters = PerWorkerArray.pinned(counterSpec, countersFile)) {
            for (int i = 0; i < 16; i++) {
                v.set(ValueLayout.JAVA_LONG, 0, i * 11L);
                array.update(i, v, 0);
            }
            counters.add(0, 3, 0, 5);
            counters.add(1, 3, 0, 7);
        }
        try (ArrayMap array = ArrayMap.pinned(arraySpec, arrayFile);
             PerWorkerArray counters = PerWorkerArray.pinned(counterSpec, countersFile)) {
            for (int i = 0; i < 16; i++) {
                assertEquals(i * 11L, array.segment().get(ValueLayout.JAVA_LONG, array.valueOffset(i)));
            }
            assertEquals(12, counters.sum(3, 0));
            counters.add(1, 3, 0, 1);
            assertEquals(13, counters.sum(3, 0));
        }
    }

    @Test
    void shouldNameTheFieldWhenReopenedWithMismatchingSpec() throws IOException {
        Path file = dir.resolve("m.map");
        try (HashMap map = HashMap.pinned(SPEC, file)) {
            fill(map, 0, 10);
        }
        byte[] before = Files.readAllBytes(file);
        assertMessage("key size is 13 in the file but 8 in the spec",
                () -> HashMap.pinned(MapSpec.hash("pinned", 8, 24, 500), file));
        assertMessage("value size is 24 in the file but 16 in the spec",
                () -> HashMap.pinned(MapSpec.hash("pinned", 13, 16, 500), file));
        assertMessage("max entries is 500 in the file but 600 in the spec",
                () -> HashMap.pinned(MapSpec.hash("pinned", 13, 24, 600), file));
        assertMessage("type is HASH in the file but LRU_HASH in the spec",
                () -> LruHashMap.pinned(MapSpec.lruHash("pinned", 13, 24, 500), file));
        assertMessage("is a HASH map, not LRU_HASH", () -> LruHashMap.openReadOnly(file));
        assertArrayEquals(before, Files.readAllBytes(file), "a refused open leaves the file as it was");

        Path counters = dir.resolve("c.map");
        PerWorkerArray.pinned(MapSpec.perWorkerArray("c", 8, 4, 2), counters).close();
        assertMessage("workers is 2 in the file but 3 in the spec",
                () -> PerWorkerArray.pinned(MapSpec.perWorkerArray("c", 8, 4, 3), counters));
        try (HashMap map = HashMap.pinned(SPEC, file)) {
            assertEquals(10, map.count());
        }
    }

    @Test
    void shouldRefuseClearlyWhenFileIsNotAMap() throws IOException {
        Path text = dir.resolve("notes.txt");
        Files.writeString(text, "hello, not a map");
        assertMessage("not a Gingham map", () -> HashMap.pinned(SPEC, text));
        assertMessage("shorter than a map header", () -> HashMap.openReadOnly(text));
        assertEquals("hello, not a map", Files.readString(text));

        Path garbage = dir.resolve("garbage.bin");
        byte[] noise = new byte[64 * 1024];
        new Random(1).nextBytes(noise);
        Files.write(garbage, noise);
        assertMessage("not a Gingham map (magic", () -> HashMap.pinned(SPEC, garbage));
        assertMessage("not a Gingham map (magic", () -> ArrayMap.openReadOnly(garbage));
        assertArrayEquals(noise, Files.readAllBytes(garbage));

        assertMessage("no such file", () -> HashMap.openReadOnly(dir.resolve("absent.map")));
    }

    @Test
    void shouldRefuseSecondWriterWhileFirstHoldsTheMap() {
        Path file = dir.resolve("m.map");
        try (HashMap first = HashMap.pinned(SPEC, file)) {
            fill(first, 0, 5);
            assertMessage("already opened for writing", () -> HashMap.pinned(SPEC, file));
            assertEquals(5, first.count(), "the first owner is unaffected");
        }
        try (HashMap second = HashMap.pinned(SPEC, file)) {
            assertEquals(5, second.count(), "once the first owner closed, a new writer may open it");
        }
    }

    @Test
    void shouldSeeOwnersEntriesWhenOpenedReadOnlyWhileOwnerWrites() {
        Path file = dir.resolve("m.map");
        try (HashMap owner = HashMap.pinned(SPEC, file)) {
            fill(owner, 0, 100);
            try (HashMap reader = HashMap.openReadOnly(file)) {
                assertTrue(reader.readOnly());
                assertEquals(SPEC, reader.spec());
                assertEquals(100, reader.count());
                assertHashEntries(reader, 0, 100, 0);
                fill(owner, 100, 200);
                MemorySegment k = arena.allocate(16);
                PinnedMapWriterProcess.key13(k, 0, 150);
                owner.delete(k, 0);
                assertEquals(199, reader.count(), "the reader sees the owner's later writes");
                assertEquals(199, reader.forEach((segment, keyOffset, valueOffset) -> { }));
                assertEquals(MapErrors.MISSING, reader.lookup(k, 0));
                PinnedMapWriterProcess.key13(k, 0, 199);
                assertEntry(reader.segment(), reader.lookup(k, 0), 199);
                MemorySegment v = arena.allocate(24);
                assertEquals(MapErrors.EPERM, reader.update(k, 0, v, 0, UpdateFlags.ANY));
                assertEquals(MapErrors.EPERM, reader.delete(k, 0));
                assertEntry(reader.segment(), reader.lookup(k, 0), 199);
            }
        }
        MapSpec lruSpec = MapSpec.lruHash("l", 8, 8, 8);
        Path lruFile = dir.resolve("l.map");
        try (LruHashMap owner = LruHashMap.pinned(lruSpec, lruFile);
             LruHashMap reader = LruHashMap.openReadOnly(lruFile)) {
            owner.update(1L, 2L, UpdateFlags.ANY);
            assertEquals(2L, reader.segment().get(ValueLayout.JAVA_LONG, reader.lookup(1L)));
            assertEquals(MapErrors.EPERM, reader.update(3L, 4L, UpdateFlags.ANY));
            assertEquals(MapErrors.EPERM, reader.delete(1L));
        }
        MapSpec arraySpec = MapSpec.array("a", 8, 4);
        Path arrayFile = dir.resolve("a.map");
        try (ArrayMap owner = ArrayMap.pinned(arraySpec, arrayFile);
             ArrayMap reader = ArrayMap.openReadOnly(arrayFile)) {
            MemorySegment v = arena.allocate(8);
            v.set(ValueLayout.JAVA_LONG, 0, 77L);
            owner.update(2, v, 0);
            assertEquals(77L, reader.segment().get(ValueLayout.JAVA_LONG, reader.valueOffset(2)));
            assertEquals(MapErrors.EPERM, reader.update(2, v, 0));
        }
        MapSpec counterSpec = MapSpec.perWorkerArray("c", 8, 4, 2);
        Path counterFile = dir.resolve("c.map");
        try (PerWorkerArray owner = PerWorkerArray.pinned(counterSpec, counterFile);
             PerWorkerArray reader = PerWorkerArray.openReadOnly(counterFile)) {
            owner.add(1, 1, 0, 9);
            assertEquals(9, reader.sum(1, 0));
            assertThrows(IllegalStateException.class, () -> reader.add(0, 0, 0, 1));
        }
    }

    /**
     * An owner that died mid-insert leaves a claimed slot (BUSY) whose key was never published,
     * an interrupted value rewrite (UPDATING), a held spin word and counts out of step. The next
     * owner repairs all of it on open.
     */
    @Test
    void shouldRepairWhatADeadOwnerLeftHalfDoneWhenReopened() {
        Path file = dir.resolve("m.map");
        int busyKey;
        try (HashMap map = HashMap.pinned(SPEC, file)) {
            fill(map, 0, 100);
            MemorySegment s = map.segment();
            HashTable table = map.table();
            List<Integer> full = new ArrayList<>();
            for (int i = 0; i < table.slots(); i++) {
                if ((s.get(ValueLayout.JAVA_LONG, table.slotOffset(i)) & HashTable.STATE_MASK) == HashTable.FULL) {
                    full.add(i);
                }
            }
            long busy = table.slotOffset(full.get(10));
            busyKey = s.get(ValueLayout.JAVA_INT_UNALIGNED, busy + 8 + 8);
            s.set(ValueLayout.JAVA_LONG, busy, (s.get(ValueLayout.JAVA_LONG, busy) & ~HashTable.STATE_MASK) | HashTable.BUSY);
            long updating = table.slotOffset(full.get(20));
            s.set(ValueLayout.JAVA_LONG, updating, s.get(ValueLayout.JAVA_LONG, updating) | HashTable.UPDATING);
            for (int i = 0; i < table.slots(); i++) {
                long slot = table.slotOffset(i);
                s.set(ValueLayout.JAVA_LONG, slot, s.get(ValueLayout.JAVA_LONG, slot) & ~HashTable.OVERFLOW_MASK);
            }
            s.set(ValueLayout.JAVA_LONG, MapMemory.BODY_OFFSET + 8 * 5, 1L); // a stripe left locked
            s.set(ValueLayout.JAVA_LONG, MapMemory.stateOffset(HashTable.COUNT_WORD), 12345L);
            assertTrue(table.verify() != null, "the damage is visible before the repair");
        }
        try (HashMap map = HashMap.pinned(SPEC, file)) {
            assertNull(map.table().verify());
            assertEquals(99, map.count(), "the claim that was never published is gone");
            MemorySegment k = arena.allocate(16);
            for (int i = 0; i < 100; i++) {
                PinnedMapWriterProcess.key13(k, 0, i);
                if (i == busyKey) {
                    assertEquals(MapErrors.MISSING, map.lookup(k, 0));
                } else {
                    assertEntry(map.segment(), map.lookup(k, 0), i);
                }
            }
            // The stripe that was left locked works again.
            fill(map, 100, 300);
            assertEquals(299, map.count());
        }
    }

    /** A real second process: a child JVM writes pinned maps and halts without closing them. */
    @Test
    void shouldReadEveryEntryWhenAnotherJvmWroteThePinnedMaps() throws Exception {
        String java = ProcessHandle.current().info().command().orElse(
                Path.of(System.getProperty("java.home"), "bin", "java").toString());
        List<String> command = new ArrayList<>(List.of(java, "-Xmx128m", "-cp", System.getProperty("java.class.path"),
                PinnedMapWriterProcess.class.getName(), dir.toString()));
        Process child = new ProcessBuilder(command).redirectErrorStream(true).start();
        boolean finished = child.waitFor(60, TimeUnit.SECONDS);
        if (!finished) {
            child.destroyForcibly();
        }
        String output = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(finished, "child JVM timed out: " + output);
        assertEquals(0, child.exitValue(), "child JVM failed: " + output);
        assertTrue(output.contains("written"), output);

        try (HashMap hash = HashMap.pinned(PinnedMapWriterProcess.HASH, dir.resolve("hash.map"))) {
            assertTrue(hash.memory().reopened());
            assertNull(hash.table().verify());
            int expected = PinnedMapWriterProcess.HASH_ENTRIES - PinnedMapWriterProcess.HASH_ENTRIES / 10;
            assertEquals(expected, hash.count());
            assertHashEntries(hash, 0, PinnedMapWriterProcess.HASH_ENTRIES, 10);
        }
        try (LruHashMap lru = LruHashMap.pinned(PinnedMapWriterProcess.LRU, dir.resolve("lru.map"))) {
            assertNull(lru.table().verify());
            int max = PinnedMapWriterProcess.LRU.maxEntries();
            assertEquals(max, lru.count());
            for (long k = 0; k < PinnedMapWriterProcess.LRU_INSERTS; k++) {
                long offset = lru.lookup(k);
                if (k < PinnedMapWriterProcess.LRU_INSERTS - max) {
                    assertEquals(MapErrors.MISSING, offset, "key " + k + " was evicted in the child");
                } else {
                    assertEquals(k * 3, lru.segment().get(ValueLayout.JAVA_LONG, offset));
                }
            }
        }
        try (ArrayMap array = ArrayMap.openReadOnly(dir.resolve("array.map"))) {
            MemorySegment copy = arena.allocate(16);
            for (int i = 0; i < PinnedMapWriterProcess.ARRAY.maxEntries(); i++) {
                assertTrue(array.lookupCopy(i, copy, 0));
                assertEquals(i + 100L, copy.get(ValueLayout.JAVA_LONG, 0));
                assertEquals(i + 200L, copy.get(ValueLayout.JAVA_LONG, 8));
            }
        }
        try (PerWorkerArray counters = PerWorkerArray.pinned(PinnedMapWriterProcess.COUNTERS, dir.resolve("counters.map"))) {
            int workers = PinnedMapWriterProcess.COUNTERS.workers();
            for (int index = 0; index < PinnedMapWriterProcess.COUNTERS.maxEntries(); index++) {
                assertEquals(6000L + workers * index, counters.sum(index, 0));
                assertEquals(workers, counters.sum(index, 8));
                assertEquals(2000L + index, counters.get(1, index, 0));
            }
        }
    }

    private static void assertMessage(String expected, org.junit.jupiter.api.function.Executable open) {
        MapPinException e = assertThrows(MapPinException.class, open);
        assertTrue(e.getMessage().contains(expected), "message '" + e.getMessage() + "' should contain '" + expected + "'");
    }
}
