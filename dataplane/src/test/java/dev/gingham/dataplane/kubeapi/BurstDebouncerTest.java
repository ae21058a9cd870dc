package dev.gingham.dataplane.kubeapi;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** One task run per burst of marks, and no burst may postpone it past the maximum delay. */
@Timeout(60)
class BurstDebouncerTest {
    @Test
    void shouldRunOnceForABurstOfMarksAfterItSettles() throws Exception {
        AtomicInteger runs = new AtomicInteger();
        Semaphore ran = new Semaphore(0);
        try (BurstDebouncer debouncer = new BurstDebouncer("test-debounce", Duration.ofMillis(100), Duration.ofSeconds(10), () -> {
            runs.incrementAndGet();
            ran.release();
        })) {
            for (int i = 0; i < 50; i++) {
                debouncer.mark(); // before start: kept
            }
            debouncer.start();

            assertTrue(ran.tryAcquire(20, TimeUnit.SECONDS), "the burst ran");
            assertFalse(ran.tryAcquire(500, TimeUnit.MILLISECONDS), "and only once");
            assertEquals(1, runs.get());
        }
    }

    @Test
    void shouldRunWithinTheMaximumDelayWhileMarksKeepComing() throws Exception {
        Semaphore ran = new Semaphore(0);
        try (BurstDebouncer debouncer = new BurstDebouncer("test-debounce", Duration.ofSeconds(5), Duration.ofMillis(300), ran::release)) {
            debouncer.start();
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
            while (System.nanoTime() < until) {
                debouncer.mark(); // never 5 s of quiet
                Thread.sleep(20);
            }

            assertTrue(ran.availablePermits() >= 2, "ran " + ran.availablePermits() + " times in 3 s of steady marks (max delay 300 ms)");
        }
    }

    @Test
    void shouldNotRunAfterTheMarksWereCleared() throws Exception {
        Semaphore ran = new Semaphore(0);
        try (BurstDebouncer debouncer = new BurstDebouncer("test-debounce", Duration.ofMillis(50), Duration.ofMillis(50), ran::release)) {
            debouncer.mark();
            debouncer.clear(); // the caller built the state itself
            debouncer.start();

            assertFalse(ran.tryAcquire(500, TimeUnit.MILLISECONDS));
        }
    }
}
