package dev.gingham.dataplane.api;

import dev.gingham.conntrack.CtTable;
import dev.gingham.maps.HashMap;
import dev.gingham.dataplane.flow.FlowHub;
import dev.gingham.dataplane.flow.FlowRing;
import dev.gingham.dataplane.neighbour.NeighbourSnapshot;
import dev.gingham.dataplane.neighbour.NeighbourTable;
import dev.gingham.dataplane.node.ConfiguredNode;
import dev.gingham.dataplane.node.NodeState;
import dev.gingham.dataplane.policy.Direction;
import dev.gingham.dataplane.program.DropCounters;
import dev.gingham.nat.lb.LbMaps;
import dev.gingham.packet.DropReason;
import org.HdrHistogram.Histogram;

/**
 * {@code /metrics}: the node in Prometheus text (exposition format 0.0.4). Names follow
 * Prometheus' conventions: a {@code gingham_} prefix, base units (seconds, bytes), {@code _total}
 * on counters. Drops are written only for (reason, direction) pairs that have happened, as Cilium
 * exports its drop counters: some 300 permanent zero series would say nothing.
 */
public final class MetricsView {
    /** The latency quantiles exported; 1.0 is the maximum. */
    static final double[] QUANTILES = {0.5, 0.9, 0.99, 0.999, 1.0};
    private static final double NS_PER_SECOND = 1e9;
    private static final int[] DIRECTIONS = {Direction.UNKNOWN, Direction.INGRESS, Direction.EGRESS};

    private MetricsView() {
    }

    public static String of(ConfiguredNode node, NodeTelemetry telemetry, FlowHub flows) {
        PrometheusText p = new PrometheusText();
        NodeState state = node.state();
        ports(p, telemetry);
        drops(p, state.drops());
        tables(p, node);
        neighbours(p, telemetry.neighbours(), NeighboursView.observationsLost(node));
        latency(p, telemetry.pipelineLatencyNs());
        workers(p, telemetry);
        p.family("gingham_flow_ring_overflows_total", "counter", "Flow events lost because a worker's flow ring was full.");
        FlowRing[] rings = state.flowRings();
        for (int w = 0; w < rings.length; w++) {
            p.sample("gingham_flow_ring_overflows_total", rings[w].overflows(), "worker", Integer.toString(w));
        }
        p.family("gingham_flow_events_delivered_total", "counter", "Flow events handed to API flow streams (once per stream).");
        p.sample("gingham_flow_events_delivered_total", flows.delivered());
        p.family("gingham_flow_streams", "gauge", "Open flow streams (/v1/flows, gingham monitor).");
        p.sample("gingham_flow_streams", flows.subscribers());
        p.family("gingham_uptime_seconds", "gauge", "Seconds since the daemon started.");
        p.sample("gingham_uptime_seconds", telemetry.uptimeNs() / NS_PER_SECOND);
        NodeTelemetry.ManifestState manifests = telemetry.manifests();
        p.family("gingham_manifests_applied_timestamp_seconds", "gauge", "When the manifest set in force was applied (Unix time).");
        p.sample("gingham_manifests_applied_timestamp_seconds",
                manifests.appliedAt() == null ? 0 : manifests.appliedAt().toEpochMilli() / 1000.0);
        p.family("gingham_manifests_rejected", "gauge", "1 when the last manifest reload was rejected (the previous set stays in force).");
        p.sample("gingham_manifests_rejected", manifests.lastRejection().isEmpty() ? 0 : 1);
        return p.toString();
    }

    private static void ports(PrometheusText p, NodeTelemetry telemetry) {
        var ports = telemetry.ports();
        p.family("gingham_port_packets_total", "counter", "Frames per port and direction (rx: into Gingham, tx: out of it).");
        for (NodeTelemetry.PortStats s : ports) {
            p.sample("gingham_port_packets_total", s.rxPackets(), "port", s.name(), "direction", "rx");
            p.sample("gingham_port_packets_total", s.txPackets(), "port", s.name(), "direction", "tx");
        }
        p.family("gingham_port_bytes_total", "counter", "Bytes per port and direction.");
        for (NodeTelemetry.PortStats s : ports) {
            p.sample("gingham_port_bytes_total", s.rxBytes(), "port", s.name(), "direction", "rx");
            p.sample("gingham_port_bytes_total", s.txBytes(), "port", s.name(), "direction", "tx");
        }
        p.family("gingham_port_errors_total", "counter", "Frames a port could not receive or transmit.");
        for (NodeTelemetry.PortStats s : ports) {
            p.sample("gingham_port_errors_total", s.rxErrors(), "port", s.name(), "direction", "rx");
            p.sample("gingham_port_errors_total", s.txErrors(), "port", s.name(), "direction", "tx");
        }
    }

    private static void drops(PrometheusText p, DropCounters drops) {
        p.family("gingham_drops_total", "counter", "Dropped frames by drop reason (docs/drop-reasons.md) and direction.");
        for (DropReason reason : DropReason.values()) {
            for (int direction : DIRECTIONS) {
                long n = drops.sum(reason, direction);
                if (n != 0) {
                    p.sample("gingham_drops_total", n, "reason", reason.name(), "code", Integer.toString(reason.code()),
                            "direction", Direction.name(direction));
                }
            }
        }
    }

