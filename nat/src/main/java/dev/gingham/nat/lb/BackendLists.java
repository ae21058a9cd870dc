package dev.gingham.nat.lb;

import dev.gingham.maps.ArrayMap;
import dev.gingham.maps.MapErrors;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;

/**
 * The double-buffered backend lists ({@code lb-backend-lists}, an array map): one element per
 * list, where service port {@code p} owns list {@code 2p} (Cluster view: every usable backend)
 * and {@code 2p+1} (Local view: node-local backends only).
 *
 * <h2>Element layout</h2>
 * <pre>
 *  0                8                        8 + H                     8 + 2H
 *  +----------------+------------------------+-------------------------+
 *  | generation u64 |        half 0          |         half 1          |
 *  +----------------+------------------------+-------------------------+
 *  half (H = 24 + 8 * maxBackendsPerService bytes):
 *  0       2     3     4                   8             12          16          20         24
 *  +-------+-----+-----+-------------------+-------------+-----------+-----------+----------+--------------+
 *  | count |algo |flags| affinityTimeoutSec| totalWeight | serviceId | maglevIdx | reserved | slots[count] |
 *  +-------+-----+-----+-------------------+-------------+-----------+-----------+----------+--------------+
 *  header words: header0 (bytes 0-7), header1 (8-15), header2 (16-23), each one native-order u64
 *  slot (8 bytes): backendId u32 | cumulativeWeight u32 (sum of weights up to and including it)
 * </pre>
 * Only backends usable for new flows are in the slots (ACTIVE, weight above 0, and node-local in
 * a Local list); terminating and quarantined backends stay resolvable in the backend map only.
 * The generation's bit 0 names the active half; the Maglev table of a list is double-buffered
 * with the same bit ({@link MaglevTables}).
 *
 * <h2>Publication</h2>
 * One control thread writes: it fills the inactive half (and the inactive Maglev table) after a
 * release fence, then increments the generation with one release store. Readers take the
 * generation (acquire), read the half it names, then re-read the generation after an acquire
 * fence and retry if it moved: the seqlock rule, so a reader acts only on a half that no writer
 * touched while it read, and it never waits while a writer fills the other half. A torn read
 * that is about to be discarded must still not throw: readers clamp count and indices to the
 * element's bounds before using them.
 */
public final class BackendLists {
    public static final int GENERATION_OFFSET = 0;
    public static final int HALF_OFFSET = 8;
    public static final int HEADER_BYTES = 24;
    public static final int SLOT_BYTES = 8;

    /** Session affinity is on (timeout in the header). */
    public static final int FLAG_AFFINITY = 1;
    /** A Local-policy view: only node-local backends are listed. */
    public static final int FLAG_LOCAL_ONLY = 2;
    /** The service has usable backends on other nodes (empty Local view: NO_LOCAL_BACKEND, not NO_SERVICE). */
    public static final int FLAG_REMOTE_ACTIVE = 4;
    /** With no usable backend, reject (ICMP port unreachable) instead of dropping. */
    public static final int FLAG_REJECT = 8;

    /** Maglev index of a list that has no Maglev table. */
    public static final int NO_MAGLEV = -1;

    static final VarHandle WORD = ValueLayout.JAVA_LONG.varHandle().withInvokeExactBehavior();
    private static final int MAX_READ_RETRIES = 1 << 16;

    private final ArrayMap map;
    private final MemorySegment segment;
    private final int maxBackendsPerService;
    private final long halfBytes;

    BackendLists(ArrayMap map, int maxBackendsPerService) {
        this.map = map;
        this.segment = map.segment();
        this.maxBackendsPerService = maxBackendsPerService;
        this.halfBytes = halfBytes(maxBackendsPerService);
    }

    static long halfBytes(int maxBackendsPerService) {
        return HEADER_BYTES + (long) SLOT_BYTES * maxBackendsPerService;
    }

    static int valueBytes(int maxBackendsPerService) {
        return (int) (HALF_OFFSET + 2 * halfBytes(maxBackendsPerService));
    }

    /** Returns: the list element's offset (its generation word), or MISSING for an index out of range. */
    public long base(int list) {
        return map.valueOffset(list);
    }

    /** Returns: the offset of half {@code half} (0 or 1) of the element at {@code base}. */
    public long half(long base, long half) {
        return base + HALF_OFFSET + (half & 1) * halfBytes;
    }

