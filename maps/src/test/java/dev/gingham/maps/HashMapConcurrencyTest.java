package dev.gingham.maps;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * Writers insert, update and delete disjoint and overlapping key sets while readers look up
 * and copy continuously. Values encode their key and version, so a reader detects a torn value
 * (half of one update, half of another) or a foreign one (another key's value); at the end the
 * map is compared against what each writer knows must be there.
 *
 * <p>What each check catches if the map were broken: a missing stable key during the run = an
 * overflow count lowered too early or on the wrong slots; a torn copy = no seqlock validation;
 * a version going backwards for one reader = a copy accepted from a stale slot; duplicates or a
 * count that differs from the entries = two writers of one key not serialised, or a claim race;
 * verify() = any overflow count, the count word, a lock word or the LRU list out of step.
 */
class HashMapConcurrencyTest {
    private static final int KEY = 16;
    /** Large enough that a copy takes a while: a torn copy must be likely, not merely possible. */
    private static final int VALUE = 128;
    /** Stable keys 0..HOT-1 get half of all stable updates and reads, so readers and writers collide. */
    private static final int HOT = 24;
    private static final int WRITERS = 3;
    private static final int READERS = 2;
    private static final long RUN_NS = 1_200_000_000L;

    private static final int STABLE = 5000;
    private static final int PRIVATE_PER_WRITER = 2000;
    private static final int SHARED = 400;
    private static final long PRIVATE_BASE = 100_000;
    private static final long SHARED_BASE = 1_000_000;

    /** What the test needs of either map type. */
    private interface Target {
        long lookup(MemorySegment key, long offset);

        boolean lookupCopy(MemorySegment key, long offset, MemorySegment dst, long dstOffset);

        int update(MemorySegment key, long offset, MemorySegment value, long valueOffset, int flags);

        int delete(MemorySegment key, long offset);

        OffHeapMap map();

        HashTable table();
    }

    private static Target of(dev.gingham.maps.HashMap map) {
        return new Target() {
            public long lookup(MemorySegment key, long offset) {
                return map.lookup(key, offset);
            }

            public boolean lookupCopy(MemorySegment key, long offset, MemorySegment dst, long dstOffset) {
                return map.lookupCopy(key, offset, dst, dstOffset);
            }

            public int update(MemorySegment key, long offset, MemorySegment value, long valueOffset, int flags) {
                return map.update(key, offset, value, valueOffset, flags);
            }

            public int delete(MemorySegment key, long offset) {
                return map.delete(key, offset);
            }

            public OffHeapMap map() {
                return map;
            }

            public HashTable table() {
                return map.table();
            }
        };
    }

    private static Target of(LruHashMap map) {
        return new Target() {
            public long lookup(MemorySegment key, long offset) {
                return map.lookup(key, offset);
            }

            public boolean lookupCopy(MemorySegment key, long offset, MemorySegment dst, long dstOffset) {
                return map.lookupCopy(key, offset, dst, dstOffset);
            }

            public int update(MemorySegment key, long offset, MemorySegment value, long valueOffset, int flags) {
                return map.update(key, offset, value, valueOffset, flags);
            }

            public int delete(MemorySegment key, long offset) {
                return map.delete(key, offset);
            }

            public OffHeapMap map() {
                return map;
            }

            public HashTable table() {
                return map.table();
            }
        };
    }

    // ---------------------------------------------------------------- keys and values

    private static void key(MemorySegment s, long id) {
        s.set(ValueLayout.JAVA_LONG_UNALIGNED, 1, id);
        s.set(ValueLayout.JAVA_LONG_UNALIGNED, 9, id * 0x9E3779B97F4A7C15L + 1);
    }

    private static long keyId(MemorySegment s, long offset) {
        return s.get(ValueLayout.JAVA_LONG_UNALIGNED, offset);
    }

    private static long mix(long v) {
        v ^= v >>> 31;
        v *= 0x7FB5D329728EA185L;
        return v ^ (v >>> 27);
    }

    private static void value(MemorySegment s, long id, long version) {
        s.set(ValueLayout.JAVA_LONG_UNALIGNED, 0, id);
        s.set(ValueLayout.JAVA_LONG_UNALIGNED, 8, version);
        for (int i = 16; i < VALUE - 16; i += 8) {
            s.set(ValueLayout.JAVA_LONG_UNALIGNED, i, version + i);
        }
        s.set(ValueLayout.JAVA_LONG_UNALIGNED, VALUE - 16, id ^ mix(version));
        s.set(ValueLayout.JAVA_LONG_UNALIGNED, VALUE - 8, ~id + version);
    }

    /** Returns: null when the value at offset is a whole value of key id, else what is wrong. */
    private static String checkValue(MemorySegment s, long offset, long id) {
        long vid = s.get(ValueLayout.JAVA_LONG_UNALIGNED, offset);
        long version = s.get(ValueLayout.JAVA_LONG_UNALIGNED, offset + 8);
        if (vid != id) {
            return "key " + id + " has the value of key " + vid;
        }
        for (int i = 16; i < VALUE - 16; i += 8) {
            if (s.get(ValueLayout.JAVA_LONG_UNALIGNED, offset + i) != version + i) {
                return "key " + id + " has a torn value (version " + version + ", word " + i / 8 + ")";
            }
        }
        if (s.get(ValueLayout.JAVA_LONG_UNALIGNED, offset + VALUE - 16) != (id ^ mix(version))
                || s.get(ValueLayout.JAVA_LONG_UNALIGNED, offset + VALUE - 8) != ~id + version) {
            return "key " + id + " has a torn value (version " + version + ", tail)";
        }
        return null;
    }

    // ---------------------------------------------------------------- the run

    private static final class Run {
        final Target target;
        final boolean checkStable;
        final AtomicBoolean stop = new AtomicBoolean();
        final ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
        final AtomicLong writes = new AtomicLong();
        final AtomicLong reads = new AtomicLong();
        final AtomicLong copies = new AtomicLong();
        /** Per writer: last version of each owned stable key; presence and version of each private key. */
        final long[][] stableVersion = new long[WRITERS][STABLE];
        final long[][] privateVersion = new long[WRITERS][PRIVATE_PER_WRITER];

        Run(Target target, boolean checkStable) {
            this.target = target;
            this.checkStable = checkStable;
        }

        void fail(String message) {
            if (failures.size() < 20) {
                failures.add(message);
            }
        }

        void writer(int w) {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment k = arena.allocate(KEY + 1);
                MemorySegment v = arena.allocate(VALUE);
                SplittableRandom random = new SplittableRandom(1000 + w);
                long counter = 0;
                while (!stop.get()) {
                    long version = (++counter << 2) | w;
                    int which = random.nextInt(10);
                    if (which < 3) {
                        int i = w + WRITERS * random.nextInt(random.nextBoolean() ? HOT / WRITERS : STABLE / WRITERS);
                        key(k, i);
                        value(v, i, version);
                        int rc = target.update(k, 1, v, 0, UpdateFlags.EXIST);
                        if (checkStable && rc != MapErrors.OK) {
                            fail("stable key " + i + ": EXIST update returned " + MapErrors.name(rc));
                        }
                        stableVersion[w][i] = version;
                    } else if (which < 7) {
                        int i = random.nextInt(PRIVATE_PER_WRITER);
                        long id = PRIVATE_BASE + (long) w * PRIVATE_PER_WRITER + i;
                        key(k, id);
                        value(v, id, version);
                        boolean present = privateVersion[w][i] != 0;
                        int op = random.nextInt(4);
                        int rc;
                        int expected;
                        if (op == 0) {
                            rc = target.delete(k, 1);
                            expected = present ? MapErrors.OK : MapErrors.ENOENT;
                            if (rc == MapErrors.OK) {
                                privateVersion[w][i] = 0;
                            }
                        } else {
                            int flags = op == 1 ? UpdateFlags.NOEXIST : op == 2 ? UpdateFlags.EXIST : UpdateFlags.ANY;
                            rc = target.update(k, 1, v, 0, flags);
                            expected = flags == UpdateFlags.ANY ? MapErrors.OK
                                    : flags == UpdateFlags.NOEXIST ? (present ? MapErrors.EEXIST : MapErrors.OK)
                                    : (present ? MapErrors.OK : MapErrors.ENOENT);
                            if (rc == MapErrors.OK) {
                                privateVersion[w][i] = version;
                            }
                        }
                        if (checkStable && rc != expected) {
                            fail("private key " + id + " (present " + present + "): op " + op + " returned "
                                    + MapErrors.name(rc) + ", expected " + MapErrors.name(expected));
                        }
                    } else {
                        long id = SHARED_BASE + random.nextInt(SHARED);
                        key(k, id);
                        value(v, id, version);
                        int rc = random.nextBoolean() ? target.delete(k, 1)
                                : target.update(k, 1, v, 0, random.nextBoolean() ? UpdateFlags.ANY : UpdateFlags.NOEXIST);
                        if (rc != MapErrors.OK && rc != MapErrors.ENOENT && rc != MapErrors.EEXIST
                                && (checkStable || rc != MapErrors.EBUSY)) {
                            fail("shared key " + id + ": " + MapErrors.name(rc));
                        }
                    }
                    writes.incrementAndGet();
                }
            } catch (Throwable t) {
                fail("writer " + w + ": " + t);
            }
        }

        void reader(int r) {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment k = arena.allocate(KEY + 1);
                MemorySegment copy = arena.allocate(VALUE);
                SplittableRandom random = new SplittableRandom(2000 + r);
                long[] lastSeen = new long[STABLE];
                MemorySegment segment = target.map().segment();
                while (!stop.get()) {
                    int which = random.nextInt(3);
                    if (which == 0) {
                        int i = random.nextInt(random.nextBoolean() ? HOT : STABLE);
                        key(k, i);
                        long offset = target.lookup(k, 1);
                        if (offset < 0) {
                            if (checkStable) {
                                fail("stable key " + i + " missing while no one deletes it");
                            }
                        } else if (checkStable && keyId(segment, offset) != i) {
                            fail("lookup of stable key " + i + " returned the slot of key " + keyId(segment, offset));
                        }
                        reads.incrementAndGet();
                        if (target.lookupCopy(k, 1, copy, 0)) {
                            String problem = checkValue(copy, 0, i);
                            if (problem != null) {
                                fail(problem);
                            }
                            // Each stable key has one writer, whose versions only grow.
                            long version = copy.get(ValueLayout.JAVA_LONG_UNALIGNED, 8);
                            if (checkStable && version < lastSeen[i]) {
                                fail("stable key " + i + " went back from version " + lastSeen[i] + " to " + version);
                            }
                            lastSeen[i] = Math.max(lastSeen[i], version);
                            copies.incrementAndGet();
                        } else if (checkStable) {
                            fail("stable key " + i + " not copied");
                        }
                    } else {
                        long id = which == 1
                                ? PRIVATE_BASE + random.nextInt(WRITERS * PRIVATE_PER_WRITER)
                                : SHARED_BASE + random.nextInt(SHARED);
                        key(k, id);
                        if (target.lookupCopy(k, 1, copy, 0)) {
                            String problem = checkValue(copy, 0, id);
                            if (problem != null) {
                                fail(problem);
                            }
                            copies.incrementAndGet();
                        }
                        reads.incrementAndGet();
                    }
                }
            } catch (Throwable t) {
                fail("reader " + r + ": " + t);
            }
        }

        void run() throws InterruptedException {
            Thread[] threads = new Thread[WRITERS + READERS];
            for (int w = 0; w < WRITERS; w++) {
                int id = w;
                threads[w] = new Thread(() -> writer(id), "writer-" + w);
            }
            for (int r = 0; r < READERS; r++) {
                int id = r;
                threads[WRITERS + r] = new Thread(() -> reader(id), "reader-" + r);
            }
            for (Thread t : threads) {
                t.start();
            }
            Thread.sleep(RUN_NS / 1_000_000);
            stop.set(true);
            for (Thread t : threads) {
                t.join(10_000);
                assertTrue(!t.isAlive(), t.getName() + " did not stop: a writer is stuck");
            }
        }
    }

    private static void fillStable(Target target) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment k = arena.allocate(KEY + 1);
            MemorySegment v = arena.allocate(VALUE);
            for (int i = 0; i < STABLE; i++) {
                key(k, i);
                value(v, i, 0);
                assertEquals(MapErrors.OK, target.update(k, 1, v, 0, UpdateFlags.NOEXIST));
            }
        }
    }

    /** Checks the quiescent map against what the writers know, and returns the entries by key id. */
    private static Map<Long, Long> checkFinal(Run run) {
        Target target = run.target;
        assertTrue(run.failures.isEmpty(), () -> String.join("\n", run.failures));
        assertNull(target.table().verify());
        Map<Long, Long> entries = new HashMap<>();
        int visited = target.map().forEach((segment, keyOffset, valueOffset) -> {
            long id = keyId(segment, keyOffset);
            assertEquals(id * 0x9E3779B97F4A7C15L + 1, segment.get(ValueLayout.JAVA_LONG_UNALIGNED, keyOffset + 8));
            assertNull(checkValue(segment, valueOffset, id));
            Long before = entries.put(id, segment.get(ValueLayout.JAVA_LONG_UNALIGNED, valueOffset + 8));
            assertNull(before, "key " + id + " is in the map twice");
        });
        assertEquals(entries.size(), visited);
        assertEquals(visited, target.map().count(), "count() must equal the entries a walk finds");
        for (long id : entries.keySet()) {
            boolean known = id < STABLE
                    || (id >= PRIVATE_BASE && id < PRIVATE_BASE + WRITERS * PRIVATE_PER_WRITER)
                    || (id >= SHARED_BASE && id < SHARED_BASE + SHARED);
            assertTrue(known, "key " + id + " was never written");
        }
        return entries;
    }

    @Test
    void shouldKeepEveryKeyWholeAndUniqueWhenWritersAndReadersRaceOnHashMap() throws InterruptedException {
        int max = 11468; // 16384 slots, the keys fill it to load ~0.7
        try (dev.gingham.maps.HashMap map = dev.gingham.maps.HashMap.create(MapSpec.hash("stress", KEY, VALUE, max))) {
            checkExact(of(map));
        }
    }

    @Test
    void shouldKeepEveryKeyWholeAndUniqueWhenWritersAndReadersRaceOnLruWithoutEvictions() throws InterruptedException {
        int max = 11468;
        try (LruHashMap map = LruHashMap.create(MapSpec.lruHash("stress", KEY, VALUE, max))) {
            checkExact(of(map));
        }
    }

    private static void checkExact(Target target) throws InterruptedException {
        fillStable(target);
        Run run = new Run(target, true);
        run.run();
        Map<Long, Long> entries = checkFinal(run);
        for (int w = 0; w < WRITERS; w++) {
            for (int i = w; i < STABLE; i += WRITERS) {
                assertEquals(run.stableVersion[w][i], entries.get((long) i), "stable key " + i + " must hold its last version");
            }
            for (int i = 0; i < PRIVATE_PER_WRITER; i++) {
                long id = PRIVATE_BASE + (long) w * PRIVATE_PER_WRITER + i;
                long expected = run.privateVersion[w][i];
                if (expected == 0) {
                    assertTrue(!entries.containsKey(id), "private key " + id + " was deleted but is present");
                } else {
                    assertEquals(expected, entries.get(id), "private key " + id + " must hold its last version");
                }
            }
        }
        assertTrue(run.writes.get() > 10_000, "writers made progress: " + run.writes.get());
        assertTrue(run.copies.get() > 10_000, "readers made progress: " + run.copies.get());
    }

    @Test
    void shouldStayConsistentWhenWritersEvictWhileReadersCopyOnLru() throws InterruptedException {
        try (LruHashMap map = LruHashMap.create(MapSpec.lruHash("evict", KEY, VALUE, 1500))) {
            Target target = of(map);
            fillStable(target); // evicts most of itself: the stable keys are just more churn here
            Run run = new Run(target, false);
            run.run();
            checkFinal(run);
            assertTrue(map.count() <= 1500, "count " + map.count() + " above maxEntries");
            assertTrue(run.writes.get() > 10_000, "writers made progress: " + run.writes.get());
        }
    }
}
