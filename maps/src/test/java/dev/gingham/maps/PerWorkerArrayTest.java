package dev.gingham.maps;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class PerWorkerArrayTest {
    private static final int PACKETS = 0;
    private static final int BYTES = 8;

    @Test
    void shouldAnswerMissingAndEinvalWhenWorkerOrIndexOutOfRange() {
        try (PerWorkerArray map = PerWorkerArray.create(MapSpec.perWorkerArray("p", 16, 5, 3));
             Arena arena = Arena.ofConfined()) {
            assertEquals(MapErrors.MISSING, map.valueOffset(3, 0));
            assertEquals(MapErrors.MISSING, map.valueOffset(-1, 0));
            assertEquals(MapErrors.MISSING, map.valueOffset(0, 5));
            assertEquals(MapErrors.MISSING, map.valueOffset(0, -1));
            assertTrue(map.valueOffset(2, 4) >= 0);
            MemorySegment v = arena.allocate(16);
            assertEquals(MapErrors.EINVAL, map.update(3, 0, v, 0));
            assertEquals(MapErrors.EINVAL, map.update(0, 5, v, 0));
            assertEquals(MapErrors.OK, map.update(2, 4, v, 0));
            assertThrows(IndexOutOfBoundsException.class, () -> map.add(3, 0, PACKETS, 1));
            assertThrows(IndexOutOfBoundsException.class, () -> map.add(0, 5, PACKETS, 1));
            assertThrows(IndexOutOfBoundsException.class, () -> map.add(0, 0, 16, 1), "field past the value");
            assertThrows(IndexOutOfBoundsException.class, () -> map.add(0, 0, 4, 1), "unaligned field");
            assertThrows(IndexOutOfBoundsException.class, () -> map.sum(5, PACKETS));
        }
    }

    @Test
    void shouldSumEveryWorkersCopyWhenAsked() {
        try (PerWorkerArray map = PerWorkerArray.create(MapSpec.perWorkerArray("p", 16, 4, 3))) {
            map.add(0, 2, PACKETS, 1);
            map.add(1, 2, PACKETS, 10);
            map.add(2, 2, PACKETS, 100);
            map.add(2, 2, BYTES, 1500);
            map.add(2, 2, BYTES, -500);
            map.add(0, 3, PACKETS, 7);
            assertEquals(111, map.sum(2, PACKETS));
            assertEquals(1000, map.sum(2, BYTES));
            assertEquals(7, map.sum(3, PACKETS));
            assertEquals(0, map.sum(0, PACKETS));
            assertEquals(10, map.get(1, 2, PACKETS));
            map.set(1, 2, PACKETS, 20);
            assertEquals(121, map.sum(2, PACKETS));
            long offset = map.valueOffset(2, 2);
            assertEquals(1000, map.segment().get(ValueLayout.JAVA_LONG, offset + BYTES));
            long[] perWorker = new long[3];
            int visited = map.forEach((segment, keyOffset, valueOffset) -> {
                if (segment.get(ValueLayout.JAVA_INT, keyOffset) == 2) {
                    for (int w = 0; w < 3; w++) {
                        perWorker[w] = segment.get(ValueLayout.JAVA_LONG, valueOffset + w * map.workerStrideBytes());
                    }
                }
            });
            assertEquals(4, visited);
            assertEquals(4, map.count());
            assertEquals(1, perWorker[0]);
            assertEquals(20, perWorker[1]);
            assertEquals(100, perWorker[2]);
        }
    }

    @Test
    void shouldKeepWorkersOnSeparateCacheLinesWhenLaidOut() {
        try (PerWorkerArray map = PerWorkerArray.create(MapSpec.perWorkerArray("p", 8, 3, 4))) {
            long base = map.segment().address();
            for (int w = 0; w < 4; w++) {
                assertEquals(0, (base + map.valueOffset(w, 0)) % PerWorkerArray.REGION_ALIGNMENT,
                        "worker " + w + "'s region starts on its own 128-byte boundary");
                if (w > 0) {
                    long previousEnd = base + map.valueOffset(w - 1, 2) + 8;
                    assertTrue((base + map.valueOffset(w, 0)) / 128 > (previousEnd - 1) / 128,
                            "worker " + w + " shares no line pair with worker " + (w - 1));
                }
            }
        }
    }

    /** Each thread is one worker adding to its own copy; the sum is exact and never goes backwards. */
    @Test
    void shouldSumToTotalWhenWorkersCountConcurrently() throws InterruptedException {
        int workers = 4;
        int perWorker = 1_000_000;
        try (PerWorkerArray map = PerWorkerArray.create(MapSpec.perWorkerArray("p", 16, 2, workers))) {
            AtomicBoolean done = new AtomicBoolean();
            AtomicReference<String> failure = new AtomicReference<>();
            Thread reader = new Thread(() -> {
                long last = 0;
                while (!done.get()) {
                    long sum = map.sum(1, PACKETS);
                    if (sum < last) {
                        failure.set("sum went back from " + last + " to " + sum);
                    }
                    last = sum;
                }
            });
            Thread[] threads = new Thread[workers];
            for (int w = 0; w < workers; w++) {
                int worker = w;
                threads[w] = new Thread(() -> {
                    for (int i = 0; i < perWorker; i++) {
                        map.add(worker, 1, PACKETS, 1);
                        map.add(worker, 1, BYTES, 64);
                    }
                });
            }
            reader.start();
            for (Thread t : threads) {
                t.start();
            }
            for (Thread t : threads) {
                t.join();
            }
            done.set(true);
            reader.join();
            assertEquals(null, failure.get());
            assertEquals((long) workers * perWorker, map.sum(1, PACKETS));
            assertEquals((long) workers * perWorker * 64, map.sum(1, BYTES));
            assertEquals(0, map.sum(0, PACKETS));
            for (int w = 0; w < workers; w++) {
                assertEquals(perWorker, map.get(w, 1, PACKETS));
            }
        }
    }
}
