package dev.gingham.maps;

import java.lang.foreign.MemorySegment;
import java.nio.file.Path;

/**
 * A fixed-size off-heap hash map with fixed key and value sizes (BPF_MAP_TYPE_HASH): the map
 * behind services, backends, endpoints and, through {@link LruHashMap}, conntrack and NAT.
 *
 * <p>Why this shape: the per-packet path needs a lookup that allocates nothing, takes no lock and
 * is as short for an absent key as for a present one, on a table that sees heavy insert/delete
 * churn (connections come and go all day) and may live in a pinned file that outlives the
 * process. Capacity is fixed at creation; a full map refuses new keys with
 * {@link MapErrors#E2BIG} (a counted drop reason upstream), never by resizing.
 *
 * <h2>Table</h2>
 * Open addressing with linear probing over {@code 2^k >= maxEntries / 0.7} slots, so the load
 * never exceeds 0.7. Deletes leave no tombstones: each slot keeps an <em>overflow count</em>, the
 * number of live keys whose probe passes it (the idea of F14 and Swiss tables), and a probe stops
 * at the first slot whose count is zero. Churn therefore accumulates nothing: once every key is
 * deleted every count is back to zero, and misses never grow without bound as they do over
 * tombstones. They do lengthen under churn at high load, because entries never move (so value
 * offsets stay valid for as long as the key lives) and keep the displacement they were inserted
 * with: measured at load 0.7, misses average ~4 slots right after a fill and settle at ~27 slots
 * (~11 sequential cache lines, longest ~300) after a million delete/insert pairs, then stay
 * there; at load 0.5 they settle at ~3.4 slots. Tables that churn hard (conntrack) can trade
 * memory for shorter misses by choosing maxEntries at or below half a power of two. (Double
 * hashing was simulated too: 4.4 slots per steady-state miss, but every slot a random cache
 * line and hits costlier, so linear probing's sequential lines were kept.) Keys are hashed with a
 * seeded 64-bit hash (murmur3-style rounds and fmix64) whose seed is random per map unless given,
 * so a remote peer cannot aim keys at one probe chain without knowing the seed. (The hash is
 * not SipHash-strong; the seed raises the bar, it does not make collisions impossible.)
 *
 * <h2>Concurrency model</h2>
 * Lookups never block and never write: they probe with acquire reads and accept a slot only
 * when its header (state and sequence) reads the same before and after the key compare, a
 * seqlock per slot; writers (the control agent and, for conntrack-style maps, several workers)
 * serialise per key on one of up to 1024 striped spin words chosen by the key's home slot, as the
 * kernel's hash map serialises on a per-bucket lock readers never take, and race for free slots
 * only by CAS on slot headers.
 * <ul>
 *   <li>{@link #lookup} returns the offset of the value in place. The key there is guaranteed to
 *       have been the looked-up key; the value may be rewritten concurrently by an update (the
 *       kernel's contract for a value pointer). Readers that need a consistent copy of a
 *       multi-word value use {@link #lookupCopy}, which retries while a writer is mid-update.</li>
 *   <li>An update of a present key rewrites its value in place; an insert reserves one unit of
 *       the count, claims the first free slot from home by CAS, raises the overflow counts of the
 *       slots it passes, writes key and value, and only then publishes the slot (release), so a
 *       reader can never miss a published key. A delete unpublishes first, then lowers the counts.
 *       Two writers of one key always take the same stripe: no duplicates.</li>
 *   <li>A key that is neither being inserted nor deleted is always found. A key being inserted
 *       or deleted concurrently is found or not, as either order would allow.</li>
 * </ul>
 * Writers spin (with {@link Thread#onSpinWait()}, yielding after a while); no
 * java.util.concurrent lock and no {@code synchronized} is involved. The spin words live in the
 * map's memory, so they are process-wide only for the single writer process a pinned file allows.
 *
 * <h2>Pinning</h2>
 * {@link #pinned} creates or reopens a memory-mapped file whose header records the spec and the
 * hash seed. A reopening owner repairs whatever a dead owner left half done: it clears the spin
 * words, turns slots claimed but never published back to empty, and rebuilds every overflow
 * count and the count word from the published slots (a value whose rewrite was interrupted
 * stays as the dead writer left it). {@link #openReadOnly} maps the file read-only for a second
 * process (the CLI) while the owner runs; its mutators return {@link MapErrors#EPERM}.
 *
 * <h2>Deviation from the first design</h2>
 * In-place value updates mark the slot UPDATING (a fourth state) rather than BUSY or an odd
 * sequence: lookups keep seeing the key during the rewrite (a BUSY slot would look absent for
 * an instant), while {@link #lookupCopy} still knows to wait.
 */
