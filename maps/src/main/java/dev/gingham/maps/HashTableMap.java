package dev.gingham.maps;

import java.lang.foreign.MemorySegment;
import java.nio.file.Path;

/**
 * The public operations of {@link HashMap} and {@link LruHashMap}, written once: both are a
 * {@link HashTable} seen through the same lookup, update, delete and iteration calls, and differ
 * only in what the table does when it is full (refuse or evict) and in their type and layout.
 *
 * <p>Why a base class rather than two copies: every operation here is a plain delegation whose
 * contract is the table's; keeping one copy means a fix or a new operation reaches both map
 * types at once. The subclasses keep their factories (which return their own type) and the
 * documentation of what is theirs alone. Package-private and sealed: callers see only the two
 * public map types, whose inherited public methods are part of their API.
 */
abstract sealed class HashTableMap implements OffHeapMap permits HashMap, LruHashMap {
    private final HashTable table;
    private final MemorySegment segment;

    HashTableMap(MapMemory memory, Kind kind) {
        this.table = new HashTable(memory, kind.lru);
        this.segment = memory.segment();
    }

    /** What tells the two hash map types apart where memory is sized, checked and labelled. */
    enum Kind {
        HASH(MapType.HASH, HashTable.HASH_LAYOUT_VERSION, false, "a HashMap needs a HASH spec"),
        LRU(MapType.LRU_HASH, HashTable.LRU_LAYOUT_VERSION, true, "an LruHashMap needs an LRU_HASH spec");

        final MapType type;
        final int layoutVersion;
        final boolean lru;
        /** The type check's message. */
        final String need;

        Kind(MapType type, int layoutVersion, boolean lru, String need) {
            this.type = type;
            this.layoutVersion = layoutVersion;
            this.lru = lru;
            this.need = need;
        }
    }

    /** Returns: anonymous memory for a new map of this kind, after checking the spec's type. */
    static MapMemory newMemory(MapSpec spec, Kind kind, long hashSeed) {
        spec.requireType(kind.type, kind.need);
        return MapMemory.anonymous(spec, kind.layoutVersion, HashTable.bodyBytes(spec, kind.lru), hashSeed);
    }

    /** Returns: the pinned file's memory, created with a random seed when absent. */
    static MapMemory pinnedMemory(MapSpec spec, Path file, Kind kind) {
        spec.requireType(kind.type, kind.need);
        return MapMemory.pinned(file, spec, kind.layoutVersion, HashTable.bodyBytes(spec, kind.lru),
                HashTable.randomSeed());
    }

    /** Returns: the pinned file's memory mapped read-only, its spec read from the file. */
    static MapMemory readOnlyMemory(Path file, Kind kind) {
        return MapMemory.openReadOnly(file, kind.type, kind.layoutVersion);
    }

    /**
     * Looks a key up in place. The key may sit anywhere, unaligned (e.g. inside a packet buffer).
     * An {@link LruHashMap} also marks the key referenced (saving it from the next eviction scan).
     *
     * @return the offset of the value in {@link #segment()}, or {@link MapErrors#MISSING}
     */
    public long lookup(MemorySegment key, long keyOffset) {
        return table.lookup(key, keyOffset);
    }

    /**
     * Looks up an 8-byte key given as a native-order long (the same entry as its 8 bytes).
     *
     * @return the offset of the value, or {@link MapErrors#MISSING}
     * @throws IllegalStateException when the map's key size is not 8 (a programming error)
     */
    public long lookup(long key) {
        return table.lookup(key);
    }

    /**
     * Returns: the key's hash in this map (seeded per map), for {@link #prefetch} and
     * {@link #lookup(MemorySegment, long, long)}: a vector loop hashes every frame's key and
     * touches its slot first, then looks the keys up, so the cache misses of a whole vector
     * overlap instead of being paid one after another.
     */
    public long hash(MemorySegment key, long keyOffset) {
        return table.hashOf(key, keyOffset);
    }

    /** Returns: the map's hash seed, for hashing a key word by word with {@link KeyHash}. */
    public long seed() {
        return table.seed();
    }

    /** Returns: {@link #hash(MemorySegment, long)} of an 8-byte native-order key. */
    public long hash(long key) {
        return table.hashOfLong(key);
    }

    /**
     * Reads a word of every cache line of the slot where a key of this hash starts its probe, so
     * the slot's lines are on their way by the time the lookup comes. Call it in a loop of its
     * own over hashes computed before: the smaller the loop, the more of these loads the CPU
     * keeps in flight at once (each one that misses waits for memory, and the CPU can only run
     * as far ahead as its reorder window). Java has no prefetch
     * instruction; these are ordinary loads, and the caller must use the result (fold it into a
     * field, for example) or the compiler drops them.
     *
     * @return the two words added together (meaningless; only for the caller to keep)
     */
    public long prefetch(long hash) {
        return table.prefetch(hash);
    }

    /**
     * Returns: the offset in {@link #segment()} of the slot a probe for {@code hash} starts at, for a
     * caller that touches many slots in a loop of its own and wants that loop as small as it can be
     * (see {@link #prefetch}); the slot's lines run from there for {@link #slotBytes()} bytes.
     */
    public long homeSlotOffset(long hash) {
        return table.homeSlotOffset(hash);
    }

    /** Returns: the bytes of one slot (header, key, value, each padded to 8). */
    public int slotBytes() {
        return table.slotBytes();
    }

    /**
     * {@link #lookup(MemorySegment, long)} with the key's {@link #hash(MemorySegment, long)}
     * already computed. A wrong hash finds nothing (never a wrong entry).
     */
    public long lookup(MemorySegment key, long keyOffset, long hash) {
        return table.lookup(key, keyOffset, hash);
    }

