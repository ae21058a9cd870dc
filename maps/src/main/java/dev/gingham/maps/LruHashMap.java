package dev.gingham.maps;

import java.nio.file.Path;

/**
 * A fixed-size hash map that makes room for a new key by evicting an old one instead of refusing
 * it (BPF_MAP_TYPE_LRU_HASH): what conntrack and NAT tables use, so a flood of new flows ages
 * out idle ones rather than failing every new connection.
 *
 * <p>The table, hashing, pinning and the reader/writer protocol are those of {@link HashMap}
 * (see there); each slot additionally carries list links, a reference flag and its home slot.
 *
 * <h2>Eviction: second chance, as the kernel's BPF LRU</h2>
 * Entries sit on one index-linked list in insertion order. A lookup only sets the entry's
 * reference flag, and writes it only when it is not already set, so a hot entry's cache line is
 * not dirtied by every packet; lookups take no lock. An insert does <em>not</em> set the flag.
 * When the map is full, an insert walks the list from the oldest end: a referenced entry has its
 * flag cleared and moves to the newest end (its second chance); the first unreferenced entry is
 * evicted. The work per insert is bounded: after 64 second
 * chances the oldest entry goes regardless, so a table whose entries are all hot never stalls an
 * insert. Example: insert A, B, C into a 3-entry map, look A up, insert D: B is evicted (A got a
 * second chance); insert E: C is evicted.
 *
 * <p>This is the CLOCK approximation of LRU, not exact LRU: it orders entries by insertion and
 * by when they were given their second chance, not by the time of their last lookup. Entries
 * looked up in the order A, B, C, A are all "recently used" to it, and the first of them on the
 * list goes first. Single-threaded use is fully deterministic (the order above is exact);
 * under concurrency it is approximate like the kernel's: a reference set by a lookup racing with
 * an eviction scan may be lost, or land on the slot's next occupant.
 *
 * <h2>Concurrency model</h2>
 * Lookups never block and write at most the reference flag; writers serialise per key on the
 * striped spin words exactly as in {@link HashMap}, and list changes (insert, delete, evict) take
 * one more spin word, the LRU lock, always after the stripe. An evicting writer takes the
 * victim's stripe with a try-lock only and skips a victim whose writer is busy (at most
 * 64 times, then the insert returns {@link MapErrors#EBUSY}), so
 * lock order never inverts and nothing deadlocks.
 *
 * <p>Updates of an existing key rewrite the value in place and neither move the entry nor touch
 * its flag. After a crash, reopening rebuilds the list in its old order as far as its links are
 * intact, then appends any entry they missed in slot order.
 */
public final class LruHashMap extends HashTableMap {
    /** Version of this type's body layout, recorded in pinned headers. */
    public static final int LAYOUT_VERSION = HashTable.LRU_LAYOUT_VERSION;

    private LruHashMap(MapMemory memory) {
        super(memory, Kind.LRU);
    }

    /** Creates an anonymous map with a random hash seed. */
    public static LruHashMap create(MapSpec spec) {
        return create(spec, HashTable.randomSeed());
    }

    /** Creates an anonymous map with the given hash seed (fixed seeds make replays reproducible). */
    public static LruHashMap create(MapSpec spec, long hashSeed) {
        return new LruHashMap(newMemory(spec, Kind.LRU, hashSeed));
    }

    /**
     * Opens the pinned map at {@code file} for writing, creating it when absent and reopening it
     * with its contents (and eviction order) intact otherwise.
     *
     * @throws MapPinException when the file was written for another spec, is not a map, or is
     *                         already open for writing
     */
    public static LruHashMap pinned(MapSpec spec, Path file) {
        return new LruHashMap(pinnedMemory(spec, file, Kind.LRU));
    }

    /**
     * Opens a pinned map read-only, its spec read from the file. Lookups do not set reference
     * flags through a read-only handle; every mutator returns {@link MapErrors#EPERM}.
     */
    public static LruHashMap openReadOnly(Path file) {
        return new LruHashMap(readOnlyMemory(file, Kind.LRU));
    }
}
