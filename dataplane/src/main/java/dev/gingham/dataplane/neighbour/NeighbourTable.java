package dev.gingham.dataplane.neighbour;

import dev.gingham.encap.TokenBucket;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The neighbour table of the underlay: for every address the node needs as a next hop, its MAC
 * and a state, the way Linux's neighbour subsystem keeps them (simplified to what a node with a
 * handful of next hops needs):
 *
 * <pre>
 *  INCOMPLETE  no MAC; a broadcast request every retryNs, {@code fastRequests} of them
 *  FAILED      no MAC, and retryNs after the last of those fast requests still no answer (Linux's
 *              FAILED, counted in {@link NeighbourSnapshot#resolutionFailures}); unlike Linux it keeps asking, by
 *              broadcast every slowRetryNs: a peer that is down is asked for, gently, until it is up
 *  REACHABLE   MAC known and confirmed (a reply, or a request from it to us) less than reachableNs ago
 *  PROBE       older than reachableNs: the MAC is still used while unicast requests to it ask
 *              whether it is still there, every retryNs; a confirmation makes it REACHABLE again,
 *              and with none for expiryNs since the last one the MAC is withdrawn (INCOMPLETE)
 * </pre>
 * A confirmation makes any entry REACHABLE.
 * Only wanted addresses ({@link #want}) have entries: what the workers observe about any other
 * address is ignored, so a flood of ARP on the underlay cannot fill the table. Requests are
 * rate-limited for the whole table by a token bucket; a request the bucket refuses is sent at a
 * later tick. Time is the caller's ({@code nowNs}), so tests run it on a virtual clock.
 *
 * <p>The control agent's thread only; allocation here is control-plane allocation. Its counters
 * are plain longs for the same reason: other threads see them only through a {@link #snapshot},
 * which the owner publishes (see {@link NeighbourResolver#snapshot}).
 */
public final class NeighbourTable {
    /** States of an entry. */
    public enum State { INCOMPLETE, REACHABLE, PROBE, FAILED }

    /** {@link Entry#confirmedNs} of an entry whose MAC was never confirmed. */
    public static final long NEVER_CONFIRMED = Long.MIN_VALUE;

    /**
     * The timers.
     *
     * @param reachableNs       how long a confirmation counts before refreshing starts
     * @param expiryNs          how long after its last confirmation an unanswered MAC is withdrawn (> reachableNs)
     * @param retryNs           interval of requests for an INCOMPLETE entry's first tries and for refreshes
     * @param slowRetryNs       interval of requests once {@code fastRequests} went unanswered
     * @param fastRequests      requests at {@code retryNs} before slowing down
     * @param requestsPerSecond token-bucket rate of requests for the whole table
     * @param requestBurst      token-bucket depth
     */
    public record Timers(long reachableNs, long expiryNs, long retryNs, long slowRetryNs, int fastRequests,
                         int requestsPerSecond, int requestBurst) {
        /** Linux-like defaults: 30 s reachable (base_reachable_time), refreshed for 30 s more, 1 s retries. */
        public static final Timers DEFAULTS = new Timers(30_000_000_000L, 60_000_000_000L, 1_000_000_000L,
                5_000_000_000L, 3, 20, 10);

        public Timers {
            if (reachableNs <= 0 || expiryNs <= reachableNs || retryNs <= 0 || slowRetryNs < retryNs || fastRequests < 1) {
                throw new IllegalArgumentException("neighbour timers: need 0 < reachableNs < expiryNs and 0 < retryNs <= slowRetryNs, "
                        + "fastRequests >= 1: " + this);
            }
        }
    }

    /** Sends one ARP request; returns false when it could not be sent (it is tried again at the next retry). */
    @FunctionalInterface
    public interface Requester {
        boolean request(int address, long knownMac);
    }

    /**
     * One entry, as {@link #entries} reports it.
     *
     * @param mac         0 while INCOMPLETE or FAILED
     * @param confirmedNs when the MAC was last confirmed, kept when it is withdrawn ("last seen");
     *                    {@link #NEVER_CONFIRMED} when it never was
     * @param requests    requests sent since the last confirmation (or withdrawal)
     */
    public record Entry(int address, long mac, State state, long confirmedNs, int requests) {
    }

    private static final class Slot {
        final int address;
        long mac;
        State state = State.INCOMPLETE;
        long confirmedNs = NEVER_CONFIRMED;
        long nextRequestNs;
        long lastRequestNs;
        int requests;

        Slot(int address, long nowNs) {
            this.address = address;
            this.nextRequestNs = nowNs;
        }
    }

    private final Timers timers;
    private final TokenBucket requestBudget;
    private final Map<Integer, Slot> slots = new LinkedHashMap<>();
    private long requestsSent;
    private long observations;
    private long confirmations;
    private long resolutionFailures;
    /** Bumped by every change an {@link Entry} or a counter shows, so the owner republishes only after one. */
    private long changes;

    public NeighbourTable(Timers timers) {
        this.timers = timers;
        this.requestBudget = new TokenBucket(timers.requestsPerSecond(), timers.requestBurst());
    }

    /**
     * Makes the table hold exactly {@code addresses} (0 is ignored): new ones start INCOMPLETE
     * and are asked for at the next {@link #tick}; entries no longer wanted are forgotten.
     */
    public void want(int[] addresses, long nowNs) {
        Set<Integer> wanted = new HashSet<>();
        int before = slots.size();
        for (int address : addresses) {
            if (address != 0 && wanted.add(address)) {
                slots.computeIfAbsent(address, a -> new Slot(a, nowNs));
            }
        }
        if (slots.keySet().retainAll(wanted) || slots.size() != before) {
            changes++;
        }
    }

    /**
     * Records that {@code address} is at {@code mac} (a reply to us or a request from it).
     *
     * @return true when the entry's MAC changed (learned, or moved to another MAC)
     */
    public boolean learn(int address, long mac, long nowNs) {
        observations++;
        changes++;
        Slot slot = slots.get(address);
        if (slot == null || mac == 0) {
            return false;
        }
        confirmations++;
        boolean changed = slot.mac != mac;
        slot.mac = mac;
        slot.state = State.REACHABLE;
        slot.confirmedNs = nowNs;
        slot.requests = 0;
        return changed;
    }

    /**
     * Moves entries along their states and sends the requests that are due (as many as the rate
     * limit allows).
     *
     * @return true when a MAC was withdrawn
     */
    public boolean tick(long nowNs, Requester requester) {
        boolean changed = false;
        for (Slot slot : slots.values()) {
            long ageNs = nowNs - slot.confirmedNs;
            if (slot.state == State.REACHABLE && ageNs >= timers.reachableNs()) {
                slot.state = State.PROBE;
                slot.nextRequestNs = nowNs;
                changes++;
            }
            if (slot.state == State.PROBE && ageNs >= timers.expiryNs()) {
                slot.state = State.INCOMPLETE;
                slot.mac = 0;
                slot.requests = 0;
                slot.nextRequestNs = nowNs;
                changed = true;
                changes++;
            }
            if (slot.state == State.INCOMPLETE && slot.requests >= timers.fastRequests()
                    && nowNs - slot.lastRequestNs >= timers.retryNs()) {
                slot.state = State.FAILED;
                resolutionFailures++;
                changes++;
            }
            if (slot.state != State.REACHABLE && nowNs - slot.nextRequestNs >= 0 && requestBudget.tryTake(nowNs)) {
                if (requester.request(slot.address, slot.state == State.PROBE ? slot.mac : 0)) {
                    requestsSent++;
                }
                slot.requests++;
                slot.lastRequestNs = nowNs;
                slot.nextRequestNs = nowNs + (slot.state != State.PROBE && slot.requests >= timers.fastRequests()
                        ? timers.slowRetryNs() : timers.retryNs());
                changes++;
            }
        }
        return changed;
    }

    /** Returns: the MAC of {@code address} to use now (REACHABLE or PROBE), 0 when unknown. */
    public long mac(int address) {
        Slot slot = slots.get(address);
        return slot == null ? 0 : slot.mac;
    }

    /** Returns: a copy of every entry (for the log, the API and tests). */
    public List<Entry> entries() {
        List<Entry> out = new ArrayList<>(slots.size());
        for (Slot s : slots.values()) {
            out.add(new Entry(s.address, s.mac, s.state, s.confirmedNs, s.requests));
        }
        return out;
    }

    /** Returns: requests the requester accepted since the table was made. */
    public long requestsSent() {
        return requestsSent;
    }

    /** Returns: a count that moves whenever {@link #snapshot} would differ (the owner republishes only then). */
    public long changes() {
        return changes;
    }

    /** Returns: the entries, sorted by address, and the counters as they are now (an immutable copy). */
    public NeighbourSnapshot snapshot() {
        List<Entry> sorted = entries();
        sorted.sort((a, b) -> Integer.compareUnsigned(a.address(), b.address()));
        return new NeighbourSnapshot(sorted, requestsSent, observations, confirmations, resolutionFailures);
    }
}
