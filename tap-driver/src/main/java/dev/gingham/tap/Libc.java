package dev.gingham.tap;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The libc calls the driver makes, as java.lang.foreign downcalls (no JNI, no JNA), and the
 * Linux x86-64/aarch64 constants they take.
 *
 * <p>Every handle captures {@code errno} ({@link Linker.Option#captureCallState}): the JVM may
 * run code between a native call's return and a later read of the thread's errno, so the value
 * is copied into a caller-supplied segment ({@link #captureSegment}) as part of the call itself.
 *
 * <p>{@link #read} and {@link #write} take the buffer as a raw address ({@code long}) rather
 * than a {@code MemorySegment}: the data path passes {@code pool base + offset}, which needs no
 * slice object per frame. The caller keeps the memory alive (the pool is closed only after the
 * queues). Control-plane callers use the {@code MemorySegment} forms.
 */
final class Libc {
    static final int O_RDONLY = 0;
    static final int O_RDWR = 2;
    static final int O_NONBLOCK = 0x800;
    static final int O_CLOEXEC = 0x8_0000;
    static final int F_GETFL = 3;
    static final int F_SETFL = 4;
    static final int CLONE_NEWNET = 0x4000_0000;

    static final int EPERM = 1;
    static final int ENOENT = 2;
    static final int EINTR = 4;
    static final int EIO = 5;
    static final int ENXIO = 6;
    static final int EAGAIN = 11;
    static final int EACCES = 13;
    static final int EBUSY = 16;
    static final int EEXIST = 17;
    static final int ENODEV = 19;
    static final int EINVAL = 22;
    static final int EBADF = 9;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final StructLayout CAPTURE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CAPTURE.varHandle(MemoryLayout.PathElement.groupElement("errno"));

    private static final MethodHandle OPEN = errnoCapturing("open", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle CLOSE = errnoCapturing("close", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    private static final MethodHandle READ = errnoCapturing("read",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_LONG));
    private static final MethodHandle WRITE = errnoCapturing("write",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_LONG));
    /** ioctl(fd, request, void *argp): the variadic third argument as a pointer. */
    private static final MethodHandle IOCTL_POINTER = errnoCapturing("ioctl",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS), Linker.Option.firstVariadicArg(2));
    /** ioctl(fd, request, unsigned long value): requests that take their argument by value. */
    private static final MethodHandle IOCTL_VALUE = errnoCapturing("ioctl",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG), Linker.Option.firstVariadicArg(2));
    private static final MethodHandle FCNTL_GET = errnoCapturing("fcntl",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT), Linker.Option.firstVariadicArg(2));
    private static final MethodHandle FCNTL_SET = errnoCapturing("fcntl",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT), Linker.Option.firstVariadicArg(2));
    private static final MethodHandle SETNS = errnoCapturing("setns", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
    private static final MethodHandle SOCKET = errnoCapturing("socket",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT));
    private static final MethodHandle SETSOCKOPT = errnoCapturing("setsockopt",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle BIND = errnoCapturing("bind",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle SEND = errnoCapturing("send",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT));
    private static final MethodHandle RECV = errnoCapturing("recv",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT));
    /** sendmmsg(fd, struct mmsghdr *, unsigned vlen, int flags): the vector as a raw address. */
    private static final MethodHandle SENDMMSG = errnoCapturing("sendmmsg",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_INT, JAVA_INT));
    /** recvmmsg(fd, struct mmsghdr *, unsigned vlen, int flags, struct timespec *): no timeout (NULL) is passed as 0. */
    private static final MethodHandle RECVMMSG = errnoCapturing("recvmmsg",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_LONG));
    /**
     * The same three calls without errno capture, for the batched data path: a capturing downcall
     * slices its capture segment on every call, and whether the JIT scalar-replaces that slice
     * depends on how it inlined the caller (the daemon's worker allocated 40 bytes a call under
     * load). A downcall of primitives only allocates nothing, compiled or not. The caller learns
     * "nothing waiting" from SIOCINQ instead of EAGAIN, and repeats a failed call through the
     * capturing handle (error paths only) to learn the errno.
     */
    private static final MethodHandle SENDMMSG_PLAIN = plain("sendmmsg",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_INT, JAVA_INT));
    private static final MethodHandle RECVMMSG_PLAIN = plain("recvmmsg",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_LONG));
    private static final MethodHandle IOCTL_PLAIN = LINKER.downcallHandle(LINKER.defaultLookup().find("ioctl").orElseThrow(),
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG), Linker.Option.firstVariadicArg(2));
    private static final MethodHandle EPOLL_CREATE1 = errnoCapturing("epoll_create1",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    /** eventfd(initval, flags). */
    private static final MethodHandle EVENTFD = errnoCapturing("eventfd",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
    /** epoll_ctl(epfd, op, fd, struct epoll_event *): the event as a raw address. */
    private static final MethodHandle EPOLL_CTL = errnoCapturing("epoll_ctl",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG));
    /** epoll_wait without errno capture: it runs on an idle worker, which must not allocate either. */
    private static final MethodHandle EPOLL_WAIT_PLAIN = plain("epoll_wait",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_INT, JAVA_INT));
    /** ioctl: bytes of the first frame waiting in a socket's receive queue (0: none). */
    static final long SIOCINQ = 0x541B;
    /** syscall(number, int, void *, int): for bpf(2), which glibc does not wrap. */
    private static final MethodHandle SYSCALL_INT_POINTER_INT = errnoCapturing("syscall",
            FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT), Linker.Option.firstVariadicArg(1));
    private static final MethodHandle STRERROR = LINKER.downcallHandle(
            LINKER.defaultLookup().find("strerror").orElseThrow(), FunctionDescriptor.of(ADDRESS, JAVA_INT));

    private Libc() {
    }

    private static MethodHandle errnoCapturing(String name, FunctionDescriptor descriptor, Linker.Option... extra) {
        Linker.Option[] options = new Linker.Option[extra.length + 1];
        options[0] = Linker.Option.captureCallState("errno");
        System.arraycopy(extra, 0, options, 1, extra.length);
        MemorySegment symbol = LINKER.defaultLookup().find(name)
                .orElseThrow(() -> new IllegalStateException("libc has no '" + name + "'"));
        return LINKER.downcallHandle(symbol, descriptor, options);
    }

    private static MethodHandle plain(String name, FunctionDescriptor descriptor) {
        MemorySegment symbol = LINKER.defaultLookup().find(name)
                .orElseThrow(() -> new IllegalStateException("libc has no '" + name + "'"));
        return LINKER.downcallHandle(symbol, descriptor);
    }

    /** Returns: a segment for the errno of calls made through this class, allocated in {@code arena}. */
    static MemorySegment captureSegment(Arena arena) {
        return arena.allocate(CAPTURE);
    }

    /** Returns: the errno the last call through this class stored in {@code capture}. */
    static int errno(MemorySegment capture) {
        return (int) ERRNO.get(capture, 0L);
    }

    /** Returns: "ENOENT (No such file or directory)" style text for messages. Control plane only. */
    static String describe(int errno) {
        String text;
        try {
            MemorySegment s = (MemorySegment) STRERROR.invokeExact(errno);
            text = s.reinterpret(256).getString(0);
        } catch (Throwable t) {
            text = "errno " + errno;
        }
        String name = switch (errno) {
            case EPERM -> "EPERM";
            case ENOENT -> "ENOENT";
            case EINTR -> "EINTR";
            case EIO -> "EIO";
            case ENXIO -> "ENXIO";
            case EAGAIN -> "EAGAIN";
            case EACCES -> "EACCES";
            case EBUSY -> "EBUSY";
            case EEXIST -> "EEXIST";
            case ENODEV -> "ENODEV";
            case EINVAL -> "EINVAL";
            default -> "errno " + errno;
        };
        return name + " (" + text + ")";
    }

    static int open(MemorySegment capture, MemorySegment path, int flags) {
        try {
            return (int) OPEN.invokeExact(capture, path, flags);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static int close(MemorySegment capture, int fd) {
        try {
            return (int) CLOSE.invokeExact(capture, fd);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** read(2) into the raw address {@code address}. Returns: bytes read, or -1 with errno in {@code capture}. */
    static long read(MemorySegment capture, int fd, long address, long bytes) {
        try {
            return (long) READ.invokeExact(capture, fd, address, bytes);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** write(2) from the raw address {@code address}. Returns: bytes written, or -1 with errno in {@code capture}. */
    static long write(MemorySegment capture, int fd, long address, long bytes) {
        try {
            return (long) WRITE.invokeExact(capture, fd, address, bytes);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * sendmmsg(2) of the {@code count} messages at the raw address {@code messages}. Returns: how many
     * were sent (the first {@code n}), or -1 with errno in {@code capture} when not even the first was.
     */
    static int sendmmsg(MemorySegment capture, int fd, long messages, int count, int flags) {
        try {
            return (int) SENDMMSG.invokeExact(capture, fd, messages, count, flags);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * recvmmsg(2) into the {@code count} messages at the raw address {@code messages}, without a
     * timeout. Returns: how many were filled, or -1 with errno in {@code capture}.
     */
    static int recvmmsg(MemorySegment capture, int fd, long messages, int count, int flags) {
        try {
            return (int) RECVMMSG.invokeExact(capture, fd, messages, count, flags, 0L);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** sendmmsg(2) without errno capture. Returns: messages sent, or -1 (errno not kept: repeat with {@link #sendmmsg}). */
    static int sendmmsgPlain(int fd, long messages, int count, int flags) {
        try {
            return (int) SENDMMSG_PLAIN.invokeExact(fd, messages, count, flags);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** recvmmsg(2) without errno capture or timeout. Returns: messages filled, or -1 (errno not kept). */
    static int recvmmsgPlain(int fd, long messages, int count, int flags) {
        try {
            return (int) RECVMMSG_PLAIN.invokeExact(fd, messages, count, flags, 0L);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** ioctl(fd, request, int *) without errno capture, the int at the raw address {@code intAddress}. Returns: 0, or -1. */
    static int ioctlPlain(int fd, long request, long intAddress) {
        try {
            return (int) IOCTL_PLAIN.invokeExact(fd, request, intAddress);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** eventfd(2). Returns: the descriptor, or -1 with errno in {@code capture}. */
    static int eventfd(MemorySegment capture, int initialValue, int flags) {
        try {
            return (int) EVENTFD.invokeExact(capture, initialValue, flags);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static int epollCreate1(MemorySegment capture, int flags) {
        try {
            return (int) EPOLL_CREATE1.invokeExact(capture, flags);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** epoll_ctl(2) with the event at the raw address {@code event}. Returns: 0, or -1 with errno in {@code capture}. */
    static int epollCtl(MemorySegment capture, int epfd, int op, int fd, long event) {
        try {
            return (int) EPOLL_CTL.invokeExact(capture, epfd, op, fd, event);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** epoll_wait(2) into the events at the raw address {@code events}. Returns: ready descriptors, 0 on timeout, or -1. */
    static int epollWaitPlain(int epfd, long events, int maxEvents, int timeoutMs) {
        try {
            return (int) EPOLL_WAIT_PLAIN.invokeExact(epfd, events, maxEvents, timeoutMs);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static int ioctl(MemorySegment capture, int fd, long request, MemorySegment argument) {
        try {
            return (int) IOCTL_POINTER.invokeExact(capture, fd, request, argument);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static int ioctl(MemorySegment capture, int fd, long request, long value) {
        try {
            return (int) IOCTL_VALUE.invokeExact(capture, fd, request, value);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static int fcntlGet(MemorySegment capture, int fd, int command) {
        try {
            return (int) FCNTL_GET.invokeExact(capture, fd, command);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static int fcntlSet(MemorySegment capture, int fd, int command, int value) {
        try {
            return (int) FCNTL_SET.invokeExact(capture, fd, command, value);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static int setns(MemorySegment capture, int fd, int type) {
        try {
            return (int) SETNS.invokeExact(capture, fd, type);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static int socket(MemorySegment capture, int domain, int type, int protocol) {
        try {
            return (int) SOCKET.invokeExact(capture, domain, type, protocol);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static int setsockopt(MemorySegment capture, int fd, int level, int name, MemorySegment value, int length) {
        try {
            return (int) SETSOCKOPT.invokeExact(capture, fd, level, name, value, length);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static int bind(MemorySegment capture, int fd, MemorySegment address, int length) {
        try {
            return (int) BIND.invokeExact(capture, fd, address, length);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static long send(MemorySegment capture, int fd, MemorySegment buffer, long bytes, int flags) {
        try {
            return (long) SEND.invokeExact(capture, fd, buffer, bytes, flags);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static long recv(MemorySegment capture, int fd, MemorySegment buffer, long bytes, int flags) {
        try {
            return (long) RECV.invokeExact(capture, fd, buffer, bytes, flags);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** syscall(2) with arguments (int, pointer, int), as bpf(cmd, attr, size) takes. Returns: its result, or -1 with errno. */
    static long syscall(MemorySegment capture, long number, int first, MemorySegment second, int third) {
        try {
            return (long) SYSCALL_INT_POINTER_INT.invokeExact(capture, number, first, second, third);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** A downcall throws only for a linkage bug (wrong types): surface it unchanged. */
    private static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) {
            throw r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        throw new IllegalStateException("native call failed", t);
    }
}
