package dev.gingham.maps;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.security.SecureRandom;
import java.util.BitSet;
import java.util.Objects;

/**
 * The engine behind {@link HashMap} and {@link LruHashMap}: an open-addressing table with linear
 * probing over one {@link MapMemory}, with per-slot overflow counts instead of tombstones, a
 * seqlock per slot for readers, striped spin words for writers and, for the LRU variant, an
 * index-linked list with second-chance eviction.
 *
 * <p>Package-private: the public classes carry the API and the documentation of the contract;
 * this class carries the mechanism, so both map types share one carefully reasoned copy of it.
 *
 * <h2>Layout of the body</h2>
 * <pre>
 *  BODY_OFFSET: stripe lock words, stripes x 8 bytes, padded to 64
 *  slotsOffset: slot[0] slot[1] ... slot[slots-1], slotBytes each, 8-byte aligned
 *
 *  slot (hash):  | header 8 | key, padded to 8 | value, padded to 8 |
 *  slot (lru):   | header 8 | prev 4 | next 4 | ref 4 | home 4 | key, padded to 8 | value, padded to 8 |
 *
 *  header bits:  63 .......... 30 | 29 ........... 2 | 1 0
 *                sequence (34)    | overflow (28)    | state
 * </pre>
 * State is EMPTY (0), BUSY (1: claimed by an inserting writer, key not yet visible), FULL (2)
 * or UPDATING (3: key visible, value being rewritten). The sequence is bumped on every state
 * change, so a reader that sees the same state and sequence before and after reading a slot
 * knows nothing changed in between. The overflow count of a slot is the number of live (claimed)
 * keys whose probe sequence passes the slot: home &lt;= slot &lt; their own slot, modulo wrap.
 * A probe stops at the first slot whose overflow count is zero, so deletes leave nothing behind
 * (no tombstones) and misses stay as short as the live keys' displacement.
 *
 * <p>Every header change is one atomic instruction: claims are a CAS (EMPTY to BUSY; other
 * writers race for free slots), everything else is a getAndAdd of a known delta, because only
 * the writer holding a key's stripe changes that key's slot state, while overflow counts are
 * changed by whichever writers pass the slot.
 */
final class HashTable {
    static final long STATE_MASK = 3L;
    static final long EMPTY = 0L;
    static final long BUSY = 1L;
    static final long FULL = 2L;
    static final long UPDATING = 3L;
    static final int OVERFLOW_SHIFT = 2;
    static final int OVERFLOW_BITS = 28;
    static final long OVERFLOW_ONE = 1L << OVERFLOW_SHIFT;
    static final long OVERFLOW_MASK = ((1L << OVERFLOW_BITS) - 1) << OVERFLOW_SHIFT;
    static final long SEQ_ONE = 1L << (OVERFLOW_SHIFT + OVERFLOW_BITS);
    /** State and sequence: what a reader compares before and after reading a slot. */
    static final long STATE_SEQ_MASK = ~OVERFLOW_MASK;

    /** Overflow counts are 28 bits and never exceed the number of live keys, which is below slots. */
    static final int MAX_SLOTS = 1 << OVERFLOW_BITS;
    static final double MAX_LOAD = 0.7;
    /** The key size {@link #find} compares as two words ({@code findPair}). */
    static final int PAIR_KEY_SIZE = 16;
    static final int MAX_STRIPES = 1024;

    static final int HASH_LAYOUT_VERSION = 1;
    static final int LRU_LAYOUT_VERSION = 1;

    /** State word 0: the number of claimed entries (reserved before a claim, released after a delete). */
    static final int COUNT_WORD = 0;
    /** State words 1, 2: the LRU list's oldest and newest slot, or NONE. */
    static final int LRU_HEAD_WORD = 1;
    static final int LRU_TAIL_WORD = 2;
    /** State word 8, a cache line away from the count: the LRU list's spin word. */
    static final int LRU_LOCK_WORD = 8;

    static final int NONE = -1;
    static final int LRU_PREV = 8;
    static final int LRU_NEXT = 12;
    static final int LRU_REF = 16;
    static final int LRU_HOME = 20;

    /** Second chances granted per eviction before the oldest entry goes regardless. */
    static final int MAX_SECOND_CHANCES = 64;
    /** Entries skipped per eviction because their writer holds their stripe, before giving up. */
    static final int MAX_BUSY_SKIPS = 64;
    /** Spins on a lock word before yielding the CPU to whoever holds it. */
    static final int SPINS_BEFORE_YIELD = 128;
    /** Retries of a copy while a writer keeps a slot UPDATING; only a dead writer reaches it. */
    static final int MAX_COPY_RETRIES = 1 << 20;

    static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG;
    static final ValueLayout.OfLong LONG_U = ValueLayout.JAVA_LONG_UNALIGNED;
    static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT;
    static final ValueLayout.OfInt INT_U = ValueLayout.JAVA_INT_UNALIGNED;
    static final ValueLayout.OfShort SHORT_U = ValueLayout.JAVA_SHORT_UNALIGNED;
    static final ValueLayout.OfByte BYTE = ValueLayout.JAVA_BYTE;
    /**
     * Atomic access to aligned longs of a segment: coordinates (segment, offset). Exact invocation,
     * so a call site whose types would box (a missing cast) fails in tests instead of allocating.
     */
    static final VarHandle ATOMIC = ValueLayout.JAVA_LONG.varHandle().withInvokeExactBehavior();

