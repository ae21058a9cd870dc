package dev.gingham.dataplane.policy;

import dev.gingham.maps.ArrayMap;
import dev.gingham.maps.HashMap;
import dev.gingham.maps.MapErrors;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;

/**
 * The policy decision for one packet, read from {@link PolicyMaps}: a fixed number of probes,
 * whatever the number of policies, rules or identities.
 *
 * <ol>
 *   <li>two acquire loads: the active bank, then the endpoint's word in it (tables, enforcement
 *       and audit bits for both directions, published together);</li>
 *   <li>one hash probe for (table, peer identity); only when that misses and the table has a
 *       wildcard row (a bit in the endpoint word), a second for (table, 0), the row of rules that
 *       allow every peer. The compiler merges the wildcard row into every identity row, so a peer
 *       with a row never needs the second probe;</li>
 *   <li>one load from the port bitmap of the packet's protocol (8 KiB per distinct port set; bit
 *       p = port p): ranges of any shape cost the same single bit test, where Cilium's LPM on the
 *       port splits an endPort range into up to 2 &times; 16 aligned power-of-two blocks.</li>
 * </ol>
 * At most 2 + 2 + 1 memory probes; no allocation, no lock, no exception. One instance per worker
 * (it keeps the last decision's policy id for the flow event).
 */
public final class PolicyLookup {
    /** Allowed by a row. */
    public static final int ALLOWED = 0;
    /** The endpoint is not isolated in this direction: allowed without a lookup. */
    public static final int NOT_ENFORCED = 1;
    /** No row allows it: drop ({@code POLICY}). */
    public static final int DENIED = 2;
    /** No row allows it, but the direction is in audit mode: passes, counted and reported. */
    public static final int AUDITED = 3;
    /** A later fragment (no ports) where only port rules would allow it: drop ({@code FRAG_NOT_SUPPORTED}). */
    public static final int FRAGMENT_DENIED = 4;
    /** The endpoint slot has no published policy yet: drop ({@code NO_CONFIG}). */
    public static final int NO_POLICY = 5;
    /** The endpoint slot is out of range: drop ({@code NO_LOCAL_ENDPOINT}). */
    public static final int NO_ENDPOINT = 6;

    private static final VarHandle WORD = ValueLayout.JAVA_LONG.varHandle().withInvokeExactBehavior();
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED;
    private static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED;
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED;

    private final ArrayMap endpoints;
    private final MemorySegment endpointSegment;
    private final long bankOffset;
    private final int maxEndpoints;
    private final HashMap rows;
    private final MemorySegment rowSegment;
    private final ArrayMap ports;
    private final MemorySegment portSegment;
    private int policyId;

    public PolicyLookup(PolicyMaps maps) {
        this.endpoints = maps.endpoints();
        this.endpointSegment = endpoints.segment();
        this.bankOffset = endpoints.valueOffset(maps.bankIndex());
        this.maxEndpoints = maps.maxEndpoints();
        this.rows = maps.rows();
        this.rowSegment = rows.segment();
        this.ports = maps.ports();
        this.portSegment = ports.segment();
    }

    /**
     * Decides one packet.
     *
     * @param endpoint      the local endpoint's slot (source pod for egress, destination pod for ingress)
     * @param direction     {@link Direction#INGRESS} or {@link Direction#EGRESS}
     * @param peer          the other side's identity (0 when unresolved: only allow-all rules match it)
     * @param protocol      IP protocol number
     * @param port          destination port (for ICMP echo the id; 0 for a later fragment)
     * @param laterFragment true for a fragment without L4 header
     * @return {@link #ALLOWED}, {@link #NOT_ENFORCED}, {@link #DENIED}, {@link #AUDITED},
     *         {@link #FRAGMENT_DENIED}, {@link #NO_POLICY} or {@link #NO_ENDPOINT}
     */
    public int check(int endpoint, int direction, int peer, int protocol, int port, boolean laterFragment) {
        policyId = 0;
        if (Integer.compareUnsigned(endpoint, maxEndpoints) >= 0) {
            return NO_ENDPOINT;
        }
        long bank = (long) WORD.getAcquire(endpointSegment, bankOffset);
        long word = (long) WORD.getAcquire(endpointSegment, endpoints.valueOffset((int) bank * maxEndpoints + endpoint));
        if ((word & PolicyMaps.VALID) == 0) {
            return NO_POLICY;
        }
        boolean ingress = direction == Direction.INGRESS;
        if ((word & (ingress ? PolicyMaps.INGRESS_ENFORCED : PolicyMaps.EGRESS_ENFORCED)) == 0) {
            return NOT_ENFORCED;
        }
        int table = PolicyMaps.table(word, direction);
        boolean wildcard = (word & (ingress ? PolicyMaps.INGRESS_WILDCARD : PolicyMaps.EGRESS_WILDCARD)) != 0;
        int decision = table == 0 ? DENIED : lookupRow(table, peer, wildcard, protocol, port, laterFragment);
        if (decision != ALLOWED && (word & (ingress ? PolicyMaps.INGRESS_AUDIT : PolicyMaps.EGRESS_AUDIT)) != 0) {
            return AUDITED;
        }
        return decision;
    }

    private int lookupRow(int table, int peer, boolean wildcard, int protocol, int port, boolean laterFragment) {
        long row = rows.lookup(PolicyMaps.rowKey(table, peer));
        if (row == MapErrors.MISSING && wildcard && peer != 0) {
            row = rows.lookup(PolicyMaps.rowKey(table, 0));
        }
        if (row == MapErrors.MISSING) {
            return DENIED;
        }
        MemorySegment s = rowSegment;
        policyId = s.get(INT, row + PolicyMaps.ROW_POLICY_ID_OFFSET);
        if ((s.get(INT, row + PolicyMaps.ROW_FLAGS_OFFSET) & PolicyMaps.ROW_ANY_PROTOCOL) != 0) {
            return ALLOWED;
        }
        long setOffset = switch (protocol) {
            case 6 -> PolicyMaps.ROW_TCP_SET_OFFSET;
            case 17 -> PolicyMaps.ROW_UDP_SET_OFFSET;
            case 132 -> PolicyMaps.ROW_SCTP_SET_OFFSET;
            default -> -1;
        };
        if (setOffset < 0) {
            return DENIED;
        }
        int set = Short.toUnsignedInt(s.get(SHORT, row + setOffset));
        if (set == PolicyMaps.EMPTY_PORT_SET) {
            return DENIED;
        }
        int p = laterFragment ? 0 : port & 0xFFFF;
        long bitmap = ports.valueOffset(set);
        boolean allowed = ((portSegment.get(LONG, bitmap + ((p >>> 6) << 3)) >>> (p & 63)) & 1L) != 0;
        if (allowed) {
            return ALLOWED;
        }
        return laterFragment ? FRAGMENT_DENIED : DENIED;
    }

    /** Returns: the policy id of the row behind the last decision (0 when no row decided it). */
    public int policyId() {
        return policyId;
    }
}
