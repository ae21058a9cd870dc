package dev.gingham.encap;

import dev.gingham.packet.Cidr;
import dev.gingham.maps.LpmTrie;
import dev.gingham.maps.MapErrors;
import dev.gingham.maps.MapSpec;
import dev.gingham.maps.UpdateFlags;
import dev.gingham.packet.MappedAddress;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Cilium's ipcache: longest-prefix match from an IP address to what the dataplane must know
 * about it: the security identity (for policy), and, for addresses behind another node, the
 * tunnel endpoint (that node's underlay address) and the node id. Pod routes of other nodes
 * ({@link NodeRoutes}), pods' own /32 and /128 entries and policy CIDR identities all live here.
 *
 * <p>Two {@link LpmTrie}s, one per family, so an IPv4 lookup is at most three loads (an
 * IPv4-mapped key in one IPv6 trie would walk twelve levels). A lookup returns an opaque
 * <em>slot</em> or {@link #MISSING}; read the fields with {@link #identity}, {@link #tunnelEndpoint},
 * {@link #nodeId} and {@link #flags}. A slot stays valid, with the value it had, until the
 * reading worker's next quiescent point (the trie's RCU-style contract; the control agent calls
 * {@link #reclaim()} after a grace period).
 *
 * <pre>
 * value (16 bytes, native order)
 *   +0  identity        u32  security identity (0 = unknown)
 *   +4  tunnel endpoint u32  IPv4 underlay address, big-endian int value (0 = none)
 *   +8  node id         u16  (0 = no node)
 *   +10 flags           u16  {@link #FLAG_TUNNEL} ...
 *   +12 reserved        u32  zero (room for an encryption key index, as in Cilium)
 * </pre>
 *
 * <p>Threading: one writer (the control agent) calls {@link #upsert}, {@link #remove} and
 * {@link #reclaim()}; any number of workers call the lookups. Hot-path lookups allocate nothing.
 */
public final class IpCache implements AutoCloseable {
    /** What a lookup returns when no prefix covers the address. */
    public static final long MISSING = MapErrors.MISSING;
    public static final int VALUE_SIZE = 16;
    /** Traffic to this prefix goes through the tunnel endpoint (or, in native mode, to that node). */
    public static final int FLAG_TUNNEL = 1;

    private static final int IDENTITY_OFFSET = 0;
    private static final int TUNNEL_ENDPOINT_OFFSET = 4;
    private static final int NODE_ID_OFFSET = 8;
    private static final int FLAGS_OFFSET = 10;
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED;
    private static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED;
    private static final ValueLayout.OfInt INT_BE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfLong LONG_BE = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    private final LpmTrie v4;
    private final LpmTrie v6;
    private final FamilySlots slots;
    private final Arena writerArena = Arena.ofShared();
    private final MemorySegment writerValue = writerArena.allocate(VALUE_SIZE, 8);
    /** Between {@link #beginRestore} and {@link #pruneUnclaimed}: restored prefixes nobody has written since. */
    private Set<Cidr> unclaimed;

    private IpCache(LpmTrie v4, LpmTrie v6) {
        this.v4 = v4;
        this.v6 = v6;
        this.slots = new FamilySlots(v4.segment(), v6.segment());
    }

    /** Creates an anonymous ipcache holding up to {@code maxEntries} prefixes per family. */
    public static IpCache create(int maxEntries) {
        LpmTrie v4 = LpmTrie.create(spec4(maxEntries));
        try {
            return new IpCache(v4, LpmTrie.create(spec6(maxEntries)));
        } catch (RuntimeException e) {
            v4.close();
            throw e;
        }
    }

    /**
     * Opens the pinned ipcache in {@code directory} ({@code ipcache4.map}, {@code ipcache6.map}),
     * creating it when absent and keeping its prefixes when reopened after a restart.
     */
    public static IpCache pinned(Path directory, int maxEntries) {
        LpmTrie v4 = LpmTrie.pinned(spec4(maxEntries), directory.resolve("ipcache4.map"));
        try {
            return new IpCache(v4, LpmTrie.pinned(spec6(maxEntries), directory.resolve("ipcache6.map")));
        } catch (RuntimeException e) {
            v4.close();
            throw e;
        }
    }

    private static MapSpec spec4(int maxEntries) {
        return MapSpec.lpmTrie("ipcache4", 4, VALUE_SIZE, maxEntries);
    }

    private static MapSpec spec6(int maxEntries) {
        return MapSpec.lpmTrie("ipcache6", 16, VALUE_SIZE, maxEntries);
    }

    // ---- control plane (the writer's thread) ---------------------------------------------------

    /**
     * Inserts or replaces {@code prefix}'s entry.
     *
     * @param identity       security identity (u32)
     * @param tunnelEndpoint underlay IPv4 address of the node behind the prefix, 0 for none
     * @param nodeId         that node's id (u16), 0 for none
     * @param flags          {@link #FLAG_TUNNEL} and later flags (u16)
     * @return 0, or a negative errno from {@link LpmTrie#update6} (E2BIG full, ENOSPC, EBUSY...);
     *         EINVAL for a node id or flags beyond 16 bits
     */
    public int upsert(Cidr prefix, int identity, int tunnelEndpoint, int nodeId, int flags) {
        if ((nodeId & ~0xFFFF) != 0 || (flags & ~0xFFFF) != 0) {
            return MapErrors.EINVAL;
        }
        MemorySegment value = writerValue;
        value.set(INT, IDENTITY_OFFSET, identity);
        value.set(INT, TUNNEL_ENDPOINT_OFFSET, tunnelEndpoint);
        value.set(SHORT, NODE_ID_OFFSET, (short) nodeId);
        value.set(SHORT, FLAGS_OFFSET, (short) flags);
        value.set(INT, 12, 0);
        int rc = prefix.ipv4()
                ? v4.update4(prefix.v4(), prefix.prefixLength(), value, 0, UpdateFlags.ANY)
                : v6.update6(prefix.hi(), prefix.lo(), prefix.prefixLength(), value, 0, UpdateFlags.ANY);
        if (rc == MapErrors.OK && unclaimed != null) {
            unclaimed.remove(prefix.masked()); // the tries store a prefix without its host bits
        }
        return rc;
    }

    /** Removes exactly {@code prefix}. Returns: 0 or ENOENT. */
    public int remove(Cidr prefix) {
        if (unclaimed != null) {
            unclaimed.remove(prefix.masked());
        }
        return prefix.ipv4()
                ? v4.delete4(prefix.v4(), prefix.prefixLength())
                : v6.delete6(prefix.hi(), prefix.lo(), prefix.prefixLength());
    }

    /** Returns: the slot of exactly {@code prefix} (not a covering one), or {@link #MISSING}: for dumps and tests. */
    public long lookupExact(Cidr prefix) {
        if (prefix.ipv4()) {
            return v4.lookupExact4(prefix.v4(), prefix.prefixLength());
        }
        return FamilySlots.tag6(v6.lookupExact6(prefix.hi(), prefix.lo(), prefix.prefixLength()));
    }

    /**
     * Frees the memory of replaced and removed entries. Call once every worker has passed a
     * quiescent point since the last update (at once when no worker runs, as in tests).
     */
    public void reclaim() {
        v4.reclaim();
        v6.reclaim();
    }

    public int count() {
        return v4.count() + v6.count();
    }

    /** Returns: every prefix stored, IPv4 first (control plane: restarts, dumps and tests). */
    public List<Cidr> prefixes() {
        List<Cidr> prefixes = new ArrayList<>(count());
        v4.forEach((segment, key, value) -> prefixes.add(Cidr.ipv4(segment.get(INT_BE, key + 4), segment.get(INT, key))));
        v6.forEach((segment, key, value) -> prefixes.add(new Cidr(false, segment.get(LONG_BE, key + 4),
                segment.get(LONG_BE, key + 12), segment.get(INT, key))));
        return prefixes;
    }

    /**
     * Starts a restore after the maps were reopened (Cilium's restore-then-sync): every prefix
     * found now stays and is looked up as before, but counts as unclaimed until an
     * {@link #upsert} writes it again. Whoever owns entries (pod addresses, node routes, policy
     * CIDRs) writes all of its entries on its first apply after a start, so what is still
     * unclaimed after that apply belongs to objects deleted while the daemon was down.
     *
     * @return the number of prefixes restored
     */
    public int beginRestore() {
        unclaimed = new HashSet<>(prefixes());
        return unclaimed.size();
    }

    /**
     * Ends the restore {@link #beginRestore} started: removes every restored prefix nobody wrote
     * since (a deleted pod's address would otherwise keep its old identity, and a deleted node's
     * pod CIDR would keep sending to its tunnel endpoint), then reclaims their memory; call it
     * before workers run, or let the next reclaim after a grace period free them.
     *
     * @return the prefixes removed
     * @throws IllegalStateException when no restore was started
     */
    public List<Cidr> pruneUnclaimed() {
        if (unclaimed == null) {
            throw new IllegalStateException("no restore in progress: call beginRestore() before the first apply");
        }
        List<Cidr> stale = List.copyOf(unclaimed);
        unclaimed = null;
        for (Cidr prefix : stale) {
            remove(prefix);
        }
        return stale;
    }

    // ---- hot path -------------------------------------------------------------------------------

    /**
     * Longest-prefix match for an address in the flow tuple's form (IPv4 IPv4-mapped).
     *
     * @return a slot for the accessors, or {@link #MISSING}
     */
    public long lookup(long hi, long lo) {
        if (MappedAddress.isIpv4(hi, lo)) {
            return v4.lookup4(MappedAddress.ip4(lo));
        }
        return FamilySlots.tag6(v6.lookup6(hi, lo));
    }

    /** Longest-prefix match for an IPv4 address (big-endian int). Returns: a slot or {@link #MISSING}. */
    public long lookup4(int address) {
        return v4.lookup4(address);
    }

    public int identity(long slot) {
        return slots.segment(slot).get(INT, FamilySlots.offset(slot) + IDENTITY_OFFSET);
    }

    /** Returns: the tunnel endpoint (underlay IPv4, big-endian int), 0 when none. */
    public int tunnelEndpoint(long slot) {
        return slots.segment(slot).get(INT, FamilySlots.offset(slot) + TUNNEL_ENDPOINT_OFFSET);
    }

    public int nodeId(long slot) {
        return slots.segment(slot).get(SHORT, FamilySlots.offset(slot) + NODE_ID_OFFSET) & 0xFFFF;
    }

    public int flags(long slot) {
        return slots.segment(slot).get(SHORT, FamilySlots.offset(slot) + FLAGS_OFFSET) & 0xFFFF;
    }

    @Override
    public void close() {
        v4.close();
        v6.close();
        writerArena.close();
    }
}