    private final MapMemory memory;
    private final MemorySegment segment;
    private final boolean lru;
    private final boolean readOnly;
    private final int keySize;
    private final int valueSize;
    private final long maxEntries;
    private final int slots;
    private final int mask;
    private final int slotBytes;
    private final int keyInSlot;
    private final int valueInSlot;
    private final long slotsOffset;
    private final long stripesOffset;
    private final int stripeMask;
    private final long countOffset;
    private final long lruHeadOffset;
    private final long lruTailOffset;
    private final long lruLockOffset;
    private final long seed;

    HashTable(MapMemory memory, boolean lru) {
        MapSpec spec = memory.spec();
        this.memory = memory;
        this.segment = memory.segment();
        this.lru = lru;
        this.readOnly = memory.readOnly();
        this.keySize = spec.keySize();
        this.valueSize = spec.valueSize();
        this.maxEntries = spec.maxEntries();
        this.slots = slotsFor(spec);
        this.mask = slots - 1;
        this.keyInSlot = lru ? 24 : 8;
        this.valueInSlot = keyInSlot + pad8(keySize);
        this.slotBytes = valueInSlot + pad8(valueSize);
        int stripes = stripesFor(slots);
        this.stripeMask = stripes - 1;
        this.stripesOffset = MapMemory.BODY_OFFSET;
        this.slotsOffset = MapMemory.BODY_OFFSET + pad64(8L * stripes);
        this.countOffset = MapMemory.stateOffset(COUNT_WORD);
        this.lruHeadOffset = MapMemory.stateOffset(LRU_HEAD_WORD);
        this.lruTailOffset = MapMemory.stateOffset(LRU_TAIL_WORD);
        this.lruLockOffset = MapMemory.stateOffset(LRU_LOCK_WORD);
        this.seed = memory.hashSeed();
        if (slotsOffset + (long) slots * slotBytes > segment.byteSize()) {
            throw new IllegalStateException("map " + spec.name() + ": memory of " + segment.byteSize()
                    + " bytes is smaller than its layout");
        }
        if (!readOnly) {
            if (memory.reopened()) {
                recover();
            } else if (lru) {
                segment.set(LONG, lruHeadOffset, NONE);
                segment.set(LONG, lruTailOffset, NONE);
            }
        }
    }

    // ---------------------------------------------------------------- sizing

    static int pad8(int bytes) {
        return (bytes + 7) & ~7;
    }

    static long pad64(long bytes) {
        return (bytes + 63) & ~63L;
    }

    /** Returns: the slot count, the next power of two at or above maxEntries / 0.7. */
    static int slotsFor(MapSpec spec) {
        // ceil(maxEntries / 0.7) in integers: floating point would round 7 / 0.7 up past 10.
        long wanted = ((long) spec.maxEntries() * 10 + 6) / 7;
        if (wanted > MAX_SLOTS) {
            throw new IllegalArgumentException("map " + spec.name() + ": maxEntries " + spec.maxEntries()
                    + " needs more than " + MAX_SLOTS + " slots at load " + MAX_LOAD);
        }
        return Math.max(2, Integer.highestOneBit((int) wanted - 1) << 1);
    }

    static int stripesFor(int slots) {
        return Math.min(MAX_STRIPES, slots);
    }

    static long bodyBytes(MapSpec spec, boolean lru) {
        int slots = slotsFor(spec);
        int slotBytes = (lru ? 24 : 8) + pad8(spec.keySize()) + pad8(spec.valueSize());
        return pad64(8L * stripesFor(slots)) + (long) slots * slotBytes;
    }

    static long randomSeed() {
        return new SecureRandom().nextLong();
    }

    // ---------------------------------------------------------------- hashing

    /** A seeded 64-bit hash of the key bytes: {@link KeyHash} over 8-byte chunks, then a tail word. */
    static long hash(MemorySegment key, long offset, int length, long seed) {
        long h = KeyHash.start(seed, length);
        int i = 0;
        for (; i <= length - 8; i += 8) {
            h = KeyHash.mix(h, key.get(LONG_U, offset + i));
        }
        if (i < length) {
            long tail = 0;
            int shift = 0;
            if (length - i >= 4) {
                tail = key.get(INT_U, offset + i) & 0xFFFF_FFFFL;
                i += 4;
                shift = 32;
            }
            if (length - i >= 2) {
                tail |= (key.get(SHORT_U, offset + i) & 0xFFFFL) << shift;
                i += 2;
                shift += 16;
            }
            if (length - i >= 1) {
                tail |= (key.get(BYTE, offset + i) & 0xFFL) << shift;
            }
            h = KeyHash.mix(h, tail);
        }
        return KeyHash.finish(h, length);
    }

