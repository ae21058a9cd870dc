package dev.gingham.dataplane.demo;

import dev.gingham.dataplane.policy.Direction;
import dev.gingham.dataplane.program.DropCounters;
import dev.gingham.packet.DropReason;

import java.util.ArrayList;
import java.util.List;

/**
 * A snapshot of a node's drop counters (every reason, every direction), so the demo and the
 * end-to-end tests can say what one step of traffic added: "POLICY (133), ingress: +2". The
 * counters only grow, so the difference of two snapshots is what happened in between (other
 * traffic in between included: a pod's own chatter can add to it).
 */
public final class DropTally {
    private static final int[] DIRECTIONS = {Direction.UNKNOWN, Direction.INGRESS, Direction.EGRESS};

    private final long[][] counts;

    private DropTally(long[][] counts) {
        this.counts = counts;
    }

    /** One increase between two snapshots. */
    public record Change(DropReason reason, int direction, long added) {
        /** Returns: e.g. "POLICY (133), ingress: +2 (Policy denied)". */
        @Override
        public String toString() {
            return reason.name() + " (" + reason.code() + "), " + Direction.name(direction) + ": +" + added + " ("
                    + reason.description() + ")";
        }
    }

    /** Returns: the counters as they are now (summed over the workers). */
    public static DropTally of(DropCounters drops) {
        DropReason[] reasons = DropReason.values();
        long[][] counts = new long[reasons.length][DIRECTIONS.length];
        for (DropReason reason : reasons) {
            for (int d = 0; d < DIRECTIONS.length; d++) {
                counts[reason.ordinal()][d] = drops.sum(reason, DIRECTIONS[d]);
            }
        }
        return new DropTally(counts);
    }

    /** Returns: drops of {@code reason} in {@code direction} at the time of this snapshot. */
    public long count(DropReason reason, int direction) {
        return counts[reason.ordinal()][index(direction)];
    }

    /** Returns: every (reason, direction) that grew since {@code earlier}, in code order. */
    public List<Change> since(DropTally earlier) {
        List<Change> changes = new ArrayList<>();
        for (DropReason reason : DropReason.values()) {
            for (int d = 0; d < DIRECTIONS.length; d++) {
                long added = counts[reason.ordinal()][d] - earlier.counts[reason.ordinal()][d];
                if (added > 0) {
                    changes.add(new Change(reason, DIRECTIONS[d], added));
                }
            }
        }
        changes.sort((a, b) -> Integer.compare(a.reason().code(), b.reason().code()));
        return changes;
    }

    /** Returns: how much {@code reason} in {@code direction} grew since {@code earlier}. */
    public long added(DropTally earlier, DropReason reason, int direction) {
        return count(reason, direction) - earlier.count(reason, direction);
    }

    private static int index(int direction) {
        for (int d = 0; d < DIRECTIONS.length; d++) {
            if (DIRECTIONS[d] == direction) {
                return d;
            }
        }
        throw new IllegalArgumentException("no direction " + direction);
    }
}
