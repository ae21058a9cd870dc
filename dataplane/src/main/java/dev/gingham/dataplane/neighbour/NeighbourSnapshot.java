package dev.gingham.dataplane.neighbour;

import java.util.List;

/**
 * The neighbour table as it was at the end of one control-agent duty cycle: what the admin API
 * shows ({@code /metrics}, {@code /v1/neighbours}). Immutable, so the control agent publishes it
 * with one volatile store and any thread reads it without a lock ({@link NeighbourResolver#snapshot}).
 *
 * @param entries            every next hop being resolved, sorted by address
 * @param requestsSent       ARP requests put on the underlay since start
 * @param observations       ARP senders (other than the node) the workers reported since start
 * @param confirmations      of those, the ones that confirmed a next hop's MAC (a reply, or a request from it)
 * @param resolutionFailures times an entry became {@link NeighbourTable.State#FAILED}: its fast
 *                           requests all went unanswered
 */
public record NeighbourSnapshot(List<NeighbourTable.Entry> entries, long requestsSent, long observations,
                                long confirmations, long resolutionFailures) {
    /** Before the first duty cycle, and for a node that resolves nothing. */
    public static final NeighbourSnapshot EMPTY = new NeighbourSnapshot(List.of(), 0, 0, 0, 0);

    public NeighbourSnapshot {
        entries = List.copyOf(entries);
    }

    /** Returns: the entries in {@code state}. */
    public int count(NeighbourTable.State state) {
        int n = 0;
        for (NeighbourTable.Entry e : entries) {
            if (e.state() == state) {
                n++;
            }
        }
        return n;
    }
}