    /** The same value as {@link #hash} of the 8 native-order bytes of {@code key}. */
    static long hashLong(long key, long seed) {
        return KeyHash.finish(KeyHash.mix(KeyHash.start(seed, 8), key), 8);
    }

    // ---------------------------------------------------------------- accessors

    MapMemory memory() {
        return memory;
    }

    MemorySegment segment() {
        return segment;
    }

    boolean readOnly() {
        return readOnly;
    }

    int slots() {
        return slots;
    }

    long slotOffset(int slot) {
        return slotsOffset + (long) slot * slotBytes;
    }

    int count() {
        return (int) (long) ATOMIC.getVolatile(segment, countOffset);
    }

    private long header(long slot) {
        return (long) ATOMIC.getAcquire(segment, slot);
    }

    private void requireLongKey() {
        if (keySize != 8) {
            throw new IllegalStateException("map " + memory.spec().name() + ": the long-key methods need keySize 8, not " + keySize);
        }
    }

    private void requirePairKey() {
        if (keySize != PAIR_KEY_SIZE) {
            throw new IllegalStateException("map " + memory.spec().name() + ": the two-word-key methods need keySize "
                    + PAIR_KEY_SIZE + ", not " + keySize);
        }
    }

    private void requireLongValue() {
        requireLongKey();
        if (valueSize != 8) {
            throw new IllegalStateException("map " + memory.spec().name() + ": update(long, long, int) needs valueSize 8, not " + valueSize);
        }
    }

    // ---------------------------------------------------------------- readers

    long lookup(MemorySegment key, long keyOffset) {
        int slot = find(key, keyOffset, 0L, hash(key, keyOffset, keySize, seed));
        return slot < 0 ? MapErrors.MISSING : found(slot);
    }

    long lookup(long key) {
        requireLongKey();
        int slot = find(null, 0L, key, hashLong(key, seed));
        return slot < 0 ? MapErrors.MISSING : found(slot);
    }

    long lookup(MemorySegment key, long keyOffset, long hash) {
        int slot = find(key, keyOffset, 0L, hash);
        return slot < 0 ? MapErrors.MISSING : found(slot);
    }

    long lookup(long key, long hash) {
        requireLongKey();
        int slot = find(null, 0L, key, hash);
        return slot < 0 ? MapErrors.MISSING : found(slot);
    }

    long lookupPair(long keyWord0, long keyWord1, long hash) {
        requirePairKey();
        int slot = findPair(keyWord0, keyWord1, hash);
        return slot < 0 ? MapErrors.MISSING : found(slot);
    }

    long seed() {
        return seed;
    }

    long hashOf(MemorySegment key, long keyOffset) {
        return hash(key, keyOffset, keySize, seed);
    }

    long hashOfLong(long key) {
        requireLongKey();
        return hashLong(key, seed);
    }

    long homeSlotOffset(long hash) {
        return slotsOffset + (long) ((int) hash & mask) * slotBytes;
    }

    int slotBytes() {
        return slotBytes;
    }

    /** Loads one word of every cache line the hash's home slot spans (its first, each 64 bytes on, its last). */
    long prefetch(long hash) {
        MemorySegment s = segment;
        long slot = homeSlotOffset(hash);
        long last = slot + slotBytes - 8;
        long sum = s.get(LONG, last);
        for (long at = slot; at < last; at += 64) {
            sum += s.get(LONG, at);
        }
        return sum;
    }

    /**
     * The state and sequence of the slot whose value is at {@code valueOffset}: every claim,
     * publication and deletion of the slot changes it, so a caller that remembered it right after
     * a lookup knows the offset still holds that key while it reads the same.
     */
    long slotVersion(long valueOffset) {
        return (long) ATOMIC.getAcquire(segment, valueOffset - valueInSlot) & STATE_SEQ_MASK;
    }

    /** The value offset of a found slot; an LRU lookup also marks the entry referenced. */
    private long found(int slot) {
        long offset = slotOffset(slot);
        if (lru && !readOnly && segment.get(INT, offset + LRU_REF) == 0) {
            // Written only when clear, so a hot entry's cache line stays clean (shared) in every core.
            segment.set(INT, offset + LRU_REF, 1);
        }
        return offset + valueInSlot;
    }

    /**
     * Probes for a key and returns its slot or -1. A slot counts as holding the key only when its
     * header (state and sequence) is the same before and after the key compare; otherwise the slot
     * is examined again. A null {@code key} segment means the key is {@code longKey}.
     */
    private int find(MemorySegment key, long keyOffset, long longKey, long hash) {
        if (key == null) {
            return findLong(longKey, hash);
        }
        if (keySize == PAIR_KEY_SIZE) {
            return findPair(key.get(LONG_U, keyOffset), key.get(LONG_U, keyOffset + Long.BYTES), hash);
        }
        return findBytes(key, keyOffset, hash);
    }

