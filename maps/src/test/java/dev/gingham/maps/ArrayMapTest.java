package dev.gingham.maps;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ArrayMapTest {
    private final Arena arena = Arena.ofConfined();

    @AfterEach
    void closeArena() {
        arena.close();
    }

    @Test
    void shouldAnswerMissingAndEinvalWhenIndexOutOfRange() {
        try (ArrayMap map = ArrayMap.create(MapSpec.array("a", 12, 10))) {
            MemorySegment v = arena.allocate(12);
            assertEquals(MapErrors.MISSING, map.valueOffset(-1));
            assertEquals(MapErrors.MISSING, map.valueOffset(10));
            assertEquals(MapErrors.MISSING, map.valueOffset(Integer.MIN_VALUE));
            assertTrue(map.valueOffset(0) >= 0);
            assertTrue(map.valueOffset(9) >= 0);
            assertEquals(MapErrors.EINVAL, map.update(10, v, 0));
            assertEquals(MapErrors.EINVAL, map.update(-1, v, 0));
            assertFalse(map.lookupCopy(10, v, 0));
            MemorySegment key = arena.allocate(5);
            key.set(ValueLayout.JAVA_INT_UNALIGNED, 1, 10);
            assertEquals(MapErrors.MISSING, map.lookup(key, 1));
            assertEquals(MapErrors.EINVAL, map.update(key, 1, v, 0, UpdateFlags.ANY));
        }
    }

    @Test
    void shouldReadBackValuesWhenUpdatedByIndexOrKey() {
        try (ArrayMap map = ArrayMap.create(MapSpec.array("a", 12, 10))) {
            MemorySegment v = arena.allocate(15);
            for (int i = 0; i < 10; i++) {
                v.set(ValueLayout.JAVA_LONG_UNALIGNED, 3, i * 1000L);
                v.set(ValueLayout.JAVA_INT_UNALIGNED, 11, -i);
                assertEquals(MapErrors.OK, map.update(i, v, 3));
                assertEquals(MapErrors.OK, map.update(i, v, 3), "updating twice works (sequence back to even)");
            }
            for (int i = 0; i < 10; i++) {
                long offset = map.valueOffset(i);
                assertEquals(0, offset % 8);
                assertEquals(i * 1000L, map.segment().get(ValueLayout.JAVA_LONG, offset));
                assertEquals(-i, map.segment().get(ValueLayout.JAVA_INT, offset + 8));
            }
            MemorySegment key = arena.allocate(4);
            key.set(ValueLayout.JAVA_INT, 0, 4);
            assertEquals(map.valueOffset(4), map.lookup(key, 0));
            v.set(ValueLayout.JAVA_LONG_UNALIGNED, 3, 42L);
            assertEquals(MapErrors.EEXIST, map.update(key, 0, v, 3, UpdateFlags.NOEXIST), "every element exists");
            assertEquals(MapErrors.EINVAL, map.update(key, 0, v, 3, 9));
            assertEquals(MapErrors.OK, map.update(key, 0, v, 3, UpdateFlags.EXIST));
            MemorySegment copy = arena.allocate(12);
            assertTrue(map.lookupCopy(key, 0, copy, 0));
            assertEquals(42L, copy.get(ValueLayout.JAVA_LONG, 0));
            assertEquals(MapErrors.EINVAL, map.delete(key, 0), "array elements cannot be deleted");
        }
    }

    @Test
    void shouldVisitEveryIndexWithItsKeyWhenForEach() {
        try (ArrayMap map = ArrayMap.create(MapSpec.array("a", 8, 7))) {
            MemorySegment v = arena.allocate(8);
            for (int i = 0; i < 7; i++) {
                v.set(ValueLayout.JAVA_LONG, 0, i * 3L);
                map.update(i, v, 0);
            }
            List<Integer> keys = new ArrayList<>();
            int visited = map.forEach((segment, keyOffset, valueOffset) -> {
                int index = segment.get(ValueLayout.JAVA_INT, keyOffset);
                keys.add(index);
                assertEquals(index * 3L, segment.get(ValueLayout.JAVA_LONG, valueOffset));
            });
            assertEquals(7, visited);
            assertEquals(7, map.count());
            assertEquals(List.of(0, 1, 2, 3, 4, 5, 6), keys);
        }
    }

    @Test
    void shouldRejectSpecWhenTypeIsNotArray() {
        assertThrows(IllegalArgumentException.class, () -> ArrayMap.create(MapSpec.perWorkerArray("p", 8, 4, 2)));
    }

    /** Writers replace whole 64-byte values while readers copy: every copy is one writer's value. */
    @Test
    void shouldNeverCopyATornValueWhenWritersRaceReaders() throws InterruptedException {
        int valueSize = 64;
        try (ArrayMap map = ArrayMap.create(MapSpec.array("a", valueSize, 4))) {
            AtomicBoolean stop = new AtomicBoolean();
            ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
            AtomicLong copies = new AtomicLong();
            List<Thread> threads = new ArrayList<>();
            for (int w = 0; w < 2; w++) {
                long writer = w;
                threads.add(new Thread(() -> {
                    try (Arena local = Arena.ofConfined()) {
                        MemorySegment v = local.allocate(valueSize);
                        for (long n = 1; !stop.get(); n++) {
                            long stamp = (n << 1) | writer;
                            for (int i = 0; i < valueSize; i += 8) {
                                v.set(ValueLayout.JAVA_LONG, i, stamp);
                            }
                            map.update((int) (n & 3), v, 0);
                        }
                    }
                }));
            }
            for (int r = 0; r < 2; r++) {
                threads.add(new Thread(() -> {
                    try (Arena local = Arena.ofConfined()) {
                        MemorySegment copy = local.allocate(valueSize);
                        for (int n = 0; !stop.get(); n++) {
                            if (!map.lookupCopy(n & 3, copy, 0)) {
                                failures.add("copy of " + (n & 3) + " failed");
                                return;
                            }
                            long first = copy.get(ValueLayout.JAVA_LONG, 0);
                            for (int i = 8; i < valueSize; i += 8) {
                                if (copy.get(ValueLayout.JAVA_LONG, i) != first) {
                                    failures.add("torn copy of " + (n & 3) + ": word 0 is " + first + ", word " + i / 8
                                            + " is " + copy.get(ValueLayout.JAVA_LONG, i));
                                    return;
                                }
                            }
                            copies.incrementAndGet();
                        }
                    }
                }));
            }
            threads.forEach(Thread::start);
            Thread.sleep(500);
            stop.set(true);
            for (Thread t : threads) {
                t.join(10_000);
            }
            assertTrue(failures.isEmpty(), String.join("\n", failures));
            assertTrue(copies.get() > 1000, "readers made progress: " + copies.get());
        }
    }
}
