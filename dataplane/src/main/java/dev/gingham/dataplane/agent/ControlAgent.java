package dev.gingham.dataplane.agent;

import dev.gingham.dataplane.node.NodeState;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.ManyToOneConcurrentArrayQueue;
import org.agrona.concurrent.NanoClock;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import java.util.function.IntSupplier;

/**
 * The control agent (DESIGN.md §4): the one thread that writes the node's maps. Other threads
 * (the manifest watcher, the admin API, the CNI plugin's requests) never touch a map: they submit
 * a task, and the control agent runs it between conntrack sweeps. Each duty cycle it runs the
 * queued tasks, then its registered duties, then one paced conntrack sweep step (the slots due since
 * the last step, {@code NodeState.sweepConntrackDue}; expired flows release their SNAT ports), so
 * neither ever stalls the workers, which only read.
 *
 * <p>A task that throws is reported to the error handler and does not stop the agent (a bad
 * manifest must not take the node down; the task itself is responsible for leaving the previous
 * state in place).
 *
 * <p><b>Idle.</b> On its own thread the agent backs off to parks of up to
 * {@link #MAX_IDLE_PARK_NS} ({@link #idleStrategy()}): an idle node's control thread wakes 100
 * times a second, not the 1,000 of Agrona's default backoff, and each wake-up has a duty cycle's
 * worth of sweeping to do (the sweeper is paced by elapsed time, see {@code CtSweeper}).
 * {@link #submit} unparks the thread, so a task (an API request, a CNI ADD) does not wait out a
 * park.
 */
public final class ControlAgent implements Agent {
    private static final int TASK_QUEUE_CAPACITY = 1024;
    private static final int TASKS_PER_CYCLE = 16;
    /** The longest park of an idle control thread: 10 ms, 100 wake-ups a second. */
    public static final long MAX_IDLE_PARK_NS = TimeUnit.MILLISECONDS.toNanos(10);

    private final NodeState node;
    private final NanoClock clock;
    private final Consumer<Throwable> errors;
    private final ManyToOneConcurrentArrayQueue<Runnable> tasks = new ManyToOneConcurrentArrayQueue<>(TASK_QUEUE_CAPACITY);
    private final List<IntSupplier> duties = new ArrayList<>();
    private long sweptEntries;
    /** The thread running the agent (set in {@link #onStart}), unparked by {@link #submit}. */
    private volatile Thread thread;

    public ControlAgent(NodeState node, NanoClock clock, Consumer<Throwable> errors) {
        this.node = node;
        this.clock = clock;
        this.errors = errors;
    }

    /**
     * Adds a duty run every cycle after the tasks (closing retired devices, retrying failed pod
     * setups): returns the work it did. Register before the agent starts; not thread-safe.
     */
    public void addDuty(IntSupplier duty) {
        duties.add(duty);
    }

    /** Returns: the idle strategy for the control agent's own thread (parks of 1 us growing to {@link #MAX_IDLE_PARK_NS}). */
    public static IdleStrategy idleStrategy() {
        return idleStrategy(TimeUnit.MICROSECONDS.toNanos(1), MAX_IDLE_PARK_NS);
    }

    /** {@link #idleStrategy()} with other park bounds (tests). */
    static IdleStrategy idleStrategy(long minParkNs, long maxParkNs) {
        return new BackoffIdleStrategy(10, 5, minParkNs, maxParkNs);
    }

    /**
     * Queues a change for the control thread and wakes it if it is parked.
     *
     * @return false when the queue is full (the caller retries or reports; nothing waits)
     */
    public boolean submit(Runnable task) {
        boolean queued = tasks.offer(task);
        Thread running = thread;
        if (queued && running != null) {
            LockSupport.unpark(running);
        }
        return queued;
    }

    @Override
    public void onStart() {
        thread = Thread.currentThread();
    }

    @Override
    public void onClose() {
        thread = null;
    }

    @Override
    public int doWork() {
        int work = 0;
        Runnable task;
        while (work < TASKS_PER_CYCLE && (task = tasks.poll()) != null) {
            try {
                task.run();
            } catch (RuntimeException e) {
                errors.accept(e);
            }
            work++;
        }
        for (int d = 0, n = duties.size(); d < n; d++) {
            try {
                work += duties.get(d).getAsInt();
            } catch (RuntimeException e) {
                errors.accept(e);
            }
        }
        int swept = node.sweepConntrackDue(clock.nanoTime());
        sweptEntries += swept;
        return work + swept;
    }

    /** Returns: conntrack entries expired by this agent's sweeps. */
    public long sweptEntries() {
        return sweptEntries;
    }

    @Override
    public String roleName() {
        return "gingham-control";
    }
}
