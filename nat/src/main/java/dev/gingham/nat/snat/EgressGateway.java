package dev.gingham.nat.snat;

import dev.gingham.packet.MappedAddress;
import dev.gingham.nat.IpAddress;
import dev.gingham.packet.Cidr;

import dev.gingham.maps.HashMap;
import dev.gingham.maps.LpmTrie;
import dev.gingham.maps.MapErrors;
import dev.gingham.maps.MapSpec;
import dev.gingham.maps.UpdateFlags;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Egress gateway policies (Cilium's CiliumEgressGatewayPolicy): which egress IP, if any, a pod's
 * traffic to a destination is masqueraded behind.
 *
 * <h2>Maps</h2>
 * Cilium keys one LPM trie by (source /32, destination CIDR): prefix length 32 + CIDR length.
 * Our tries take 4- or 16-byte keys, and an IPv6 source plus destination would be 32 bytes, so
 * the source is first folded into a <em>selection class</em>: the set of policies selecting it
 * (pods selected by the same policies share one). A hash map gives the source's class, and a
 * 16-byte LPM trie is keyed by (class, destination):
 * <pre>
 *  sources4  key: IPv4-mapped lo (8)            value: class (8)
 *  sources6  key: hi 8 | lo 8 (16)              value: class (8)
 *  rules4    key: class 32 | dst IPv4 32 | 0 64, prefix 32 + len        value: egressHi 8 | egressLo 8
 *  rules6    key: class 32 | dst bits 0..95,     prefix 32 + len (&lt;= 96) value: egressHi 8 | egressLo 8
 * </pre>
 * One lookup per map, as in Cilium, longest destination prefix wins within the class, and
 * classes keep the tries small (one copy of a policy's CIDRs per class, not per pod). IPv6
 * destinations are limited to /96 by the 32 class bits: egress CIDRs are networks, not hosts.
 * Where two policies selecting one source name the same CIDR, the first by name wins.
 *
 * <h2>Atomic replacement</h2>
 * Two generations of the four maps. {@link #apply} (control agent, one writer) rebuilds the
 * standby generation completely, then publishes it with one volatile store. Each generation has
 * a sequence word, odd while it is rebuilt; a reader reads the active generation, its sequence,
 * does its lookups and re-reads the sequence, retrying if it changed (its generation was
 * recycled under it). So a worker sees the whole old policy set or the whole new one, never a
 * mix, without a grace period and without a lock.
 */
public final class EgressGateway implements AutoCloseable {
    /** Longest IPv6 destination prefix: the class takes 32 of the trie's 128 key bits. */
    public static final int MAX_IPV6_PREFIX = 96;
    /** {@link #egressIp4} result: no policy applies. 0.0.0.0 is never an egress IP. */
    public static final int NONE = 0;

    private static final VarHandle SEQ;

    static {
        try {
            SEQ = MethodHandles.lookup().findVarHandle(Generation.class, "seq", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final int maxSources;
    private final int maxRules;
    private volatile Generation active;
    private Generation standby;
    private List<EgressPolicy> policies = List.of();

    private EgressGateway(int maxSources, int maxRules) {
        this.maxSources = maxSources;
        this.maxRules = maxRules;
        this.active = new Generation("a", maxSources, maxRules);
        this.standby = new Generation("b", maxSources, maxRules);
    }

    /**
     * @param maxSources selected pod addresses the policies may name (per family)
     * @param maxRules   (class, destination CIDR) pairs per family
     */
    public static EgressGateway create(int maxSources, int maxRules) {
        if (maxSources < 1 || maxRules < 1) {
            throw new IllegalArgumentException("egress gateway: maxSources " + maxSources + " and maxRules "
                    + maxRules + " must be positive");
        }
        return new EgressGateway(maxSources, maxRules);
    }

    // ------------------------------------------------------------------------------------------
    // Hot path (workers)
    // ------------------------------------------------------------------------------------------

    /**
     * Returns: the egress IPv4 (big-endian) for traffic from {@code src} to {@code dst}, or
     * {@link #NONE}. Allocates nothing, takes no lock.
     */
    public int egressIp4(int src, int dst) {
        for (;;) {
            Generation g = active;
            long seq = (long) SEQ.getAcquire(g);
            if ((seq & 1) != 0) {
                continue;
            }
            int result = NONE;
            long classOffset = g.sources4.lookup(MappedAddress.lo4(src));
            if (classOffset != MapErrors.MISSING) {
                long selection = g.sources4.segment().get(ValueLayout.JAVA_LONG_UNALIGNED, classOffset);
                long rule = g.rules4.lookup6((selection << 32) | (dst & 0xFFFF_FFFFL), 0);
                if (rule != MapErrors.MISSING) {
                    result = (int) g.rules4.segment().get(ValueLayout.JAVA_LONG_UNALIGNED, rule + 8);
                }
            }
            VarHandle.acquireFence();
            if ((long) SEQ.getAcquire(g) == seq) {
                return result;
            }
        }
    }

    /**
     * Finds the egress IP for traffic from {@code src} to {@code dst} (IPv4-mapped for IPv4).
     *
     * @param out receives the egress IP in natHi/natLo when one applies (its scratch is used)
     * @return true when a policy applies
     */
    public boolean egress(long srcHi, long srcLo, long dstHi, long dstLo, SnatResult out) {
        if (MappedAddress.isIpv4(dstHi, dstLo)) {
            if (!MappedAddress.isIpv4(srcHi, srcLo)) {
                return false;
            }
            int ip = egressIp4((int) srcLo, (int) dstLo);
            if (ip == NONE) {
                return false;
            }
            out.natHi = 0;
            out.natLo = MappedAddress.lo4(ip);
            return true;
        }
        MemorySegment key = out.scratch;
        long k = SnatResult.EGRESS_KEY;
        key.set(ValueLayout.JAVA_LONG_UNALIGNED, k, srcHi);
        key.set(ValueLayout.JAVA_LONG_UNALIGNED, k + 8, srcLo);
        for (;;) {
            Generation g = active;
            long seq = (long) SEQ.getAcquire(g);
            if ((seq & 1) != 0) {
                continue;
            }
            boolean found = false;
            long hi = 0;
            long lo = 0;
            long classOffset = g.sources6.lookup(key, k);
            if (classOffset != MapErrors.MISSING) {
                long selection = g.sources6.segment().get(ValueLayout.JAVA_LONG_UNALIGNED, classOffset);
                long rule = g.rules6.lookup6((selection << 32) | (dstHi >>> 32), (dstHi << 32) | (dstLo >>> 32));
                if (rule != MapErrors.MISSING) {
                    found = true;
                    hi = g.rules6.segment().get(ValueLayout.JAVA_LONG_UNALIGNED, rule);
                    lo = g.rules6.segment().get(ValueLayout.JAVA_LONG_UNALIGNED, rule + 8);
                }
            }
            VarHandle.acquireFence();
            if ((long) SEQ.getAcquire(g) == seq) {
                if (found) {
                    out.natHi = hi;
                    out.natLo = lo;
                }
                return found;
            }
        }
    }

    // ------------------------------------------------------------------------------------------
    // Control plane (one thread)
    // ------------------------------------------------------------------------------------------

    /**
     * Replaces the whole policy set: built off to the side, published at once. Give the egress
     * IPs their port pools ({@link SnatTable#addNatAddress}) before calling this.
     *
     * @throws IllegalArgumentException when the set exceeds maxSources or maxRules; the
     *         previous set stays in force
     */
    public void apply(List<EgressPolicy> newPolicies) {
        List<EgressPolicy> ordered = new ArrayList<>(newPolicies);
        ordered.sort(Comparator.comparing(EgressPolicy::name));
        // Selection classes: the sorted set of policy indexes selecting each source.
        Map<IpAddress, TreeSet<Integer>> selecting = new LinkedHashMap<>();
        for (int p = 0; p < ordered.size(); p++) {
            for (IpAddress source : ordered.get(p).sources()) {
                selecting.computeIfAbsent(source, s -> new TreeSet<>()).add(p);
            }
        }
        Map<List<Integer>, Integer> classes = new LinkedHashMap<>();
        Map<IpAddress, Integer> classOf = new LinkedHashMap<>();
        for (Map.Entry<IpAddress, TreeSet<Integer>> e : selecting.entrySet()) {
            int id = classes.computeIfAbsent(List.copyOf(e.getValue()), c -> classes.size() + 1);
            classOf.put(e.getKey(), id);
        }
        int[] sourceCounts = new int[2];
        int[] ruleCounts = new int[2];
        for (IpAddress source : classOf.keySet()) {
            sourceCounts[source.ipv4() ? 0 : 1]++;
        }
        for (List<Integer> members : classes.keySet()) {
            for (int p : members) {
                ruleCounts[ordered.get(p).egressIp().ipv4() ? 0 : 1] += ordered.get(p).destinations().size();
            }
        }
        if (Math.max(sourceCounts[0], sourceCounts[1]) > maxSources || Math.max(ruleCounts[0], ruleCounts[1]) > maxRules) {
            throw new IllegalArgumentException("egress gateway: " + sourceCounts[0] + "+" + sourceCounts[1]
                    + " sources and " + ruleCounts[0] + "+" + ruleCounts[1] + " rules (IPv4+IPv6) exceed maxSources "
                    + maxSources + " / maxRules " + maxRules + " per family; policies unchanged");
        }
        Generation g = standby;
        SEQ.setRelease(g, (g.seq + 1) | 1); // odd (and changed, even after a failed apply): holders retry
        VarHandle.fullFence();
        g.clear();
        for (Map.Entry<IpAddress, Integer> e : classOf.entrySet()) {
            g.addSource(e.getKey(), e.getValue());
        }
        for (Map.Entry<List<Integer>, Integer> e : classes.entrySet()) {
            for (int p : e.getKey()) {
                EgressPolicy policy = ordered.get(p);
                for (Cidr destination : policy.destinations()) {
                    g.addRule(e.getValue(), destination, policy.egressIp());
                }
            }
        }
        SEQ.setRelease(g, g.seq + 1);
        standby = active;
        active = g;
        policies = List.copyOf(ordered);
    }

    /** Returns: the policy set in force, ordered by name. */
    public List<EgressPolicy> policies() {
        return policies;
    }

    @Override
    public void close() {
        active.close();
        standby.close();
    }

    /** One complete set of the four maps, plus what was inserted (so it can be cleared exactly). */
    private static final class Generation implements AutoCloseable {
        volatile long seq;
        final HashMap sources4;
        final HashMap sources6;
        final LpmTrie rules4;
        final LpmTrie rules6;
        private final List<IpAddress> sources = new ArrayList<>();
        private final List<long[]> rules = new ArrayList<>();
        private final MemorySegment scratch = Arena.ofAuto().allocate(32, 8);

        Generation(String name, int maxSources, int maxRules) {
            sources4 = HashMap.create(MapSpec.hash("egw_src4_" + name, 8, 8, maxSources), 0xE6E55L);
            sources6 = HashMap.create(MapSpec.hash("egw_src6_" + name, 16, 8, maxSources), 0xE6E56L);
            // A rule key is at most /64 (IPv4) or /128 (IPv6): up to 6 or 14 nodes each, mostly
            // shared within a class; 8 per rule covers scattered host routes in IPv4.
            int nodes = (int) Math.min(Integer.MAX_VALUE, 8L * maxRules + 256);
            rules4 = LpmTrie.create(MapSpec.lpmTrie("egw_rules4_" + name, 16, 16, maxRules), nodes);
            rules6 = LpmTrie.create(MapSpec.lpmTrie("egw_rules6_" + name, 16, 16, maxRules), nodes);
        }

        void clear() {
            for (IpAddress source : sources) {
                if (source.ipv4()) {
                    sources4.delete(source.lo());
                } else {
                    sourceKey(source);
                    sources6.delete(scratch, 0);
                }
            }
            sources.clear();
            for (long[] rule : rules) {
                (rule[3] == 4 ? rules4 : rules6).delete6(rule[0], rule[1], (int) rule[2]);
            }
            rules.clear();
            // Readers of this generation retry (its sequence is odd), so nothing retired is still in use.
            rules4.reclaim();
            rules6.reclaim();
        }

        private void sourceKey(IpAddress source) {
            scratch.set(ValueLayout.JAVA_LONG_UNALIGNED, 0, source.hi());
            scratch.set(ValueLayout.JAVA_LONG_UNALIGNED, 8, source.lo());
        }

        void addSource(IpAddress source, long selection) {
            int rc;
            if (source.ipv4()) {
                rc = sources4.update(source.lo(), selection, UpdateFlags.ANY);
            } else {
                sourceKey(source);
                scratch.set(ValueLayout.JAVA_LONG_UNALIGNED, 16, selection);
                rc = sources6.update(scratch, 0, scratch, 16, UpdateFlags.ANY);
            }
            check(rc, "source " + source);
            sources.add(source);
        }

        void addRule(long selection, Cidr destination, IpAddress egressIp) {
            long hi;
            long lo;
            int family;
            if (destination.ipv4()) {
                hi = (selection << 32) | (destination.lo() & 0xFFFF_FFFFL);
                lo = 0;
                family = 4;
            } else {
                hi = (selection << 32) | (destination.hi() >>> 32);
                lo = (destination.hi() << 32) | (destination.lo() >>> 32);
                family = 6;
            }
            int prefix = 32 + destination.prefixLength();
            scratch.set(ValueLayout.JAVA_LONG_UNALIGNED, 0, egressIp.hi());
            scratch.set(ValueLayout.JAVA_LONG_UNALIGNED, 8, egressIp.lo());
            int rc = (family == 4 ? rules4 : rules6).update6(hi, lo, prefix, scratch, 0, UpdateFlags.NOEXIST);
            if (rc == MapErrors.EEXIST) {
                return; // an earlier policy (by name) selecting this class has the same CIDR
            }
            check(rc, "destination " + destination);
            rules.add(new long[] {hi, lo, prefix, family});
        }

        private static void check(int rc, String what) {
            if (rc != MapErrors.OK) {
                throw new IllegalStateException("egress gateway " + what + ": " + MapErrors.name(rc));
            }
        }

        @Override
        public void close() {
            sources4.close();
            sources6.close();
            rules4.close();
            rules6.close();
        }
    }
}
