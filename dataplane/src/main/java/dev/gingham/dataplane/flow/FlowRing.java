package dev.gingham.dataplane.flow;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;

/**
 * A single-producer single-consumer ring of fixed {@link FlowRecord#BYTES}-byte records in
 * off-heap memory: one per worker (the producer), drained by the flow reader (the consumer).
 *
 * <p>Why one ring per worker rather than Agrona's ManyToOneRingBuffer: producers never contend
 * (no CAS on a shared tail, no cache line bouncing between workers), and a record is a plain
 * 64-byte write followed by one release store. Why fixed-size records: no length words, no
 * padding records at the wrap, and the reader can decode any slot without walking from the head.
 *
 * <p>Never blocks: a full ring refuses the record and counts it in {@link #overflows()}; the
 * worker goes on. Positions are 64-bit counters that never wrap in practice.
 *
 * <pre>
 * header (cache lines apart): 0 tail (producer)   128 head (consumer)   256 overflows (producer)
 * records from 384: capacity x 64 bytes, slot = position &amp; (capacity - 1)
 * </pre>
 */
public final class FlowRing implements AutoCloseable {
    private static final VarHandle LONG = ValueLayout.JAVA_LONG.varHandle().withInvokeExactBehavior();
    private static final long TAIL = 0;
    private static final long HEAD = 128;
    private static final long OVERFLOWS = 256;
    private static final long RECORDS = 384;

    private final Arena arena;
    private final MemorySegment segment;
    private final int capacity;
    private final long mask;
    // producer-local
    private long tail;
    private long headCache;
    private long overflows;
    // consumer-local
    private long head;

    /**
     * @param capacity records; a power of two, at least 2
     */
    public FlowRing(int capacity) {
        if (capacity < 2 || Integer.bitCount(capacity) != 1) {
            throw new IllegalArgumentException("flow ring capacity " + capacity + " must be a power of two >= 2");
        }
        this.capacity = capacity;
        this.mask = capacity - 1;
        this.arena = Arena.ofShared();
        this.segment = arena.allocate(RECORDS + (long) capacity * FlowRecord.BYTES, 128);
    }

    public MemorySegment segment() {
        return segment;
    }

    public int capacity() {
        return capacity;
    }

    // ---- producer (one worker) ------------------------------------------------------------------

    /**
     * Claims the next slot. Write the record at the returned offset, then {@link #commit()}.
     *
     * @return the slot's offset in {@link #segment()}, or -1 when the ring is full (counted)
     */
    public long claim() {
        if (tail - headCache >= capacity) {
            headCache = (long) LONG.getAcquire(segment, HEAD);
            if (tail - headCache >= capacity) {
                LONG.setOpaque(segment, OVERFLOWS, ++overflows);
                return -1;
            }
        }
        return RECORDS + (tail & mask) * FlowRecord.BYTES;
    }

    /** Publishes the claimed record to the reader. */
    public void commit() {
        LONG.setRelease(segment, TAIL, ++tail);
    }

    // ---- consumer (the reader) ------------------------------------------------------------------

    /** Receives one record: decode it before returning (the slot is reused afterwards). */
    @FunctionalInterface
    public interface RecordHandler {
        void onRecord(MemorySegment segment, long offset);
    }

    /**
     * Hands up to {@code limit} waiting records, oldest first, to {@code handler} and frees their slots.
     *
     * @return the number of records handed over
     */
    public int drain(RecordHandler handler, int limit) {
        long available = (long) LONG.getAcquire(segment, TAIL) - head;
        int n = (int) Math.min(available, limit);
        for (int k = 0; k < n; k++) {
            handler.onRecord(segment, RECORDS + ((head + k) & mask) * FlowRecord.BYTES);
        }
        head += n;
        LONG.setRelease(segment, HEAD, head);
        return n;
    }

    /** Returns: records the producer could not write because the ring was full (any thread). */
    public long overflows() {
        return (long) LONG.getOpaque(segment, OVERFLOWS);
    }

    /** Returns: records written so far (any thread). */
    public long written() {
        return (long) LONG.getAcquire(segment, TAIL);
    }

    @Override
    public void close() {
        arena.close();
    }
}
