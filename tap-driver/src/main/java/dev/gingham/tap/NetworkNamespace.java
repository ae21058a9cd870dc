package dev.gingham.tap;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * Runs control-plane work inside a network namespace: a named one (created by {@code ip netns add},
 * a bind mount at {@code /var/run/netns/NAME}) or one given by an absolute path (what a container
 * runtime hands a CNI plugin: {@code /proc/PID/ns/net} or its own bind mount such as
 * {@code /var/run/netns/cni-1234}): the one place Gingham calls {@code setns}. Every method that
 * takes a namespace takes either form: a reference starting with '/' is a path, anything else a
 * name under {@link #DIRECTORY}.
 *
 * <p>Why this trick: a socket, and a {@code /dev/net/tun} file, belong to the namespace of the
 * thread that created them, for their whole life, whichever thread uses them later. So an
 * rtnetlink socket that configures a pod's interface must be created by a thread standing in the
 * pod's namespace; after that, any thread may use it. {@code setns(CLONE_NEWNET)} moves only
 * the calling OS thread, so {@link #call} runs the task on a fresh platform thread (never a
 * virtual thread, which would hop between carrier threads), enters the namespace there, runs
 * the task, and returns the thread to the namespace it started in before it ends (the thread
 * dies right after; restoring anyway keeps the rule "no thread is left in a foreign namespace"
 * true even if this is ever changed to reuse threads). The caller's own thread never changes
 * namespace.
 *
 * <p>What a task should do inside: create sockets or open files that must belong to the
 * namespace, and return them. Long work belongs outside.
 */
public final class NetworkNamespace {
    /** Where {@code ip netns} keeps its named namespaces. */
    public static final Path DIRECTORY = Path.of("/var/run/netns");
    private static final String THREAD_NAMESPACE = "/proc/thread-self/ns/net";

    private NetworkNamespace() {
    }

    /**
     * Returns: the file of namespace {@code name}: the path itself when it is absolute (starts
     * with '/'), else {@code /var/run/netns/NAME}.
     *
     * @throws NetDeviceException NAMESPACE_MISSING for a name that cannot be a file in {@link #DIRECTORY}
     *                            or a path with "." or ".." components
     */
    public static Path path(String name) {
        if (name != null && name.startsWith("/")) {
            Path file = Path.of(name);
            if (!file.normalize().equals(file) || name.indexOf('\0') >= 0) {
                throw new NetDeviceException(NetDeviceException.Reason.NAMESPACE_MISSING, 0,
                        "network namespace path '" + name + "' is not a normalized absolute path");
            }
            return file;
        }
        if (name == null || name.isEmpty() || name.equals(".") || name.equals("..") || name.indexOf('/') >= 0) {
            throw new NetDeviceException(NetDeviceException.Reason.NAMESPACE_MISSING, 0,
                    "network namespace name '" + name + "' is not a file name under " + DIRECTORY);
        }
        return DIRECTORY.resolve(name);
    }

    /** Returns: whether the namespace's file ({@code /var/run/netns/NAME}, or the path) exists. */
    public static boolean exists(String name) {
        return Files.exists(path(name));
    }

    /**
     * Runs {@code task} on a platform thread inside namespace {@code name} and returns its result;
     * {@code name == null} runs it on the calling thread, in the caller's namespace.
     *
     * @throws NetDeviceException NAMESPACE_MISSING when the namespace does not exist or its file
     *                            is not a network namespace; PERMISSION_DENIED without CAP_SYS_ADMIN;
     *                            and whatever the task throws (checked exceptions wrapped in
     *                            {@link IllegalStateException})
     */
    public static <T> T call(String name, Callable<T> task) {
        if (name == null) {
            return callHere(task);
        }
        int target = open(name);
        try {
            Outcome<T> outcome = new Outcome<>();
            Thread thread = Thread.ofPlatform().name("gingham-netns-" + path(name).getFileName()).unstarted(() -> runInside(name, target, task, outcome));
            thread.start();
            boolean interrupted = false;
            while (true) {
                try {
                    thread.join();
                    break;
                } catch (InterruptedException e) {
                    interrupted = true; // the task holds kernel objects: let it finish, then re-interrupt
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
            if (outcome.failure instanceof RuntimeException r) {
                throw r;
            }
            if (outcome.failure instanceof Error e) {
                throw e;
            }
            if (outcome.failure != null) {
                throw new IllegalStateException("task in network namespace '" + name + "' failed: "
                        + outcome.failure.getMessage(), outcome.failure);
            }
            return outcome.value;
        } finally {
            closeQuietly(target);
        }
    }

    /**
     * Opens namespace {@code name}'s file (for {@code IFLA_NET_NS_FD}); the caller closes the fd.
     *
     * @throws NetDeviceException NAMESPACE_MISSING when it does not exist
     */
    static int open(String name) {
        Path file = path(name);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment errno = Libc.captureSegment(arena);
            int fd = Libc.open(errno, arena.allocateFrom(file.toString()), Libc.O_RDONLY | Libc.O_CLOEXEC);
            if (fd < 0) {
                int e = Libc.errno(errno);
                if (e == Libc.ENOENT) {
                    throw new NetDeviceException(NetDeviceException.Reason.NAMESPACE_MISSING, e,
                            "network namespace '" + name + "' does not exist (no " + file
                                    + (name.startsWith("/") ? ")" : "; create it with 'ip netns add " + name + "')"));
                }
                throw new NetDeviceException(e == Libc.EACCES || e == Libc.EPERM ? NetDeviceException.Reason.PERMISSION_DENIED
                        : NetDeviceException.Reason.SYSTEM_ERROR, e, "cannot open " + file + ": " + Libc.describe(e));
            }
            return fd;
        }
    }

    private static <T> void runInside(String name, int target, Callable<T> task, Outcome<T> outcome) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment errno = Libc.captureSegment(arena);
            int original = Libc.open(errno, arena.allocateFrom(THREAD_NAMESPACE), Libc.O_RDONLY | Libc.O_CLOEXEC);
            if (original < 0) {
                outcome.failure = new NetDeviceException(NetDeviceException.Reason.SYSTEM_ERROR, Libc.errno(errno),
                        "cannot open " + THREAD_NAMESPACE + ": " + Libc.describe(Libc.errno(errno)));
                return;
            }
            try {
                if (Libc.setns(errno, target, Libc.CLONE_NEWNET) != 0) {
                    int e = Libc.errno(errno);
                    outcome.failure = e == Libc.EINVAL
                            ? new NetDeviceException(NetDeviceException.Reason.NAMESPACE_MISSING, e, path(name)
                                    + " is not a network namespace" + (name.startsWith("/") ? ""
                                    : " (a leftover file? delete it with 'ip netns del " + name + "')"))
                            : new NetDeviceException(e == Libc.EPERM ? NetDeviceException.Reason.PERMISSION_DENIED
                                    : NetDeviceException.Reason.SYSTEM_ERROR, e,
                                    "cannot enter network namespace '" + name + "' (needs CAP_SYS_ADMIN): " + Libc.describe(e));
                    return;
                }
                try {
                    outcome.value = task.call();
                } catch (Throwable t) {
                    outcome.failure = t;
                } finally {
                    if (Libc.setns(errno, original, Libc.CLONE_NEWNET) != 0 && outcome.failure == null) {
                        outcome.failure = new NetDeviceException(NetDeviceException.Reason.SYSTEM_ERROR, Libc.errno(errno),
                                "cannot return from network namespace '" + name + "': " + Libc.describe(Libc.errno(errno)));
                    }
                }
            } finally {
                Libc.close(errno, original);
            }
        }
    }

    private static <T> T callHere(Callable<T> task) {
        try {
            return task.call();
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
    }

    private static void closeQuietly(int fd) {
        try (Arena arena = Arena.ofConfined()) {
            Libc.close(Libc.captureSegment(arena), fd);
        }
    }

    /** The task's result or failure, handed from the namespace thread (join orders the accesses). */
    private static final class Outcome<T> {
        T value;
        Throwable failure;
    }
}
