package dev.gingham.conntrack;

import dev.gingham.maps.HashMap;
import dev.gingham.maps.MapErrors;
import dev.gingham.maps.OffHeapMap;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Deletes expired conntrack entries a bounded number of slots at a time, so expiry never costs
 * the hot path a scan and never stalls the control agent: Cilium's CT garbage collector, cut
 * into duty-cycle-sized steps.
 *
 * <p>Each {@link #sweep(long)} call examines at most {@code slotsPerCall} slots, continuing where
 * the previous call stopped: each of the table's four maps in turn ({@link CtTable#maps()}), then
 * round again.
 * An entry whose {@link CtEntry#expiresAtNs()} is at or before {@code nowNs} is reported to the
 * {@link CtExpiryListener} and then deleted; nothing else is touched.
 *
 * <p><b>Round time.</b> A round covers every map's slots, the map capacities rounded up to a power
 * of two above capacity / 0.7, once per family. At Cilium's default sizes that is
 * 2 &times; (1,048,576 + 524,288) = 3,145,728 slots; at 16,384 slots per call (the node's budget),
 * 192 calls: twice as many slot headers a round as before the family split.
 * {@link #callsPerRound()} gives the call count for any configuration.
 *
 * <p><b>Pacing.</b> The control agent calls {@link #sweepDue(long)}, which examines as many slots
 * as the time since its last call is of {@code roundNs} (at most {@code slotsPerCall}), so a round
 * takes {@code roundNs} however often the agent wakes, as long as it calls at least
 * {@link #callsPerRound()} times a round (an agent that calls less often runs behind, and a round
 * takes proportionally longer; the backlog is capped at one round). An idle daemon's agent wakes 100
 * times a second and a fixed budget would scan the table as often as it wakes, whether or not
 * anything could have expired (at 16,384 slots a call, 1.6 million slot headers a second). Paced at one
 * round a second, an expired entry is deleted at most about a second after its expiry, and the
 * sweep costs a few milliseconds of CPU a second at Cilium's default sizes. {@link #sweep(long)}
 * keeps the fixed budget for tests and benchmarks that step it.
 *
 * <p><b>Races.</b> A worker may refresh an entry between the sweeper's expiry check and its
 * delete; the flow then loses its entry and its next packet starts it again (a pickup, see
 * {@link CtTcp}), as in Cilium, where GC and datapath race the same way. The window is one
 * listener call long, and only entries idle for a whole lifetime enter it.
 *
 * <p>Single-threaded: one sweeper per table, run by the control agent. The visitor is created
 * once; a sweep allocates nothing.
 */
public final class CtSweeper {
    private final CtTable table;
    private final CtExpiryListener listener;
    private final int slotsPerCall;
    private final long roundNs;
    /** Slots in one round: every map's (their sizes are fixed when they are created). */
    private final long roundSlots;
    private final HashMap[] maps;
    private final Visitor visitor = new Visitor();

    /** The map the cursor is in, an index into {@link #maps}. */
    private int mapIndex;
    private int cursor;
    private long roundsCompleted;
    private long deletedTotal;
    private long lastDueNs = Long.MIN_VALUE;
    /** Slots earned by elapsed time and not examined yet (fractions kept: a call may earn less than one). */
    private double dueSlots;

    /**
     * @param slotsPerCall the budget of slots one {@link #sweep} call examines (positive)
     */
    public CtSweeper(CtTable table, CtExpiryListener listener, int slotsPerCall) {
        this(table, listener, slotsPerCall, DEFAULT_ROUND_NS);
    }

    /** The time one round takes when paced by {@link #sweepDue}: one second. */
    public static final long DEFAULT_ROUND_NS = 1_000_000_000L;
    /** Slots {@link #sweepDue} lets accumulate before it examines them (one call's worth of overhead amortised). */
    static final int MIN_DUE_SLOTS = 256;

    /**
     * @param slotsPerCall the most slots one call examines (positive)
     * @param roundNs      the time a round takes when paced by {@link #sweepDue} (positive)
     */
    public CtSweeper(CtTable table, CtExpiryListener listener, int slotsPerCall, long roundNs) {
        if (slotsPerCall <= 0) {
            throw new IllegalArgumentException("conntrack sweep budget " + slotsPerCall + " slots: it must be positive");
        }
        if (roundNs <= 0) {
            throw new IllegalArgumentException("conntrack sweep round " + roundNs + " ns: it must be positive");
        }
        this.table = table;
        this.listener = listener;
        this.slotsPerCall = slotsPerCall;
        this.roundNs = roundNs;
        this.maps = table.maps().toArray(HashMap[]::new);
        long slots = 0;
        for (HashMap map : maps) {
            slots += map.slots();
        }
        this.roundSlots = slots;
    }

    /**
     * Examines the slots the time since the previous call is due (a round per {@code roundNs}, at
     * most {@code slotsPerCall} a call, nothing until {@value #MIN_DUE_SLOTS} are due, or a whole
     * call's budget or round when that is less) and deletes
     * what has expired at {@code nowNs}. The first call only starts the clock.
     *
     * @return the number of entries deleted
     */
    public int sweepDue(long nowNs) {
        if (lastDueNs == Long.MIN_VALUE) {
            lastDueNs = nowNs;
            return 0;
        }
        long elapsedNs = Math.min(Math.max(nowNs - lastDueNs, 0), roundNs);
        lastDueNs = nowNs;
        dueSlots = Math.min(dueSlots + (double) roundSlots * elapsedNs / roundNs, roundSlots);
        if (dueSlots < Math.min(Math.min(MIN_DUE_SLOTS, slotsPerCall), roundSlots)) {
            return 0;
        }
        int budget = (int) Math.min(dueSlots, slotsPerCall);
        dueSlots -= budget;
        return sweep(nowNs, budget);
    }

    /**
     * Examines the next {@code slotsPerCall} slots (fewer when a round ends inside the budget: a
     * call never starts a second round) and deletes what has expired at {@code nowNs}.
     *
     * @return the number of entries deleted
     */
    public int sweep(long nowNs) {
        return sweep(nowNs, slotsPerCall);
    }

    private int sweep(long nowNs, int slotBudget) {
        visitor.nowNs = nowNs;
        visitor.deleted = 0;
        int budget = slotBudget;
        while (budget > 0) {
            HashMap map = maps[mapIndex];
            int slots = Math.min(budget, map.slots() - cursor);
            visitor.map = map;
            cursor = map.scan(cursor, slots, visitor);
            budget -= slots;
            if (cursor == 0) {
                mapIndex = (mapIndex + 1) % maps.length;
                if (mapIndex == 0) {
                    roundsCompleted++;
                    break;
                }
            }
        }
        deletedTotal += visitor.deleted;
        return visitor.deleted;
    }

    /**
     * Sweeps until the current round ends (from wherever the cursor is): for tests, the CLI and
     * shutdown, not for a duty cycle.
     *
     * @return the number of entries deleted
     */
    public int sweepRound(long nowNs) {
        long round = roundsCompleted;
        int deleted = 0;
        while (roundsCompleted == round) {
            deleted += sweep(nowNs);
        }
        return deleted;
    }

    /** Returns: the number of {@link #sweep} calls a full round takes at this budget. */
    public int callsPerRound() {
        return (int) ((roundSlots + slotsPerCall - 1) / slotsPerCall);
    }

    /** Returns: how many full rounds (every map, every slot) have completed. */
    public long roundsCompleted() {
        return roundsCompleted;
    }

    /** Returns: entries deleted since the sweeper was created. */
    public long deletedTotal() {
        return deletedTotal;
    }

    /** Looks at one entry; created once, re-aimed per scan through its fields. */
    private final class Visitor implements OffHeapMap.EntryVisitor {
        private final CtEntry entry = new CtEntry();
        /** The expired entry's key in the 40-byte form, for the listener (converted from an IPv4 map's stored form). */
        private final CtKey key = new CtKey().wrap(Arena.ofAuto().allocate(CtKey.LENGTH, Long.BYTES), 0);
        HashMap map;
        long nowNs;
        int deleted;

        @Override
        public void visit(MemorySegment segment, long keyOffset, long valueOffset) {
            if (!entry.wrap(segment, valueOffset).expired(nowNs)) {
                return;
            }
            listener.expired(table.readKey(map, segment, keyOffset, key), entry);
            if (map.delete(segment, keyOffset) == MapErrors.OK) {
                deleted++;
            }
        }
    }
}
