package dev.gingham.conntrack;

import java.lang.foreign.MemorySegment;

/**
 * Told about every conntrack entry the {@link CtSweeper} is about to delete, while key and
 * entry are still intact: the NAT module frees the flow's SNAT port and mappings here, the
 * flow log reports the flow's final counters.
 *
 * <p>Called on the sweeper's thread (the control agent), exactly once per deleted entry, before
 * the delete. Wrap a {@link CtKey} and a {@link CtEntry} held by the listener over the offsets;
 * copy what must outlive the call. The listener must not delete the entry itself.
 */
@FunctionalInterface
public interface CtExpiryListener {
    /** A listener that does nothing. */
    CtExpiryListener NONE = (segment, keyOffset, entryOffset) -> { };

    /**
     * @param segment     the segment of the map holding the entry
     * @param keyOffset   offset of the entry's {@link CtKey}
     * @param entryOffset offset of its {@link CtEntry}
     */
    void expired(MemorySegment segment, long keyOffset, long entryOffset);
}
