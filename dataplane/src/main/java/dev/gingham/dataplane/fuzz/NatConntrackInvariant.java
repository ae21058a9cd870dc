package dev.gingham.dataplane.fuzz;

import dev.gingham.conntrack.CtEntry;
import dev.gingham.conntrack.CtKey;
import dev.gingham.conntrack.CtResult;
import dev.gingham.conntrack.CtStatus;
import dev.gingham.conntrack.CtTable;
import dev.gingham.maps.HashMap;
import dev.gingham.nat.snat.PortAllocator;
import dev.gingham.nat.snat.SnatResult;
import dev.gingham.nat.snat.SnatTable;
import dev.gingham.packet.header.Addresses;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The state invariants of conntrack and SNAT, checked against each other: what the fuzz command
 * asks of the node after its vectors (a {@code FuzzHarness.Target#checkState}).
 *
 * <ul>
 *   <li><b>Occupancy</b> ({@link #checkOccupancy}, cheap: counters only): both conntrack tables
 *       and the SNAT map within their configured sizes, and as many reverse SNAT entries as
 *       forward ones (one thread runs the pipeline, so no insert is half done between vectors).</li>
 *   <li><b>Every SNAT mapping has its flow</b> ({@link #check}): a conntrack entry on the
 *       mapping's original tuple, flagged {@link CtEntry#FLAG_SNAT} (the flag is what makes
 *       conntrack expiry release the mapping; without it the port leaks forever), a reverse entry
 *       that leads back to the original source, and its port marked used in its pool.</li>
 *   <li><b>Every NAT'd flow has its mapping</b>: a conntrack entry flagged SNAT whose mapping is
 *       gone is allowed only once the entry has expired (it is waiting for the sweeper, which
 *       releases nothing then), or when it is a NodePort flow ({@link CtEntry#FLAG_NODEPORT}):
 *       the service program flags those SNAT when it creates them and the masquerade program maps
 *       them when a packet of the flow gets that far, so a flow whose packets were all dropped in
 *       between (routing, TTL, a full SNAT pool) has no mapping yet. The fuzzer found this; it
 *       costs nothing (a later packet maps the flow, expiry of an unmapped flow releases
 *       nothing), so the invariant states it instead of the pipeline deleting such entries.</li>
 *   <li><b>Ports balance</b>: the ports marked used in every pool a mapping uses add up to the
 *       mappings (a port used by nothing is leaked).</li>
 * </ul>
 * A full check walks both maps (its cost grows with their entries), so the fuzz command runs
 * it every {@code n} vectors and at the end, and the occupancy check after every vector.
 * Returns descriptions, never throws. A check that finds nothing allocates next to nothing (two
 * lambdas and a record per port pool; descriptions are built only for a disagreement), so the
 * fuzz loop's allocation figure shows the pipeline's and the harness's, not the checker's.
 */
public final class NatConntrackInvariant {
    private final CtTable conntrack;
    private final SnatTable snat;
    private final MemorySegment scratch = Arena.ofAuto().allocate(CtKey.LENGTH, 8);
    private final CtKey key = new CtKey().wrap(scratch, 0);
    private final CtKey visitedKey = new CtKey().wrap(Arena.ofAuto().allocate(CtKey.LENGTH, 8), 0);
    private final CtResult found = new CtResult();
    private final CtEntry entry = new CtEntry();
    private final SnatResult result = new SnatResult();
    private final SnatResult reverse = new SnatResult();
    /**
     * The port pools the mappings of one check use, one per (NAT address, protocol family), in the
     * order first met: a short list searched linearly (a node has a NAT address or a few), so the
     * check makes an object per pool, not a key per mapping.
     */
    private final List<Pool> pools = new ArrayList<>();
    private String failure;

    public NatConntrackInvariant(CtTable conntrack, SnatTable snat) {
        this.conntrack = conntrack;
        this.snat = snat;
    }

    /** Returns: null when every table is within its size and SNAT's two maps agree in count, else what is wrong. */
    public String checkOccupancy() {
        int snatMax = snat.config().mapEntries();
        for (HashMap map : conntrack.maps()) {
            if (map.count() < 0 || map.count() > map.spec().maxEntries()) {
                return "conntrack table " + map.spec().name() + " holds " + map.count() + " entries, its size is "
                        + map.spec().maxEntries();
            }
        }
        if (snat.count() > snatMax || snat.reverseCount() > snatMax) {
            return "SNAT maps hold " + snat.count() + " forward and " + snat.reverseCount() + " reverse entries, their size is "
                    + snatMax;
        }
        if (snat.count() != snat.reverseCount()) {
            return "SNAT has " + snat.count() + " forward entries but " + snat.reverseCount() + " reverse entries";
        }
        return null;
    }

    /**
     * The full cross-check (occupancy first).
     *
     * @param nowNs the node's clock: conntrack entries expired by then may have lost their mapping
     * @return null when conntrack and SNAT agree, else the first disagreement found
     */
    public String check(long nowNs) {
        String occupancy = checkOccupancy();
        if (occupancy != null) {
            return occupancy;
        }
        failure = null;
        pools.clear();
        int mappings = snat.forEachMapping((protocol, srcHi, srcLo, srcPort, dstHi, dstLo, dstPort, natHi, natLo, natPort, createdNs) -> {
            if (failure == null) {
                failure = checkMapping(srcHi, srcLo, srcPort, dstHi, dstLo, dstPort, protocol, natHi, natLo, natPort);
            }
        });
        if (failure != null) {
            return failure;
        }
        int used = 0;
        for (int i = 0; i < pools.size(); i++) {
            PortAllocator ports = pools.get(i).ports();
            used += ports == null ? 0 : ports.usedCount();
        }
        if (used != mappings) {
            return "the SNAT port pools in use mark " + used + " ports used for " + mappings + " mappings " + poolNames();
        }
        for (HashMap map : conntrack.maps()) {
            if (failure == null) {
                checkFlows(map, nowNs);
            }
        }
        return failure;
    }

    /**
     * Returns: null when the mapping agrees with conntrack and its pool, else the disagreement. The
     * mapping's text is built only then: building it for every mapping was about 1.4 MB of strings
     * per check of a full SNAT map, which the fuzz loop's allocation figure showed.
     */
    private String checkMapping(long srcHi, long srcLo, int srcPort, long dstHi, long dstLo, int dstPort, int protocol,
                                long natHi, long natLo, int natPort) {
        String problem = mappingProblem(srcHi, srcLo, srcPort, dstHi, dstLo, dstPort, protocol, natHi, natLo, natPort);
        return problem == null ? null : "SNAT mapping " + flow(srcHi, srcLo, srcPort, dstHi, dstLo, dstPort, protocol) + " -> "
                + Addresses.formatEndpoint(natHi, natLo, natPort) + problem;
    }

    /** Returns: null, or what is wrong with the mapping, worded to follow the mapping's text. */
    private String mappingProblem(long srcHi, long srcLo, int srcPort, long dstHi, long dstLo, int dstPort, int protocol,
                                  long natHi, long natLo, int natPort) {
        key.set(srcHi, srcLo, dstHi, dstLo, srcPort, dstPort, protocol, 0);
        if (conntrack.lookup(scratch, 0, CtResult.ORIGINAL, found) == CtStatus.NEW) {
            return " has no conntrack entry (its port can never be released)";
        }
        if (!found.entry().hasFlags(CtEntry.FLAG_SNAT)) {
            return " has a conntrack entry without the SNAT flag (expiry would not release it)";
        }
        boolean icmp = protocol == 1 || protocol == 58;
        if (snat.lookupReverse(dstHi, dstLo, icmp ? natPort : dstPort, natHi, natLo, natPort, protocol, reverse) != 0) {
            return " has no reverse entry: replies would not find the pod";
        }
        if (reverse.origHi != srcHi || reverse.origLo != srcLo || reverse.origPort != srcPort) {
            return ": its reverse entry leads to " + Addresses.formatEndpoint(reverse.origHi, reverse.origLo, reverse.origPort);
        }
        PortAllocator pool = pool(natHi, natLo, protocol);
        if (pool == null || !pool.inUse(natPort)) {
            return ": port " + natPort + " is not marked used in its pool";
        }
        return null;
    }

    private void checkFlows(HashMap table, long nowNs) {
        table.forEach((segment, keyOffset, entryOffset) -> {
            if (failure != null || !entry.wrap(segment, entryOffset).hasFlags(CtEntry.FLAG_SNAT)) {
                return;
            }
            CtKey k = conntrack.readKey(table, segment, keyOffset, visitedKey);
            if ((k.flags() & CtKey.FLAG_SERVICE) != 0) {
                return;
            }
            if (snat.lookupEgress(k.srcHi(), k.srcLo(), k.srcPort(), k.dstHi(), k.dstLo(), k.dstPort(), k.protocol(), result) != 0
                    && entry.expiresAtNs() > nowNs && !entry.hasFlags(CtEntry.FLAG_NODEPORT)) {
                failure = "conntrack entry " + flow(k.srcHi(), k.srcLo(), k.srcPort(), k.dstHi(), k.dstLo(), k.dstPort(),
                        k.protocol()) + " is flagged SNAT and live until " + entry.expiresAtNs() + " ns, but has no SNAT mapping";
            }
        });
    }

    /** Returns: the port pool of a NAT address and protocol (null when SNAT has none), looked up once per check. */
    private PortAllocator pool(long natHi, long natLo, int protocol) {
        int family = poolProtocol(protocol);
        for (int i = 0; i < pools.size(); i++) {
            Pool pool = pools.get(i);
            if (pool.natHi() == natHi && pool.natLo() == natLo && pool.family() == family) {
                return pool.ports();
            }
        }
        Pool pool = new Pool(natHi, natLo, family, snat.ports(natHi, natLo, protocol));
        pools.add(pool);
        return pool.ports();
    }

    /** Returns: the pools of this check with a port pool, as "[address/protocol, ...]". */
    private String poolNames() {
        return pools.stream().filter(pool -> pool.ports() != null)
                .map(pool -> Addresses.formatMapped(pool.natHi(), pool.natLo()) + "/" + pool.family())
                .collect(Collectors.joining(", ", "[", "]"));
    }

    /** A NAT address's port pool for one protocol family, as one check found it ({@code ports} null: SNAT has none). */
    private record Pool(long natHi, long natLo, int family, PortAllocator ports) {
    }

    /** TCP, UDP and ICMP share nothing: a pool per (NAT address, protocol family of ports). */
    private static int poolProtocol(int protocol) {
        return protocol == 58 ? 1 : protocol;
    }

    private static String flow(long srcHi, long srcLo, int srcPort, long dstHi, long dstLo, int dstPort, int protocol) {
        return Addresses.formatEndpoint(srcHi, srcLo, srcPort) + " > " + Addresses.formatEndpoint(dstHi, dstLo, dstPort)
                + " proto " + protocol;
    }
}
