package dev.gingham.maps;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.VarHandle;
import java.nio.file.Path;
import java.util.Objects;

/**
 * An array with a private copy of every element per worker (BPF_MAP_TYPE_PERCPU_ARRAY): the home
 * of per-worker counters (packets, bytes, drops by reason), which every worker bumps on every
 * frame and the control agent sums now and then.
 *
 * <p>Why per worker: a counter shared by workers costs an atomic read-modify-write and a cache
 * line bouncing between cores on every packet. With one copy per worker each counter has a
 * single writer, so an add is a plain read and an ordered store, and nothing is shared until the
 * control agent reads.
 *
 * <h2>Layout of the body</h2>
 * <pre>
 *  BODY_OFFSET:     index table: int[maxEntries] = 0, 1, 2, ... (the keys {@link #forEach} hands
 *                   out, native order), padded to 128
 *  regionsOffset:   worker 0's region: value[0] value[1] ... (each padded to 8), padded to 128
 *                   worker 1's region ...
 * </pre>
 * Regions start on 128-byte boundaries: two workers never share a cache line, nor the pair of
 * lines the adjacent-line prefetcher fetches together.
 *
 * <h2>Concurrency model</h2>
 * Each worker's region has exactly one writer, that worker: {@link #add} and {@link #set} are a
 * plain read followed by a release store, with no atomic read-modify-write and no lock.
 * Readers ({@link #sum}, {@link #get}, dumps) read each worker's long with acquire and may see a
 * sum that is a moment old, never a torn 8-byte field; two threads writing one worker's region
 * would lose increments, and that is a programming error this class does not detect.
 *
 * <p>Arguments: the int-returning accessors treat an index out of range as an ordinary outcome
 * ({@link MapErrors#MISSING}, {@link MapErrors#EINVAL}); {@link #add}, {@link #set}, {@link #get}
 * and {@link #sum} take indexes that are constants of the program (a counter id, the worker's
 * own number), so a bad one is a programming error and throws {@link IndexOutOfBoundsException}.
 */
public final class PerWorkerArray extends IndexedArray {
    /** Version of this type's body layout, recorded in pinned headers. */
    public static final int LAYOUT_VERSION = 1;
    /** Worker regions are aligned to this many bytes. */
    public static final int REGION_ALIGNMENT = 128;

    private static final VarHandle ATOMIC = HashTable.ATOMIC;
    private static final String NEED = "a PerWorkerArray needs a PER_WORKER_ARRAY spec";

    private final int workers;
    private final int valueStride;
    private final long regionStride;
    private final long regionsOffset;

    private PerWorkerArray(MapMemory memory) {
        super(memory, regionsOffset(memory.spec()), HashTable.pad8(memory.spec().valueSize()));
        MapSpec spec = memory.spec();
        this.workers = spec.workers();
        this.valueStride = HashTable.pad8(valueSize);
        this.regionStride = regionStride(spec);
        this.regionsOffset = regionsOffset(spec);
    }

    private static long regionsOffset(MapSpec spec) {
        return INDEX_OFFSET + indexBytes(spec, REGION_ALIGNMENT);
    }

    private static long regionStride(MapSpec spec) {
        long bytes = (long) spec.maxEntries() * HashTable.pad8(spec.valueSize());
        return (bytes + REGION_ALIGNMENT - 1) & -REGION_ALIGNMENT;
    }

    static long bodyBytes(MapSpec spec) {
        return indexBytes(spec, REGION_ALIGNMENT) + spec.workers() * regionStride(spec);
    }

    /** Creates an anonymous, zero-filled array for {@code spec.workers()} workers. */
    public static PerWorkerArray create(MapSpec spec) {
        spec.requireType(MapType.PER_WORKER_ARRAY, NEED);
        return new PerWorkerArray(MapMemory.anonymous(spec, LAYOUT_VERSION, bodyBytes(spec), 0L));
    }

    /**
     * Opens the pinned array at {@code file} for writing, creating it zero-filled when absent and
     * reopening it with its values (counters keep counting across restarts) intact otherwise.
     *
     * @throws MapPinException when the file was written for another spec, is not a map, or is
     *                         already open for writing
     */
    public static PerWorkerArray pinned(MapSpec spec, Path file) {
        spec.requireType(MapType.PER_WORKER_ARRAY, NEED);
        return new PerWorkerArray(MapMemory.pinned(file, spec, LAYOUT_VERSION, bodyBytes(spec), 0L));
    }

