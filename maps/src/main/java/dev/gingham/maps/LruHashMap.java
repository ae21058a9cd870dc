package dev.gingham.maps;

import java.lang.foreign.MemorySegment;
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
public final class LruHashMap implements OffHeapMap {
    /** Version of this type's body layout, recorded in pinned headers. */
    public static final int LAYOUT_VERSION = HashTable.LRU_LAYOUT_VERSION;

    private final HashTable table;
    private final MemorySegment segment;

    private LruHashMap(MapMemory memory) {
        this.table = new HashTable(memory, true);
        this.segment = memory.segment();
    }

    /** Creates an anonymous map with a random hash seed. */
    public static LruHashMap create(MapSpec spec) {
        return create(spec, HashTable.randomSeed());
    }

    /** Creates an anonymous map with the given hash seed (fixed seeds make replays reproducible). */
    public static LruHashMap create(MapSpec spec, long hashSeed) {
        requireType(spec);
        return new LruHashMap(MapMemory.anonymous(spec, LAYOUT_VERSION, HashTable.bodyBytes(spec, true), hashSeed));
    }

    /**
     * Opens the pinned map at {@code file} for writing, creating it when absent and reopening it
     * with its contents (and eviction order) intact otherwise.
     *
     * @throws MapPinException when the file was written for another spec, is not a map, or is
     *                         already open for writing
     */
    public static LruHashMap pinned(MapSpec spec, Path file) {
        requireType(spec);
        return new LruHashMap(MapMemory.pinned(file, spec, LAYOUT_VERSION, HashTable.bodyBytes(spec, true),
                HashTable.randomSeed()));
    }

    /**
     * Opens a pinned map read-only, its spec read from the file. Lookups do not set reference
     * flags through a read-only handle; every mutator returns {@link MapErrors#EPERM}.
     */
    public static LruHashMap openReadOnly(Path file) {
        return new LruHashMap(MapMemory.openReadOnly(file, MapType.LRU_HASH, LAYOUT_VERSION));
    }

    private static void requireType(MapSpec spec) {
        if (spec.type() != MapType.LRU_HASH) {
            throw new IllegalArgumentException("map " + spec.name() + ": an LruHashMap needs an LRU_HASH spec, not " + spec.type());
        }
    }

    /**
     * Looks a key up in place and marks it referenced (saving it from the next eviction scan).
     *
     * @return the offset of the value in {@link #segment()}, or {@link MapErrors#MISSING}
     */
    public long lookup(MemorySegment key, long keyOffset) {
        return table.lookup(key, keyOffset);
    }

    /**
     * Looks up an 8-byte key given as a native-order long.
     *
     * @throws IllegalStateException when the map's key size is not 8 (a programming error)
     */
    public long lookup(long key) {
        return table.lookup(key);
    }

    /**
     * Copies a key's value into {@code dst} as one consistent snapshot and marks it referenced.
     *
     * @return true when the key was present and its value copied; false when absent
     */
    public boolean lookupCopy(MemorySegment key, long keyOffset, MemorySegment dst, long dstOffset) {
        return table.lookupCopy(key, keyOffset, dst, dstOffset);
    }

    /**
     * Creates or replaces an entry, evicting one when the map is full.
     *
     * @return {@link MapErrors#OK}; {@link MapErrors#EEXIST}, {@link MapErrors#ENOENT},
     *         {@link MapErrors#EINVAL}, {@link MapErrors#EPERM} as for {@link HashMap}; and
     *         {@link MapErrors#EBUSY} when full and every eviction candidate was busy
     */
    public int update(MemorySegment key, long keyOffset, MemorySegment value, long valueOffset, int flags) {
        return table.update(key, keyOffset, value, valueOffset, flags);
    }

    /**
     * Update for a map of 8-byte keys and values given as native-order longs.
     *
     * @throws IllegalStateException when key or value size is not 8 (a programming error)
     */
    public int update(long key, long value, int flags) {
        return table.update(key, value, flags);
    }

    /** Returns: {@link MapErrors#OK}, {@link MapErrors#ENOENT} or {@link MapErrors#EPERM}. */
    public int delete(MemorySegment key, long keyOffset) {
        return table.delete(key, keyOffset);
    }

    /** {@link #delete(MemorySegment, long)} of an 8-byte native-order key. */
    public int delete(long key) {
        return table.delete(key);
    }

    /** Returns: true when this handle was opened read-only. */
    public boolean readOnly() {
        return table.readOnly();
    }

    @Override
    public MapSpec spec() {
        return table.memory().spec();
    }

    @Override
    public MapMemory memory() {
        return table.memory();
    }

    @Override
    public MemorySegment segment() {
        return segment;
    }

    @Override
    public int count() {
        return table.count();
    }

    @Override
    public int forEach(EntryVisitor visitor) {
        return table.forEach(visitor);
    }

    /**
     * Visits the live entries of slots {@code [fromSlot, fromSlot + maxSlots)} and returns the
     * cursor for the next call (0 after the last slot): an incremental walk for sweeps that must
     * not stall (conntrack expiry runs a budget of slots per control-agent duty cycle). The
     * visitor may delete the entry it is given.
     *
     * @param fromSlot 0 to start, then the value the previous call returned
     */
    public int scan(int fromSlot, int maxSlots, EntryVisitor visitor) {
        return table.scan(fromSlot, maxSlots, visitor);
    }

    /** Returns: the number of slots (the scan cursor's range), a power of two above maxEntries / 0.7. */
    public int slots() {
        return table.slots();
    }

    @Override
    public void close() {
        table.memory().close();
    }

    HashTable table() {
        return table;
    }
}
