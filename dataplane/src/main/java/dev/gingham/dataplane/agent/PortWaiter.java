package dev.gingham.dataplane.agent;

import dev.gingham.tap.Epoll;

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
 * Worker thread only.
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
     * Sleeps until one of {@code table}'s ports is readable or {@code timeoutMs} passes.
     *
     * @return the ports that ended the sleep (0: the timeout, or a signal), or
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
        }
        if (table != syncedTable) {
            sync(table);
        }
        if (!waitable) {
            return FrameWaiter.CANNOT_WAIT;
        }
        return Math.max(epoll.await(timeoutMs), 0);
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
        if (epoll != null) {
            epoll.close();
            epoll = null;
        }
    }
}
