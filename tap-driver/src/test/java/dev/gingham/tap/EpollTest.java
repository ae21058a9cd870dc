package dev.gingham.tap;

import org.junit.jupiter.api.Test;

import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Epoll over pipes: a registered descriptor ends the wait when it becomes readable (also when it
 * already was), an unregistered one does not, the timeout bounds the wait, the ready events name
 * their descriptors, an edge-triggered eventfd wakes once per ring, and the refusals are reported
 * as errnos. No root needed.
 */
class EpollTest {
    private static long millisSince(long startNs) {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs);
    }

    @Test
    void aWaitWithNothingReadableLastsItsTimeout() throws Throwable {
        try (Epoll epoll = Epoll.open(); TestPipe pipe = new TestPipe()) {
            assertEquals(0, epoll.add(pipe.readFd()));
            long start = System.nanoTime();
            assertEquals(0, epoll.await(60));
            assertTrue(millisSince(start) >= 50, "returned after " + millisSince(start) + " ms");
        }
    }

    @Test
    void aFrameAlreadyWaitingEndsTheWaitAtOnce() throws Throwable {
        try (Epoll epoll = Epoll.open(); TestPipe pipe = new TestPipe()) {
            pipe.signal(); // written before the descriptor is even registered: level-triggered
            assertEquals(0, epoll.add(pipe.readFd()));
            long start = System.nanoTime();
            assertEquals(1, epoll.await(10_000));
            assertTrue(millisSince(start) < 5_000, "took " + millisSince(start) + " ms");
            pipe.drain();
            assertEquals(0, epoll.await(0), "readable no more once drained");
        }
    }

    @Test
    void aWriteFromAnotherThreadWakesASleeper() throws Throwable {
        ScheduledExecutorService writer = Executors.newSingleThreadScheduledExecutor();
        try (Epoll epoll = Epoll.open(); TestPipe pipe = new TestPipe()) {
            assertEquals(0, epoll.add(pipe.readFd()));
            long start = System.nanoTime();
            writer.schedule(() -> {
                pipe.signal();
                return null;
            }, 150, TimeUnit.MILLISECONDS);
            assertEquals(1, epoll.await(20_000));
            long took = millisSince(start);
            assertTrue(took >= 100 && took < 15_000, "woke after " + took + " ms (the write came at 150)");
        } finally {
            writer.shutdownNow();
        }
    }

    @Test
    void aRemovedDescriptorNoLongerWakes() throws Throwable {
        try (Epoll epoll = Epoll.open(); TestPipe watched = new TestPipe(); TestPipe removed = new TestPipe()) {
            assertEquals(0, epoll.add(watched.readFd()));
            assertEquals(0, epoll.add(removed.readFd()));
            assertEquals(0, epoll.remove(removed.readFd()));
            removed.signal();
            assertEquals(0, epoll.await(30));
            watched.signal();
            assertEquals(1, epoll.await(10_000));
        }
    }

    @Test
    void readyEventsNameTheDescriptorsThatEndedTheWait() throws Throwable {
        try (Epoll epoll = Epoll.open(); TestPipe quiet = new TestPipe(); TestPipe ready = new TestPipe()) {
            assertEquals(0, epoll.add(quiet.readFd()));
            assertEquals(0, epoll.add(ready.readFd()));
            ready.signal();
            assertEquals(1, epoll.await(10_000));
            assertEquals(ready.readFd(), epoll.readyFd(0));
        }
    }

    @Test
    void anEdgeTriggeredEventFdWakesOncePerRingWithoutBeingRead() throws Throwable {
        try (Epoll epoll = Epoll.open(); EventFd bell = EventFd.open()) {
            assertEquals(0, epoll.addEdgeTriggered(bell.fd()));
            assertEquals(0, epoll.await(0), "not rung yet");
            assertEquals(0, bell.ring());
            assertEquals(1, epoll.await(10_000));
            assertEquals(bell.fd(), epoll.readyFd(0));
            assertEquals(0, epoll.await(0), "the ring was reported once; the counter is never read");
            assertEquals(0, bell.ring());
            assertEquals(1, epoll.await(10_000), "a second ring is a second event");
        }
    }

    @Test
    void refusalsAreErrnosAndRemovingAClosedDescriptorIsNot() throws Throwable {
        try (Epoll epoll = Epoll.open()) {
            TestPipe pipe = new TestPipe();
            int fd = pipe.readFd();
            assertEquals(0, epoll.add(fd));
            assertEquals(Libc.EEXIST, epoll.add(fd));
            pipe.close(); // the kernel drops the registration with the file
            assertEquals(0, epoll.remove(fd), "not registered any more (or the number went to another file): not a failure");
            assertEquals(Libc.EBADF, epoll.add(-1));
        }
    }
}
