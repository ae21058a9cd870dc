package dev.gingham.dataplane.policy;

import dev.gingham.maps.ArrayMap;
import dev.gingham.maps.HashMap;
import dev.gingham.maps.MapSpec;

/**
 * The three maps NetworkPolicy is enforced from, and their layouts.
 *
 * <pre>
 * policy_endpoints  ArrayMap, 8-byte values, 2 * maxEndpoints + 1 elements:
 *   [bank * maxEndpoints + slot]  endpoint word (below), two banks
 *   [2 * maxEndpoints]            the active bank (0 or 1): flipping it publishes a whole update
 *
 *   endpoint word: bits  0-23  ingress table id     bit 48  VALID (a policy was published)
 *                  bits 24-47  egress table id      bit 49  ingress enforced   bit 51 ingress audit
 *                                                   bit 50  egress enforced    bit 52 egress audit
 *                                                   bit 53  ingress table has a wildcard row (peer 0)
 *                                                   bit 54  egress table has a wildcard row
 *
 * policy_rows       HashMap, 8-byte key, 16-byte value
 *   key   (native long): table id &lt;&lt; 32 | peer identity (0 = every peer)
 *   value: | flags u32 (bit 0 ANY_PROTOCOL) | policy id u32 | tcp set u16 | udp set u16 | sctp set u16 | pad u16 |
 *
 * policy_ports      ArrayMap, 8192-byte values: port bitmaps, bit p = port p allowed; set 0 is empty
 * </pre>
 *
 * <p>Why tables and not per-endpoint maps (Cilium's {@code cilium_policy_<ep>}): a table is one
 * compiled direction policy, shared by every endpoint that compiles to the same one (replicas of
 * a deployment), so rows scale with distinct policies, not with pods; and a new table is written
 * beside the old one under a new id, which is what makes publication atomic.
 */
public final class PolicyMaps implements AutoCloseable {
    public static final String ENDPOINTS_MAP = "policy_endpoints";
    public static final String ROWS_MAP = "policy_rows";
    public static final String PORTS_MAP = "policy_ports";

    public static final long TABLE_MASK = 0xFF_FFFFL;
    public static final int EGRESS_TABLE_SHIFT = 24;
    public static final long VALID = 1L << 48;
    public static final long INGRESS_ENFORCED = 1L << 49;
    public static final long EGRESS_ENFORCED = 1L << 50;
    public static final long INGRESS_AUDIT = 1L << 51;
    public static final long EGRESS_AUDIT = 1L << 52;
    /** The ingress table has a row for peer 0: a miss on the peer's own row must probe it. */
    public static final long INGRESS_WILDCARD = 1L << 53;
    /** The egress table has a row for peer 0. */
    public static final long EGRESS_WILDCARD = 1L << 54;
    /** Largest table id (24 bits). */
    public static final int MAX_TABLE_ID = (int) TABLE_MASK;

    public static final int ROW_KEY_BYTES = 8;
    public static final int ROW_VALUE_BYTES = 16;
    public static final int ROW_FLAGS_OFFSET = 0;
    public static final int ROW_POLICY_ID_OFFSET = 4;
    public static final int ROW_TCP_SET_OFFSET = 8;
    public static final int ROW_UDP_SET_OFFSET = 10;
    public static final int ROW_SCTP_SET_OFFSET = 12;
    /** Row flag: every protocol and port. */
    public static final int ROW_ANY_PROTOCOL = 1;

    /** Port set id of the empty set (never written: the zero-filled bitmap). */
    public static final int EMPTY_PORT_SET = 0;
    /** Largest number of port sets (ids are u16). */
    public static final int MAX_PORT_SETS = 65_536;

    private final int maxEndpoints;
    private final ArrayMap endpoints;
    private final HashMap rows;
    private final ArrayMap ports;

    private PolicyMaps(int maxEndpoints, ArrayMap endpoints, HashMap rows, ArrayMap ports) {
        this.maxEndpoints = maxEndpoints;
        this.endpoints = endpoints;
        this.rows = rows;
        this.ports = ports;
    }

    /**
     * Creates anonymous maps.
     *
     * @param maxEndpoints local endpoint slots
     * @param maxRows      rows over all tables; size for twice the steady state, since a
     *                     publication writes new tables before the old ones are reclaimed
     * @param maxPortSets  distinct port sets (8 KiB each)
     */
    public static PolicyMaps create(int maxEndpoints, int maxRows, int maxPortSets) {
        if (maxEndpoints <= 0 || maxPortSets < 2 || maxPortSets > MAX_PORT_SETS) {
            throw new IllegalArgumentException("policy maps: maxEndpoints " + maxEndpoints + " must be positive and maxPortSets "
                    + maxPortSets + " 2.." + MAX_PORT_SETS);
        }
        ArrayMap endpoints = ArrayMap.create(MapSpec.array(ENDPOINTS_MAP, Long.BYTES, 2 * maxEndpoints + 1));
        HashMap rows = HashMap.create(MapSpec.hash(ROWS_MAP, ROW_KEY_BYTES, ROW_VALUE_BYTES, maxRows));
        ArrayMap ports = ArrayMap.create(MapSpec.array(PORTS_MAP, PortRanges.BITMAP_BYTES, maxPortSets));
        return new PolicyMaps(maxEndpoints, endpoints, rows, ports);
    }

    public int maxEndpoints() {
        return maxEndpoints;
    }

    public ArrayMap endpoints() {
        return endpoints;
    }

    public HashMap rows() {
        return rows;
    }

    public ArrayMap ports() {
        return ports;
    }

    /** Returns: the endpoints-map index of the active-bank word. */
    public int bankIndex() {
        return 2 * maxEndpoints;
    }

    /** Returns: the row key of (table, peer). */
    public static long rowKey(int table, int peerIdentity) {
        return (long) table << 32 | (peerIdentity & 0xFFFF_FFFFL);
    }

    /** Returns: the table id of {@code direction} in an endpoint word. */
    public static int table(long word, int direction) {
        return (int) ((direction == Direction.INGRESS ? word : word >>> EGRESS_TABLE_SHIFT) & TABLE_MASK);
    }

    @Override
    public void close() {
        endpoints.close();
        rows.close();
        ports.close();
    }
}
