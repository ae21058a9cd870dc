package dev.gingham.encap;

import java.lang.foreign.MemorySegment;

/**
 * One slot handle for a pair of per-family maps (IPv4 and IPv6), so a lookup can return a single
 * {@code long} that the accessors resolve: IPv6 slots carry a tag bit above any offset a map
 * segment can have, and {@link #segment(long)} picks the segment the slot points into. Used by
 * {@link IpCache} (two LPM tries) and {@link EndpointMap} (two hash maps).
 */
final class FamilySlots {
    /** Tag of a slot from the IPv6 map; map offsets stay far below 2^62. */
    private static final long IPV6_SLOT = 1L << 62;

    private final MemorySegment v4Segment;
    private final MemorySegment v6Segment;

    FamilySlots(MemorySegment v4Segment, MemorySegment v6Segment) {
        this.v4Segment = v4Segment;
        this.v6Segment = v6Segment;
    }

    /** Returns: the handle for an IPv6 map's {@code offset}; a missing offset (negative) stays as it is. */
    static long tag6(long offset) {
        return offset < 0 ? offset : offset | IPV6_SLOT;
    }

    /** Returns: the segment the slot points into. */
    MemorySegment segment(long slot) {
        return (slot & IPV6_SLOT) != 0 ? v6Segment : v4Segment;
    }

    /** Returns: the offset in {@link #segment(long)}. */
    static long offset(long slot) {
        return slot & ~IPV6_SLOT;
    }
}
