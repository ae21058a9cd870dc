package dev.gingham.nat.snat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gingham.maps.MapErrors;
import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class PortAllocatorTest {
    private static final int MIN = 40000;
    private static final int MAX = 40015; // 16 ports

    private static PortAllocator allocator(Arena arena, int min, int max) {
        PortAllocator ports = new PortAllocator(arena.allocate(PortAllocator.bytes(min, max), 8), 0, min, max);
        ports.reset();
        return ports;
    }

    @Test
    void shouldHandOutEveryPortOnceThenFailWhenRangeIsExhausted() {
        try (Arena arena = Arena.ofConfined()) {
            PortAllocator ports = allocator(arena, MIN, MAX);
            BitSet seen = new BitSet();
            for (int i = 0; i < 16; i++) {
                int port = ports.allocate();
                assertTrue(port >= MIN && port <= MAX, "port " + port);
                assertFalse(seen.get(port), "port " + port + " handed out twice");
                seen.set(port);
            }
            assertEquals(16, seen.cardinality());
            assertEquals(PortAllocator.NO_PORT, ports.allocate());
            assertEquals(MapErrors.OK, ports.release(40007));
            assertEquals(40007, ports.allocate());
            assertEquals(PortAllocator.NO_PORT, ports.allocate());
        }
    }

    @Test
    void shouldFindTheOneFreePortWhateverTheCursor() {
        try (Arena arena = Arena.ofConfined()) {
            for (int[] range : new int[][] {{MIN, MAX}, {1000, 1129}}) { // one word; three words with pad bits
                PortAllocator ports = allocator(arena, range[0], range[1]);
                int n = range[1] - range[0] + 1;
                for (int i = 0; i < n; i++) {
                    ports.allocate();
                }
                for (int free = 0; free < n; free++) {
                    assertEquals(MapErrors.OK, ports.release(range[0] + free));
                    for (int cursor = 0; cursor < n; cursor++) {
                        ports.cursor(cursor);
                        assertEquals(range[0] + free, ports.allocate(), "free " + free + " cursor " + cursor);
                        assertEquals(MapErrors.OK, ports.release(range[0] + free));
                    }
                    ports.allocate();
                }
                assertEquals(n, ports.usedCount());
            }
        }
    }

    @Test
    void shouldNotReuseAReleasedPortImmediately() {
        try (Arena arena = Arena.ofConfined()) {
            PortAllocator ports = allocator(arena, MIN, MAX);
            int first = ports.allocate();
            assertEquals(MIN, first);
            ports.release(first);
            assertEquals(MIN + 1, ports.allocate());
        }
    }

    @Test
    void shouldDetectDoubleReleaseWhenPortIsAlreadyFree() {
        try (Arena arena = Arena.ofConfined()) {
            PortAllocator ports = allocator(arena, MIN, MAX);
            int port = ports.allocate();
            assertEquals(MapErrors.OK, ports.release(port));
            assertEquals(MapErrors.ENOENT, ports.release(port));
            assertEquals(MapErrors.EINVAL, ports.release(MAX + 1));
            assertEquals(0, ports.usedCount());
            assertEquals(MapErrors.OK, ports.reserve(MIN + 3));
            assertEquals(MapErrors.EEXIST, ports.reserve(MIN + 3));
        }
    }

    @Test
    void shouldHandOutNoPortTwiceWhenFourThreadsAllocateAtOnce() throws Exception {
        try (Arena arena = Arena.ofShared()) {
            PortAllocator ports = allocator(arena, 32768, 65535);
            int threads = 4;
            List<int[]> got = new ArrayList<>();
            AtomicInteger failures = new AtomicInteger();
            CountDownLatch start = new CountDownLatch(1);
            List<Thread> workers = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int[] mine = new int[32768];
                got.add(mine);
                Thread worker = new Thread(() -> {
                    try {
                        start.await();
                    } catch (InterruptedException e) {
                        return;
                    }
                    for (int i = 0; i < mine.length; i++) {
                        mine[i] = ports.allocate();
                        // churn: give some back so releases race with claims
                        if ((i & 7) == 7 && mine[i] != PortAllocator.NO_PORT) {
                            if (ports.release(mine[i]) != MapErrors.OK) {
                                failures.incrementAndGet();
                            }
                            mine[i] = PortAllocator.NO_PORT;
                        }
                    }
                });
                workers.add(worker);
                worker.start();
            }
            start.countDown();
            for (Thread worker : workers) {
                worker.join();
            }
            BitSet seen = new BitSet();
            int handed = 0;
            for (int[] mine : got) {
                for (int port : mine) {
                    if (port != PortAllocator.NO_PORT) {
                        assertFalse(seen.get(port), "port " + port + " held by two threads");
                        seen.set(port);
                        handed++;
                    }
                }
            }
            assertEquals(0, failures.get());
            assertEquals(ports.usedCount(), handed, "the bitmap holds exactly the ports the threads hold");
            assertTrue(handed > 32768 - threads, "demand exceeded the range, so it ends (nearly) full");
        }
    }
}
