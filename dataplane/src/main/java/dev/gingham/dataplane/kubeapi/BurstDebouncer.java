package dev.gingham.dataplane.kubeapi;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;

/**
 * Turns a stream of "something changed" marks from any thread into runs of one task on a thread of
 * its own, once per burst: the task runs when no mark came for {@code quiet}, or when
 * {@code maxDelay} has passed since the first mark of the burst (so steady churn, a cluster whose
 * pods never stop changing, cannot postpone it forever). Marks that arrive while the task runs
 * start the next burst. Marking is lock-free and never blocks the marking thread (fabric8's
 * event threads).
 */
final class BurstDebouncer implements AutoCloseable {
    private final String threadName;
    private final long quietNs;
    private final long maxDelayNs;
    private final Runnable task;
    private final AtomicBoolean marked = new AtomicBoolean();
    private volatile long firstMarkNs;
    private volatile long lastMarkNs;
    private volatile boolean running;
    private volatile Thread thread;

    /** @param task run on the debouncer's thread; what it throws is its own business (catch inside) */
    BurstDebouncer(String threadName, Duration quiet, Duration maxDelay, Runnable task) {
        this.threadName = Objects.requireNonNull(threadName);
        this.quietNs = quiet.toNanos();
        this.maxDelayNs = maxDelay.toNanos();
        this.task = Objects.requireNonNull(task);
    }

    /** Something changed (any thread). Marks before {@link #start()} are kept: the first burst runs once started. */
    void mark() {
        long now = System.nanoTime();
        lastMarkNs = now;
        if (marked.compareAndSet(false, true)) {
            firstMarkNs = now;
            Thread t = thread;
            if (t != null) {
                LockSupport.unpark(t);
            }
        }
    }

    /** Forgets the marks so far (the caller just did the task's work itself). */
    void clear() {
        marked.set(false);
    }

    /** Starts the thread (a daemon thread named as given); a second call does nothing. */
    synchronized void start() {
        if (running) {
            return;
        }
        running = true;
        thread = Thread.ofPlatform().name(threadName).daemon().start(this::run);
    }

    private void run() {
        while (running) {
            if (!marked.get()) {
                LockSupport.park(this);
                continue;
            }
            long now = System.nanoTime();
            long waitNs = Math.min(quietNs - (now - lastMarkNs), maxDelayNs - (now - firstMarkNs));
            if (waitNs > 0) {
                LockSupport.parkNanos(this, waitNs);
                continue;
            }
            marked.set(false);
            task.run();
        }
    }

    /** Stops the thread and waits for it (at most a second: a task in progress finishes first). */
    @Override
    public void close() {
        Thread t;
        synchronized (this) {
            running = false;
            t = thread;
            thread = null;
        }
        if (t != null) {
            LockSupport.unpark(t);
            try {
                t.join(1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
