package dev.gingham.dataplane.daemon;

import dev.gingham.dataplane.agent.PortIo;
import dev.gingham.dataplane.agent.WorkerAgent;

import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.Consumer;

/**
 * The daemon's ports as every worker sees them: one table per worker ({@code table[w][port]}, the
 * worker's own queue of each device), changed only by the control thread and published to the
 * workers copy-on-write ({@link WorkerAgent#ports}).
 *
 * <p>Why retirement: a worker may be halfway through a duty cycle on the old table when a port
 * is removed, so the device behind it must not be closed yet (its file descriptor number could be
 * reused by the next device, and the worker would read another pod's frames). A removed port's
 * device is retired with each worker's duty-cycle count at that moment and closed by
 * {@link #reclaim()} once every worker has completed two more cycles (the first may have started
 * on the old table; the second started on the new one). Nothing waits: the control agent calls
 * {@code reclaim} every cycle, which works in the shared threading mode too, where the control
 * agent and the workers take turns on one thread.
 *
 * <p>Control thread only (not thread-safe).
 */
final class PortTable {
    /** How often {@link #sampleRxErrors} reads the ports' counters (a metric, not a per-frame figure). */
    static final long RX_ERROR_SAMPLE_PERIOD_NS = 1_000_000_000L;

    private final PortIo[][] tables;
    /** Per port, the read errors of its current device over every worker: written here, read by the API's threads. */
    private final AtomicLongArray rxErrors;
    private long nextRxErrorSampleNs = Long.MIN_VALUE;
    private final Deque<Retired> retired = new ArrayDeque<>();
    private final Consumer<Throwable> errors;
    private WorkerAgent[] workers = new WorkerAgent[0];

    private record Retired(AutoCloseable device, long[] cyclesAtRetirement, String name) {
    }

    PortTable(int workers, int maxPorts, Consumer<Throwable> errors) {
        this.tables = new PortIo[workers][maxPorts];
        this.rxErrors = new AtomicLongArray(maxPorts);
        this.errors = errors;
    }

    /** Connects the workers (their count must match) and publishes the current tables to them. */
    void attach(WorkerAgent[] agents) {
        if (agents.length != tables.length) {
            throw new IllegalArgumentException("expected " + tables.length + " workers, got " + agents.length);
        }
        this.workers = agents.clone();
        publish();
    }

    /**
     * Sets port {@code port}: {@code perWorker[w]} is worker w's queue of the device.
     *
     * @throws IllegalArgumentException when the port is out of range or the queue count is wrong
     */
    void set(int port, PortIo[] perWorker) {
        if (port < 0 || port >= tables[0].length) {
            throw new IllegalArgumentException("port " + port + " is outside 0.." + (tables[0].length - 1));
        }
        if (perWorker.length != tables.length) {
            throw new IllegalArgumentException("port " + port + ": " + perWorker.length + " queues for " + tables.length + " workers");
        }
        for (int w = 0; w < tables.length; w++) {
            tables[w][port] = perWorker[w];
        }
        publish();
    }

    /**
     * Removes port {@code port} from every worker's table and retires {@code device} (closed by
     * {@link #reclaim()} when no worker can still be using it). A null device only clears the port.
     */
    void remove(int port, AutoCloseable device, String name) {
        for (PortIo[] table : tables) {
            table[port] = null;
        }
        publish();
        if (device != null) {
            long[] cycles = new long[workers.length];
            for (int w = 0; w < workers.length; w++) {
                cycles[w] = workers[w].dutyCycles();
            }
            retired.add(new Retired(device, cycles, name));
        }
    }

    /** Returns: whether a port is set. */
    boolean isSet(int port) {
        return tables[0][port] != null;
    }

    /**
     * Closes retired devices no worker can still be using.
     *
     * @return the number closed
     */
    int reclaim() {
        int closed = 0;
        while (!retired.isEmpty() && unused(retired.peekFirst())) {
            close(retired.pollFirst());
            closed++;
        }
        return closed;
    }

    /** Closes every retired device at once: for the daemon's stop, after the workers stopped. */
    void closeRetired() {
        while (!retired.isEmpty()) {
            close(retired.pollFirst());
        }
    }

    /**
     * Control duty: once a second, sums each port's read errors over the workers' queues into a
     * table the API's threads may read ({@link #rxErrors}), so /metrics shows them without a
     * counter on the per-frame path (the queues count them already) and without another thread
     * walking this control-thread table. A port whose device was replaced shows the new device's.
     *
     * @return 0 (no work that should keep the control agent from idling)
     */
    int sampleRxErrors(long nowNs) {
        if (nowNs < nextRxErrorSampleNs) {
            return 0;
        }
        nextRxErrorSampleNs = nowNs + RX_ERROR_SAMPLE_PERIOD_NS;
        for (int port = 0; port < tables[0].length; port++) {
            long sum = 0;
            for (PortIo[] table : tables) {
                PortIo io = table[port];
                if (io != null) {
                    sum += io.rxErrorCount();
                }
            }
            rxErrors.setRelease(port, sum);
        }
        return 0;
    }

    /** Returns: port {@code port}'s read errors as last sampled (any thread). */
    long rxErrors(int port) {
        return rxErrors.getAcquire(port);
    }

    /** Returns: devices retired and not yet closed. */
    int retiredCount() {
        return retired.size();
    }

    private boolean unused(Retired r) {
        for (int w = 0; w < workers.length; w++) {
            if (workers[w].dutyCycles() < r.cyclesAtRetirement()[w] + 2) {
                return false;
            }
        }
        return true;
    }

    private void close(Retired r) {
        try {
            r.device().close();
        } catch (Exception e) {
            errors.accept(new IllegalStateException("closing the device of " + r.name() + " failed: " + e.getMessage(), e));
        }
    }

    private void publish() {
        for (int w = 0; w < workers.length; w++) {
            workers[w].ports(Arrays.copyOf(tables[w], tables[w].length));
        }
    }
}
