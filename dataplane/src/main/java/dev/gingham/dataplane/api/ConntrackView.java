package dev.gingham.dataplane.api;

import dev.gingham.conntrack.CtEntry;
import dev.gingham.conntrack.CtKey;
import dev.gingham.conntrack.CtTable;
import dev.gingham.conntrack.CtTcp;
import dev.gingham.maps.HashMap;
import dev.gingham.nat.IpAddress;

import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code /v1/conntrack}: the conntrack tables (like {@code cilium-dbg bpf ct list global}), with
 * filters and a limit. Workers create, update and delete entries while the dump runs: entries are
 * read with {@code forEachCopy} (each key copied, its value read as one consistent snapshot); an
 * entry deleted or caught half inserted is skipped. Counters of a live entry may move on between two rows.
 */
public final class ConntrackView {
    /** Rows returned when the request sets no limit. */
    public static final int DEFAULT_LIMIT = 1000;
    /** The largest limit a request may set. */
    public static final int MAX_LIMIT = 1_000_000;

    /**
     * @param matched   entries that pass the filters (all of them, not only those returned)
     * @param truncated more entries matched than the limit let through
     */
    public record Conntrack(List<Entry> entries, int matched, boolean truncated, int tcpEntries, int otherEntries) {
    }

    /**
     * One conntrack entry.
     *
     * @param table          "tcp" or "other"
     * @param service        the entry is keyed by the client-to-VIP tuple (it remembers the chosen backend)
     * @param state          TCP state ("ESTABLISHED"), "" for other protocols
     * @param expiresInSeconds seconds until the sweeper may delete it (negative: expired, not yet swept)
     * @param family         "ipv4" or "ipv6": the family's maps the entry is in
     * @param packets        packets in both directions
     * @param bytes          bytes (frame lengths) in both directions
     * @param flags          seen-reply, seen-non-syn, tx-closing, rx-closing, dnat, snat, hairpin, nodeport
     * @param revNat         rev-NAT index of the service the flow was translated for (0: none)
     */
    public record Entry(String table, String family, String protocol, String source, int sourcePort,
                        String destination, int destinationPort, boolean service, String state, long expiresInSeconds,
                        long packets, long bytes, List<String> flags, int revNat, int backendId, int sourceIdentity) {
    }

    /**
     * What a request asks for; null fields do not filter.
     *
     * @param address either side's address is this one (a pod's address for {@code pod=})
     * @param port    either side's port is this one
     */
    public record Filter(Integer protocol, IpAddress source, IpAddress destination, IpAddress address, Integer port,
                         String table, int limit) {
        boolean accepts(String entryTable, int protocolNumber, IpAddress src, int srcPort, IpAddress dst, int dstPort) {
            return (table == null || table.equals(entryTable))
                    && (protocol == null || protocol == protocolNumber)
                    && (source == null || source.equals(src))
                    && (destination == null || destination.equals(dst))
                    && (address == null || address.equals(src) || address.equals(dst))
                    && (port == null || port == srcPort || port == dstPort);
        }
    }

    private ConntrackView() {
    }

    /**
     * @param nowNs the node clock (expiries are on it)
     */
    public static Conntrack of(CtTable table, Filter filter, long nowNs) {
        List<Entry> rows = new ArrayList<>();
        int[] matched = {0};
        for (HashMap map : table.maps()) {
            dump(table, map, filter, nowNs, rows, matched);
        }
        return new Conntrack(List.copyOf(rows), matched[0], matched[0] > rows.size(), table.tcpCount(), table.nonTcpCount());
    }

    private static void dump(CtTable table, HashMap map, Filter filter, long nowNs, List<Entry> rows, int[] matched) {
        String tableName = table.tcpMap(map) ? "tcp" : "other";
        String family = table.ipv4Map(map) ? "ipv4" : "ipv6";
        CtKey key = new CtKey().wrap(Arena.ofAuto().allocate(CtKey.LENGTH, Long.BYTES), 0);
        CtEntry entry = new CtEntry();
        map.forEachCopy((s, k, v) -> {
                table.readKey(map, s, k, key);
                entry.wrap(s, v);
                IpAddress src = new IpAddress(key.srcHi(), key.srcLo());
                IpAddress dst = new IpAddress(key.dstHi(), key.dstLo());
                if (!filter.accepts(tableName, key.protocol(), src, key.srcPort(), dst, key.dstPort())) {
                    return;
                }
                matched[0]++;
                if (rows.size() >= filter.limit()) {
                    return;
                }
                int stateWord = entry.stateWord();
                rows.add(new Entry(tableName, family, IpProtocols.name(key.protocol()), src.toString(), key.srcPort(), dst.toString(),
                        key.dstPort(), (key.flags() & CtKey.FLAG_SERVICE) != 0,
                        key.protocol() == IpProtocols.TCP ? CtTcp.name(CtEntry.tcpState(stateWord)) : "",
                        Math.floorDiv(entry.expiresAtNs() - nowNs, 1_000_000_000L),
                        entry.packets(), entry.bytes(),
                        flagNames(CtEntry.flags(stateWord)), entry.revNatIndex(), entry.backendId(), entry.srcIdentity()));
        });
    }

    /** Returns: the names of the set flag bits, conntrack's then NAT's. */
    static List<String> flagNames(int flags) {
        List<String> names = new ArrayList<>();
        add(names, flags, CtEntry.FLAG_SEEN_REPLY, "seen-reply");
        add(names, flags, CtEntry.FLAG_SEEN_NON_SYN, "seen-non-syn");
        add(names, flags, CtEntry.FLAG_TX_CLOSING, "tx-closing");
        add(names, flags, CtEntry.FLAG_RX_CLOSING, "rx-closing");
        add(names, flags, CtEntry.FLAG_SERVICE_DNAT, "dnat");
        add(names, flags, CtEntry.FLAG_SNAT, "snat");
        add(names, flags, CtEntry.FLAG_HAIRPIN, "hairpin");
        add(names, flags, CtEntry.FLAG_NODEPORT, "nodeport");
        return List.copyOf(names);
    }

    private static void add(List<String> names, int flags, int bit, String name) {
        if ((flags & bit) != 0) {
            names.add(name);
        }
    }
}
