package dev.gingham.maps;

import java.lang.foreign.MemorySegment;

/**
 * What every map type offers beside its own lookup and update: its spec, its memory, a count
 * and iteration for dumps (the CLI's {@code ct list}, {@code service list}, bpftool's
 * {@code map dump}).
 *
 * <p>Offsets handed out by a map ({@code lookup} results, visitor arguments) are offsets into
 * {@link #segment()}; read and write values through that segment with the layouts the value's
 * owner defines.
 */
public interface OffHeapMap extends AutoCloseable {
    MapSpec spec();

    MapMemory memory();

    /** Returns: the segment that value and key offsets of this map point into. */
    default MemorySegment segment() {
        return memory().segment();
    }

    /** Returns: the number of live entries (approximate while writers run). */
    int count();

    /**
     * Visits every live entry once; an entry inserted or deleted during the walk may or may not
     * be seen. Keys and values are visited in place: copy what must outlive the call.
     *
     * @return the number of entries visited
     */
    int forEach(EntryVisitor visitor);

    /** Frees or unmaps the map's memory. */
    @Override
    void close();

    /** Receives one entry of a dump. */
    @FunctionalInterface
    interface EntryVisitor {
        /**
         * @param segment     the map's segment
         * @param keyOffset   offset of the key (for LPM tries: a 4-byte native-order prefix length
         *                    followed by the address bytes; for arrays: the 4-byte native index)
         * @param valueOffset offset of the value
         */
        void visit(MemorySegment segment, long keyOffset, long valueOffset);
    }
}
