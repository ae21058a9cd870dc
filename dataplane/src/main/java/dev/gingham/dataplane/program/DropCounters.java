package dev.gingham.dataplane.program;

import dev.gingham.dataplane.policy.Direction;
import dev.gingham.maps.MapSpec;
import dev.gingham.maps.PerWorkerArray;
import dev.gingham.packet.DropReason;
import dev.gingham.packet.FrameVector;

import java.nio.file.Path;

/**
 * Drops by (reason, direction), one padded region per worker: each worker writes only its own
 * (single writer, no atomics), the control agent sums the workers for metrics and the CLI
 * (Cilium's metrics map). Pinnable, so counts survive a restart as the other maps do.
 *
 * <p>Layout: index = drop code, three 8-byte fields per index (direction UNKNOWN, INGRESS, EGRESS).
 */
public final class DropCounters implements AutoCloseable {
    public static final String MAP_NAME = "drops";
    /** The file {@link #pinned} keeps the counters in, under the pin directory. */
    public static final String PIN_FILE = MAP_NAME + ".map";
    private static final int FIELD_BYTES = Long.BYTES;
    private static final int DIRECTIONS = 3;

    private final PerWorkerArray counters;

    private DropCounters(PerWorkerArray counters) {
        this.counters = counters;
    }

    /** Returns: anonymous counters for {@code workers} workers. */
    public static DropCounters create(int workers) {
        return new DropCounters(PerWorkerArray.create(spec(workers)));
    }

    /** Returns: counters pinned at {@code directory/drops.map} (reopened with their counts after a restart). */
    public static DropCounters pinned(Path directory, int workers) {
        return new DropCounters(PerWorkerArray.pinned(spec(workers), directory.resolve(PIN_FILE)));
    }

    private static MapSpec spec(int workers) {
        return MapSpec.perWorkerArray(MAP_NAME, FIELD_BYTES * DIRECTIONS, DropReason.maxCode() + 1, workers);
    }

    /**
     * Counts every dropped frame of the vector (verdict &lt; 0) for {@code worker}, in the
     * direction {@link Direction#ofDrop} gives (the chain's, or ingress for a destination's check).
     *
     * @param direction the direction of the chain the vector ran
     * @return the number of drops counted
     */
    public int count(int worker, FrameVector v, int direction) {
        int dropped = 0;
        for (int i = 0, n = v.count(); i < n; i++) {
            int verdict = v.verdict(i);
            if (verdict < 0) {
                counters.add(worker, -verdict, Direction.ofDrop(v, i, direction) * FIELD_BYTES, 1);
                dropped++;
            }
        }
        return dropped;
    }

    /** Counts one drop of the reason with code {@code code} for {@code worker} in {@code direction} ({@link Direction}). */
    public void countOne(int worker, int code, int direction) {
        counters.add(worker, code, direction * FIELD_BYTES, 1);
    }

    /** Returns: drops of {@code reason} in {@code direction} ({@link Direction}), summed over the workers. */
    public long sum(DropReason reason, int direction) {
        return counters.sum(reason.code(), direction * FIELD_BYTES);
    }

    /** Returns: drops of {@code reason} in every direction, summed over the workers. */
    public long sum(DropReason reason) {
        return sum(reason, Direction.UNKNOWN) + sum(reason, Direction.INGRESS) + sum(reason, Direction.EGRESS);
    }

    @Override
    public void close() {
        counters.close();
    }
}
