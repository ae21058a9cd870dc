package dev.gingham.dataplane.agent;

import dev.gingham.maps.MapSpec;
import dev.gingham.maps.PerWorkerArray;

/**
 * Packets and bytes per port and direction, one padded region per worker (single writer each);
 * the control agent sums them for metrics. Index = port number.
 */
public final class PortCounters implements AutoCloseable {
    public static final int RX_PACKETS = 0;
    public static final int RX_BYTES = 8;
    public static final int TX_PACKETS = 16;
    public static final int TX_BYTES = 24;
    public static final int TX_ERRORS = 32;
    private static final int VALUE_BYTES = 40;

    private final PerWorkerArray counters;

    public PortCounters(int maxPorts, int workers) {
        this.counters = PerWorkerArray.create(MapSpec.perWorkerArray("port_counters", VALUE_BYTES, maxPorts, workers));
    }

    void add(int worker, int port, int field, long delta) {
        counters.add(worker, port, field, delta);
    }

    /** Returns: one counter ({@link #RX_PACKETS}...) of a port, summed over the workers. */
    public long sum(int port, int field) {
        return counters.sum(port, field);
    }

    @Override
    public void close() {
        counters.close();
    }
}
