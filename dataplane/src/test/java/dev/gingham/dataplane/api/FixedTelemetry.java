package dev.gingham.dataplane.api;

import dev.gingham.dataplane.neighbour.NeighbourSnapshot;
import dev.gingham.dataplane.node.ConfiguredNode;
import org.HdrHistogram.Histogram;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongSupplier;

/**
 * {@link NodeTelemetry} for tests: fixed counters per port (port p received 10 + p frames of
 * 100 bytes each and sent 20 + p, one TX error on the host port), a latency histogram of the
 * values 1..1000 µs, settable workers, manifest state and neighbour snapshot (empty at first),
 * and the node clock of the test.
 */
public final class FixedTelemetry implements NodeTelemetry {
    public static final Instant APPLIED_AT = Instant.parse("2026-11-22T10:00:00Z");

    private final ConfiguredNode node;
    private final LongSupplier clockNs;
    private volatile List<WorkerStats> workers = List.of(new WorkerStats(0, true, 0.25));
    private volatile ManifestState manifests = new ManifestState("sha256:abc", APPLIED_AT, "", null);
    private volatile NeighbourSnapshot neighbours = NeighbourSnapshot.EMPTY;

    public FixedTelemetry(ConfiguredNode node, LongSupplier clockNs) {
        this.node = node;
        this.clockNs = clockNs;
    }

    public void workers(List<WorkerStats> value) {
        workers = List.copyOf(value);
    }

    public void manifests(ManifestState value) {
        manifests = value;
    }

    public void neighbours(NeighbourSnapshot value) {
        neighbours = value;
    }

    @Override
    public List<PortStats> ports() {
        List<PortStats> out = new ArrayList<>();
        String[] names = node.portNames();
        for (int p = 0; p < names.length; p++) {
            if (names[p] != null) {
                out.add(new PortStats(p, names[p], 10 + p, 100L * (10 + p), 0, 20 + p, 100L * (20 + p),
                        p == node.hostPort() ? 1 : 0));
            }
        }
        return out;
    }

    @Override
    public List<WorkerStats> workers() {
        return workers;
    }

    @Override
    public Histogram pipelineLatencyNs() {
        Histogram h = new Histogram(3);
        for (int us = 1; us <= 1000; us++) {
            h.recordValue(us * 1000L);
        }
        return h;
    }

    @Override
    public long clockNs() {
        return clockNs.getAsLong();
    }

    @Override
    public long uptimeNs() {
        return 42_500_000_000L;
    }

    @Override
    public ManifestState manifests() {
        return manifests;
    }

    @Override
    public NeighbourSnapshot neighbours() {
        return neighbours;
    }
}