    /**
     * {@link #find} for an 8-byte key held in a long: the per-packet path of most maps, so it is a
     * loop small enough to inline whole, with the table's fields in locals. Measured at 1M entries
     * (docs/benchmarks.md), the generic loop with its out-of-line key compare cost twice as much.
     */
    private int findLong(long longKey, long hash) {
        MemorySegment s = segment;
        int m = mask;
        long base = slotsOffset;
        int stride = slotBytes;
        long keyAt = keyInSlot;
        int i = (int) hash & m;
        for (int probed = 0; probed <= m; ) {
            long slot = base + (long) i * stride;
            long h1 = (long) ATOMIC.getAcquire(s, slot);
            if ((h1 & FULL) != 0 && s.get(LONG, slot + keyAt) == longKey) {
                VarHandle.acquireFence();
                long h2 = (long) ATOMIC.getAcquire(s, slot);
                if (((h1 ^ h2) & STATE_SEQ_MASK) == 0) {
                    return i;
                }
                continue; // the slot changed while its key was read: look at it again
            }
            if ((h1 & OVERFLOW_MASK) == 0) {
                return -1;
            }
            i = (i + 1) & m;
            probed++;
        }
        return -1;
    }

    /**
     * {@link #find} for a 16-byte key, read into two words first (an IPv4 conntrack tuple): like
     * {@link #findLong}, a loop small enough to inline whole, whose compare is two loads from
     * the slot against registers. Profiled, the generic compare loop ({@code keyEquals}, out of
     * line) was the hottest method of a conntrack lookup; this loop and a key kept in registers
     * took the 10k lookup from about 45 to 37 ns (docs/benchmarks-notes.md, "Conntrack at 1M,
     * second pass").
     */
    private int findPair(long word0, long word1, long hash) {
        MemorySegment s = segment;
        int m = mask;
        long base = slotsOffset;
        int stride = slotBytes;
        long keyAt = keyInSlot;
        int i = (int) hash & m;
        for (int probed = 0; probed <= m; ) {
            long slot = base + (long) i * stride;
            long h1 = (long) ATOMIC.getAcquire(s, slot);
            // The key words are aligned; reading them as unaligned skips the segment's alignment check.
            if ((h1 & FULL) != 0 && s.get(LONG_U, slot + keyAt) == word0 && s.get(LONG_U, slot + keyAt + Long.BYTES) == word1) {
                VarHandle.acquireFence();
                long h2 = (long) ATOMIC.getAcquire(s, slot);
                if (((h1 ^ h2) & STATE_SEQ_MASK) == 0) {
                    return i;
                }
                continue;
            }
            if ((h1 & OVERFLOW_MASK) == 0) {
                return -1;
            }
            i = (i + 1) & m;
            probed++;
        }
        return -1;
    }

    /** {@link #find} for a key of any size held in a segment. */
    private int findBytes(MemorySegment key, long keyOffset, long hash) {
        MemorySegment s = segment;
        int m = mask;
        long base = slotsOffset;
        int stride = slotBytes;
        long keyAt = keyInSlot;
        int i = (int) hash & m;
        for (int probed = 0; probed <= m; ) {
            long slot = base + (long) i * stride;
            long h1 = (long) ATOMIC.getAcquire(s, slot);
            if ((h1 & FULL) != 0 && keyEquals(slot + keyAt, key, keyOffset, 0L)) {
                VarHandle.acquireFence();
                long h2 = (long) ATOMIC.getAcquire(s, slot);
                if (((h1 ^ h2) & STATE_SEQ_MASK) == 0) {
                    return i;
                }
                continue;
            }
            if ((h1 & OVERFLOW_MASK) == 0) {
                return -1;
            }
            i = (i + 1) & m;
            probed++;
        }
        return -1;
    }

    private boolean keyEquals(long slotKey, MemorySegment key, long keyOffset, long longKey) {
        MemorySegment s = segment;
        if (key == null) {
            return s.get(LONG, slotKey) == longKey;
        }
        int n = keySize;
        int i = 0;
        for (; i <= n - 8; i += 8) {
            if (s.get(LONG, slotKey + i) != key.get(LONG_U, keyOffset + i)) {
                return false;
            }
        }
        if (n - i >= 4) {
            if (s.get(INT, slotKey + i) != key.get(INT_U, keyOffset + i)) {
                return false;
            }
            i += 4;
        }
        for (; i < n; i++) {
            if (s.get(BYTE, slotKey + i) != key.get(BYTE, keyOffset + i)) {
                return false;
            }
        }
        return true;
    }

    boolean lookupCopy(MemorySegment key, long keyOffset, MemorySegment dst, long dstOffset) {
        return lookupCopy(key, keyOffset, dst, dstOffset, hash(key, keyOffset, keySize, seed));
    }

