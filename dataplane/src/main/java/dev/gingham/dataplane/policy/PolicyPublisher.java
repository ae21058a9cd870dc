package dev.gingham.dataplane.policy;

import dev.gingham.maps.ArrayMap;
import dev.gingham.maps.HashMap;
import dev.gingham.maps.MapErrors;
import dev.gingham.maps.UpdateFlags;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Writes compiled policies into {@link PolicyMaps} so that workers switch from one whole policy
 * to the next in a single step (the control agent's side; one writer thread).
 *
 * <p>{@link #publish} takes the complete desired state (every local endpoint's
 * {@link EndpointPolicy}) and:
 * <ol>
 *   <li>finds a live table for every direction policy, or writes a new one under a fresh table
 *       id (rows and port bitmaps first, all of them; a map that runs out of room rolls back
 *       everything this call wrote and throws {@link PolicyCapacityException}, publishing
 *       nothing);</li>
 *   <li>writes every endpoint word into the inactive bank;</li>
 *   <li>flips the active-bank word with one release store: from the next lookup on, every worker
 *       sees the new policy of every endpoint at once, never a mix of two updates;</li>
 *   <li>retires the tables no endpoint refers to any more. Their rows are deleted by
 *       {@link #reclaim}, which the control agent calls once every worker has passed a quiescent
 *       point after the publish (a worker may still be reading an old word), as
 *       {@code LpmTrie.reclaim} is used.</li>
 * </ol>
 * Tables are content-addressed: endpoints whose compiled direction policies are equal share one
 * table, and a republish that changes nothing writes no rows. Port sets are shared the same way.
 */
public final class PolicyPublisher {
    private static final VarHandle WORD = ValueLayout.JAVA_LONG.varHandle().withInvokeExactBehavior();

    private final PolicyMaps maps;
    private final HashMap rows;
    private final ArrayMap ports;
    private final MemorySegment rowScratch = Arena.ofAuto().allocate(PolicyMaps.ROW_KEY_BYTES + PolicyMaps.ROW_VALUE_BYTES, 8);
    private final MemorySegment bitmapScratch = Arena.ofAuto().allocate(PortRanges.BITMAP_BYTES, 8);

    private final Map<DirectionPolicy, Table> tables = new java.util.HashMap<>();
    private final Map<Integer, Table> tablesById = new java.util.HashMap<>();
    private final Map<PortRanges, int[]> portSets = new java.util.HashMap<>(); // set -> {id, references}
    private final ArrayDeque<Integer> freeTableIds = new ArrayDeque<>();
    private final ArrayDeque<Integer> freePortSetIds = new ArrayDeque<>();
    private final List<Table> retired = new ArrayList<>();
    private int nextTableId = 1;
    private int nextPortSetId = PolicyMaps.EMPTY_PORT_SET + 1;
    private Map<Integer, Long> published = Map.of();
    private long generation;

    /** A written table: its id, the rows it holds and how many endpoint directions use it. */
    private static final class Table {
        final int id;
        final DirectionPolicy policy;
        /** Peers whose rows are in the map (all of them, unless a write failed part way). */
        final List<Integer> written = new ArrayList<>();
        int references;

        Table(int id, DirectionPolicy policy) {
            this.id = id;
            this.policy = policy;
        }
    }

    public PolicyPublisher(PolicyMaps maps) {
        this.maps = maps;
        this.rows = maps.rows();
        this.ports = maps.ports();
    }

    /**
     * Publishes the complete desired state: every endpoint slot not in {@code endpoints} loses its
     * policy (its word becomes 0: no policy, which workers treat as "no configuration").
     *
     * @throws PolicyCapacityException when the maps cannot hold it (nothing changed)
     * @throws IllegalArgumentException for a slot outside 0..maxEndpoints-1 (nothing changed)
     */
    public void publish(Map<Integer, EndpointPolicy> endpoints) {
        for (int slot : endpoints.keySet()) {
            if (slot < 0 || slot >= maps.maxEndpoints()) {
                throw new IllegalArgumentException("endpoint slot " + slot + " outside 0.." + (maps.maxEndpoints() - 1));
            }
        }
        List<Table> created = new ArrayList<>();
        Map<Integer, Long> words = new java.util.HashMap<>();
        List<Table> referenced = new ArrayList<>();
        try {
            for (Map.Entry<Integer, EndpointPolicy> e : endpoints.entrySet()) {
                EndpointPolicy policy = e.getValue();
                long word = PolicyMaps.VALID;
                Table ingress = tableFor(policy.ingress(), created);
                Table egress = tableFor(policy.egress(), created);
                if (policy.ingress().enforced()) {
                    word |= PolicyMaps.INGRESS_ENFORCED | (policy.ingress().audit() ? PolicyMaps.INGRESS_AUDIT : 0);
                }
                if (policy.egress().enforced()) {
                    word |= PolicyMaps.EGRESS_ENFORCED | (policy.egress().audit() ? PolicyMaps.EGRESS_AUDIT : 0);
                }
                if (policy.ingress().rows().containsKey(0)) {
                    word |= PolicyMaps.INGRESS_WILDCARD;
                }
                if (policy.egress().rows().containsKey(0)) {
                    word |= PolicyMaps.EGRESS_WILDCARD;
                }
                if (ingress != null) {
                    word |= ingress.id;
                    referenced.add(ingress);
                }
                if (egress != null) {
                    word |= (long) egress.id << PolicyMaps.EGRESS_TABLE_SHIFT;
                    referenced.add(egress);
                }
                words.put(e.getKey(), word);
            }
        } catch (PolicyCapacityException failure) {
            for (Table table : created) {
                deleteTable(table);
                tables.remove(table.policy);
                tablesById.remove(table.id);
                freeTableIds.add(table.id);
            }
            throw failure;
        }
        for (Table table : referenced) {
            table.references++;
        }
        flip(words);
        for (Map.Entry<Integer, Long> old : published.entrySet()) {
            release(PolicyMaps.table(old.getValue(), Direction.INGRESS));
            release(PolicyMaps.table(old.getValue(), Direction.EGRESS));
        }
        published = Map.copyOf(words);
        generation++;
    }

    /** Writes the inactive bank and makes it the active one with one release store. */
    private void flip(Map<Integer, Long> words) {
        ArrayMap endpoints = maps.endpoints();
        MemorySegment segment = endpoints.segment();
        long bankOffset = endpoints.valueOffset(maps.bankIndex());
        long active = (long) WORD.getAcquire(segment, bankOffset);
        long inactive = 1 - active;
        for (int slot = 0; slot < maps.maxEndpoints(); slot++) {
            long word = words.getOrDefault(slot, 0L);
            WORD.setRelease(segment, endpoints.valueOffset((int) inactive * maps.maxEndpoints() + slot), word);
        }
        WORD.setRelease(segment, bankOffset, inactive);
    }

    private void release(int tableId) {
        if (tableId == 0) {
            return;
        }
        Table table = tablesById.get(tableId);
        if (--table.references == 0) {
            tables.remove(table.policy);
            tablesById.remove(tableId);
            retired.add(table);
        }
    }

    /** Returns: the live table for {@code policy}, writing a new one when none exists; null when no table is needed. */
    private Table tableFor(DirectionPolicy policy, List<Table> created) {
        if (!policy.enforced() || policy.rows().isEmpty()) {
            return null; // open, or enforced with nothing allowed: table 0, which has no rows
        }
        Table table = tables.get(policy);
        if (table != null) {
            return table;
        }
        Integer id = freeTableIds.poll();
        if (id == null) {
            if (nextTableId > PolicyMaps.MAX_TABLE_ID) {
                throw new PolicyCapacityException("policy table ids exhausted (" + PolicyMaps.MAX_TABLE_ID + ")");
            }
            id = nextTableId++;
        }
        table = new Table(id, policy);
        tables.put(policy, table);
        tablesById.put(id, table);
        created.add(table);
        for (Map.Entry<Integer, PolicyRow> e : policy.rows().entrySet()) {
            writeRow(table, e.getKey(), e.getValue());
        }
        return table;
    }

    private void writeRow(Table table, int peer, PolicyRow row) {
        PortRanges[] sets = {row.tcp(), row.udp(), row.sctp()};
        int[] ids = new int[3];
        int acquired = 0;
        try {
            if (!row.anyProtocol()) {
                for (; acquired < 3; acquired++) {
                    ids[acquired] = acquirePortSet(sets[acquired]);
                }
            }
            MemorySegment s = rowScratch;
            s.set(ValueLayout.JAVA_LONG, 0, PolicyMaps.rowKey(table.id, peer));
            long v = PolicyMaps.ROW_KEY_BYTES;
            s.set(ValueLayout.JAVA_INT, v + PolicyMaps.ROW_FLAGS_OFFSET, row.anyProtocol() ? PolicyMaps.ROW_ANY_PROTOCOL : 0);
            s.set(ValueLayout.JAVA_INT, v + PolicyMaps.ROW_POLICY_ID_OFFSET, row.policyId());
            s.set(ValueLayout.JAVA_SHORT, v + PolicyMaps.ROW_TCP_SET_OFFSET, (short) ids[0]);
            s.set(ValueLayout.JAVA_SHORT, v + PolicyMaps.ROW_UDP_SET_OFFSET, (short) ids[1]);
            s.set(ValueLayout.JAVA_SHORT, v + PolicyMaps.ROW_SCTP_SET_OFFSET, (short) ids[2]);
            s.set(ValueLayout.JAVA_SHORT, v + 14, (short) 0);
            int result = rows.update(s, 0, s, v, UpdateFlags.NOEXIST);
            if (result != MapErrors.OK) {
                throw new PolicyCapacityException("policy rows map refused a row (error " + result + ", "
                        + rows.count() + " of " + rows.spec().maxEntries() + " rows in use)");
            }
            table.written.add(peer);
        } catch (PolicyCapacityException failure) {
            for (int i = 0; i < acquired; i++) {
                releasePortSet(sets[i]); // the sets this row took before the failure
            }
            throw failure;
        }
    }

    private int acquirePortSet(PortRanges set) {
        if (set.isEmpty()) {
            return PolicyMaps.EMPTY_PORT_SET;
        }
        int[] entry = portSets.get(set);
        if (entry != null) {
            entry[1]++;
            return entry[0];
        }
        Integer id = freePortSetIds.poll();
        if (id == null) {
            if (nextPortSetId >= ports.spec().maxEntries()) {
                throw new PolicyCapacityException("policy port sets exhausted (" + (ports.spec().maxEntries() - 1) + " distinct sets)");
            }
            id = nextPortSetId++;
        }
        set.writeBitmap(bitmapScratch, 0);
        ports.update(id, bitmapScratch, 0);
        portSets.put(set, new int[] {id, 1});
        return id;
    }

    private void releasePortSet(PortRanges set) {
        if (set.isEmpty()) {
            return;
        }
        int[] entry = portSets.get(set);
        if (--entry[1] == 0) {
            portSets.remove(set);
            freePortSetIds.add(entry[0]); // bitmap left in place: no row refers to it, the next owner rewrites it
        }
    }

    private void deleteTable(Table table) {
        for (int peer : table.written) {
            rowScratch.set(ValueLayout.JAVA_LONG, 0, PolicyMaps.rowKey(table.id, peer));
            rows.delete(rowScratch, 0);
            PolicyRow row = table.policy.rows().get(peer);
            if (!row.anyProtocol()) {
                releasePortSet(row.tcp());
                releasePortSet(row.udp());
                releasePortSet(row.sctp());
            }
        }
        table.written.clear();
    }

    /**
     * Deletes the rows of every retired table and frees their ids and port sets. Call once every
     * worker has passed a quiescent point since the last {@link #publish} (at once when no worker
     * runs concurrently).
     *
     * @return the number of tables reclaimed
     */
    public int reclaim() {
        int n = retired.size();
        for (Table table : retired) {
            deleteTable(table);
            freeTableIds.add(table.id);
        }
        retired.clear();
        return n;
    }

    /** Returns: tables live now (shared ones counted once). */
    public int liveTables() {
        return tables.size();
    }

    /** Returns: tables waiting for {@link #reclaim}. */
    public int retiredTables() {
        return retired.size();
    }

    /** Returns: distinct port sets written. */
    public int portSets() {
        return portSets.size();
    }

    /** Returns: how many publishes succeeded. */
    public long generation() {
        return generation;
    }
}
