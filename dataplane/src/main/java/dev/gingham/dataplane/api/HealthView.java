package dev.gingham.dataplane.api;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code /healthz}: whether the node forwards. Healthy while every worker agent runs; a rejected
 * manifest reload is reported but keeps the node healthy (the previous state stays in force, and
 * a restart would not fix the file).
 */
public final class HealthView {
    /**
     * @param status   "ok" or "unhealthy"
     * @param problems why it is unhealthy (empty when ok)
     */
    public record Health(String status, String node, double uptimeSeconds, List<NodeTelemetry.WorkerStats> workers,
                         Manifests manifests, List<String> problems) {
        public boolean healthy() {
            return problems.isEmpty();
        }
    }

    /**
     * {@link NodeTelemetry.ManifestState} with times as ISO-8601 text ("" when none).
     */
    public record Manifests(String fingerprint, String appliedAt, String lastRejection, String rejectedAt) {
    }

    private HealthView() {
    }

    public static Health of(String node, NodeTelemetry telemetry) {
        List<NodeTelemetry.WorkerStats> workers = telemetry.workers();
        List<String> problems = new ArrayList<>();
        if (workers.isEmpty()) {
            problems.add("no worker agents");
        }
        for (NodeTelemetry.WorkerStats w : workers) {
            if (!w.alive()) {
                problems.add("worker " + w.worker() + " is not running");
            }
        }
        NodeTelemetry.ManifestState m = telemetry.manifests();
        Manifests manifests = new Manifests(m.fingerprint(), text(m.appliedAt()), m.lastRejection(), text(m.rejectedAt()));
        return new Health(problems.isEmpty() ? "ok" : "unhealthy", node, telemetry.uptimeNs() / 1e9, List.copyOf(workers),
                manifests, List.copyOf(problems));
    }

    private static String text(Instant instant) {
        return instant == null ? "" : instant.toString();
    }
}
