package dev.gingham.maps;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.VarHandle;
import java.nio.file.Path;
import java.util.Objects;

/**
 * A dense array of fixed-size values indexed 0..maxEntries-1 (BPF_MAP_TYPE_ARRAY): for small
 * tables addressed by a number the program already has, such as per-port or per-service-slot
 * configuration, where a hash lookup would be wasted work.
 *
 * <p>Every element always exists, zero-filled at creation, as in the kernel: there is nothing to
 * insert or delete, {@code NOEXIST} updates fail with {@link MapErrors#EEXIST} and deletes with
 * {@link MapErrors#EINVAL}; {@link #count()} is {@code maxEntries}. An index out of range is an
 * ordinary outcome (it may come from a packet): {@link #valueOffset} answers
 * {@link MapErrors#MISSING} and {@link #update(int, MemorySegment, long)} {@link MapErrors#EINVAL}.
 *
 * <h2>Layout of the body</h2>
 * <pre>
 *  BODY_OFFSET:     index table: int[maxEntries] = 0, 1, 2, ... (the keys {@link #forEach} hands
 *                   out, native order), padded to 64
 *  elementsOffset:  element[0] element[1] ... each | sequence 8 | value, padded to 8 |
 * </pre>
 * Values are 8-byte aligned, so 8-byte fields inside them can be accessed atomically.
 *
 * <h2>Concurrency model</h2>
 * Access by index is wait-free arithmetic: readers and in-place writers through
 * {@link #valueOffset} synchronise only as their own value layout requires (the kernel's contract
 * for array values). Whole-value writes through {@link #update(int, MemorySegment, long)} serialise
 * per element on the element's sequence word (odd while a write is in progress, claimed by CAS),
 * and {@link #lookupCopy} validates its copy against that word like a seqlock, so it returns one
 * update's value, never a mix; writes made directly through {@link #valueOffset} bypass the
 * sequence and are not covered by that guarantee.
 */
public final class ArrayMap extends IndexedArray {
    /** Version of this type's body layout, recorded in pinned headers. */
    public static final int LAYOUT_VERSION = 1;

    private static final VarHandle ATOMIC = HashTable.ATOMIC;
    private static final int MAX_COPY_RETRIES = HashTable.MAX_COPY_RETRIES;
    private static final String NEED = "an ArrayMap needs an ARRAY spec";

    private final int elementBytes;
    private final long elementsOffset;

    private ArrayMap(MapMemory memory) {
        super(memory, elementsOffset(memory.spec()) + 8, elementBytes(memory.spec()));
        this.elementBytes = elementBytes(memory.spec());
        this.elementsOffset = elementsOffset(memory.spec());
        if (!readOnly && memory.reopened()) {
            // A writer that died mid-update left its element's sequence odd: make it even so
            // copies and the next writer do not wait on it forever (the value stays as it is).
            for (int i = 0; i < maxEntries; i++) {
                long seqOffset = elementsOffset + (long) i * elementBytes;
                long seq = segment.get(HashTable.LONG, seqOffset);
                if ((seq & 1) != 0) {
                    segment.set(HashTable.LONG, seqOffset, seq + 1);
                }
            }
            VarHandle.fullFence();
        }
    }

    private static int elementBytes(MapSpec spec) {
        return 8 + HashTable.pad8(spec.valueSize());
    }

    private static long elementsOffset(MapSpec spec) {
        return INDEX_OFFSET + indexBytes(spec, 64);
    }

    static long bodyBytes(MapSpec spec) {
        return indexBytes(spec, 64) + (long) spec.maxEntries() * elementBytes(spec);
    }

    /** Creates an anonymous, zero-filled array. */
    public static ArrayMap create(MapSpec spec) {
        spec.requireType(MapType.ARRAY, NEED);
        return new ArrayMap(MapMemory.anonymous(spec, LAYOUT_VERSION, bodyBytes(spec), 0L));
    }

    /**
     * Opens the pinned array at {@code file} for writing, creating it zero-filled when absent and
     * reopening it with its values intact otherwise.
     *
     * @throws MapPinException when the file was written for another spec, is not a map, or is
     *                         already open for writing
     */
    public static ArrayMap pinned(MapSpec spec, Path file) {
        spec.requireType(MapType.ARRAY, NEED);
        return new ArrayMap(MapMemory.pinned(file, spec, LAYOUT_VERSION, bodyBytes(spec), 0L));
    }

    /** Opens a pinned array read-only; every mutator returns {@link MapErrors#EPERM}. */
    public static ArrayMap openReadOnly(Path file) {
        return new ArrayMap(MapMemory.openReadOnly(file, MapType.ARRAY, LAYOUT_VERSION));
    }

