package dev.gingham.dataplane.agent;

import dev.gingham.packet.FrameVector;
import dev.gingham.tap.TestPipe;
import org.agrona.concurrent.IdleStrategy;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The worker's sleep on its ports (pipes stand in for TAP queues: readable when a frame waits):
 * it wakes for a port of the current table and only for those, follows the table as ports come
 * and go (a reused descriptor number included), and refuses to sleep when a port has no
 * descriptor. And the adaptive idle strategy's order: spin, then sleep, or back off when it cannot.
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

    /** Returns: whether the wait ended early (a port was readable) rather than at its timeout. */
    private static boolean wokeEarly(PortWaiter waiter, PortIo[] table) {
        long start = System.nanoTime();
        assertTrue(waiter.await(table, 5_000));
        return millisSince(start) < 2_500;
    }

    @Test
    void wakesForAPortOfTheTableAndFollowsTheTable() throws Throwable {
        try (PortWaiter waiter = PortWaiter.open(); TestPipe a = new TestPipe(); TestPipe b = new TestPipe()) {
            PortIo[] first = {new PipePort(0, a.readFd()), null};
            a.signal();
            assertTrue(wokeEarly(waiter, first));
            a.drain();

            long start = System.nanoTime();
            assertTrue(waiter.await(first, 40));
            assertTrue(millisSince(start) >= 30, "nothing waiting: slept its timeout, woke after " + millisSince(start) + " ms");

            // a new table without port 0: its descriptor leaves the set, port 1's joins
            PortIo[] second = {null, new PipePort(1, b.readFd())};
            a.signal();
            start = System.nanoTime();
            assertTrue(waiter.await(second, 40));
            assertTrue(millisSince(start) >= 30, "a removed port's frame must not wake the worker");
            b.signal();
            assertTrue(wokeEarly(waiter, second));
        }
    }

    @Test
    void aNewPortWithAReusedDescriptorIsRegisteredAgain() throws Throwable {
        try (PortWaiter waiter = PortWaiter.open()) {
            TestPipe old = new TestPipe();
            int fd = old.readFd();
            assertTrue(waiter.await(new PortIo[] {new PipePort(0, fd)}, 1));
            old.close(); // the kernel forgets the registration with the file
            // a new port on the same number (as a new pod's TAP would get it), stood in for by a new pipe's end
            try (TestPipe fresh = new TestPipe()) {
                PortIo[] table = {new PipePort(0, fresh.readFd())};
                fresh.signal();
                assertTrue(wokeEarly(waiter, table), "fd " + fresh.readFd() + " (was " + fd + ") must be in the set");
            }
        }
    }

    @Test
    void aPortWithoutADescriptorMeansNoSleep() throws Throwable {
        try (PortWaiter waiter = PortWaiter.open(); TestPipe a = new TestPipe()) {
            PortIo[] table = {new PipePort(0, a.readFd()), new PipePort(1, -1)};
            long start = System.nanoTime();
            assertFalse(waiter.await(table, 5_000));
            assertTrue(millisSince(start) < 2_500);
        }
    }

    /** Records what the adaptive strategy asked of its waiter and its fallback. */
    private static final class Recorder implements FrameWaiter, IdleStrategy {
        final List<String> calls = new ArrayList<>();
        boolean canWait = true;

        @Override
        public boolean awaitFrames(int timeoutMs) {
            calls.add("wait " + timeoutMs);
            return canWait;
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
        assertEquals(List.of("wait 3", "wait 3"), r.calls, "then every empty cycle sleeps");
        idle.idle(5);
        idle.idle(0);
        idle.idle(0);
        idle.idle(0);
        assertEquals(2, r.calls.size(), "work starts the spins and yields over");
        idle.idle(0);
        assertEquals(List.of("wait 3", "wait 3", "wait 3"), r.calls);
        r.canWait = false;
        idle.idle(0);
        assertEquals(List.of("wait 3", "wait 3", "wait 3", "wait 3", "fallback"), r.calls, "cannot wait: backs off");
    }
}