    boolean lookupCopy(MemorySegment key, long keyOffset, MemorySegment dst, long dstOffset, long hash) {
        Objects.checkFromIndexSize(dstOffset, valueSize, dst.byteSize());
        MemorySegment s = segment;
        int i = (int) hash & mask;
        int retries = 0;
        for (int probed = 0; probed <= mask; ) {
            long slot = slotOffset(i);
            long h1 = header(slot);
            if ((h1 & FULL) != 0 && keyEquals(slot + keyInSlot, key, keyOffset, 0L)) {
                if ((h1 & STATE_MASK) == FULL) {
                    MemorySegment.copy(s, slot + valueInSlot, dst, dstOffset, valueSize);
                    VarHandle.acquireFence();
                    long h2 = (long) ATOMIC.getAcquire(s, slot);
                    if (((h1 ^ h2) & STATE_SEQ_MASK) == 0) {
                        if (lru && !readOnly && s.get(INT, slot + LRU_REF) == 0) {
                            s.set(INT, slot + LRU_REF, 1);
                        }
                        return true;
                    }
                }
                // A writer is rewriting the value (or changed the slot): wait for it, bounded so
                // that a reader in another process never hangs on a writer that died mid-update.
                if (++retries > MAX_COPY_RETRIES) {
                    return false;
                }
                Thread.onSpinWait();
                continue;
            }
            if ((h1 & OVERFLOW_MASK) == 0) {
                return false;
            }
            i = (i + 1) & mask;
            probed++;
        }
        return false;
    }

    int forEach(OffHeapMap.EntryVisitor visitor) {
        int visited = 0;
        for (int i = 0; i < slots; i++) {
            long slot = slotOffset(i);
            if ((header(slot) & FULL) != 0) {
                visitor.visit(segment, slot + keyInSlot, slot + valueInSlot);
                visited++;
            }
        }
        return visited;
    }

    /**
     * Visits the live entries in slots {@code [fromSlot, fromSlot + maxSlots)} (clipped at the
     * table's end) and returns where the next scan should start: 0 after the last slot, so a
     * caller that keeps passing the returned cursor walks the table round and round. The visitor
     * may delete the visited entry (the expiry sweep does): a delete never moves another key.
     */
    int scan(int fromSlot, int maxSlots, OffHeapMap.EntryVisitor visitor) {
        if (fromSlot < 0 || fromSlot >= slots || maxSlots <= 0) {
            throw new IllegalArgumentException("scan from slot " + fromSlot + " of " + slots + ", " + maxSlots + " slots");
        }
        int end = (int) Math.min((long) fromSlot + maxSlots, slots);
        for (int i = fromSlot; i < end; i++) {
            long slot = slotOffset(i);
            if ((header(slot) & FULL) != 0) {
                visitor.visit(segment, slot + keyInSlot, slot + valueInSlot);
            }
        }
        return end == slots ? 0 : end;
    }

    // ---------------------------------------------------------------- writers

    int update(MemorySegment key, long keyOffset, MemorySegment value, long valueOffset, int flags) {
        if (readOnly) {
            return MapErrors.EPERM;
        }
        if (!UpdateFlags.valid(flags)) {
            return MapErrors.EINVAL;
        }
        // Bounds are checked before any lock is taken: an out-of-range source is a programming
        // error, and failing half way through an insert would leave a claimed slot behind.
        Objects.checkFromIndexSize(keyOffset, keySize, key.byteSize());
        Objects.checkFromIndexSize(valueOffset, valueSize, value.byteSize());
        return status(write(key, keyOffset, 0L, hash(key, keyOffset, keySize, seed), value, valueOffset, 0L, flags));
    }

    /** See {@link HashTableMap#insert}: a NOEXIST update with the hash given, returning the value's offset. */
    long insert(MemorySegment key, long keyOffset, MemorySegment value, long valueOffset, long hash) {
        if (readOnly) {
            return MapErrors.EPERM;
        }
        Objects.checkFromIndexSize(keyOffset, keySize, key.byteSize());
        Objects.checkFromIndexSize(valueOffset, valueSize, value.byteSize());
        return write(key, keyOffset, 0L, hash, value, valueOffset, 0L, UpdateFlags.NOEXIST);
    }

    /** Returns: a {@link #write} result as an update's status: OK for an offset, else the error. */
    private static int status(long written) {
        return written >= 0 ? MapErrors.OK : (int) written;
    }

    int update(long key, long value, int flags) {
        requireLongValue();
        if (readOnly) {
            return MapErrors.EPERM;
        }
        if (!UpdateFlags.valid(flags)) {
            return MapErrors.EINVAL;
        }
        return status(write(null, 0L, key, hashLong(key, seed), null, 0L, value, flags));
    }

    /**
     * Creates or replaces the key's entry under its stripe's lock.
     *
     * @return the value offset of the entry written (0 or more), or a negative {@link MapErrors} code
     */
    private long write(MemorySegment key, long keyOffset, long longKey, long hash,
                      MemorySegment value, long valueOffset, long longValue, int flags) {
        int home = (int) hash & mask;
        long stripe = stripeOffset(home);
        lock(stripe);
        try {
            int slot = find(key, keyOffset, longKey, hash);
            if (slot >= 0) {
                if (flags == UpdateFlags.NOEXIST) {
                    return MapErrors.EEXIST;
                }
                long offset = slotOffset(slot);
                // FULL -> UPDATING: lookups still see the key; lookupCopy waits for the new value.
                getAndAdd(offset, 1L + SEQ_ONE);
                writeValue(offset + valueInSlot, value, valueOffset, longValue);
                getAndAdd(offset, -1L + SEQ_ONE);
                return offset + valueInSlot;
            }
            if (flags == UpdateFlags.EXIST) {
                return MapErrors.ENOENT;
            }
            int reserved = reserve(home);
            if (reserved != MapErrors.OK) {
                return reserved;
            }
            slot = claim(home);
            long offset = slotOffset(slot);
            // Counters before publish: once the key is FULL every probe for it reaches it.
            addOverflow(home, slot, OVERFLOW_ONE);
            if (key == null) {
                segment.set(LONG, offset + keyInSlot, longKey);
            } else {
                MemorySegment.copy(key, keyOffset, segment, offset + keyInSlot, keySize);
            }
            writeValue(offset + valueInSlot, value, valueOffset, longValue);
            if (lru) {
                segment.set(INT, offset + LRU_REF, 0);
                segment.set(INT, offset + LRU_HOME, home);
                lock(lruLockOffset);
                try {
                    append(slot);
                } finally {
                    unlock(lruLockOffset);
                }
            }
            getAndAdd(offset, (FULL - BUSY) + SEQ_ONE); // publish, release
            return offset + valueInSlot;
        } finally {
            unlock(stripe);
        }
    }

