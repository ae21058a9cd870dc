package dev.gingham.dataplane.flow;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Predicate;

/**
 * The one consumer of the node's flow rings, fanning every event out to any number of
 * subscribers (the admin API's {@code /v1/flows} streams, each {@code gingham monitor}).
 *
 * <p>Why a hub: a {@link FlowRing} is single-consumer, and draining a record frees its slot, so
 * two {@link FlowReader}s over the same rings would each see only the events the other did not
 * take (and would race on the ring's head). Here one thread drains, decodes each record once and
 * hands the same event to every subscriber whose filter accepts it.
 *
 * <p>Why it drains when nobody listens: a ring nobody drains stays full, and then every event is
 * counted as an overflow; a subscriber would start with a backlog of stale events. Without
 * subscribers records are skipped undecoded (no allocation), so {@link FlowRing#overflows()}
 * counts only what the hub itself could not keep up with. Events are live from the moment one
 * subscribes, as with {@code cilium monitor}.
 *
 * <p>Subscribers are called on the hub's thread and must not block: a slow one loses events
 * (its own business to count), never the workers and never the other subscribers.
 */
public final class FlowHub implements AutoCloseable {
    /** Records taken from each ring per pass; a pass that found records is followed by another at once. */
    static final int BATCH_PER_RING = 1024;
    private static final FlowRing.RecordHandler SKIP = (segment, offset) -> { };

    private final List<FlowRing> rings;
    private final FlowReader reader;
    private final long pollPeriodNs;
    private final CopyOnWriteArrayList<Subscription> subscriptions = new CopyOnWriteArrayList<>();
    private final AtomicLong skipped = new AtomicLong();
    private final AtomicLong delivered = new AtomicLong();
    private final List<FlowEvent> batch = new ArrayList<>();
    private volatile boolean running;
    private Thread thread;

    /** Receives batches of events on the hub's thread; must return quickly. */
    @FunctionalInterface
    public interface Subscriber {
        /** @param events the events the subscription's filter accepted, oldest first (do not keep the list) */
        void onEvents(List<FlowEvent> events);
    }

    /** One subscriber and its filter; {@link #close()} ends it. */
    public final class Subscription implements AutoCloseable {
        private final Predicate<FlowEvent> filter;
        private final Subscriber subscriber;
        private final List<FlowEvent> accepted = new ArrayList<>();

        private Subscription(Predicate<FlowEvent> filter, Subscriber subscriber) {
            this.filter = filter;
            this.subscriber = subscriber;
        }

        @Override
        public void close() {
            subscriptions.remove(this);
        }
    }

    /**
     * @param pollPeriod how long the hub sleeps after a pass that found the rings empty
     */
    public FlowHub(List<FlowRing> rings, FlowNames names, String node, Duration pollPeriod) {
        this.rings = List.copyOf(rings);
        this.reader = new FlowReader(this.rings, names, node);
        this.pollPeriodNs = pollPeriod.toNanos();
        if (pollPeriodNs <= 0) {
            throw new IllegalArgumentException("pollPeriod must be positive, got " + pollPeriod);
        }
    }

    /** Starts the draining thread (a daemon thread named {@code gingham-flow-hub}). */
    public synchronized void start() {
        if (thread != null) {
            throw new IllegalStateException("flow hub already started");
        }
        running = true;
        thread = Thread.ofPlatform().daemon().name("gingham-flow-hub").start(this::loop);
    }

    private void loop() {
        while (running) {
            try {
                if (pollOnce() == 0) {
                    LockSupport.parkNanos(pollPeriodNs);
                }
            } catch (RuntimeException e) {
                // A subscriber that throws is removed by dispatch; anything else must not kill the
                // only consumer of the rings (they would fill and every event would be lost).
                LockSupport.parkNanos(pollPeriodNs);
            }
        }
    }

    /**
     * Adds a subscriber; it sees events drained from now on.
     *
     * @param filter which events it wants
     */
    public Subscription subscribe(Predicate<FlowEvent> filter, Subscriber subscriber) {
        Subscription s = new Subscription(Objects.requireNonNull(filter), Objects.requireNonNull(subscriber));
        subscriptions.add(s);
        return s;
    }

    /**
     * One pass over every ring: decode and dispatch when someone subscribes, skip otherwise. The
     * hub's thread calls it; tests without a thread may call it directly (never both at once:
     * rings are single-consumer).
     *
     * @return the number of records taken
     */
    public int pollOnce() {
        if (subscriptions.isEmpty()) {
            int taken = 0;
            for (FlowRing ring : rings) {
                taken += ring.drain(SKIP, BATCH_PER_RING);
            }
            skipped.addAndGet(taken);
            return taken;
        }
        batch.clear();
        int taken = reader.poll(batch::add, BATCH_PER_RING);
        if (!batch.isEmpty()) {
            dispatch();
        }
        return taken;
    }

    private void dispatch() {
        for (Subscription s : subscriptions) {
            s.accepted.clear();
            try {
                for (FlowEvent e : batch) {
                    if (s.filter.test(e)) {
                        s.accepted.add(e);
                    }
                }
                if (!s.accepted.isEmpty()) {
                    s.subscriber.onEvents(s.accepted);
                    delivered.addAndGet(s.accepted.size());
                }
            } catch (RuntimeException e) {
                s.close(); // a broken subscriber must not stop the others
            }
        }
    }

    /** Returns: the number of subscribers now. */
    public int subscribers() {
        return subscriptions.size();
    }

    /** Returns: records drained while nobody subscribed (not decoded, not delivered). */
    public long skipped() {
        return skipped.get();
    }

    /** Returns: events handed to subscribers, counted once per subscriber. */
    public long delivered() {
        return delivered.get();
    }

    /** Returns: records lost to full rings, over all workers. */
    public long overflows() {
        return reader.overflows();
    }

    /** Stops the thread (waits up to a second for it) and ends every subscription. */
    @Override
    public void close() {
        Thread t;
        synchronized (this) {
            running = false;
            t = thread;
        }
        if (t != null) {
            LockSupport.unpark(t);
            try {
                t.join(TimeUnit.SECONDS.toMillis(1));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        subscriptions.clear();
    }
}
