package dev.gingham.dataplane.agent;

import dev.gingham.dataplane.program.NodePipeline;
import dev.gingham.packet.BufferPool;
import dev.gingham.packet.DropReason;
import dev.gingham.packet.FrameVector;
import dev.gingham.packet.Verdict;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.NanoClock;
import org.HdrHistogram.SingleWriterRecorder;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Arrays;

/**
 * A poll-mode worker (VPP's worker thread, DPDK's lcore loop): every duty cycle it reads the
 * clock once, then for each of its ports reads a burst of frames into its vector, runs the node
 * pipeline over the burst, transmits every frame whose verdict is TX on the port the verdict names,
 * and gives all buffers back to its pool. Drops were counted by the pipeline; frames a port could
 * not take are counted as TX errors of that port and as drops with the reason the port gave.
 *
 * <p>Transmit is per output port, not per frame: the frames of a burst bound for one port are
 * handed over together ({@link PortIo#transmitBatch}, in their order in the vector), so a batched
 * underlay sends a burst with one system call; other ports still write them one by one.
 *
 * <p>Ports come and go (pods are created and deleted): the control agent publishes a new port
 * table ({@link #ports(PortIo[])}, indexed by port number, copy-on-write) and the worker picks it
 * up at its next duty cycle; a TX to a port that is gone is a TX error of that port. The table
 * should span every port number ({@code NodeSizes.maxPorts()}). The pipeline's latency per
 * burst goes into an HdrHistogram recorder the control agent samples. Single-threaded: one agent
 * per worker; allocates nothing per frame or per cycle.
 */
public final class WorkerAgent implements Agent, FrameWaiter {
    /**
     * The longest per-burst latency recorded as itself (1 s); longer ones are recorded as this. The
     * latency recorder must be built with this as its highest trackable value: an auto-resizing
     * HdrHistogram reallocates its counts array (about 140 KB) on the worker whenever a burst sets
     * a new maximum (a descheduled worker on a loaded machine does), and a fixed-range one throws
     * for a value beyond its range.
     */
    public static final long MAX_RECORDED_LATENCY_NS = 1_000_000_000L;
    private static final VarHandle DUTY_CYCLES;
    private static final VarHandle BUSY_NS;