    private long getAndAdd(long offset, long delta) {
        return (long) ATOMIC.getAndAdd(segment, offset, delta);
    }

    private void writeValue(long target, MemorySegment value, long valueOffset, long longValue) {
        if (value == null) {
            segment.set(LONG, target, longValue);
        } else {
            MemorySegment.copy(value, valueOffset, segment, target, valueSize);
        }
    }

    int delete(MemorySegment key, long keyOffset) {
        if (readOnly) {
            return MapErrors.EPERM;
        }
        Objects.checkFromIndexSize(keyOffset, keySize, key.byteSize());
        return remove(key, keyOffset, 0L, hash(key, keyOffset, keySize, seed));
    }

    int delete(long key) {
        requireLongKey();
        if (readOnly) {
            return MapErrors.EPERM;
        }
        return remove(null, 0L, key, hashLong(key, seed));
    }

    private int remove(MemorySegment key, long keyOffset, long longKey, long hash) {
        int home = (int) hash & mask;
        long stripe = stripeOffset(home);
        lock(stripe);
        try {
            int slot = find(key, keyOffset, longKey, hash);
            if (slot < 0) {
                return MapErrors.ENOENT;
            }
            if (lru) {
                lock(lruLockOffset);
                try {
                    unlink(slot);
                } finally {
                    unlock(lruLockOffset);
                }
            }
            release(home, slot);
            getAndAdd(countOffset, -1L);
            return MapErrors.OK;
        } finally {
            unlock(stripe);
        }
    }

    /** Unpublishes a FULL slot (readers stop matching it at once), then takes back its overflow counts. */
    private void release(int home, int slot) {
        getAndAdd(slotOffset(slot), (EMPTY - FULL) + SEQ_ONE);
        addOverflow(home, slot, -OVERFLOW_ONE);
    }

    /**
     * Reserves one unit of the count for a new key. A full hash map answers E2BIG; a full LRU map
     * evicts an entry and hands its unit over (EBUSY only when no entry could be evicted).
     */
    private int reserve(int home) {
        for (;;) {
            long count = (long) ATOMIC.getVolatile(segment, countOffset);
            if (count >= maxEntries) {
                return lru ? evictOne(home & stripeMask) : MapErrors.E2BIG;
            }
            if ((boolean) ATOMIC.compareAndSet(segment, countOffset, count, count + 1)) {
                return MapErrors.OK;
            }
        }
    }

    /**
     * Claims the first EMPTY slot from home by CAS (EMPTY to BUSY). There is always one: claimed
     * slots never outnumber reserved count units, and maxEntries is below 0.7 x slots.
     */
    private int claim(int home) {
        int i = home;
        for (;;) {
            long slot = slotOffset(i);
            long h = (long) ATOMIC.getVolatile(segment, slot);
            if ((h & STATE_MASK) == EMPTY) {
                if ((boolean) ATOMIC.compareAndSet(segment, slot, h, h + BUSY + SEQ_ONE)) {
                    return i;
                }
                continue; // another writer changed this header (maybe only its overflow): re-read
            }
            i = (i + 1) & mask;
        }
    }

    /** Adds delta to the overflow count of every slot from home up to (not including) slot. */
    private void addOverflow(int home, int slot, long delta) {
        for (int i = home; i != slot; i = (i + 1) & mask) {
            getAndAdd(slotOffset(i), delta);
        }
    }

    // ---------------------------------------------------------------- locks

    private long stripeOffset(int home) {
        return stripesOffset + 8L * (home & stripeMask);
    }

    /** Test-and-test-and-set spin on a lock word; yields after a while so a preempted holder can run. */
    private void lock(long word) {
        MemorySegment s = segment;
        for (int spins = 0; ; spins++) {
            if ((long) ATOMIC.getOpaque(s, word) == 0L && (boolean) ATOMIC.compareAndSet(s, word, 0L, 1L)) {
                return;
            }
            if (spins < SPINS_BEFORE_YIELD) {
                Thread.onSpinWait();
            } else {
                Thread.yield();
            }
        }
    }

