package dev.gingham.dataplane.agent;

import dev.gingham.packet.FrameVector;
import dev.gingham.tap.TestPipe;
import org.agrona.concurrent.IdleStrategy;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The worker's sleep on its ports (pipes stand in for TAP queues: readable when a frame waits):
 * it wakes for a port of the current table and only for those, follows the table as ports come
 * and go (a new port on a descriptor number included), and refuses to sleep when a port has no
 * descriptor or one cannot be added. And the adaptive idle strategy's order: spin, yield, sleep,
 * or back off when it cannot sleep or a wake-up found nothing.
 */
class PortWaiterTest {
    /** A port whose readiness is a pipe's read end. */
    private record PipePort(int port, int waitFd) implements PortIo {
        @Override
        public int receive(FrameVector vector, int maxFrames) {
            return 0;
        }

        @Override
        public boolean transmit(FrameVector vector, int i) {
            return false;
        }
    }

    private static long millisSince(long startNs) {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs);
    }

    /** Asserts that a port ended the wait (well before its 5 s timeout). */
    private static void assertWokenByAPort(PortWaiter waiter, PortIo[] table) {
        long start = System.nanoTime();
        assertEquals(1, waiter.await(table, 5_000));
        assertTrue(millisSince(start) < 2_500, "woke after " + millisSince(start) + " ms");
    }

    /** Asserts that nothing ended the wait before its 40 ms timeout. */
    private static void assertSleptItsTimeout(PortWaiter waiter, PortIo[] table, String why) {
        long start = System.nanoTime();
        assertEquals(0, waiter.await(table, 40));
        assertTrue(millisSince(start) >= 30, why + ": woke after " + millisSince(start) + " ms");
    }

    @Test
    void wakesForAPortOfTheTableAndFollowsTheTable() {
        try (PortWaiter waiter = new PortWaiter(); TestPipe a = new TestPipe(); TestPipe b = new TestPipe()) {
            PortIo[] first = {new PipePort(0, a.readFd()), null};
            a.signal();
            assertWokenByAPort(waiter, first);
            a.drain();
            assertSleptItsTimeout(waiter, first, "nothing waiting");

            // a new table without port 0: its descriptor leaves the set, port 1's joins
            PortIo[] second = {null, new PipePort(1, b.readFd())};
            a.signal();
            assertSleptItsTimeout(waiter, second, "a removed port's frame must not wake the worker");
            b.signal();
            assertWokenByAPort(waiter, second);
        }
    }

    /** Asserts that something other than a port (the doorbell) ended the wait well before its 5 s timeout. */
    private static void assertWokenByTheDoorbell(PortWaiter waiter, PortIo[] table) {
        long start = System.nanoTime();
        assertEquals(0, waiter.await(table, 5_000), "a doorbell is not a port");
        assertTrue(millisSince(start) < 2_500, "woke after " + millisSince(start) + " ms");
    }

    @Test
    void wakeEndsASleepAtOnceWithoutCountingAPort() throws InterruptedException {
        try (PortWaiter waiter = new PortWaiter(); TestPipe pipe = new TestPipe()) {
            PortIo[] table = {new PipePort(0, pipe.readFd())};
            assertSleptItsTimeout(waiter, table, "nothing waiting");
            // another thread publishes a table while the worker sleeps
            Thread publisher = Thread.ofPlatform().start(() -> {
                try {
                    Thread.sleep(100);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                waiter.wake();
            });
            assertWokenByTheDoorbell(waiter, table);
            publisher.join();
            // the ring was consumed with that wake-up: the next sleep lasts its timeout
            assertSleptItsTimeout(waiter, table, "one ring, one wake-up");
        }
    }

    @Test
    void aWakeBeforeTheSleepIsNotLostAndAPortStillCounts() {
        try (PortWaiter waiter = new PortWaiter(); TestPipe pipe = new TestPipe()) {
            PortIo[] table = {new PipePort(0, pipe.readFd())};
            waiter.wake(); // before the first wait: nothing to ring yet, and that wait sees the table anyway
            assertSleptItsTimeout(waiter, table, "nothing waiting");
            waiter.wake(); // between two sleeps: the next one ends at once
            assertWokenByTheDoorbell(waiter, table);
            waiter.wake();
            pipe.signal(); // a port and the doorbell together: the port counts, the doorbell does not
            assertWokenByAPort(waiter, table);
        }
    }

    @Test
    void aNewPortOnTheSameDescriptorNumberIsRegisteredAgain() {
        try (PortWaiter waiter = new PortWaiter(); TestPipe pipe = new TestPipe()) {
            assertSleptItsTimeout(waiter, new PortIo[] {new PipePort(0, pipe.readFd())}, "nothing waiting");
            // another port object on the same number (what a new pod's TAP is when it gets a closed
            // TAP's number): removed and added again, not taken for the registration it replaces
            PortIo[] replaced = {new PipePort(0, pipe.readFd())};
            pipe.signal();
            assertWokenByAPort(waiter, replaced);
        }
    }

    @Test
    void aPortReplacingAClosedOneIsWatched() {
        try (PortWaiter waiter = new PortWaiter()) {
            TestPipe old = new TestPipe();
            assertSleptItsTimeout(waiter, new PortIo[] {new PipePort(0, old.readFd())}, "nothing waiting");
            old.close(); // the kernel forgets the registration with the file
            try (TestPipe fresh = new TestPipe()) { // usually on the closed one's number
                PortIo[] table = {new PipePort(0, fresh.readFd())};
                fresh.signal();
                assertWokenByAPort(waiter, table);
            }
        }
    }

    @Test
    void noSleepWhenAPortHasNoDescriptorOrOneCannotBeAdded() {
        try (PortWaiter waiter = new PortWaiter(); TestPipe a = new TestPipe()) {
            assertEquals(FrameWaiter.CANNOT_WAIT, waiter.await(new PortIo[] {new PipePort(0, a.readFd()), new PipePort(1, -1)}, 5_000));
            int notOpen = 65_000; // far above any descriptor this test JVM holds
            PortIo[] withAClosedOne = {new PipePort(0, a.readFd()), new PipePort(1, notOpen)};
            assertEquals(FrameWaiter.CANNOT_WAIT, waiter.await(withAClosedOne, 5_000), "EBADF: the worker parks this time");
            PortIo[] next = {new PipePort(0, a.readFd())};
            a.signal();
            assertWokenByAPort(waiter, next);
        }
    }

    /** Records what the adaptive strategy asked of its waiter and its fallback. */
    private static final class Recorder implements FrameWaiter, IdleStrategy {
        final List<String> calls = new ArrayList<>();
        int answer;

        @Override
        public int awaitFrames(int timeoutMs) {
            calls.add("wait " + timeoutMs);
            return answer;
        }

        @Override
        public void idle(int workCount) {
            calls.add("fallback");
        }

        @Override
        public void idle() {
            calls.add("fallback");
        }

        @Override
        public void reset() {
        }
    }

    @Test
    void adaptiveSpinsYieldsThenSleepsAndWorkStartsOver() {
        Recorder r = new Recorder();
        AdaptiveIdleStrategy idle = new AdaptiveIdleStrategy(2, 1, 3, r, r);
        idle.idle(0);
        idle.idle(0);
        idle.idle(0);
        assertEquals(List.of(), r.calls, "two empty cycles spin, one yields");
        idle.idle(0);
        idle.idle(0);
        assertEquals(List.of("wait 3", "wait 3"), r.calls, "then every empty cycle sleeps (both timed out)");
        idle.idle(5);
        idle.idle(0);
        idle.idle(0);
        idle.idle(0);
        assertEquals(2, r.calls.size(), "work starts the spins and yields over");
        idle.idle(0);
        assertEquals(List.of("wait 3", "wait 3", "wait 3"), r.calls);
        r.answer = FrameWaiter.CANNOT_WAIT;
        idle.idle(0);
        assertEquals(List.of("wait 3", "wait 3", "wait 3", "wait 3", "fallback"), r.calls, "cannot wait: backs off");
    }

    @Test
    void aWakeUpThatFindsNothingBacksOffUntilWork() {
        Recorder r = new Recorder();
        AdaptiveIdleStrategy idle = new AdaptiveIdleStrategy(0, 0, 1, r, r);
        r.answer = 1; // a descriptor in an error state: ready at once, every time
        idle.idle(0);
        idle.idle(0);
        idle.idle(0);
        assertEquals(List.of("wait 1", "fallback", "fallback"), r.calls, "no second sleep on a port that had nothing");
        idle.idle(3);
        idle.idle(0);
        assertEquals(List.of("wait 1", "fallback", "fallback", "wait 1"), r.calls, "work: sleeping on the ports again");
    }
}
