package dev.gingham.dataplane.daemon;

import dev.gingham.dataplane.agent.PortCounters;
import dev.gingham.dataplane.agent.WorkerAgent;
import dev.gingham.dataplane.api.NodeTelemetry;
import dev.gingham.dataplane.neighbour.NeighbourSnapshot;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.SingleWriterRecorder;

import java.util.ArrayList;
import java.util.List;

/**
 * The running daemon as the admin API sees it: port counters summed over the workers, each
 * worker's busy ratio (time in duty cycles that found frames, over the time since start), the
 * pipeline latency per burst merged from the workers' HdrHistogram recorders, the manifest
 * reload state, and the neighbour table's published snapshot. Safe from any thread: counters are read as they are (a value may be a cycle old),
 * the recorders are sampled under this object's lock (a recorder allows one reader at a time).
 */
final class DaemonTelemetry implements NodeTelemetry {
    private final NodeDaemon daemon;
    private final Histogram sinceStart = new Histogram(3);
    private Histogram interval;

    DaemonTelemetry(NodeDaemon daemon) {
        this.daemon = daemon;
    }

    @Override
    public List<PortStats> ports() {
        String[] names = daemon.node().portNames();
        PortCounters c = daemon.counters();
        List<PortStats> stats = new ArrayList<>();
        for (int port = 0; port < names.length; port++) {
            if (names[port] != null) {
                stats.add(new PortStats(port, names[port], c.sum(port, PortCounters.RX_PACKETS), c.sum(port, PortCounters.RX_BYTES),
                        daemon.portRxErrors(port), c.sum(port, PortCounters.TX_PACKETS), c.sum(port, PortCounters.TX_BYTES),
                        c.sum(port, PortCounters.TX_ERRORS)));
            }
        }
        return stats;
    }

    @Override
    public List<WorkerStats> workers() {
        long uptime = Math.max(1, daemon.uptimeNs());
        boolean alive = daemon.healthy();
        List<WorkerStats> stats = new ArrayList<>();
        for (WorkerAgent w : daemon.workers()) {
            stats.add(new WorkerStats(w.worker(), alive, Math.min(1.0, (double) w.busyNs() / uptime)));
        }
        return stats;
    }

    @Override
    public synchronized Histogram pipelineLatencyNs() {
        for (int w = 0; w < daemon.workers().size(); w++) {
            SingleWriterRecorder recorder = daemon.latency(w);
            interval = recorder.getIntervalHistogram(interval);
            sinceStart.add(interval);
        }
        return sinceStart.copy();
    }

    @Override
    public long clockNs() {
        return daemon.clockNs();
    }

    @Override
    public long uptimeNs() {
        return daemon.uptimeNs();
    }

    @Override
    public ManifestState manifests() {
        return daemon.manifestState();
    }

    @Override
    public NeighbourSnapshot neighbours() {
        return daemon.neighbours();
    }
}