    private static void tables(PrometheusText p, ConfiguredNode node) {
        NodeState state = node.state();
        CtTable ct = state.maps().conntrack();
        p.family("gingham_conntrack_entries", "gauge", "Conntrack entries per table and family.");
        for (HashMap map : ct.maps()) {
            p.sample("gingham_conntrack_entries", map.count(), "table", ct.tcpMap(map) ? "tcp" : "other",
                    "family", ct.ipv4Map(map) ? "ipv4" : "ipv6");
        }
        p.family("gingham_conntrack_capacity", "gauge", "Conntrack table sizes (each family has its own tables).");
        for (HashMap map : ct.maps()) {
            p.sample("gingham_conntrack_capacity", map.spec().maxEntries(), "table", ct.tcpMap(map) ? "tcp" : "other",
                    "family", ct.ipv4Map(map) ? "ipv4" : "ipv6");
        }
        var snat = state.maps().snat();
        p.family("gingham_snat_mappings", "gauge", "SNAT mappings (masqueraded and egress gateway flows).");
        p.sample("gingham_snat_mappings", snat.count());
        p.family("gingham_snat_capacity", "gauge", "SNAT mapping table size.");
        p.sample("gingham_snat_capacity", snat.config().mapEntries());
        LbMaps lb = state.maps().services();
        p.family("gingham_services", "gauge", "Services installed.");
        p.sample("gingham_services", node.applied().services().size());
        p.family("gingham_service_frontends", "gauge", "Service frontend entries (address, port, protocol, scope).");
        p.sample("gingham_service_frontends", lb.frontends().count());
        p.family("gingham_service_backends", "gauge", "Service backend entries (one per endpoint and service port).");
        p.sample("gingham_service_backends", lb.backends().count());
        p.family("gingham_endpoints", "gauge", "Local endpoints in the endpoint map.");
        p.sample("gingham_endpoints", EndpointsView.of(node).count()); // pods, not per-address map entries
        p.family("gingham_endpoints_capacity", "gauge", "Endpoint slots of the node.");
        p.sample("gingham_endpoints_capacity", node.config().maps().endpoints());
        p.family("gingham_ipcache_entries", "gauge", "ipcache prefixes (both families).");
        p.sample("gingham_ipcache_entries", state.maps().ipCache().count());
        p.family("gingham_ipcache_capacity", "gauge", "ipcache prefixes per family.");
        p.sample("gingham_ipcache_capacity", node.config().maps().ipcacheEntries());
    }

    /**
     * The underlay neighbour table: next hops per state (every state written, 0 included, so a
     * query never has to tell "none" from "not exported") and the resolution counters.
     *
     * <p>No series per next hop: the next hops are the peer nodes on the node's link plus the
     * gateway, and on one flat L2 segment that is every node, so per-hop series would grow with
     * the cluster (n nodes, n x n series in all). {@code /v1/neighbours} lists them instead.
     */
    static void neighbours(PrometheusText p, NeighbourSnapshot n, long observationsLost) {
        p.family("gingham_neighbour_entries", "gauge", "Underlay next hops resolved by ARP, by state (incomplete and failed "
                + "have no MAC: frames to them are dropped as NEIGHBOUR_UNRESOLVED).");
        for (NeighbourTable.State state : NeighbourTable.State.values()) {
            p.sample("gingham_neighbour_entries", n.count(state), "state", NeighboursView.stateName(state));
        }
        p.family("gingham_neighbour_requests_sent_total", "counter", "ARP requests sent on the underlay for next hops.");
        p.sample("gingham_neighbour_requests_sent_total", n.requestsSent());
        p.family("gingham_neighbour_observations_total", "counter",
                "ARP senders the workers saw on the underlay and handed to the control agent.");
        p.sample("gingham_neighbour_observations_total", n.observations());
        p.family("gingham_neighbour_observations_lost_total", "counter", "ARP observations lost to a full hand-off ring.");
        p.sample("gingham_neighbour_observations_lost_total", observationsLost);
        p.family("gingham_neighbour_confirmations_total", "counter", "ARP observations that confirmed a next hop's MAC.");
        p.sample("gingham_neighbour_confirmations_total", n.confirmations());
        p.family("gingham_neighbour_resolution_failures_total", "counter",
                "Times a next hop became failed: its first ARP requests all went unanswered.");
        p.sample("gingham_neighbour_resolution_failures_total", n.resolutionFailures());
    }

    private static void latency(PrometheusText p, Histogram h) {
        p.family("gingham_pipeline_latency_seconds", "summary",
                "Time the pipeline takes for one burst of frames, since start (quantile 1 is the maximum).");
        for (double q : QUANTILES) {
            long ns = h.getTotalCount() == 0 ? 0 : q == 1.0 ? h.getMaxValue() : h.getValueAtPercentile(q * 100);
            p.sample("gingham_pipeline_latency_seconds", ns / NS_PER_SECOND, "quantile", quantileLabel(q));
        }
        p.sample("gingham_pipeline_latency_seconds_sum", h.getMean() * h.getTotalCount() / NS_PER_SECOND);
        p.sample("gingham_pipeline_latency_seconds_count", h.getTotalCount());
    }

    /** Returns: the quantile as Prometheus clients write it ("0.5", "0.999", "1"). */
    static String quantileLabel(double q) {
        return q == 1.0 ? "1" : Double.toString(q);
    }

    private static void workers(PrometheusText p, NodeTelemetry telemetry) {
        var workers = telemetry.workers();
        p.family("gingham_worker_busy_ratio", "gauge", "Fraction of a worker's duty cycles since start that found work.");
        for (NodeTelemetry.WorkerStats w : workers) {
            p.sample("gingham_worker_busy_ratio", w.busyRatio(), "worker", Integer.toString(w.worker()));
        }
        p.family("gingham_worker_up", "gauge", "1 while a worker agent runs.");
        for (NodeTelemetry.WorkerStats w : workers) {
            p.sample("gingham_worker_up", w.alive() ? 1 : 0, "worker", Integer.toString(w.worker()));
        }
    }
}
