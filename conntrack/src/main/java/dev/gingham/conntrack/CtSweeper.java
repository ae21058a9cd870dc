package dev.gingham.conntrack;

import dev.gingham.maps.HashMap;
import dev.gingham.maps.MapErrors;
import dev.gingham.maps.OffHeapMap;

import java.lang.foreign.MemorySegment;

/**
 * Deletes expired conntrack entries a bounded number of slots at a time, so expiry never costs
 * the hot path a scan and never stalls the control agent: Cilium's CT garbage collector, cut
 * into duty-cycle-sized steps.
 *
 * <p>Each {@link #sweep(long)} call examines at most {@code slotsPerCall} slots, continuing where
 * the previous call stopped: the TCP table's slots, then the non-TCP table's, then round again.
 * An entry whose {@link CtEntry#expiresAtNs()} is at or before {@code nowNs} is reported to the
 * {@link CtExpiryListener} and then deleted; nothing else is touched.
 *
 * <p><b>Round time.</b> A round covers {@code tcpSlots + nonTcpSlots} slots, the map capacities
 * rounded up to a power of two above capacity / 0.7. At Cilium's default sizes that is
 * 1,048,576 + 524,288 = 1,572,864 slots; at 4096 slots per call, 384 calls, so a control agent
 * sweeping once per 1 ms duty cycle frees an expired entry at most ~0.4 s after its expiry.
 * Each call reads 4096 slot headers sequentially (slots are 120 bytes: ~480 KB), an estimated
 * tens of microseconds (not measured here; a JMH benchmark belongs in {@code jmh}).
 * {@link #callsPerRound()} gives the call count for any configuration.
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
    private final Visitor visitor = new Visitor();

    private boolean inNonTcp;
    private int cursor;
    private long roundsCompleted;
    private long deletedTotal;

    /**
     * @param slotsPerCall the budget of slots one {@link #sweep} call examines (positive)
     */
    public CtSweeper(CtTable table, CtExpiryListener listener, int slotsPerCall) {
        if (slotsPerCall <= 0) {
            throw new IllegalArgumentException("conntrack sweep budget " + slotsPerCall + " slots: it must be positive");
        }
        this.table = table;
        this.listener = listener;
        this.slotsPerCall = slotsPerCall;
    }

    /**
     * Examines the next {@code slotsPerCall} slots (fewer when a round ends inside the budget: a
     * call never starts a second round) and deletes what has expired at {@code nowNs}.
     *
     * @return the number of entries deleted
     */
    public int sweep(long nowNs) {
        visitor.nowNs = nowNs;
        visitor.deleted = 0;
        int budget = slotsPerCall;
        while (budget > 0) {
            HashMap map = inNonTcp ? table.nonTcpMap() : table.tcpMap();
            int slots = Math.min(budget, map.slots() - cursor);
            visitor.map = map;
            cursor = map.scan(cursor, slots, visitor);
            budget -= slots;
            if (cursor == 0) {
                inNonTcp = !inNonTcp;
                if (!inNonTcp) {
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
        long slots = (long) table.tcpMap().slots() + table.nonTcpMap().slots();
        return (int) ((slots + slotsPerCall - 1) / slotsPerCall);
    }

    /** Returns: how many full rounds (both tables, every slot) have completed. */
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
        HashMap map;
        long nowNs;
        int deleted;

        @Override
        public void visit(MemorySegment segment, long keyOffset, long valueOffset) {
            if (!entry.wrap(segment, valueOffset).expired(nowNs)) {
                return;
            }
            listener.expired(segment, keyOffset, valueOffset);
            if (map.delete(segment, keyOffset) == MapErrors.OK) {
                deleted++;
            }
        }
    }
}