    static {
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            DUTY_CYCLES = lookup.findVarHandle(WorkerAgent.class, "dutyCycles", long.class);
            BUSY_NS = lookup.findVarHandle(WorkerAgent.class, "busyNs", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final int worker;
    private final NodePipeline pipeline;
    private final FrameVector vector;
    private final NanoClock clock;
    private final PortCounters counters;
    private final SingleWriterRecorder latencyNs;
    private final int burstFrames;
    private volatile PortIo[] ports = new PortIo[0];
    /** The frames of one burst bound for one port, handed to it at once. */
    private final int[] txFrames = new int[FrameVector.MAX_FRAMES];
    /** Their lengths before the port saw them (a port may merge frames into the first of a run). */
    private final int[] txLengths = new int[FrameVector.MAX_FRAMES];
    /** Bit per frame of the burst: already handed to its port. */
    private final long[] txHandled = new long[FrameVector.MAX_FRAMES / Long.SIZE];
    private long txToUnknownPort;
    /** Completed duty cycles; other threads read it (release/acquire) to know a port table is no longer in use. */
    private long dutyCycles;
    /** Time spent in duty cycles that found work, up to the start of the current cycle. */
    private long busyNs;
    private long previousCycleNs;
    private boolean previousCycleWorked;
    /** The epoll set of the ports, for {@link #awaitFrames}. */
    private final PortWaiter waiter = new PortWaiter();

    /**
     * @param pool        this worker's buffers (never shared)
     * @param clock       the node clock (monotonic; replay and tests pass a virtual one)
     * @param latencyNs   per-burst pipeline latency recorder with a fixed range up to {@link #MAX_RECORDED_LATENCY_NS}, or null
     * @param burstFrames frames read per port per cycle (1..256)
     */
    public WorkerAgent(int worker, NodePipeline pipeline, BufferPool pool, NanoClock clock, PortCounters counters,
                       SingleWriterRecorder latencyNs, int burstFrames) {
        if (burstFrames < 1 || burstFrames > FrameVector.MAX_FRAMES) {
            throw new IllegalArgumentException("burstFrames: must be 1.." + FrameVector.MAX_FRAMES + ", got " + burstFrames);
        }
        this.worker = worker;
        this.pipeline = pipeline;
        this.vector = new FrameVector(pool);
        this.clock = clock;
        this.counters = counters;
        this.latencyNs = latencyNs;
        this.burstFrames = burstFrames;
    }

    /**
     * Publishes the port table: {@code table[p]} is port p's I/O, or null. The worker reads it next
     * cycle; a worker asleep on its old ports is woken for it.
     */
    public void ports(PortIo[] table) {
        this.ports = table.clone();
        waiter.wake();
    }

    /**
     * Sleeps until one of the ports of the table in use has a frame, or {@code timeoutMs} passes
     * ({@link AdaptiveIdleStrategy}); the worker thread's own call, between duty cycles.
     *
     * @return as {@link FrameWaiter#awaitFrames} (see {@link PortWaiter} for a refused epoll instance)
     */
    @Override
    public int awaitFrames(int timeoutMs) {
        return waiter.await(ports, timeoutMs);
    }

    @Override
    public void onClose() {
        waiter.close();
    }

    @Override
    public int doWork() {
        PortIo[] table = ports;
        long nowNs = clock.nanoTime();
        if (previousCycleWorked) {
            BUSY_NS.setOpaque(this, busyNs + (nowNs - previousCycleNs));
        }
        int work = 0;
        for (PortIo port : table) {
            if (port != null) {
                work += poll(port, table, nowNs);
            }
        }
        previousCycleNs = nowNs;
        previousCycleWorked = work > 0;
        DUTY_CYCLES.setRelease(this, dutyCycles + 1);
        return work;
    }

    private int poll(PortIo port, PortIo[] table, long nowNs) {
        FrameVector v = vector;
        int portBurst = port.burstFrames();
        int received = port.receive(v, portBurst > 0 && portBurst < burstFrames ? portBurst : burstFrames);
        if (received == 0) {
            return 0;
        }
        int in = port.port();
        for (int i = 0; i < received; i++) {
            counters.add(worker, in, PortCounters.RX_BYTES, v.length(i));
        }
        counters.add(worker, in, PortCounters.RX_PACKETS, received);
        pipeline.run(v, nowNs);
        transmitAll(v, table);
        if (latencyNs != null) {
            latencyNs.recordValue(Math.clamp(clock.nanoTime() - nowNs, 0, MAX_RECORDED_LATENCY_NS));
        }
        v.releaseAll();
        return received;
    }

    /**
     * Hands each output port all the burst's frames bound for it, in vector order (a bit per frame
     * marks those already handed over), and counts the outcome; the rare frames a port did not send
     * are counted by {@link #notSent}.
     */
    private void transmitAll(FrameVector v, PortIo[] table) {
        long[] handled = txHandled;
        int[] frames = txFrames;
        Arrays.fill(handled, 0L);
        for (int i = 0, n = v.count(); i < n; i++) {
            int verdict = v.verdict(i);
            if (!Verdict.isTx(verdict) || (handled[i >>> 6] & 1L << i) != 0) {
                continue;
            }
            int count = 0;
            for (int j = i; j < n; j++) {
                if (v.verdict(j) == verdict) {
                    txLengths[count] = v.length(j);
                    frames[count++] = j;
                    handled[j >>> 6] |= 1L << j;
                }
            }
            int out = Verdict.port(verdict);
            PortIo port = out < table.length ? table[out] : null;
            if (port == null) {
                notSent(v, out, verdict, count, out >= table.length, true);
                continue;
            }
            port.transmitBatch(v, frames, count);
            long sent = 0;
            long bytes = 0;
            for (int k = 0; k < count; k++) {
                if (v.verdict(frames[k]) == verdict) {
                    sent++;
                    bytes += txLengths[k];
                }
            }
            if (sent > 0) {
                counters.add(worker, out, PortCounters.TX_PACKETS, sent);
                counters.add(worker, out, PortCounters.TX_BYTES, bytes);
            }
            if (sent < count) {
                notSent(v, out, verdict, count, false, false);
            }
        }
    }

    /**
     * Counts the frames of one port's batch that were not sent: as the port's TX errors and as drops
     * with the reason the port gave; a port beyond the table (a bug upstream) or gone (its pod was
     * deleted) gets TX_REJECTED.
     */
    private void notSent(FrameVector v, int out, int verdict, int count, boolean unknown, boolean gone) {
        long failed = 0;
        for (int k = 0; k < count; k++) {
            int i = txFrames[k];
            if (gone) {
                v.drop(i, DropReason.TX_REJECTED);
            }
            if (v.verdict(i) != verdict) {
                failed++;
                pipeline.countLateDrop(v, i);
            }
        }
        if (unknown) {
            txToUnknownPort += failed;
        } else {
            counters.add(worker, out, PortCounters.TX_ERRORS, failed);
        }
    }

    /**
     * Returns: duty cycles completed so far (any thread). A port table published before this value
     * was read is the only one the worker uses once the count has grown by two.
     */
    public long dutyCycles() {
        return (long) DUTY_CYCLES.getAcquire(this);
    }

    /**
     * Returns: nanoseconds spent in duty cycles that found frames (any thread; up to the start of
     * the latest cycle). The busy ratio is its growth over the wall time between two reads.
     */
    public long busyNs() {
        return (long) BUSY_NS.getOpaque(this);
    }

    /** Returns: this worker's number. */
    public int worker() {
        return worker;
    }

    /** Returns: frames whose TX verdict named a port number beyond the port table. */
    public long txToUnknownPort() {
        return txToUnknownPort;
    }

    @Override
    public String roleName() {
        return "gingham-worker-" + worker;
    }
}
