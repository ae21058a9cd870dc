package dev.gingham.maps;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Longest-prefix-match map over IPv4 or IPv6 prefixes (BPF_MAP_TYPE_LPM_TRIE): the ipcache
 * (prefix &rarr; security identity, tunnel endpoint) and routes. Keys are addresses of
 * {@link MapSpec#keySize()} bytes (4 or 16) in network order plus a prefix length beside them;
 * values have the spec's fixed size. At most {@link MapSpec#maxEntries()} prefixes.
 *
 * <h2>Structure: a multibit trie with controlled prefix expansion</h2>
 * The kernel's binary trie visits up to 32 (128) nodes per lookup; this map visits at most 3
 * for IPv4 and 15 for IPv6. The address is cut into strides: 16 bits at the root, then 8 bits
 * per level (IPv4: 16-8-8; IPv6: 16 then fourteen 8s). The root has 65536 entries, every other
 * node 256. Each entry is one 4-byte word:
 * <pre>
 *   0                                          empty: no prefix covers these addresses
 *   1 | node index (31 bits)                   child: continue with the next stride
 *   0 | prefix length (8) | value slot + 1 (23) leaf: the longest prefix covering the entry
 * </pre>
 * A prefix of length {@code len} lives in the level whose stride contains bit {@code len}
 * (IPv4: /0../16 in the root, /17../24 in level 1, /25../32 in level 2) and is expanded over
 * the {@code 2^(levelEnd - len)} entries it covers there; where such an entry is a child, the
 * prefix is pushed down into the whole child (a new child starts as 256 copies of the entry it
 * replaces). Insert overwrites only covered entries whose stored prefix length is &le; its own;
 * delete rewrites the entries that still name it with the next-longest covering prefix, found
 * in the exact prefix index. So the expanded trie always equals "longest match among the real
 * prefixes" and {@link #lookup4} is at most three dependent loads with no comparison of keys.
 *
 * <p>The real prefixes are kept exactly, for deletes, {@link #lookupExact}, dumps and reopening:
 * one record per prefix (prefix length, address, value slot) and an open-addressed index
 * (linear probing, backward-shift deletion, at most half full) from (address, length) to record.
 *
 * <h2>Memory (sized once, never grows)</h2>
 * <pre>
 *  body: root   65536 x 4 B entries
 *        nodes  nodeCapacity x 1 KiB (256 x 4 B entries)
 *        values 2 x maxEntries slots x valueSize rounded up to 8 B
 *        records maxEntries x (IPv4: 16 B, IPv6: 32 B):
 *                +0 state (0 free, 1 live) +4 value slot +8 prefix length (native) +12 address
 *        index  power of two &ge; 2 x maxEntries x 4 B (record + 1, 0 = empty)
 *  state words: 0 count, 1 nodes in use, 2 node capacity, 3 value slots
 * </pre>
 * <h2>Node capacity</h2>
 * A prefix of length {@code len} needs one node in each level it passes through, shared with
 * every prefix agreeing on those upper bits. An IPv4 set of prefixes needs exactly one level-1
 * node per /16 that holds a prefix longer than /16 and one level-2 node per /24 that holds a
 * prefix longer than /24. The worst case, {@code min(maxEntries, 2^16) + min(maxEntries, 2^24)}
 * ({@link #worstCaseNodes}), is two nodes (2 KiB) per scattered host route: 1,065,536 nodes,
 * 1041 MiB, for a million prefixes, almost all of it never used by a real table, where host
 * routes cluster (pod /32s share their node's /24, so a /24 of pods costs one node). So the
 * default ({@link #defaultNodeCapacity}) is the worst case only for small tries (up to
 * {@link #SMALL_TRIE_NODES} nodes, 16 MiB: they never return ENOSPC) and otherwise one node per
 * {@link #IPV4_PREFIXES_PER_NODE} prefixes: 250,000 nodes, 244 MiB, for a million prefixes.
 * Since there are at most 2^16 level-1 nodes, that holds any table whose prefixes longer than
 * /24 lie in at most 184,464 distinct /24s (an eighth of the table as host routes each alone
 * in its /24, or the pods of thousands of nodes' /24 CIDRs), whatever its shorter prefixes.
 * Tables known to hold more scattered host routes pass a capacity
 * ({@link #create(MapSpec, int)}, {@link #pinned(MapSpec, Path, int)}); {@link #memoryBytes}
 * tells what a capacity costs. For IPv6 the worst case is fourteen nodes per /128, which is too
 * much to reserve; the default is a budget of {@code 2 x maxEntries + 256} nodes: always enough
 * when no prefix is longer than /32 (at most two nodes each), and enough for pod /128s allocated
 * from per-node CIDRs (a path of at most 13 nodes per CIDR, shared by its pods, plus one node
 * per 256 neighbouring addresses) as long as a CIDR holds a handful of pods; thousands of
 * scattered /128s get ENOSPC.
 *
 * <p>When the free nodes run out, an insert that needs a new node returns
 * {@link MapErrors#ENOSPC} before it writes anything (the nodes a prefix needs are counted
 * first), so the trie, lookups of the prefixes already stored and inserts that need no new node
 * go on unaffected; {@link MapErrors#EBUSY} instead when enough nodes are retired and wait for
 * {@link #reclaim}. Nodes that become empty after deletes go back to the free list (after a
 * grace period, below), so churn does not leak.
 *
 * <h2>Concurrency: one writer, many readers</h2>
 * One thread (the control agent) calls update, delete and {@link #reclaim}; any number of
 * workers call lookup concurrently, never blocking and never seeing a torn structure:
 * <ul>
 * <li>A new child node is filled completely with plain stores, then its index is published in
 *     its parent entry with a release store; readers load entries with acquire, so a reader
 *     that sees the child index sees the child's contents.</li>
 * <li>Every entry is one aligned 4-byte word written atomically; an update rewrites the covered
 *     entries one by one, so while it runs each lookup sees either the old or the new answer
 *     (as with the kernel's trie, where updates are not atomic across addresses either).</li>
 * <li>Values are never overwritten in place: an update copies the value into a fresh slot and
 *     then publishes leaves naming it; the old slot is <em>retired</em>. Deleted prefixes'
 *     slots and unlinked nodes are retired too. Retired memory stays intact until
 *     {@link #reclaim(long)} returns it to the free lists, which the control agent calls once
 *     every worker has passed a quiescent point (the end of a duty cycle) after the
 *     {@link #retiredMark() mark} was taken. So an offset returned by lookup stays valid,
 *     with the value it had, until the worker's next quiescent point: the same contract as
 *     RCU in the kernel, where the trie frees nodes with kfree_rcu.</li>
 * </ul>
 * Why retire-and-reclaim rather than a per-slot sequence counter with a {@code lookupCopy}:
 * the packet code reads several fields of an ipcache value (identity, tunnel endpoint, key
 * index) in place through the returned offset, and the nodes need a grace period anyway (a
 * reader may still be inside an unlinked node), so one reclamation mechanism covers both,
 * the read path stays three loads with no retry loop and no copy, and the cost is paid by the
 * control plane: value slots are provisioned at twice maxEntries so that a whole table's worth
 * of replacements fits in one grace period. When the free lists run dry while memory waits
 * for reclamation, update returns {@link MapErrors#EBUSY}: reclaim and retry. A process that
 * reopens a pinned map starts with nothing retired (the previous owner's readers are gone).
 *
 * <p>{@link #lookupExact}, {@link #forEach} and {@link #count} read the records and the index;
 * they are exact on the writer's thread and best effort elsewhere (a dump running beside the
 * writer may miss or repeat an entry being moved). A pinned map reopened for writing rebuilds
 * its trie, index and free lists from the records, so an owner that died mid-update leaves no
 * inconsistency behind; a read-only opener (the CLI) sees the owner's trie as it is.
 */
public final class LpmTrie implements OffHeapMap {
    /** Version of this map type's body layout, stored in the pinned header. */
    public static final int LAYOUT_VERSION = 1;

    static final int ROOT_BITS = 16;
    static final int ROOT_ENTRIES = 1 << ROOT_BITS;
    static final int NODE_BITS = 8;
    static final int NODE_ENTRIES = 1 << NODE_BITS;
    static final int NODE_BYTES = NODE_ENTRIES * 4;
    private static final int NODE_SHIFT = 10;

    private static final int CHILD = 0x8000_0000;
    private static final int NODE_MASK = 0x7FFF_FFFF;
    private static final int PLEN_SHIFT = 23;
    private static final int SLOT_MASK = (1 << PLEN_SHIFT) - 1;
    /** Most value slots a leaf can name (slot + 1 must fit 23 bits). */
    static final int MAX_VALUE_SLOTS = SLOT_MASK - 1;
    /** Largest maxEntries: values are provisioned at twice the entries. */
    public static final int MAX_ENTRIES = MAX_VALUE_SLOTS / 2;

    private static final int ROOT = -1;

    /**
     * Default node capacities up to this many nodes (16 MiB) are the worst case, so tries of up
     * to 8192 IPv4 prefixes never return ENOSPC; larger IPv4 tries get the ratio below.
     */
    public static final int SMALL_TRIE_NODES = 16_384;
    /** Prefixes per node the default capacity of a large IPv4 trie provides for (see the class comment). */
    public static final int IPV4_PREFIXES_PER_NODE = 4;

    private static final int STATE_COUNT = 0;
    private static final int STATE_NODES_IN_USE = 1;
    private static final int STATE_NODE_CAPACITY = 2;
    private static final int STATE_VALUE_SLOTS = 3;

    private static final int RECORD_STATE = 0;
    private static final int RECORD_SLOT = 4;
    private static final int RECORD_KEY = 8;
    private static final int RECORD_ADDRESS = 12;

    private static final VarHandle ENTRY = ValueLayout.JAVA_INT.varHandle();
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT;
    private static final ValueLayout.OfLong STATE = ValueLayout.JAVA_LONG.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt INT_BE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfLong LONG_BE = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    private final MapSpec spec;
    private final MapMemory memory;
    private final MemorySegment segment;
    private final boolean readOnly;
    private final int bits;
    private final int levels;
    private final int maxEntries;
    private final int valueSize;
    private final long valueStride;
    private final int nodeCapacity;
    private final int valueSlots;
    private final int recordBytes;
    private final int indexMask;

    private final long rootOffset;
    private final long nodesOffset;
    private final long valuesOffset;
    /** valuesOffset - valueStride: a leaf stores slot + 1. */
    private final long valuesBase;
    private final long recordsOffset;
    private final long indexOffset;

    // Writer-only bookkeeping, on heap: rebuilt from the records when a pinned map is reopened.
    private final int[] nodeRefs;
    private final int[] freeNodes;
    private int freeNodeCount;
    private final int[] freeSlots;
    private int freeSlotCount;
    private final int[] freeRecords;
    private int freeRecordCount;
    private final int[] retired;
    private long retiredHead;
    private long retiredTail;
    private int retiredNodes;
    private int retiredSlots;
    private int count;
    private final int[] pathNodes;
    private final long[] pathOffsets;

    private LpmTrie(MapMemory memory, int nodeCapacity, int valueSlots, boolean readOnly) {
        this.spec = memory.spec();
        this.memory = memory;
        this.segment = memory.segment();
        this.readOnly = readOnly;
        this.bits = spec.keySize() * 8;
        this.levels = 1 + (bits - ROOT_BITS) / NODE_BITS;
        this.maxEntries = spec.maxEntries();
        this.valueSize = spec.valueSize();
        this.valueStride = valueStride(spec);
        this.nodeCapacity = nodeCapacity;
        this.valueSlots = valueSlots;
        this.recordBytes = recordBytes(spec);
        this.indexMask = indexSize(spec) - 1;
        this.rootOffset = MapMemory.BODY_OFFSET;
        this.nodesOffset = rootOffset + (long) ROOT_ENTRIES * 4;
        this.valuesOffset = nodesOffset + (long) nodeCapacity * NODE_BYTES;
        this.valuesBase = valuesOffset - valueStride;
        this.recordsOffset = valuesOffset + valueSlots * valueStride;
        this.indexOffset = recordsOffset + (long) maxEntries * recordBytes;
        if (readOnly) {
            nodeRefs = freeNodes = freeSlots = freeRecords = retired = pathNodes = null;
            pathOffsets = null;
        } else {
            nodeRefs = new int[nodeCapacity];
            freeNodes = new int[nodeCapacity];
            freeSlots = new int[valueSlots];
            freeRecords = new int[maxEntries];
            retired = new int[nodeCapacity + valueSlots];
            pathNodes = new int[levels];
            pathOffsets = new long[levels];
        }
    }

    // ------------------------------------------------------------------------------------------
    // Factories and sizing
    // ------------------------------------------------------------------------------------------

    /** Creates an empty trie in anonymous off-heap memory with the default node capacity. */
    public static LpmTrie create(MapSpec spec) {
        return create(spec, defaultNodeCapacity(spec));
    }

    /** Creates an empty trie in anonymous off-heap memory with {@code nodeCapacity} 256-entry nodes. */
    public static LpmTrie create(MapSpec spec, int nodeCapacity) {
        checkSpec(spec, nodeCapacity);
        MapMemory memory = MapMemory.anonymous(spec, LAYOUT_VERSION, bodyBytes(spec, nodeCapacity), 0L);
        LpmTrie trie = new LpmTrie(memory, nodeCapacity, valueSlots(spec), false);
        trie.initEmpty();
        return trie;
    }

    /**
     * Creates the pinned trie at {@code file} with the default node capacity, or reopens it with
     * its prefixes and values intact (the trie and free lists are rebuilt from the stored
     * prefixes) and the node capacity it was created with, whatever the default is now.
     *
     * @throws MapPinException when the file was written for another spec (the message names the
     *                         field), is locked by another writer, or cannot be created
     */
    public static LpmTrie pinned(MapSpec spec, Path file) {
        return pinned(spec, file, Files.exists(file) ? storedNodeCapacity(file, spec) : defaultNodeCapacity(spec));
    }

    /** {@link #pinned(MapSpec, Path)} with an explicit node capacity (part of the file's size). */
    public static LpmTrie pinned(MapSpec spec, Path file, int nodeCapacity) {
        checkSpec(spec, nodeCapacity);
        if (Files.exists(file)) {
            checkPinnedHeader(file, spec, nodeCapacity);
        }
        MapMemory memory = MapMemory.pinned(file, spec, LAYOUT_VERSION, bodyBytes(spec, nodeCapacity), 0L);
        try {
            LpmTrie trie = new LpmTrie(memory, nodeCapacity, valueSlots(spec), false);
            if (memory.reopened()) {
                trie.checkStoredGeometry(file);
                trie.rebuild(file);
            } else {
                trie.initEmpty();
            }
            return trie;
        } catch (RuntimeException e) {
            memory.close();
            throw e;
        }
    }

    /**
     * Compares an existing file's header with the spec before mapping it, so that a mismatch is
     * reported by field name (the file's size differs as soon as any size field does, and
     * {@link MapMemory} checks the size first).
     */
    private static void checkPinnedHeader(Path file, MapSpec spec, int nodeCapacity) {
        MapSpec found = MapMemory.readSpec(file);
        pinMismatch(file, "type", found.type(), spec.type());
        pinMismatch(file, "key size", found.keySize(), spec.keySize());
        pinMismatch(file, "value size", found.valueSize(), spec.valueSize());
        pinMismatch(file, "max entries", found.maxEntries(), spec.maxEntries());
        try {
            pinMismatch(file, "node capacity", readNodeCapacity(file), (long) nodeCapacity);
        } catch (IOException e) {
            throw new MapPinException("pinned map " + file + ": " + e.getMessage(), e);
        }
    }

    private static long readNodeCapacity(Path file) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer word = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            channel.read(word, MapMemory.stateOffset(STATE_NODE_CAPACITY));
            return word.getLong(0);
        }
    }

    /**
     * Returns: the node capacity an existing pinned file records, or the default where the file
     * cannot say (unreadable, too short, nonsense); opening it then reports what is wrong.
     */
    private static int storedNodeCapacity(Path file, MapSpec spec) {
        try {
            long stored = readNodeCapacity(file);
            return stored > 0 && stored <= Integer.MAX_VALUE ? (int) stored : defaultNodeCapacity(spec);
        } catch (IOException e) {
            return defaultNodeCapacity(spec);
        }
    }

    private static void pinMismatch(Path file, String field, Object inFile, Object inSpec) {
        if (!inFile.equals(inSpec)) {
            throw new MapPinException("pinned map " + file + ": " + field + " is " + inFile
                    + " in the file but " + inSpec + " in the spec; refusing to reuse it"
                    + " (delete the file to start empty, or fix the configuration)");
        }
    }

    /** Opens a pinned trie read-only (spec from the file): lookups, exact lookups and dumps. */
    public static LpmTrie openReadOnly(Path file) {
        MapMemory memory = MapMemory.openReadOnly(file, MapType.LPM_TRIE, LAYOUT_VERSION);
        try {
            MapSpec spec = memory.spec();
            MemorySegment segment = memory.segment();
            long nodeCapacity = segment.get(STATE, MapMemory.stateOffset(STATE_NODE_CAPACITY));
            long slots = segment.get(STATE, MapMemory.stateOffset(STATE_VALUE_SLOTS));
            if (nodeCapacity < 0 || nodeCapacity > Integer.MAX_VALUE || slots != valueSlots(spec)
                    || bodyBytes(spec, (int) nodeCapacity) != memory.bodyBytes()) {
                throw new MapPinException("pinned map " + file + ": LPM trie geometry (node capacity "
                        + nodeCapacity + ", value slots " + slots + ") does not match its body size "
                        + memory.bodyBytes() + "; the file is corrupt or was not completely created");
            }
            return new LpmTrie(memory, (int) nodeCapacity, (int) slots, true);
        } catch (RuntimeException e) {
            memory.close();
            throw e;
        }
    }

    /**
     * Returns: the node capacity used when none is given. IPv4: the worst case
     * ({@link #worstCaseNodes}) when it is at most {@link #SMALL_TRIE_NODES}, else
     * {@code max(SMALL_TRIE_NODES, ceil(maxEntries / IPV4_PREFIXES_PER_NODE))} (a million
     * prefixes: 250,000 nodes, 244 MiB, where the worst case is 1,065,536 nodes, 1041 MiB).
     * IPv6: a budget of {@code 2 x maxEntries + 256}. See the class comment for why.
     */
    public static int defaultNodeCapacity(MapSpec spec) {
        long n = spec.maxEntries();
        long worst = worstCaseNodes(spec);
        long budget = spec.keySize() == 4
                ? Math.max(SMALL_TRIE_NODES, (n + IPV4_PREFIXES_PER_NODE - 1) / IPV4_PREFIXES_PER_NODE)
                : 2 * n + 256;
        return (int) Math.min(Math.min(worst, budget), Integer.MAX_VALUE);
    }

    /**
     * Returns: the bytes a trie of this spec and node capacity occupies (header and body), in
     * memory or as a pinned file: what to weigh when choosing a capacity.
     */
    public static long memoryBytes(MapSpec spec, int nodeCapacity) {
        return MapMemory.BODY_OFFSET + bodyBytes(spec, nodeCapacity);
    }

    /**
     * Returns: the nodes that the worst set of maxEntries prefixes needs, the capacity with which
     * an insert can never return ENOSPC.
     */
    public static long worstCaseNodes(MapSpec spec) {
        int levels = 1 + (spec.keySize() * 8 - ROOT_BITS) / NODE_BITS;
        long total = 0;
        for (int level = 1; level < levels; level++) {
            total += Math.min(spec.maxEntries(), 1L << Math.min(62, start(level)));
        }
        return total;
    }

    /** Returns: the body size a trie of this spec and node capacity needs. */
    static long bodyBytes(MapSpec spec, int nodeCapacity) {
        return (long) ROOT_ENTRIES * 4
                + (long) nodeCapacity * NODE_BYTES
                + valueSlots(spec) * valueStride(spec)
                + (long) spec.maxEntries() * recordBytes(spec)
                + (long) indexSize(spec) * 4;
    }

    private static void checkSpec(MapSpec spec, int nodeCapacity) {
        spec.requireType(MapType.LPM_TRIE, "an LpmTrie needs an LPM_TRIE spec");
        if (spec.maxEntries() > MAX_ENTRIES) {
            throw new IllegalArgumentException("map " + spec.name() + ": maxEntries " + spec.maxEntries()
                    + " exceeds the LPM trie limit " + MAX_ENTRIES);
        }
        if (nodeCapacity < 0) {
            throw new IllegalArgumentException("map " + spec.name() + ": node capacity " + nodeCapacity + " is negative");
        }
    }

    private static int valueSlots(MapSpec spec) {
        return 2 * spec.maxEntries();
    }

    private static long valueStride(MapSpec spec) {
        return (spec.valueSize() + 7L) & ~7L;
    }

    private static int recordBytes(MapSpec spec) {
        return spec.keySize() == 4 ? 16 : 32;
    }

    private static int indexSize(MapSpec spec) {
        int size = 16;
        while (size < 2L * spec.maxEntries()) {
            size <<= 1;
        }
        return size;
    }

    private static int start(int level) {
        return level == 0 ? 0 : ROOT_BITS + NODE_BITS * (level - 1);
    }

    private static int width(int level) {
        return level == 0 ? ROOT_BITS : NODE_BITS;
    }

    private static int levelOf(int prefixLength) {
        return prefixLength <= ROOT_BITS ? 0 : 1 + ((prefixLength - ROOT_BITS - 1) >> 3);
    }

    // ------------------------------------------------------------------------------------------
    // Lookups (any thread)
    // ------------------------------------------------------------------------------------------

    /**
     * Longest-prefix match for the address at {@code offset} (keySize bytes, network order).
     *
     * @return offset of the value in {@link #segment()}, or {@link MapErrors#MISSING}
     */
    public long lookup(MemorySegment address, long offset) {
        if (bits == 32) {
            return lookup4(address.get(INT_BE, offset));
        }
        return lookup6(address.get(LONG_BE, offset), address.get(LONG_BE, offset + 8));
    }

    /**
     * Longest-prefix match for an IPv4 address held as a big-endian int (how packet code reads
     * it). At most three dependent loads; allocates nothing.
     *
     * @return offset of the value in {@link #segment()}, or {@link MapErrors#MISSING} (also for
     *         an IPv6 trie)
     */
    public long lookup4(int address) {
        if (bits != 32) {
            return MapErrors.MISSING;
        }
        MemorySegment s = segment;
        int e = (int) ENTRY.getAcquire(s, rootOffset + ((long) (address >>> 16) << 2));
        if (e < 0) {
            e = (int) ENTRY.getAcquire(s, nodesOffset + ((long) (e & NODE_MASK) << NODE_SHIFT) + ((address >>> 6) & 0x3FC));
            if (e < 0) {
                e = (int) ENTRY.getAcquire(s, nodesOffset + ((long) (e & NODE_MASK) << NODE_SHIFT) + ((address & 0xFF) << 2));
            }
        }
        return e == 0 ? MapErrors.MISSING : valuesBase + (e & SLOT_MASK) * valueStride;
    }

    /**
     * Longest-prefix match for an IPv6 address given as its two big-endian halves.
     *
     * @return offset of the value in {@link #segment()}, or {@link MapErrors#MISSING} (also for
     *         an IPv4 trie)
     */
    public long lookup6(long hi, long lo) {
        if (bits != 128) {
            return MapErrors.MISSING;
        }
        MemorySegment s = segment;
        int e = (int) ENTRY.getAcquire(s, rootOffset + ((hi >>> 48) << 2));
        for (int shift = 40; e < 0 && shift >= 0; shift -= 8) {
            e = (int) ENTRY.getAcquire(s, nodesOffset + ((long) (e & NODE_MASK) << NODE_SHIFT) + (((hi >>> shift) & 0xFF) << 2));
        }
        for (int shift = 56; e < 0 && shift >= 0; shift -= 8) {
            e = (int) ENTRY.getAcquire(s, nodesOffset + ((long) (e & NODE_MASK) << NODE_SHIFT) + (((lo >>> shift) & 0xFF) << 2));
        }
        return e <= 0 ? MapErrors.MISSING : valuesBase + (e & SLOT_MASK) * valueStride;
    }

    /**
     * The value of exactly this prefix (host bits ignored), not of a covering one.
     *
     * @return offset of the value, or {@link MapErrors#MISSING} when the prefix is absent or the
     *         prefix length is out of range
     */
    public long lookupExact(MemorySegment address, long offset, int prefixLength) {
        return bits == 32
                ? lookupExact0(hi4(address.get(INT_BE, offset)), 0, prefixLength)
                : lookupExact0(address.get(LONG_BE, offset), address.get(LONG_BE, offset + 8), prefixLength);
    }

    /** {@link #lookupExact(MemorySegment, long, int)} for an IPv4 address as a big-endian int. */
    public long lookupExact4(int address, int prefixLength) {
        return bits == 32 ? lookupExact0(hi4(address), 0, prefixLength) : MapErrors.MISSING;
    }

    /** {@link #lookupExact(MemorySegment, long, int)} for an IPv6 address as two big-endian halves. */
    public long lookupExact6(long hi, long lo, int prefixLength) {
        return bits == 128 ? lookupExact0(hi, lo, prefixLength) : MapErrors.MISSING;
    }

    private long lookupExact0(long hi, long lo, int prefixLength) {
        if (prefixLength < 0 || prefixLength > bits) {
            return MapErrors.MISSING;
        }
        long mhi = maskHi(hi, prefixLength);
        long mlo = maskLo(lo, prefixLength);
        int record = findRecord(mhi, mlo, prefixLength);
        return record < 0 ? MapErrors.MISSING : slotOffset(recordSlot(record));
    }

    // ------------------------------------------------------------------------------------------
    // Updates (the writer's thread only)
    // ------------------------------------------------------------------------------------------

    /**
     * Inserts or replaces the prefix {@code address/prefixLength} (host bits beyond the prefix
     * are ignored) with a copy of {@code valueSize} bytes from {@code value} at {@code valueOffset}.
     *
     * @param flags {@link UpdateFlags#ANY}, {@link UpdateFlags#NOEXIST} or {@link UpdateFlags#EXIST}
     * @return {@link MapErrors#OK}; EPERM (read-only), EINVAL (flags, prefix length outside
     *         0..bits), EEXIST (NOEXIST, present), ENOENT (EXIST, absent), E2BIG (maxEntries
     *         prefixes exist), ENOSPC (no node memory left for this prefix), EBUSY (the memory
     *         needed is retired and awaits {@link #reclaim})
     */
    public int update(MemorySegment address, long offset, int prefixLength, MemorySegment value, long valueOffset, int flags) {
        return bits == 32
                ? update0(hi4(address.get(INT_BE, offset)), 0, prefixLength, value, valueOffset, flags)
                : update0(address.get(LONG_BE, offset), address.get(LONG_BE, offset + 8), prefixLength, value, valueOffset, flags);
    }

    /** {@link #update(MemorySegment, long, int, MemorySegment, long, int)} for IPv4; EINVAL on an IPv6 trie. */
    public int update4(int address, int prefixLength, MemorySegment value, long valueOffset, int flags) {
        return bits == 32 ? update0(hi4(address), 0, prefixLength, value, valueOffset, flags) : MapErrors.EINVAL;
    }

    /** {@link #update(MemorySegment, long, int, MemorySegment, long, int)} for IPv6; EINVAL on an IPv4 trie. */
    public int update6(long hi, long lo, int prefixLength, MemorySegment value, long valueOffset, int flags) {
        return bits == 128 ? update0(hi, lo, prefixLength, value, valueOffset, flags) : MapErrors.EINVAL;
    }

    /**
     * Removes exactly the prefix {@code address/prefixLength}; addresses it covered fall back to
     * the next-longest covering prefix. Its value slot (and any node left empty) is retired.
     *
     * @return {@link MapErrors#OK}, ENOENT (absent), EINVAL (prefix length), EPERM (read-only)
     */
    public int delete(MemorySegment address, long offset, int prefixLength) {
        return bits == 32
                ? delete0(hi4(address.get(INT_BE, offset)), 0, prefixLength)
                : delete0(address.get(LONG_BE, offset), address.get(LONG_BE, offset + 8), prefixLength);
    }

    /** {@link #delete(MemorySegment, long, int)} for IPv4; EINVAL on an IPv6 trie. */
    public int delete4(int address, int prefixLength) {
        return bits == 32 ? delete0(hi4(address), 0, prefixLength) : MapErrors.EINVAL;
    }

    /** {@link #delete(MemorySegment, long, int)} for IPv6; EINVAL on an IPv4 trie. */
    public int delete6(long hi, long lo, int prefixLength) {
        return bits == 128 ? delete0(hi, lo, prefixLength) : MapErrors.EINVAL;
    }

    private int update0(long hi, long lo, int prefixLength, MemorySegment value, long valueOffset, int flags) {
        if (readOnly) {
            return MapErrors.EPERM;
        }
        if (!UpdateFlags.valid(flags) || prefixLength < 0 || prefixLength > bits) {
            return MapErrors.EINVAL;
        }
        long mhi = maskHi(hi, prefixLength);
        long mlo = maskLo(lo, prefixLength);
        int record = findRecord(mhi, mlo, prefixLength);
        if (record >= 0) {
            if (flags == UpdateFlags.NOEXIST) {
                return MapErrors.EEXIST;
            }
            if (freeSlotCount == 0) {
                return MapErrors.EBUSY;
            }
            int slot = freeSlots[--freeSlotCount];
            MemorySegment.copy(value, valueOffset, segment, slotOffset(slot), valueSize);
            int oldSlot = recordSlot(record);
            ENTRY.setRelease(segment, recordOffset(record) + RECORD_SLOT, slot);
            writeTrie(mhi, mlo, prefixLength, leaf(slot, prefixLength), false);
            retire(oldSlot);
            return MapErrors.OK;
        }
        if (flags == UpdateFlags.EXIST) {
            return MapErrors.ENOENT;
        }
        if (count >= maxEntries) {
            return MapErrors.E2BIG;
        }
        int missing = missingNodes(mhi, mlo, prefixLength);
        if (missing > freeNodeCount) {
            return missing <= freeNodeCount + retiredNodes ? MapErrors.EBUSY : MapErrors.ENOSPC;
        }
        if (freeSlotCount == 0) {
            return MapErrors.EBUSY;
        }
        int slot = freeSlots[--freeSlotCount];
        MemorySegment.copy(value, valueOffset, segment, slotOffset(slot), valueSize);
        record = freeRecords[--freeRecordCount];
        writeRecord(record, mhi, mlo, prefixLength, slot);
        indexInsert(record, mhi, mlo, prefixLength);
        writeTrie(mhi, mlo, prefixLength, leaf(slot, prefixLength), true);
        count++;
        publishCounts();
        return MapErrors.OK;
    }

    private int delete0(long hi, long lo, int prefixLength) {
        if (readOnly) {
            return MapErrors.EPERM;
        }
        if (prefixLength < 0 || prefixLength > bits) {
            return MapErrors.EINVAL;
        }
        long mhi = maskHi(hi, prefixLength);
        long mlo = maskLo(lo, prefixLength);
        int record = findRecord(mhi, mlo, prefixLength);
        if (record < 0) {
            return MapErrors.ENOENT;
        }
        int slot = recordSlot(record);
        removeTrie(mhi, mlo, prefixLength, coveringLeaf(mhi, mlo, prefixLength));
        indexRemove(record, mhi, mlo, prefixLength);
        ENTRY.setRelease(segment, recordOffset(record) + RECORD_STATE, 0);
        freeRecords[freeRecordCount++] = record;
        retire(slot);
        count--;
        publishCounts();
        return MapErrors.OK;
    }

    // ------------------------------------------------------------------------------------------
    // Reclamation (the writer's thread)
    // ------------------------------------------------------------------------------------------

    /**
     * Returns: a mark covering everything retired so far; pass it to {@link #reclaim(long)} once
     * every reader has passed a quiescent point after this call.
     */
    public long retiredMark() {
        return retiredTail;
    }

    /**
     * Returns every value slot and node retired before {@code mark} to the free lists. Call only
     * when every reader that might have started a lookup before the mark was taken has finished
     * using its results (each worker has passed a quiescent point since).
     */
    public void reclaim(long mark) {
        if (readOnly) {
            return;
        }
        long end = Math.min(mark, retiredTail);
        while (retiredHead < end) {
            int item = retired[(int) (retiredHead % retired.length)];
            retiredHead++;
            if (item < 0) {
                int node = -item - 1;
                freeNodes[freeNodeCount++] = node;
                retiredNodes--;
            } else {
                freeSlots[freeSlotCount++] = item;
                retiredSlots--;
            }
        }
    }

    /**
     * Returns everything retired so far to the free lists: the control agent calls this once
     * every worker has passed a quiescent point since its last update or delete (or at once
     * when no reader runs concurrently, as in tests and single-threaded tools).
     */
    public void reclaim() {
        reclaim(retiredTail);
    }

    private void retire(int slot) {
        retired[(int) (retiredTail % retired.length)] = slot;
        retiredTail++;
        retiredSlots++;
    }

    private void retireNode(int node) {
        retired[(int) (retiredTail % retired.length)] = -node - 1;
        retiredTail++;
        retiredNodes++;
    }

    // ------------------------------------------------------------------------------------------
    // The expanded trie (writer)
    // ------------------------------------------------------------------------------------------

    private long nodeBase(int node) {
        return node == ROOT ? rootOffset : nodesOffset + ((long) node << NODE_SHIFT);
    }

    private int entry(long offset) {
        return (int) ENTRY.getAcquire(segment, offset);
    }

    private static int leaf(int slot, int prefixLength) {
        return (prefixLength << PLEN_SHIFT) | (slot + 1);
    }

    private static int plen(int leaf) {
        return (leaf >>> PLEN_SHIFT) & 0xFF;
    }

    /** Returns: how many nodes inserting this prefix must allocate. */
    private int missingNodes(long hi, long lo, int prefixLength) {
        int level = levelOf(prefixLength);
        int node = ROOT;
        for (int k = 0; k < level; k++) {
            int e = entry(nodeBase(node) + 4L * bitsAt(hi, lo, start(k), width(k)));
            if (e >= 0) {
                return level - k;
            }
            node = e & NODE_MASK;
        }
        return 0;
    }

    /**
     * Walks (creating nodes when {@code insert}) to the prefix's level and writes {@code leaf} over
     * every covered entry whose stored prefix is not longer. The nodes were counted beforehand.
     */
    private void writeTrie(long hi, long lo, int prefixLength, int leaf, boolean insert) {
        int level = levelOf(prefixLength);
        int node = ROOT;
        for (int k = 0; k < level; k++) {
            long offset = nodeBase(node) + 4L * bitsAt(hi, lo, start(k), width(k));
            int e = entry(offset);
            if (e < 0) {
                node = e & NODE_MASK;
            } else {
                int child = allocNode(e);
                if (node != ROOT) {
                    nodeRefs[node]++;
                }
                // The child holds 256 copies of the entry it replaces: readers see no change.
                ENTRY.setRelease(segment, offset, CHILD | child);
                node = child;
            }
        }
        if (insert && node != ROOT) {
            nodeRefs[node]++;
        }
        long base = nodeBase(node);
        int first = bitsAt(hi, lo, start(level), width(level));
        int span = 1 << (start(level) + width(level) - prefixLength);
        for (int j = first; j < first + span; j++) {
            cover(base + 4L * j, prefixLength, leaf);
        }
    }

    private void cover(long offset, int prefixLength, int leaf) {
        int e = entry(offset);
        if (e < 0) {
            long base = nodeBase(e & NODE_MASK);
            for (int j = 0; j < NODE_ENTRIES; j++) {
                cover(base + 4L * j, prefixLength, leaf);
            }
        } else if (plen(e) <= prefixLength) {
            ENTRY.setRelease(segment, offset, leaf);
        }
    }

    /** Replaces the prefix's leaves with {@code replacement}, then unlinks nodes left empty. */
    private void removeTrie(long hi, long lo, int prefixLength, int replacement) {
        int level = levelOf(prefixLength);
        int node = ROOT;
        for (int k = 0; k < level; k++) {
            long offset = nodeBase(node) + 4L * bitsAt(hi, lo, start(k), width(k));
            pathNodes[k] = node;
            pathOffsets[k] = offset;
            int e = entry(offset);
            if (e >= 0) {
                throw new IllegalStateException("LPM trie " + spec.name() + ": no node on the path of a stored prefix");
            }
            node = e & NODE_MASK;
        }
        long base = nodeBase(node);
        int first = bitsAt(hi, lo, start(level), width(level));
        int span = 1 << (start(level) + width(level) - prefixLength);
        for (int j = first; j < first + span; j++) {
            restore(base + 4L * j, prefixLength, replacement);
        }
        if (node == ROOT) {
            return;
        }
        nodeRefs[node]--;
        int k = level;
        while (node != ROOT && nodeRefs[node] == 0) {
            // No prefix of its own and no child: all 256 entries equal what the parent had.
            k--;
            ENTRY.setRelease(segment, pathOffsets[k], entry(nodeBase(node)));
            retireNode(node);
            node = pathNodes[k];
            if (node != ROOT) {
                nodeRefs[node]--;
            }
        }
    }

    private void restore(long offset, int prefixLength, int replacement) {
        int e = entry(offset);
        if (e < 0) {
            long base = nodeBase(e & NODE_MASK);
            for (int j = 0; j < NODE_ENTRIES; j++) {
                restore(base + 4L * j, prefixLength, replacement);
            }
        } else if (e != 0 && plen(e) == prefixLength) {
            ENTRY.setRelease(segment, offset, replacement);
        }
    }

    /** Returns: the leaf of the longest stored prefix strictly shorter than and covering this one, or 0. */
    private int coveringLeaf(long hi, long lo, int prefixLength) {
        for (int length = prefixLength - 1; length >= 0; length--) {
            int record = findRecord(maskHi(hi, length), maskLo(lo, length), length);
            if (record >= 0) {
                return leaf(recordSlot(record), length);
            }
        }
        return 0;
    }

    private int allocNode(int fill) {
        int node = freeNodes[--freeNodeCount];
        long base = nodeBase(node);
        // Plain stores: the node is unreachable until the parent's release store publishes it.
        for (int j = 0; j < NODE_ENTRIES; j++) {
            segment.set(INT, base + 4L * j, fill);
        }
        nodeRefs[node] = 0;
        return node;
    }

    // ------------------------------------------------------------------------------------------
    // Records and the exact index (writer; readers best effort)
    // ------------------------------------------------------------------------------------------

    private long recordOffset(int record) {
        return recordsOffset + (long) record * recordBytes;
    }

    private int recordSlot(int record) {
        return (int) ENTRY.getAcquire(segment, recordOffset(record) + RECORD_SLOT);
    }

    private long slotOffset(int slot) {
        return valuesOffset + slot * valueStride;
    }

    private void writeRecord(int record, long hi, long lo, int prefixLength, int slot) {
        long at = recordOffset(record);
        segment.set(INT, at + RECORD_SLOT, slot);
        segment.set(INT, at + RECORD_KEY, prefixLength);
        if (bits == 32) {
            segment.set(INT_BE, at + RECORD_ADDRESS, (int) (hi >>> 32));
        } else {
            segment.set(LONG_BE, at + RECORD_ADDRESS, hi);
            segment.set(LONG_BE, at + RECORD_ADDRESS + 8, lo);
        }
        ENTRY.setRelease(segment, at + RECORD_STATE, 1);
    }

    private long recordHi(int record) {
        long at = recordOffset(record) + RECORD_ADDRESS;
        return bits == 32 ? hi4(segment.get(INT_BE, at)) : segment.get(LONG_BE, at);
    }

    private long recordLo(int record) {
        return bits == 32 ? 0 : segment.get(LONG_BE, recordOffset(record) + RECORD_ADDRESS + 8);
    }

    private int recordLength(int record) {
        return segment.get(INT, recordOffset(record) + RECORD_KEY);
    }

    private static int hash(long hi, long lo, int prefixLength) {
        long h = hi * 0x9E3779B97F4A7C15L ^ Long.rotateLeft(lo * 0xC2B2AE3D27D4EB4FL, 31) ^ prefixLength;
        h ^= h >>> 33;
        h *= 0xFF51AFD7ED558CCDL;
        h ^= h >>> 33;
        h *= 0xC4CEB9FE1A85EC53L;
        h ^= h >>> 33;
        return (int) h;
    }

    private int indexAt(int position) {
        return segment.get(INT, indexOffset + 4L * position);
    }

    private void indexSet(int position, int value) {
        ENTRY.setRelease(segment, indexOffset + 4L * position, value);
    }

    /** Returns: the record holding exactly this (masked) prefix, or -1. */
    private int findRecord(long hi, long lo, int prefixLength) {
        int position = hash(hi, lo, prefixLength) & indexMask;
        for (int probes = 0; probes <= indexMask; probes++) {
            int v = indexAt(position);
            if (v == 0) {
                return -1;
            }
            int record = v - 1;
            if (record < maxEntries && recordLength(record) == prefixLength
                    && recordHi(record) == hi && recordLo(record) == lo) {
                return record;
            }
            position = (position + 1) & indexMask;
        }
        return -1;
    }

    private void indexInsert(int record, long hi, long lo, int prefixLength) {
        int position = hash(hi, lo, prefixLength) & indexMask;
        while (indexAt(position) != 0) {
            position = (position + 1) & indexMask;
        }
        indexSet(position, record + 1);
    }

    private void indexRemove(int record, long hi, long lo, int prefixLength) {
        int hole = hash(hi, lo, prefixLength) & indexMask;
        while (indexAt(hole) != record + 1) {
            hole = (hole + 1) & indexMask;
        }
        // Backward-shift deletion: move later members of the probe run into the hole when
        // their home position does not lie cyclically in (hole, j].
        int j = hole;
        while (true) {
            j = (j + 1) & indexMask;
            int v = indexAt(j);
            if (v == 0) {
                break;
            }
            int r = v - 1;
            int home = hash(recordHi(r), recordLo(r), recordLength(r)) & indexMask;
            boolean stays = hole <= j ? (hole < home && home <= j) : (hole < home || home <= j);
            if (!stays) {
                indexSet(hole, v);
                hole = j;
            }
        }
        indexSet(hole, 0);
    }

    // ------------------------------------------------------------------------------------------
    // Initialisation and reopening
    // ------------------------------------------------------------------------------------------

    private void initEmpty() {
        for (int i = 0; i < nodeCapacity; i++) {
            freeNodes[i] = nodeCapacity - 1 - i;
        }
        freeNodeCount = nodeCapacity;
        for (int i = 0; i < valueSlots; i++) {
            freeSlots[i] = valueSlots - 1 - i;
        }
        freeSlotCount = valueSlots;
        for (int i = 0; i < maxEntries; i++) {
            freeRecords[i] = maxEntries - 1 - i;
        }
        freeRecordCount = maxEntries;
        count = 0;
        segment.set(STATE, MapMemory.stateOffset(STATE_NODE_CAPACITY), nodeCapacity);
        segment.set(STATE, MapMemory.stateOffset(STATE_VALUE_SLOTS), valueSlots);
        publishCounts();
    }

    private void checkStoredGeometry(Path file) {
        long storedNodes = segment.get(STATE, MapMemory.stateOffset(STATE_NODE_CAPACITY));
        long storedSlots = segment.get(STATE, MapMemory.stateOffset(STATE_VALUE_SLOTS));
        if (storedNodes != nodeCapacity || storedSlots != valueSlots) {
            throw new MapPinException("pinned map " + file + ": node capacity is " + storedNodes
                    + " and value slots " + storedSlots + " in the file but " + nodeCapacity + " and "
                    + valueSlots + " were asked for; refusing to reuse it");
        }
    }

    /**
     * Rebuilds the trie, the index and the free lists from the live records, which are the
     * truth of a pinned map: whatever an earlier owner was doing when it stopped, each record
     * is either live (and complete: its state is written last) or free.
     */
    private void rebuild(Path file) {
        segment.asSlice(rootOffset, (long) ROOT_ENTRIES * 4).fill((byte) 0);
        segment.asSlice(indexOffset, (long) (indexMask + 1) * 4).fill((byte) 0);
        initEmpty();
        boolean[] slotUsed = new boolean[valueSlots];
        int live = 0;
        freeRecordCount = 0;
        for (int record = maxEntries - 1; record >= 0; record--) {
            long at = recordOffset(record);
            int state = segment.get(INT, at + RECORD_STATE);
            int slot = segment.get(INT, at + RECORD_SLOT);
            int length = recordLength(record);
            boolean ok = state == 1 && slot >= 0 && slot < valueSlots && !slotUsed[slot]
                    && length >= 0 && length <= bits;
            long hi = 0;
            long lo = 0;
            if (ok) {
                hi = maskHi(recordHi(record), length);
                lo = maskLo(recordLo(record), length);
                ok = findRecord(hi, lo, length) < 0;
            }
            if (!ok) {
                segment.set(INT, at + RECORD_STATE, 0);
                freeRecords[freeRecordCount++] = record;
                continue;
            }
            if (missingNodes(hi, lo, length) > freeNodeCount) {
                throw new MapPinException("pinned map " + file + ": its prefixes need more than the "
                        + nodeCapacity + " nodes it has; the file is corrupt");
            }
            writeRecord(record, hi, lo, length, slot);
            slotUsed[slot] = true;
            indexInsert(record, hi, lo, length);
            writeTrie(hi, lo, length, leaf(slot, length), true);
            live++;
        }
        freeSlotCount = 0;
        for (int slot = valueSlots - 1; slot >= 0; slot--) {
            if (!slotUsed[slot]) {
                freeSlots[freeSlotCount++] = slot;
            }
        }
        count = live;
        publishCounts();
    }

    private void publishCounts() {
        segment.set(STATE, MapMemory.stateOffset(STATE_COUNT), count);
        segment.set(STATE, MapMemory.stateOffset(STATE_NODES_IN_USE), nodeCapacity - freeNodeCount - retiredNodes);
    }

    // ------------------------------------------------------------------------------------------
    // Address helpers
    // ------------------------------------------------------------------------------------------

    private static long hi4(int address) {
        return (address & 0xFFFF_FFFFL) << 32;
    }

    private static long maskHi(long hi, int prefixLength) {
        return prefixLength == 0 ? 0 : prefixLength >= 64 ? hi : hi & (-1L << (64 - prefixLength));
    }

    private static long maskLo(long lo, int prefixLength) {
        return prefixLength <= 64 ? 0 : lo & (-1L << (128 - prefixLength));
    }

    private static int bitsAt(long hi, long lo, int start, int width) {
        int end = start + width;
        long word = end <= 64 ? hi >>> (64 - end) : lo >>> (128 - end);
        return (int) (word & ((1L << width) - 1));
    }

    // ------------------------------------------------------------------------------------------
    // OffHeapMap
    // ------------------------------------------------------------------------------------------

    @Override
    public MapSpec spec() {
        return spec;
    }

    @Override
    public MapMemory memory() {
        return memory;
    }

    @Override
    public int count() {
        return (int) segment.get(STATE, MapMemory.stateOffset(STATE_COUNT));
    }

    /**
     * Visits every stored prefix: the key offset points at a 4-byte native prefix length followed
     * by the address bytes in network order (host bits zero).
     */
    @Override
    public int forEach(EntryVisitor visitor) {
        int visited = 0;
        for (int record = 0; record < maxEntries; record++) {
            long at = recordOffset(record);
            if ((int) ENTRY.getAcquire(segment, at + RECORD_STATE) == 1) {
                int slot = recordSlot(record);
                if (slot >= 0 && slot < valueSlots) {
                    visitor.visit(segment, at + RECORD_KEY, slotOffset(slot));
                    visited++;
                }
            }
        }
        return visited;
    }

    /** Returns: the address width, 32 or 128 bits. */
    public int addressBits() {
        return bits;
    }

    /** Returns: the number of 256-entry nodes this trie was created with. */
    public int nodeCapacity() {
        return nodeCapacity;
    }

    /** Returns: nodes linked into the trie (not free, not awaiting reclamation). */
    public int nodesInUse() {
        return (int) segment.get(STATE, MapMemory.stateOffset(STATE_NODES_IN_USE));
    }

    /** Returns: value slots and nodes retired and not yet reclaimed (writer's view; 0 when read-only). */
    public int retiredCount() {
        return retiredNodes + retiredSlots;
    }

    /** Returns: true when this instance cannot write (opened with {@link #openReadOnly}). */
    public boolean readOnly() {
        return readOnly;
    }

    @Override
    public void close() {
        memory.close();
    }

    @Override
    public String toString() {
        return "LpmTrie[" + spec.name() + ", IPv" + (bits == 32 ? 4 : 6) + ", " + count() + "/" + maxEntries
                + " prefixes, " + nodesInUse() + "/" + nodeCapacity + " nodes]";
    }
}
