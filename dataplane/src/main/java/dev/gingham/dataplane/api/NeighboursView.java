package dev.gingham.dataplane.api;

import dev.gingham.dataplane.neighbour.NeighbourObservations;
import dev.gingham.dataplane.neighbour.NeighbourSnapshot;
import dev.gingham.dataplane.neighbour.NeighbourTable;
import dev.gingham.dataplane.node.ConfiguredNode;
import dev.gingham.packet.header.Addresses;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * {@code /v1/neighbours}: the underlay next hops the node resolves by ARP (like {@code ip neigh
 * show} for the kernel): the peer nodes on its link without a static MAC, and the gateway. Read
 * from the snapshot the control agent publishes after each change ({@link NodeTelemetry#neighbours}),
 * never from the table itself, which belongs to the control thread.
 */
public final class NeighboursView {
    /**
     * @param requestsSent       ARP requests sent since start
     * @param observations       ARP senders the workers reported since start
     * @param observationsLost   reports lost to a full hand-off ring
     * @param confirmations      reports that confirmed a next hop's MAC
     * @param resolutionFailures times a next hop became "failed"
     */
    public record Neighbours(List<Neighbour> neighbours, long requestsSent, long observations, long observationsLost,
                             long confirmations, long resolutionFailures) {
    }

    /**
     * One next hop.
     *
     * @param mac      "" while it has none (incomplete, failed: frames to it are dropped as NEIGHBOUR_UNRESOLVED)
     * @param state    "incomplete", "reachable", "probe" or "failed" (docs/user-guide.md)
     * @param ageMs    milliseconds since its MAC was last confirmed, also after the MAC was withdrawn;
     *                 null when it never answered
     * @param requests requests sent since the last confirmation (or withdrawal)
     */
    public record Neighbour(String address, String mac, String state, Long ageMs, int requests) {
    }

    private static final long NS_PER_MS = 1_000_000L;

    private NeighboursView() {
    }

    public static Neighbours of(NeighbourSnapshot snapshot, long observationsLost, long nowNs) {
        List<Neighbour> rows = new ArrayList<>(snapshot.entries().size());
        for (NeighbourTable.Entry e : snapshot.entries()) {
            rows.add(new Neighbour(Addresses.formatIpv4(e.address()), e.mac() == 0 ? "" : Addresses.formatMac(e.mac()),
                    stateName(e.state()), e.confirmedNs() == NeighbourTable.NEVER_CONFIRMED ? null
                    : Math.floorDiv(nowNs - e.confirmedNs(), NS_PER_MS), e.requests()));
        }
        return new Neighbours(List.copyOf(rows), snapshot.requestsSent(), snapshot.observations(), observationsLost,
                snapshot.confirmations(), snapshot.resolutionFailures());
    }

    /** Returns: the state as the API and the metrics' {@code state} label spell it ("reachable"). */
    static String stateName(NeighbourTable.State state) {
        return state.name().toLowerCase(Locale.ROOT);
    }

    /** Returns: ARP reports the workers lost to a full ring (0 for a node that learns nothing); any thread. */
    static long observationsLost(ConfiguredNode node) {
        NeighbourObservations observations = node.state().maps().neighbours();
        return observations == null ? 0 : observations.lost();
    }
}