    /** Opens a pinned array read-only (to sum counters from the CLI); mutators return EPERM or throw. */
    public static PerWorkerArray openReadOnly(Path file) {
        return new PerWorkerArray(MapMemory.openReadOnly(file, MapType.PER_WORKER_ARRAY, LAYOUT_VERSION));
    }

    /** Returns: the offset of worker {@code worker}'s copy of element {@code index}, or MISSING when either is out of range. */
    public long valueOffset(int worker, int index) {
        if (Integer.compareUnsigned(worker, workers) >= 0 || Integer.compareUnsigned(index, maxEntries) >= 0) {
            return MapErrors.MISSING;
        }
        return regionsOffset + worker * regionStride + (long) index * valueStride;
    }

    /** The offset of an 8-byte field, checked: a bad worker, index or field is a programming error. */
    private long fieldOffset(int worker, int index, int fieldOffset) {
        Objects.checkIndex(worker, workers);
        Objects.checkIndex(index, maxEntries);
        if ((fieldOffset & 7) != 0 || fieldOffset < 0 || fieldOffset > valueSize - 8) {
            throw new IndexOutOfBoundsException("field offset " + fieldOffset + ": an 8-byte aligned long inside a "
                    + valueSize + "-byte value");
        }
        return regionsOffset + worker * regionStride + (long) index * valueStride + fieldOffset;
    }

    private void requireWritable() {
        if (readOnly) {
            throw new IllegalStateException("map " + memory.spec().name() + " is open read-only");
        }
    }

    /**
     * Adds {@code delta} to the long at {@code fieldOffset} in worker {@code worker}'s copy of
     * element {@code index}. Only the thread that is that worker may call it.
     */
    public void add(int worker, int index, int fieldOffset, long delta) {
        requireWritable();
        long offset = fieldOffset(worker, index, fieldOffset);
        // Single writer: no read-modify-write atomic needed; the release store keeps readers
        // from ever seeing the field torn or going backwards.
        ATOMIC.setRelease(segment, offset, segment.get(HashTable.LONG, offset) + delta);
    }

    /** Sets the long at {@code fieldOffset} in worker {@code worker}'s copy (a gauge). Worker's thread only. */
    public void set(int worker, int index, int fieldOffset, long value) {
        requireWritable();
        ATOMIC.setRelease(segment, fieldOffset(worker, index, fieldOffset), value);
    }

    /** Returns: the long at {@code fieldOffset} in worker {@code worker}'s copy of element {@code index}. */
    public long get(int worker, int index, int fieldOffset) {
        return (long) ATOMIC.getAcquire(segment, fieldOffset(worker, index, fieldOffset));
    }

    /** Returns: the sum over all workers of the long at {@code fieldOffset} of element {@code index}. */
    public long sum(int index, int fieldOffset) {
        long offset = fieldOffset(0, index, fieldOffset);
        long total = 0;
        for (int worker = 0; worker < workers; worker++) {
            total += (long) ATOMIC.getAcquire(segment, offset + worker * regionStride);
        }
        return total;
    }

    /**
     * Replaces worker {@code worker}'s copy of element {@code index} with {@code valueSize} bytes
     * from {@code value}. Worker's thread only (or while the workers are stopped).
     *
     * @return {@link MapErrors#OK}, {@link MapErrors#EINVAL} (out of range) or {@link MapErrors#EPERM}
     */
    public int update(int worker, int index, MemorySegment value, long valueOffset) {
        if (readOnly) {
            return MapErrors.EPERM;
        }
        long offset = valueOffset(worker, index);
        if (offset < 0) {
            return MapErrors.EINVAL;
        }
        Objects.checkFromIndexSize(valueOffset, valueSize, value.byteSize());
        MemorySegment.copy(value, valueOffset, segment, offset, valueSize);
        return MapErrors.OK;
    }

    /** Returns: the number of workers, each with its own copy of every element. */
    public int workers() {
        return workers;
    }

    /** Returns: the distance in bytes from one worker's copy of an element to the next worker's. */
    public long workerStrideBytes() {
        return regionStride;
    }
}