    private boolean tryLock(long word) {
        return (long) ATOMIC.getOpaque(segment, word) == 0L && (boolean) ATOMIC.compareAndSet(segment, word, 0L, 1L);
    }

    private void unlock(long word) {
        ATOMIC.setRelease(segment, word, 0L);
    }

    // ---------------------------------------------------------------- LRU list (under the LRU lock)

    private int prev(int slot) {
        return segment.get(INT, slotOffset(slot) + LRU_PREV);
    }

    private int next(int slot) {
        return segment.get(INT, slotOffset(slot) + LRU_NEXT);
    }

    private void prev(int slot, int value) {
        segment.set(INT, slotOffset(slot) + LRU_PREV, value);
    }

    private void next(int slot, int value) {
        segment.set(INT, slotOffset(slot) + LRU_NEXT, value);
    }

    private int head() {
        return (int) segment.get(LONG, lruHeadOffset);
    }

    private int tail() {
        return (int) segment.get(LONG, lruTailOffset);
    }

    private void append(int slot) {
        int tail = tail();
        prev(slot, tail);
        next(slot, NONE);
        if (tail == NONE) {
            segment.set(LONG, lruHeadOffset, slot);
        } else {
            next(tail, slot);
        }
        segment.set(LONG, lruTailOffset, slot);
    }

    private void unlink(int slot) {
        int p = prev(slot);
        int n = next(slot);
        if (p == NONE) {
            segment.set(LONG, lruHeadOffset, n);
        } else {
            next(p, n);
        }
        if (n == NONE) {
            segment.set(LONG, lruTailOffset, p);
        } else {
            prev(n, p);
        }
    }

    /**
     * Frees one entry for an insert into a full LRU map (the caller holds stripe {@code ownStripe}).
     * Walks from the oldest end: a referenced entry loses its flag and moves to the newest end
     * (second chance, at most {@link #MAX_SECOND_CHANCES} per call); the first unreferenced entry
     * whose stripe can be taken without waiting is evicted. The evicted entry's count unit passes
     * to the caller. Lock order is stripe, then LRU lock, then only tryLock: no deadlock.
     *
     * @return OK, or EBUSY when every candidate's writer was busy
     */
    private int evictOne(int ownStripe) {
        lock(lruLockOffset);
        try {
            int chances = 0;
            int skips = 0;
            int cur = head();
            while (cur != NONE) {
                long offset = slotOffset(cur);
                int nextSlot = next(cur);
                if (chances < MAX_SECOND_CHANCES && segment.get(INT, offset + LRU_REF) != 0) {
                    segment.set(INT, offset + LRU_REF, 0);
                    chances++;
                    if (nextSlot != NONE) {
                        unlink(cur);
                        append(cur);
                    }
                    cur = nextSlot == NONE ? cur : nextSlot;
                    continue;
                }
                int home = segment.get(INT, offset + LRU_HOME);
                int stripe = home & stripeMask;
                long stripeWord = stripesOffset + 8L * stripe;
                if (stripe == ownStripe || tryLock(stripeWord)) {
                    try {
                        // In the list and its stripe held: the entry is FULL (deletes unlink under both).
                        unlink(cur);
                        release(home, cur);
                        return MapErrors.OK;
                    } finally {
                        if (stripe != ownStripe) {
                            unlock(stripeWord);
                        }
                    }
                }
                if (++skips > MAX_BUSY_SKIPS) {
                    return MapErrors.EBUSY;
                }
                cur = nextSlot;
            }
            return MapErrors.EBUSY;
        } finally {
            unlock(lruLockOffset);
        }
    }

    // ---------------------------------------------------------------- recovery and checks

    /**
     * Makes a reopened pinned table consistent, whatever its earlier owner was doing when it
     * stopped: lock words are cleared; a BUSY slot (a claim whose key was never published) becomes
     * EMPTY; an UPDATING slot becomes FULL (its value may be half written: the owner died inside
     * the copy); then every overflow count and the count word are rebuilt from the FULL slots, and
     * the LRU list is rebuilt in its old order as far as its links are intact, then slot order.
     */
    private void recover() {
        MemorySegment s = segment;
        for (int stripe = 0; stripe <= stripeMask; stripe++) {
            s.set(LONG, stripesOffset + 8L * stripe, 0L);
        }
        s.set(LONG, lruLockOffset, 0L);
        long count = 0;
        for (int i = 0; i < slots; i++) {
            long slot = slotOffset(i);
            long h = s.get(LONG, slot);
            long state = h & STATE_MASK;
            long seq = h & ~(OVERFLOW_MASK | STATE_MASK);
            long repaired = state == BUSY ? EMPTY : state == UPDATING ? FULL : state;
            if (repaired != state) {
                seq += SEQ_ONE;
            }
            s.set(LONG, slot, seq | repaired);
        }
        for (int i = 0; i < slots; i++) {
            long slot = slotOffset(i);
            if ((s.get(LONG, slot) & STATE_MASK) == FULL) {
                int home = (int) hash(s, slot + keyInSlot, keySize, seed) & mask;
                for (int j = home; j != i; j = (j + 1) & mask) {
                    long other = slotOffset(j);
                    s.set(LONG, other, s.get(LONG, other) + OVERFLOW_ONE);
                }
                if (lru) {
                    s.set(INT, slot + LRU_HOME, home);
                }
                count++;
            }
        }
        s.set(LONG, countOffset, count);
        if (lru) {
            rebuildList();
        }
        VarHandle.fullFence();
    }

