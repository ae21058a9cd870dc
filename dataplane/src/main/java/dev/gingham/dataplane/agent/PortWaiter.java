package dev.gingham.dataplane.agent;

import dev.gingham.tap.Epoll;
import dev.gingham.tap.EventFd;
import dev.gingham.tap.NetDeviceException;

import java.util.Arrays;

/**
 * The epoll set of one worker's port table: kept in step with the table the worker last read
 * (ports come and go with pods), and slept on when the worker's ports have been empty for a while.
 *
 * <p>Registrations are keyed by descriptor and port object together: a port that closed and a new
 * one that got the same descriptor number (the kernel reuses the lowest free one) is a new
 * registration, because the kernel dropped the old one when its file closed. The set is brought in
 * step only when the worker is about to sleep and its table changed since the last time: never on
 * the data path. The epoll instance is made at the first wait, on the thread that waits; if the
 * kernel refuses one (out of descriptors), that wait throws once (the agent's error handler
 * reports it) and every later one answers {@link FrameWaiter#CANNOT_WAIT}, so the agent parks.
 *
 * <p>A new table is news that comes through memory, not through a port: {@link #wake} (the thread
 * that publishes the table) rings an {@link EventFd} in the set, so the worker starts watching a
 * new pod's port at once instead of at its next timeout (up to a millisecond), and a control agent
 * waiting for the old table to be retired does not wait for the timeout either. The eventfd is
 * opened with the epoll instance, at the first wait; a table published before that is seen by
 * that wait anyway. Without an eventfd (the kernel refused one) the worker sees a new table at its
 * next timeout.
 * {@link #await} and {@link #close} are the worker thread's; {@link #wake} is any thread's.
 */
public final class PortWaiter implements AutoCloseable {
    private Epoll epoll;
    /** Making {@link #epoll} failed: do not try again on every idle cycle. */
    private boolean epollFailed;
    /** {@code registered[fd]}: the port whose descriptor fd is in the set, or null. */
    private PortIo[] registered = new PortIo[64];
    /** {@link #sync}'s scratch, as long as {@link #registered}: the port each descriptor should have. */
    private PortIo[] wanted = new PortIo[64];
    private PortIo[] syncedTable;
    private boolean waitable;
    /**
     * Guards {@link #doorbell} between the worker thread (which opens and closes it) and the
     * threads that ring it: a ring after the close would write to whatever file reused the
     * descriptor number. Control-plane only; the worker's wait never takes it.
     */
    private final Object doorbellLock = new Object();
    /** The doorbell {@link #wake} rings, opened with the epoll instance; null before, after close, or when refused. */
    private EventFd doorbell;
    /** Its descriptor, or -1: the worker thread's copy, read without the lock. */
    private int doorbellFd = -1;

    /** Ends the worker's current (or next) wait at once: its table has changed. Any thread. */
    public void wake() {
        synchronized (doorbellLock) {
            if (doorbell != null) {
                doorbell.ring();
            }
        }
    }

    /**
     * Sleeps until one of {@code table}'s ports is readable, {@link #wake} is called, or
     * {@code timeoutMs} passes.
     *
     * @return the ports that ended the sleep (0: the timeout, a signal, or {@link #wake} alone), or
     *         {@link FrameWaiter#CANNOT_WAIT}, without sleeping, when a port of the table has no
     *         descriptor or there is no epoll instance
     */
    public int await(PortIo[] table, int timeoutMs) {
        if (epoll == null) {
            if (epollFailed) {
                return FrameWaiter.CANNOT_WAIT;
            }
            epollFailed = true;
            epoll = Epoll.open();
            epollFailed = false;
            openDoorbell();
        }
        if (table != syncedTable) {
            sync(table);
        }
        if (!waitable) {
            return FrameWaiter.CANNOT_WAIT;
        }
        int ready = epoll.await(timeoutMs);
        if (ready <= 0) {
            return 0;
        }
        // a doorbell is no port: a worker whose ports "woke it with nothing to read" backs off
        // (AdaptiveIdleStrategy), which a new table must not cause
        int bell = this.doorbellFd;
        for (int k = 0; k < ready && bell >= 0; k++) {
            if (epoll.readyFd(k) == bell) {
                return ready - 1;
            }
        }
        return ready;
    }

    /** Adds a doorbell to the new epoll set; without one (refused), a new table is seen at the next timeout. */
    private void openDoorbell() {
        EventFd bell;
        try {
            bell = EventFd.open();
        } catch (NetDeviceException e) {
            return;
        }
        if (epoll.addEdgeTriggered(bell.fd()) != 0) {
            bell.close();
            return;
        }
        synchronized (doorbellLock) {
            doorbell = bell;
        }
        doorbellFd = bell.fd();
    }

    private void sync(PortIo[] table) {
        syncedTable = table;
        boolean all = true;
        Arrays.fill(wanted, null);
        for (PortIo port : table) {
            if (port == null) {
                continue;
            }
            int fd = port.waitFd();
            if (fd < 0) {
                all = false;
                continue;
            }
            if (fd >= wanted.length) {
                int length = Math.max(fd + 1, wanted.length * 2);
                wanted = Arrays.copyOf(wanted, length);
                registered = Arrays.copyOf(registered, length);
            }
            wanted[fd] = port;
        }
        for (int fd = 0; fd < registered.length; fd++) {
            PortIo was = registered[fd];
            PortIo now = wanted[fd];
            if (was == now) {
                continue;
            }
            if (was != null) {
                epoll.remove(fd);
                registered[fd] = null;
            }
            if (now != null) {
                int refused = epoll.add(fd);
                if (refused == 0) {
                    registered[fd] = now;
                } else {
                    all = false; // a descriptor closed under us: park this time, retry at the next table
                }
            }
        }
        waitable = all;
    }

    @Override
    public void close() {
        synchronized (doorbellLock) {
            if (doorbell != null) {
                doorbell.close();
                doorbell = null;
            }
        }
        doorbellFd = -1;
        if (epoll != null) {
            epoll.close();
            epoll = null;
        }
    }
}