public final class HashMap implements OffHeapMap {
    /** Version of this type's body layout, recorded in pinned headers. */
    public static final int LAYOUT_VERSION = HashTable.HASH_LAYOUT_VERSION;

    private final HashTable table;
    private final MemorySegment segment;

    private HashMap(MapMemory memory) {
        this.table = new HashTable(memory, false);
        this.segment = memory.segment();
    }

    /** Creates an anonymous map with a random hash seed. */
    public static HashMap create(MapSpec spec) {
        return create(spec, HashTable.randomSeed());
    }

    /** Creates an anonymous map with the given hash seed (fixed seeds make replays reproducible). */
    public static HashMap create(MapSpec spec, long hashSeed) {
        requireType(spec);
        return new HashMap(MapMemory.anonymous(spec, LAYOUT_VERSION, HashTable.bodyBytes(spec, false), hashSeed));
    }

    /**
     * Opens the pinned map at {@code file} for writing, creating it (random seed) when absent and
     * reopening it with its contents intact otherwise.
     *
     * @throws MapPinException when the file was written for another spec, is not a map, or is
     *                         already open for writing
     */
    public static HashMap pinned(MapSpec spec, Path file) {
        requireType(spec);
        return new HashMap(MapMemory.pinned(file, spec, LAYOUT_VERSION, HashTable.bodyBytes(spec, false),
                HashTable.randomSeed()));
    }

    /**
     * Opens a pinned map read-only, its spec read from the file: for dumping a map while its owner
     * runs. Lookups, copies and iteration work; every mutator returns {@link MapErrors#EPERM}.
     */
    public static HashMap openReadOnly(Path file) {
        return new HashMap(MapMemory.openReadOnly(file, MapType.HASH, LAYOUT_VERSION));
    }

    private static void requireType(MapSpec spec) {
        if (spec.type() != MapType.HASH) {
            throw new IllegalArgumentException("map " + spec.name() + ": a HashMap needs a HASH spec, not " + spec.type());
        }
    }

    /**
     * Looks a key up in place. The key may sit anywhere, unaligned (e.g. inside a packet buffer).
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
     * Copies a key's value into {@code dst} as one consistent snapshot (never half of one update
     * and half of another), waiting while a writer rewrites it.
     *
     * @return true when the key was present and its value copied; false when absent
     */
    public boolean lookupCopy(MemorySegment key, long keyOffset, MemorySegment dst, long dstOffset) {
        return table.lookupCopy(key, keyOffset, dst, dstOffset);
    }

    /**
     * Creates or replaces an entry.
     *
     * @param flags {@link UpdateFlags#ANY}, {@link UpdateFlags#NOEXIST} or {@link UpdateFlags#EXIST}
     * @return {@link MapErrors#OK}; {@link MapErrors#EEXIST} (NOEXIST, key present),
     *         {@link MapErrors#ENOENT} (EXIST, key absent), {@link MapErrors#E2BIG} (full),
     *         {@link MapErrors#EINVAL} (bad flags), {@link MapErrors#EPERM} (read-only)
     */
    public int update(MemorySegment key, long keyOffset, MemorySegment value, long valueOffset, int flags) {
        return table.update(key, keyOffset, value, valueOffset, flags);
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
