package dev.gingham.tap;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * An epoll instance over the descriptors of a worker's ports (TAP queues, the underlay's packet
 * socket), so that an idle worker can sleep until one of them has a frame instead of re-reading
 * every port and parking for a guessed period: the "interrupt" half of a poll-mode driver, as
 * VPP's adaptive receive mode and DPDK's receive interrupts switch to once a queue runs dry.
 *
 * <p>Level-triggered {@code EPOLLIN} on every port's descriptor: {@link #await} returns as soon as
 * any queue holds a frame, including one that was already waiting when the worker decided to
 * sleep, so no frame can be missed between the worker's last empty read and the wait. (An
 * {@link EventFd} doorbell is the one edge-triggered registration.) {@link #readyFd} names the
 * descriptors that ended a wait; a worker uses it only to tell its doorbell from its ports, since
 * its next cycle reads every port anyway.
 *
 * <p>One instance per worker thread; not thread-safe. {@link #await} allocates nothing (a plain
 * downcall of primitives), so an idle worker stays at 0 bytes allocated. A descriptor that is
 * closed while registered leaves the set by itself (the kernel drops a closed file's
 * registrations), which is why {@link #remove} ignores EBADF and ENOENT.
 */
public final class Epoll implements AutoCloseable {
    private static final int EPOLL_CLOEXEC = 0x8_0000;
    private static final int EPOLL_CTL_ADD = 1;
    private static final int EPOLL_CTL_DEL = 2;
    private static final int EPOLLIN = 0x001;
    private static final int EPOLLET = 1 << 31;
    /**
     * {@code struct epoll_event} is packed to 12 bytes on x86-64 (the data at offset 4) and
     * padded to 16 elsewhere (the data at offset 8). The data of every registration is its
     * descriptor, which {@link #readyFd} reads back.
     */
    private static final boolean PACKED_EVENTS = switch (System.getProperty("os.arch", "")) {
        case "amd64", "x86_64" -> true;
        default -> false;
    };
    private static final int EVENT_BYTES = PACKED_EVENTS ? 12 : 16;
    private static final int DATA_OFFSET = PACKED_EVENTS ? 4 : 8;
    /** Events one wait may return; more ready descriptors are simply reported by the next wait. */
    private static final int MAX_EVENTS = 16;

    private final Arena arena = Arena.ofShared();
    private final MemorySegment errno = Libc.captureSegment(arena);
    private final MemorySegment event = arena.allocate(16, 8);
    private final MemorySegment events = arena.allocate((long) EVENT_BYTES * MAX_EVENTS, 8);
    private final int epfd;

    private Epoll(int epfd) {
        this.epfd = epfd;
    }

    /**
     * Returns: a new, empty epoll instance.
     *
     * @throws NetDeviceException when the kernel refuses one (out of descriptors or memory)
     */
    public static Epoll open() {
        try (Arena call = Arena.ofConfined()) {
            MemorySegment capture = Libc.captureSegment(call);
            int fd = Libc.epollCreate1(capture, EPOLL_CLOEXEC);
            if (fd < 0) {
                int e = Libc.errno(capture);
                throw new NetDeviceException(NetDeviceException.Reason.SYSTEM_ERROR, e,
                        "epoll_create1 failed: " + Libc.describe(e));
            }
            return new Epoll(fd);
        }
    }

    /**
     * Adds {@code fd}, to wake {@link #await} when it is readable.
     *
     * @return 0, or the errno of the refusal (EEXIST: registered already; EBADF: not open)
     */
    public int add(int fd) {
        return add(fd, EPOLLIN);
    }

    /**
     * Adds {@code fd} edge-triggered: {@link #await} wakes once each time it becomes readable (for
     * an {@link EventFd}: once per ring), and nothing needs to read it to stop it waking the next
     * wait. Not for a port: a frame already waiting would not wake the worker.
     *
     * @return 0, or the errno of the refusal
     */
    public int addEdgeTriggered(int fd) {
        return add(fd, EPOLLIN | EPOLLET);
    }

    private int add(int fd, int events) {
        event.set(ValueLayout.JAVA_LONG, 0, 0L);
        event.set(ValueLayout.JAVA_LONG, 8, 0L);
        event.set(ValueLayout.JAVA_INT, 0, events);
        event.set(ValueLayout.JAVA_LONG_UNALIGNED, DATA_OFFSET, fd);
        return Libc.epollCtl(errno, epfd, EPOLL_CTL_ADD, fd, event.address()) == 0 ? 0 : Libc.errno(errno);
    }

    /**
     * Removes {@code fd}. A descriptor closed since it was added has left the set already, so
     * "not registered" and "not open" are not failures.
     *
     * @return 0, or the errno of any other refusal
     */
    public int remove(int fd) {
        if (Libc.epollCtl(errno, epfd, EPOLL_CTL_DEL, fd, event.address()) == 0) {
            return 0;
        }
        int e = Libc.errno(errno);
        return e == Libc.ENOENT || e == Libc.EBADF ? 0 : e;
    }

    /**
     * Sleeps until a registered descriptor is readable or {@code timeoutMs} passes (0: just look).
     *
     * @return the number of readable descriptors (at most 16), 0 on timeout, -1 when interrupted by a signal
     */
    public int await(int timeoutMs) {
        return Libc.epollWaitPlain(epfd, events.address(), MAX_EVENTS, timeoutMs);
    }

    /** Returns: the descriptor of ready event {@code k} (0 .. what the last {@link #await} returned - 1). */
    public int readyFd(int k) {
        return (int) events.get(ValueLayout.JAVA_LONG_UNALIGNED, (long) k * EVENT_BYTES + DATA_OFFSET);
    }

    @Override
    public void close() {
        Libc.close(errno, epfd);
        arena.close();
    }
}
