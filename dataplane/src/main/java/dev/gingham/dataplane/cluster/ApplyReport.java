package dev.gingham.dataplane.cluster;

import java.util.List;

/**
 * What one {@link ClusterApplier#apply} changed, for the daemon's log and the admin API.
 *
 * @param servicesUpserted  service specs created or replaced (one per family of a dual-stack Service)
 * @param servicesDeleted   service specs removed
 * @param nodesUpserted     other nodes whose routes were written
 * @param nodesRemoved      other nodes whose routes were removed
 * @param podsAdded         local pods given to {@link LocalPodListener#podAdded}
 * @param podsChanged       local pods given to {@link LocalPodListener#podChanged}
 * @param podsRemoved       local pods given to {@link LocalPodListener#podRemoved}
 * @param warnings          objects skipped or partly used, one line each
 * @param listenerFailures  listener calls that threw ("shop/web-1: podAdded: ..."); those pods are offered again next time
 */
public record ApplyReport(int servicesUpserted, int servicesDeleted, int nodesUpserted, int nodesRemoved, int podsAdded,
                          int podsChanged, int podsRemoved, List<String> warnings, List<String> listenerFailures) {
    public ApplyReport {
        warnings = List.copyOf(warnings);
        listenerFailures = List.copyOf(listenerFailures);
    }

    /** Returns: true when anything was written or any pod was reported. */
    public boolean changedAnything() {
        return servicesUpserted + servicesDeleted + nodesUpserted + nodesRemoved + podsAdded + podsChanged + podsRemoved > 0;
    }

    /** Returns: a one-line summary ("services +2 -1, nodes +0 -0, pods +1 ~0 -0"). */
    public String summary() {
        return "services +" + servicesUpserted + " -" + servicesDeleted + ", nodes +" + nodesUpserted + " -" + nodesRemoved
                + ", pods +" + podsAdded + " ~" + podsChanged + " -" + podsRemoved
                + (listenerFailures.isEmpty() ? "" : ", " + listenerFailures.size() + " pod setups failed");
    }
}
