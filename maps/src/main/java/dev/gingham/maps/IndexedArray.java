package dev.gingham.maps;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.VarHandle;

/**
 * What {@link ArrayMap} and {@link PerWorkerArray} share, written once: a body that starts with
 * the index table (int[maxEntries] = 0, 1, 2, ..., the keys a dump hands out), elements that all
 * exist from creation, and the dump, count and lifecycle that follow from that.
 *
 * <p>Why a base class: the two types differ in how values are laid out and written (one copy
 * with a sequence word against per-worker copies with a single writer each), not in how they
 * are indexed, counted, dumped or closed; one copy of that keeps them from drifting apart.
 * Package-private and sealed: callers see only the two public map types.
 */
abstract sealed class IndexedArray implements OffHeapMap permits ArrayMap, PerWorkerArray {
    /** Where the index table starts: the beginning of the body. */
    static final long INDEX_OFFSET = MapMemory.BODY_OFFSET;

    final MapMemory memory;
    final MemorySegment segment;
    final boolean readOnly;
    final int maxEntries;
    final int valueSize;
    /** Offset of element 0's value (worker 0's copy for a per-worker array). */
    private final long firstValueOffset;
    /** Distance from one element's value to the next element's. */
    private final long elementStride;

    /** Fills the index table of a writable map; the subclass lays out what follows it. */
    IndexedArray(MapMemory memory, long firstValueOffset, long elementStride) {
        MapSpec spec = memory.spec();
        this.memory = memory;
        this.segment = memory.segment();
        this.readOnly = memory.readOnly();
        this.maxEntries = spec.maxEntries();
        this.valueSize = spec.valueSize();
        this.firstValueOffset = firstValueOffset;
        this.elementStride = elementStride;
        if (!readOnly) {
            for (int i = 0; i < maxEntries; i++) {
                segment.set(HashTable.INT, INDEX_OFFSET + 4L * i, i);
            }
            VarHandle.fullFence();
        }
    }

    /** Returns: the bytes of the index table, padded to {@code alignment} (a power of two). */
    static long indexBytes(MapSpec spec, long alignment) {
        return (4L * spec.maxEntries() + alignment - 1) & -alignment;
    }

    /** Returns: true when this handle was opened read-only. */
    public boolean readOnly() {
        return readOnly;
    }

    @Override
    public MapSpec spec() {
        return memory.spec();
    }

    @Override
    public MapMemory memory() {
        return memory;
    }

    @Override
    public MemorySegment segment() {
        return segment;
    }

    /** Returns: maxEntries: every element of an array exists. */
    @Override
    public int count() {
        return maxEntries;
    }

    /**
     * Visits every element once, in index order: the key is the element's 4-byte native-order
     * index and the value offset is its value's (for a {@link PerWorkerArray}, worker 0's copy;
     * worker w's copy is {@code w * workerStrideBytes()} further).
     */
    @Override
    public int forEach(EntryVisitor visitor) {
        for (int i = 0; i < maxEntries; i++) {
            visitor.visit(segment, INDEX_OFFSET + 4L * i, firstValueOffset + i * elementStride);
        }
        return maxEntries;
    }

    @Override
    public void close() {
        memory.close();
    }
}