    /** Returns: the generation at {@code base} (acquire). */
    public long generation(long base) {
        return (long) WORD.getAcquire(segment, base + GENERATION_OFFSET);
    }

    public MemorySegment segment() {
        return segment;
    }

    public int maxBackendsPerService() {
        return maxBackendsPerService;
    }

    // ------------------------------------------------------------------ header fields of a half

    public static int count(long header0) {
        return (int) header0 & 0xFFFF;
    }

    public static int algorithm(long header0) {
        return (int) (header0 >>> 16) & 0xFF;
    }

    public static int flags(long header0) {
        return (int) (header0 >>> 24) & 0xFF;
    }

    public static int affinityTimeoutSec(long header0) {
        return (int) (header0 >>> 32);
    }

    public static long totalWeight(long header1) {
        return header1 & 0xFFFF_FFFFL;
    }

    public static int serviceId(long header1) {
        return (int) (header1 >>> 32);
    }

    /** Returns: the Maglev table index, or {@link #NO_MAGLEV}. */
    public static int maglevIndex(long header2) {
        return (int) header2;
    }

    // ------------------------------------------------------------------ writer (control thread)

    /**
     * Starts a publication: returns the inactive half of {@code list}, which the caller (and
     * {@link MaglevTables#write}) may now overwrite. The fence keeps those writes from becoming
     * visible before the previous publication's generation store.
     */
    int beginWrite(int list) {
        long base = requireBase(list);
        VarHandle.fullFence();
        return (int) ((generation(base) + 1) & 1);
    }

    /** Writes the header and slots of half {@code half}; the arrays hold {@code count} entries. */
    void writeHalf(int list, int half, int count, int algorithm, int flags, int affinityTimeoutSec,
                   int maglevIndex, int serviceId, int[] backendIds, int[] weights) {
        if (count > maxBackendsPerService) {
            throw new IllegalArgumentException("list " + list + ": " + count + " backends, more than " + maxBackendsPerService);
        }
        long h = half(requireBase(list), half);
        long cumulative = 0;
        for (int i = 0; i < count; i++) {
            cumulative += weights[i];
            long slot = h + HEADER_BYTES + (long) SLOT_BYTES * i;
            segment.set(ValueLayout.JAVA_INT, slot, backendIds[i]);
            segment.set(ValueLayout.JAVA_INT, slot + 4, (int) cumulative);
        }
        long header0 = (count & 0xFFFFL) | (algorithm & 0xFFL) << 16 | (flags & 0xFFL) << 24
                | (affinityTimeoutSec & 0xFFFF_FFFFL) << 32;
        long header1 = (cumulative & 0xFFFF_FFFFL) | (serviceId & 0xFFFF_FFFFL) << 32;
        long header2 = maglevIndex & 0xFFFF_FFFFL;
        segment.set(ValueLayout.JAVA_LONG, h, header0);
        segment.set(ValueLayout.JAVA_LONG, h + 8, header1);
        segment.set(ValueLayout.JAVA_LONG, h + 16, header2);
    }

    /** Makes the half written since {@link #beginWrite} the active one: one release store. */
    void publish(int list) {
        long base = requireBase(list);
        WORD.setRelease(segment, base + GENERATION_OFFSET, generation(base) + 1);
    }

    private long requireBase(int list) {
        long base = map.valueOffset(list);
        if (base == MapErrors.MISSING) {
            throw new IllegalArgumentException("backend list " + list + " out of range");
        }
        return base;
    }

    // ------------------------------------------------------------------ readers

    /**
     * Copies the active backend ids of {@code list} into {@code out} as one publication's set,
     * never a mix of two (dumps, tests; allocation-free).
     *
     * @return the number of ids (at most {@code out.length}), or -1 when the list index is out of range
     */
    public int snapshot(int list, int[] out) {
        long base = map.valueOffset(list);
        if (base == MapErrors.MISSING) {
            return -1;
        }
        for (int retries = 0; retries < MAX_READ_RETRIES; retries++) {
            long generation = generation(base);
            long h = half(base, generation);
            int count = Math.min(Math.min(count(segment.get(ValueLayout.JAVA_LONG, h)), maxBackendsPerService), out.length);
            for (int i = 0; i < count; i++) {
                out[i] = segment.get(ValueLayout.JAVA_INT, h + HEADER_BYTES + (long) SLOT_BYTES * i);
            }
            VarHandle.acquireFence();
            if (generation(base) == generation) {
                return count;
            }
            Thread.onSpinWait();
        }
        return 0;
    }
}
