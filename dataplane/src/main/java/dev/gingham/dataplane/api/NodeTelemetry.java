package dev.gingham.dataplane.api;

import dev.gingham.dataplane.neighbour.NeighbourSnapshot;
import org.HdrHistogram.Histogram;

import java.time.Instant;
import java.util.List;

/**
 * What the admin API needs from the running daemon that the node's maps and control-plane objects
 * ({@code ConfiguredNode}) do not hold: port I/O counters, the workers' state and latency, the
 * node clock, how manifest reloads went, and the underlay neighbour table. The daemon implements it over its agents; tests over
 * fixed values. Called from the API's threads: every method must be safe to call from any thread
 * and return values (copies), never live objects the daemon keeps writing.
 */
public interface NodeTelemetry {

    /**
     * Traffic through one port since the daemon started, summed over the workers.
     *
     * @param port     port number (a pod's endpoint slot, the underlay, the host)
     * @param name     "namespace/name" for a pod, "underlay", "host"
     * @param rxErrors frames received that could not be taken in (too long, bad vnet header, no buffer)
     * @param txErrors frames the pipeline sent to the port that the port could not take
     */
    record PortStats(int port, String name, long rxPackets, long rxBytes, long rxErrors,
                     long txPackets, long txBytes, long txErrors) {
    }

    /**
     * One worker agent.
     *
     * @param worker    0-based worker number
     * @param alive     its thread runs its duty cycle (false once it died or was stopped)
     * @param busyRatio fraction of duty cycles since start that found work, 0..1
     */
    record WorkerStats(int worker, boolean alive, double busyRatio) {
    }

    /**
     * The manifests directory's reload state.
     *
     * @param fingerprint   fingerprint of the manifest set in force ("" before the first apply)
     * @param appliedAt     when it was applied (null before the first apply)
     * @param lastRejection the message of the last rejected reload ("" when none was rejected
     *                      since the last successful apply): names the file, the object and the field
     * @param rejectedAt    when that reload was rejected (null when none)
     */
    record ManifestState(String fingerprint, Instant appliedAt, String lastRejection, Instant rejectedAt) {
    }

    /** Returns: every port the node has now, by port number. */
    List<PortStats> ports();

    /** Returns: every worker agent, by worker number. */
    List<WorkerStats> workers();

    /**
     * Returns: a copy of the pipeline latency per burst (ns) since start, merged over the workers
     * (the caller may keep it; the daemon's recorders go on).
     */
    Histogram pipelineLatencyNs();

    /** Returns: the node clock now, in ns: the clock conntrack expiries and flow events are stamped with. */
    long clockNs();

    /** Returns: nanoseconds since the daemon started. */
    long uptimeNs();

    /** Returns: the manifests directory's reload state. */
    ManifestState manifests();

    /**
     * Returns: the underlay neighbour table as the control agent last published it
     * ({@code NeighbourResolver.snapshot()}; {@link NeighbourSnapshot#EMPTY} for a node that resolves nothing).
     */
    NeighbourSnapshot neighbours();
}