    /**
     * Returns: the version of the entry whose value is at {@code valueOffset} (an offset a lookup
     * returned): it changes whenever that slot is deleted, reused or re-published, and not when
     * the value's bytes are written in place. A caller that keeps an offset across steps (a
     * lookup result reused by the next program of a vector pass) compares the version it read
     * right after the lookup with the current one instead of looking the key up again.
     */
    public long entryVersion(long valueOffset) {
        return table.slotVersion(valueOffset);
    }

    /** {@link #lookup(long)} with the key's {@link #hash(long)} already computed. */
    public long lookup(long key, long hash) {
        return table.lookup(key, hash);
    }

    /**
     * {@link #lookup(MemorySegment, long, long)} for a 16-byte key given as its two words (bytes
     * 0-7 and 8-15, each as {@code ValueLayout.JAVA_LONG_UNALIGNED} would read it from the key in
     * memory), with the key's hash: for a caller that builds its key in registers (the conntrack
     * table's IPv4 tuple) and would otherwise write it to memory only for the map to read it back.
     *
     * @throws IllegalStateException when the map's key size is not 16
     */
    public long lookupPair(long keyWord0, long keyWord1, long hash) {
        return table.lookupPair(keyWord0, keyWord1, hash);
    }

    /**
     * Copies a key's value into {@code dst} as one consistent snapshot (never half of one update
     * and half of another), waiting while a writer rewrites it. An {@link LruHashMap} also marks
     * the key referenced.
     *
     * @return true when the key was present and its value copied; false when absent
     */
    public boolean lookupCopy(MemorySegment key, long keyOffset, MemorySegment dst, long dstOffset) {
        return table.lookupCopy(key, keyOffset, dst, dstOffset);
    }

    /**
     * {@link #lookupCopy(MemorySegment, long, MemorySegment, long)} with the key's
     * {@link #hash(MemorySegment, long)} already computed. A wrong hash finds nothing.
     */
    public boolean lookupCopy(MemorySegment key, long keyOffset, MemorySegment dst, long dstOffset, long hash) {
        return table.lookupCopy(key, keyOffset, dst, dstOffset, hash);
    }

    /**
     * Creates or replaces an entry. A full {@link HashMap} refuses a new key; a full
     * {@link LruHashMap} evicts one to make room.
     *
     * @param flags {@link UpdateFlags#ANY}, {@link UpdateFlags#NOEXIST} or {@link UpdateFlags#EXIST}
     * @return {@link MapErrors#OK}; {@link MapErrors#EEXIST} (NOEXIST, key present),
     *         {@link MapErrors#ENOENT} (EXIST, key absent), {@link MapErrors#E2BIG} (HashMap full),
     *         {@link MapErrors#EBUSY} (LruHashMap full and every eviction candidate busy),
     *         {@link MapErrors#EINVAL} (bad flags), {@link MapErrors#EPERM} (read-only)
     */
    public int update(MemorySegment key, long keyOffset, MemorySegment value, long valueOffset, int flags) {
        return table.update(key, keyOffset, value, valueOffset, flags);
    }

    /**
     * Creates the entry of a key expected to be new and returns where its value lives: what an
     * {@link UpdateFlags#NOEXIST} update followed by a lookup of the same key gives, with one
     * hash and one probe instead of two of each (connection tracking creates an entry per new
     * flow and needs its offset at once).
     *
     * @param hash the key's {@link #hash(MemorySegment, long)}, as a caller that prefetched has it.
     *             It must be that hash: under another, the entry lands where no lookup finds it.
     * @return the new entry's value offset (0 or more); {@link MapErrors#EEXIST} when the key is
     *         present (nothing written), {@link MapErrors#E2BIG} (HashMap full), {@link MapErrors#EBUSY}
     *         (LruHashMap full, every candidate busy) or {@link MapErrors#EPERM} (read-only)
     */
    public long insert(MemorySegment key, long keyOffset, MemorySegment value, long valueOffset, long hash) {
        return table.insert(key, keyOffset, value, valueOffset, hash);
    }

    /**
     * {@link #update(MemorySegment, long, MemorySegment, long, int)} for a map of 8-byte keys and
     * values, both given as native-order longs.
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
     * Visits a consistent copy of every live entry: a dump from any thread while writers run (the
     * admin API's conntrack, service and NAT dumps). Each key is copied out of its slot, then its
     * value is read with {@link #lookupCopy}; an entry deleted meanwhile, or a key caught half
     * written (it finds nothing), is skipped, so no entry is ever handed over torn. The visitor
     * gets a scratch segment holding the key at offset 0 and the value at offset
     * {@code keySize} rounded up to 8; it is valid only during the call. An {@link LruHashMap}'s
     * copies mark their keys referenced, as its lookups do; nothing else is written.
     *
     * @return the number of entries visited
     */
    public int forEachCopy(EntryVisitor visitor) {
        int keySize = spec().keySize();
        long valueOffset = (keySize + 7L) & ~7L;
        int[] visited = {0};
        try (java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofConfined()) {
            MemorySegment scratch = arena.allocate(valueOffset + spec().valueSize(), 8);
            table.forEach((segment, keyOffset, slotValueOffset) -> {
                MemorySegment.copy(segment, keyOffset, scratch, 0, keySize);
                if (table.lookupCopy(scratch, 0, scratch, valueOffset)) {
                    visitor.visit(scratch, 0, valueOffset);
                    visited[0]++;
                }
            });
        }
        return visited[0];
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
