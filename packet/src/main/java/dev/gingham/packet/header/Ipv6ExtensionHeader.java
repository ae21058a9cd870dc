package dev.gingham.packet.header;

import dev.gingham.packet.NetworkOrder;

import java.lang.foreign.MemorySegment;

/**
 * Flyweight over the two bytes every walkable IPv6 extension header starts with, enough for the
 * parser to step over hop-by-hop, routing, destination options, AH and the RFC 6564 family
 * without knowing their contents.
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  Next Header  |  Hdr Ext Len  |  Routing Type | Segments Left |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                                                               |
 * .               Header-specific data (options, ...)             .
 * |                                                               |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 *
 * <p>Routing Type and Segments Left exist in routing headers (43) only; in the others those
 * bytes are the start of the options.
 *
 * <p>A header does not carry its own type: the previous header's Next Header field does. That is
 * why {@link #lengthBytes(int)} takes the type: Hdr Ext Len counts 8-octet units beyond the
 * first 8 for most headers (RFC 8200), but 4-octet units minus 2 for AH (RFC 4302), and is
 * reserved in the fragment header, which is always 8 bytes.
 */
public final class Ipv6ExtensionHeader {
    public static final int NEXT_HEADER_OFFSET = 0;
    public static final int HDR_EXT_LENGTH_OFFSET = 1;
    /** Routing type; routing headers (43) only. */
    public static final int ROUTING_TYPE_OFFSET = 2;
    /** Segments left; routing headers (43) only. */
    public static final int SEGMENTS_LEFT_OFFSET = 3;
    /** Every extension header is at least 8 bytes (and a multiple of 8, AH of 4). */
    public static final int MIN_LENGTH = 8;

    public static final int HOP_BY_HOP = 0;
    public static final int ROUTING = 43;
    public static final int FRAGMENT = 44;
    /** Encapsulating security payload: ends the walk, its contents are encrypted. */
    public static final int ESP = 50;
    public static final int AH = 51;
    /** No next header: nothing follows. */
    public static final int NO_NEXT_HEADER = 59;
    public static final int DESTINATION_OPTIONS = 60;
    public static final int MOBILITY = 135;
    public static final int HIP = 139;
    public static final int SHIM6 = 140;

    private MemorySegment segment;
    private long offset;

    public Ipv6ExtensionHeader wrap(MemorySegment segment, long offset) {
        this.segment = segment;
        this.offset = offset;
        return this;
    }

    public MemorySegment segment() {
        return segment;
    }

    public long offset() {
        return offset;
    }

    public int nextHeader() {
        return NetworkOrder.u8(segment, offset + NEXT_HEADER_OFFSET);
    }

    public Ipv6ExtensionHeader nextHeader(int value) {
        NetworkOrder.u8(segment, offset + NEXT_HEADER_OFFSET, value);
        return this;
    }

    /** Returns: the raw Hdr Ext Len field; see {@link #lengthBytes(int)} for its unit. */
    public int headerExtLength() {
        return NetworkOrder.u8(segment, offset + HDR_EXT_LENGTH_OFFSET);
    }

    public Ipv6ExtensionHeader headerExtLength(int value) {
        NetworkOrder.u8(segment, offset + HDR_EXT_LENGTH_OFFSET, value);
        return this;
    }

    /**
     * Returns: this header's length in bytes, given its type (the Next Header value that
     * pointed at it).
     */
    public int lengthBytes(int headerType) {
        return lengthBytes(headerType, headerExtLength());
    }

    /**
     * Returns: the length in bytes of an extension header of {@code headerType} whose Hdr Ext
     * Len field is {@code headerExtLength}: {@code 4 * (len + 2)} for AH, 8 for a fragment
     * header, {@code 8 * (len + 1)} otherwise. The result is meaningful only when
     * {@link #isExtension(int)} is true for the type.
     */
    public static int lengthBytes(int headerType, int headerExtLength) {
        return switch (headerType) {
            case AH -> (headerExtLength + 2) << 2;
            case FRAGMENT -> Ipv6FragmentHeader.LENGTH;
            default -> (headerExtLength + 1) << 3;
        };
    }

    /** Returns: the routing type; meaningful for routing headers only. */
    public int routingType() {
        return NetworkOrder.u8(segment, offset + ROUTING_TYPE_OFFSET);
    }

    public Ipv6ExtensionHeader routingType(int value) {
        NetworkOrder.u8(segment, offset + ROUTING_TYPE_OFFSET, value);
        return this;
    }

    /** Returns: the segments left; meaningful for routing headers only. */
    public int segmentsLeft() {
        return NetworkOrder.u8(segment, offset + SEGMENTS_LEFT_OFFSET);
    }

    public Ipv6ExtensionHeader segmentsLeft(int value) {
        NetworkOrder.u8(segment, offset + SEGMENTS_LEFT_OFFSET, value);
        return this;
    }

    /**
     * Returns: true if {@code nextHeader} names an extension header the parser can step over
     * with {@link #lengthBytes(int, int)}: hop-by-hop, routing, fragment, AH, destination
     * options, mobility, HIP and shim6 (RFC 7045 / RFC 6564). ESP (50) and No Next Header (59)
     * are not: nothing readable follows them.
     */
    public static boolean isExtension(int nextHeader) {
        return switch (nextHeader) {
            case HOP_BY_HOP, ROUTING, FRAGMENT, AH, DESTINATION_OPTIONS, MOBILITY, HIP, SHIM6 -> true;
            default -> false;
        };
    }
}
