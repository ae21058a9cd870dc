package dev.gingham.maps;

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
public final class HashMap extends HashTableMap {
    /** Version of this type's body layout, recorded in pinned headers. */
    public static final int LAYOUT_VERSION = HashTable.HASH_LAYOUT_VERSION;

    private HashMap(MapMemory memory) {
        super(memory, Kind.HASH);
    }

    /** Creates an anonymous map with a random hash seed. */
    public static HashMap create(MapSpec spec) {
        return create(spec, HashTable.randomSeed());
    }

    /** Creates an anonymous map with the given hash seed (fixed seeds make replays reproducible). */
    public static HashMap create(MapSpec spec, long hashSeed) {
        return new HashMap(newMemory(spec, Kind.HASH, hashSeed));
    }

    /**
     * Opens the pinned map at {@code file} for writing, creating it (random seed) when absent and
     * reopening it with its contents intact otherwise.
     *
     * @throws MapPinException when the file was written for another spec, is not a map, or is
     *                         already open for writing
     */
    public static HashMap pinned(MapSpec spec, Path file) {
        return new HashMap(pinnedMemory(spec, file, Kind.HASH));
    }

    /**
     * Opens a pinned map read-only, its spec read from the file: for dumping a map while its owner
     * runs. Lookups, copies and iteration work; every mutator returns {@link MapErrors#EPERM}.
     */
    public static HashMap openReadOnly(Path file) {
        return new HashMap(readOnlyMemory(file, Kind.HASH));
    }
}