    private void rebuildList() {
        MemorySegment s = segment;
        int[] order = new int[slots];
        int n = 0;
        BitSet seen = new BitSet(slots);
        int cur = (int) s.get(LONG, lruHeadOffset);
        for (int steps = 0; steps < slots && cur >= 0 && cur < slots && !seen.get(cur); steps++) {
            seen.set(cur);
            if ((s.get(LONG, slotOffset(cur)) & STATE_MASK) == FULL) {
                order[n++] = cur;
            }
            cur = next(cur);
        }
        for (int i = 0; i < slots; i++) {
            if (!seen.get(i) && (s.get(LONG, slotOffset(i)) & STATE_MASK) == FULL) {
                order[n++] = i;
            }
        }
        s.set(LONG, lruHeadOffset, NONE);
        s.set(LONG, lruTailOffset, NONE);
        for (int k = 0; k < n; k++) {
            append(order[k]);
        }
    }

    /** Diagnostics for tests: the longest probe (slots examined) of a lookup of this key. */
    int probeLength(MemorySegment key, long keyOffset) {
        int i = (int) hash(key, keyOffset, keySize, seed) & mask;
        for (int probed = 1; probed <= slots; probed++) {
            long h = header(slotOffset(i));
            if ((h & FULL) != 0 && keyEquals(slotOffset(i) + keyInSlot, key, keyOffset, 0L)) {
                return probed;
            }
            if ((h & OVERFLOW_MASK) == 0) {
                return probed;
            }
            i = (i + 1) & mask;
        }
        return slots;
    }

    /** Diagnostics for tests: the sum of all slots' overflow counts. */
    long overflowSum() {
        long sum = 0;
        for (int i = 0; i < slots; i++) {
            sum += (header(slotOffset(i)) & OVERFLOW_MASK) >>> OVERFLOW_SHIFT;
        }
        return sum;
    }

    /** Diagnostics for tests: the count word as stored. */
    long countWord() {
        return (long) ATOMIC.getVolatile(segment, countOffset);
    }

    /**
     * Diagnostics for tests, on a quiescent table: recomputes every invariant from the slots and
     * returns a description of the first violation, or null when the table is consistent.
     */
    String verify() {
        MemorySegment s = segment;
        long[] expected = new long[slots];
        long full = 0;
        for (int i = 0; i < slots; i++) {
            long h = s.get(LONG, slotOffset(i));
            long state = h & STATE_MASK;
            if (state == BUSY || state == UPDATING) {
                return "slot " + i + " left in state " + state;
            }
            if (state == FULL) {
                full++;
                int home = (int) hash(s, slotOffset(i) + keyInSlot, keySize, seed) & mask;
                for (int j = home; j != i; j = (j + 1) & mask) {
                    expected[j]++;
                }
                if (lru && s.get(INT, slotOffset(i) + LRU_HOME) != home) {
                    return "slot " + i + " records home " + s.get(INT, slotOffset(i) + LRU_HOME) + ", not " + home;
                }
            }
        }
        for (int i = 0; i < slots; i++) {
            long overflow = (s.get(LONG, slotOffset(i)) & OVERFLOW_MASK) >>> OVERFLOW_SHIFT;
            if (overflow != expected[i]) {
                return "slot " + i + " overflow " + overflow + ", expected " + expected[i];
            }
        }
        if (countWord() != full) {
            return "count word " + countWord() + " but " + full + " FULL slots";
        }
        for (int stripe = 0; stripe <= stripeMask; stripe++) {
            if (s.get(LONG, stripesOffset + 8L * stripe) != 0) {
                return "stripe " + stripe + " still locked";
            }
        }
        if (lru) {
            long linked = 0;
            int p = NONE;
            int cur = head();
            while (cur != NONE) {
                if (++linked > full) {
                    return "LRU list longer than the " + full + " FULL slots (a cycle?)";
                }
                if ((s.get(LONG, slotOffset(cur)) & STATE_MASK) != FULL) {
                    return "LRU list links slot " + cur + " which is not FULL";
                }
                if (prev(cur) != p) {
                    return "LRU slot " + cur + " prev " + prev(cur) + ", expected " + p;
                }
                p = cur;
                cur = next(cur);
            }
            if (tail() != p) {
                return "LRU tail " + tail() + ", expected " + p;
            }
            if (linked != full) {
                return "LRU list links " + linked + " of " + full + " FULL slots";
            }
        }
        return null;
    }

    /** Diagnostics for tests: the LRU list from oldest to newest, as slot indexes. */
    int[] lruOrder() {
        int[] order = new int[count()];
        int n = 0;
        for (int cur = head(); cur != NONE && n < order.length; cur = next(cur)) {
            order[n++] = cur;
        }
        return order;
    }
}
