package dev.gingham.tap;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * A pipe(2) for tests of readiness ({@link Epoll}, a worker's port waiter): a descriptor that
 * becomes readable when the test writes a byte, without root or a network device.
 */
public final class TestPipe implements AutoCloseable {
    private static final Linker LINKER = Linker.nativeLinker();
    private static final MethodHandle PIPE = LINKER.downcallHandle(LINKER.defaultLookup().find("pipe").orElseThrow(),
            FunctionDescriptor.of(JAVA_INT, ADDRESS));
    private static final MethodHandle WRITE = LINKER.downcallHandle(LINKER.defaultLookup().find("write").orElseThrow(),
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG));
    private static final MethodHandle READ = LINKER.downcallHandle(LINKER.defaultLookup().find("read").orElseThrow(),
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG));
    private static final MethodHandle CLOSE = LINKER.downcallHandle(LINKER.defaultLookup().find("close").orElseThrow(),
            FunctionDescriptor.of(JAVA_INT, JAVA_INT));

    private final int readFd;
    private final int writeFd;
    private boolean closed;

    public TestPipe() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment fds = arena.allocate(JAVA_INT, 2);
            if (call(() -> (int) PIPE.invokeExact(fds)) != 0) {
                throw new IllegalStateException("pipe(2) failed");
            }
            readFd = fds.getAtIndex(JAVA_INT, 0);
            writeFd = fds.getAtIndex(JAVA_INT, 1);
        }
    }

    /** Returns: the end that becomes readable. */
    public int readFd() {
        return readFd;
    }

    /** Makes the read end readable (one byte). */
    public void signal() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment b = arena.allocate(1);
            if (call(() -> (int) (long) WRITE.invokeExact(writeFd, b, 1L)) != 1) {
                throw new IllegalStateException("write to the pipe failed");
            }
        }
    }

    /** Takes the byte {@link #signal} wrote, so the read end is no longer readable. */
    public void drain() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment b = arena.allocate(1);
            if (call(() -> (int) (long) READ.invokeExact(readFd, b, 1L)) != 1) {
                throw new IllegalStateException("read from the pipe failed");
            }
        }
    }

    private interface NativeCall {
        int run() throws Throwable;
    }

    private static int call(NativeCall c) {
        try {
            return c.run();
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            int r = call(() -> (int) CLOSE.invokeExact(readFd));
            int w = call(() -> (int) CLOSE.invokeExact(writeFd));
            if (r != 0 || w != 0) {
                throw new IllegalStateException("close failed");
            }
        }
    }
}