    /** Returns: the offset of element {@code index}'s value in {@link #segment()}, or MISSING when out of range. */
    public long valueOffset(int index) {
        if (Integer.compareUnsigned(index, maxEntries) >= 0) {
            return MapErrors.MISSING;
        }
        return elementsOffset + (long) index * elementBytes + 8;
    }

    /**
     * Looks up the element whose index is the 4-byte native-order int at {@code keyOffset}.
     *
     * @return the value's offset, or {@link MapErrors#MISSING} when the index is out of range
     */
    public long lookup(MemorySegment key, long keyOffset) {
        return valueOffset(key.get(HashTable.INT_U, keyOffset));
    }

    /**
     * Replaces element {@code index}'s whole value with {@code valueSize} bytes from {@code value}.
     *
     * @return {@link MapErrors#OK}, {@link MapErrors#EINVAL} (index out of range) or
     *         {@link MapErrors#EPERM} (read-only)
     */
    public int update(int index, MemorySegment value, long valueOffset) {
        if (readOnly) {
            return MapErrors.EPERM;
        }
        if (Integer.compareUnsigned(index, maxEntries) >= 0) {
            return MapErrors.EINVAL;
        }
        Objects.checkFromIndexSize(valueOffset, valueSize, value.byteSize());
        long seqOffset = elementsOffset + (long) index * elementBytes;
        long writing = beginWrite(seqOffset);
        MemorySegment.copy(value, valueOffset, segment, seqOffset + 8, valueSize);
        ATOMIC.setRelease(segment, seqOffset, writing + 1); // even again: the write is complete
        return MapErrors.OK;
    }

    /**
     * The generic form: the key is a 4-byte native-order index.
     *
     * @return as {@link #update(int, MemorySegment, long)}; {@link MapErrors#EEXIST} for
     *         {@link UpdateFlags#NOEXIST} (every element exists) and {@link MapErrors#EINVAL} for
     *         unknown flags
     */
    public int update(MemorySegment key, long keyOffset, MemorySegment value, long valueOffset, int flags) {
        if (readOnly) {
            return MapErrors.EPERM;
        }
        if (!UpdateFlags.valid(flags)) {
            return MapErrors.EINVAL;
        }
        int index = key.get(HashTable.INT_U, keyOffset);
        if (Integer.compareUnsigned(index, maxEntries) >= 0) {
            return MapErrors.EINVAL;
        }
        if (flags == UpdateFlags.NOEXIST) {
            return MapErrors.EEXIST;
        }
        return update(index, value, valueOffset);
    }

    /** Returns: {@link MapErrors#EINVAL}: array elements cannot be deleted (EPERM when read-only). */
    public int delete(MemorySegment key, long keyOffset) {
        return readOnly ? MapErrors.EPERM : MapErrors.EINVAL;
    }

    /** Claims an element's sequence word: from even (idle) to odd (being written); returns the odd value. */
    private long beginWrite(long seqOffset) {
        MemorySegment s = segment;
        for (int spins = 0; ; spins++) {
            long seq = (long) ATOMIC.getOpaque(s, seqOffset);
            if ((seq & 1) == 0 && (boolean) ATOMIC.compareAndSet(s, seqOffset, seq, seq + 1)) {
                return seq + 1;
            }
            if (spins < HashTable.SPINS_BEFORE_YIELD) {
                Thread.onSpinWait();
            } else {
                Thread.yield();
            }
        }
    }

    /**
     * Copies element {@code index}'s value into {@code dst}: one whole
     * {@link #update(int, MemorySegment, long)}'s value, never a mix of two.
     *
     * @return false when the index is out of range
     */
    public boolean lookupCopy(int index, MemorySegment dst, long dstOffset) {
        if (Integer.compareUnsigned(index, maxEntries) >= 0) {
            return false;
        }
        Objects.checkFromIndexSize(dstOffset, valueSize, dst.byteSize());
        MemorySegment s = segment;
        long seqOffset = elementsOffset + (long) index * elementBytes;
        for (int retries = 0; retries < MAX_COPY_RETRIES; retries++) {
            long before = (long) ATOMIC.getAcquire(s, seqOffset);
            if ((before & 1) == 0) {
                MemorySegment.copy(s, seqOffset + 8, dst, dstOffset, valueSize);
                VarHandle.acquireFence();
                if ((long) ATOMIC.getAcquire(s, seqOffset) == before) {
                    return true;
                }
            }
            Thread.onSpinWait();
        }
        return false; // only a writer that died mid-write (seen from another process) gets here
    }

    /** The generic form of {@link #lookupCopy(int, MemorySegment, long)}: the key is a 4-byte native index. */
    public boolean lookupCopy(MemorySegment key, long keyOffset, MemorySegment dst, long dstOffset) {
        return lookupCopy(key.get(HashTable.INT_U, keyOffset), dst, dstOffset);
    }
}
