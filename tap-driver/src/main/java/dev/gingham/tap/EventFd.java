package dev.gingham.tap;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A Linux eventfd used as a doorbell: another thread {@link #ring}s it to end a worker's
 * {@link Epoll#await} at once, for news that arrives through memory rather than through a port
 * (a new port table: a pod's TAP device that the sleeping worker does not watch yet, or a removed
 * one whose table the control agent waits to see retired).
 *
 * <p>Meant for an edge-triggered registration ({@link Epoll#addEdgeTriggered}): every ring is a new
 * event, and the counter is never read back, so a ring costs one {@code write} and the worker's
 * wait no extra system call. (The counter would refuse a write only after 2^64 - 2 rings.)
 *
 * <p>{@link #ring} is safe from any thread; {@link #close} only once no thread rings any more.
 */
public final class EventFd implements AutoCloseable {
    private static final int EFD_CLOEXEC = 0x8_0000;
    private static final int EFD_NONBLOCK = 0x800;

    private final Arena arena = Arena.ofShared();
    /** The value every ring adds: 1, written once, only read by {@code write(2)}. */
    private final MemorySegment one = arena.allocate(ValueLayout.JAVA_LONG);
    private final int fd;

    private EventFd(int fd) {
        this.fd = fd;
        one.set(ValueLayout.JAVA_LONG, 0, 1L);
    }

    /**
     * Returns: a new eventfd (non-blocking, closed on exec), its counter at 0.
     *
     * @throws NetDeviceException when the kernel refuses one (out of descriptors or memory)
     */
    public static EventFd open() {
        try (Arena call = Arena.ofConfined()) {
            MemorySegment capture = Libc.captureSegment(call);
            int fd = Libc.eventfd(capture, 0, EFD_CLOEXEC | EFD_NONBLOCK);
            if (fd < 0) {
                int e = Libc.errno(capture);
                throw new NetDeviceException(NetDeviceException.Reason.SYSTEM_ERROR, e, "eventfd failed: " + Libc.describe(e));
            }
            return new EventFd(fd);
        }
    }

    /** Returns: the descriptor, to register with an {@link Epoll}. */
    public int fd() {
        return fd;
    }

    /**
     * Adds 1 to the counter: the descriptor's edge-triggered registrations report it readable once.
     *
     * @return 0, or the errno of a refused write
     */
    public int ring() {
        try (Arena call = Arena.ofConfined()) {
            MemorySegment capture = Libc.captureSegment(call);
            return Libc.write(capture, fd, one.address(), Long.BYTES) == Long.BYTES ? 0 : Libc.errno(capture);
        }
    }

    @Override
    public void close() {
        try (Arena call = Arena.ofConfined()) {
            Libc.close(Libc.captureSegment(call), fd);
        }
        arena.close();
    }
}
