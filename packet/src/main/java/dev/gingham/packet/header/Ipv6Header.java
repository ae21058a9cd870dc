package dev.gingham.packet.header;

import dev.gingham.packet.NetworkOrder;

import java.lang.foreign.MemorySegment;

/**
 * Flyweight over the fixed IPv6 header (RFC 8200). Extension headers are read with
 * {@link Ipv6ExtensionHeader} and {@link Ipv6FragmentHeader}.
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |Version| Traffic Class |              Flow Label               |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |         Payload Length        |  Next Header  |   Hop Limit   |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                                                               |
 * +                  Source Address (128 bits)                    +
 * |              (hi = bytes 0-7, lo = bytes 8-15)                |
 * +                                                               +
 * |                                                               |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                                                               |
 * +               Destination Address (128 bits)                  +
 * |                                                               |
 * +                                                               +
 * |                                                               |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 *
 * <p>An address is two {@code long}s read big-endian: {@code hi} holds bytes 0-7 (the /64
 * prefix) and {@code lo} bytes 8-15 (the interface id), so 2001:db8::1 is
 * {@code hi = 0x20010DB800000000L, lo = 1}. Two longs avoid allocating a byte array per packet
 * and make /64 comparisons one compare.
 *
 * <p>Version, traffic class and flow label share the first 32-bit word; their setters read,
 * modify and write that word so the other two fields are kept.
 */
public final class Ipv6Header {
    /** Version (4 bits), traffic class (8 bits) and flow label (20 bits). */
    public static final int VERSION_CLASS_FLOW_OFFSET = 0;
    public static final int PAYLOAD_LENGTH_OFFSET = 4;
    public static final int NEXT_HEADER_OFFSET = 6;
    public static final int HOP_LIMIT_OFFSET = 7;
    public static final int SRC_OFFSET = 8;
    public static final int DST_OFFSET = 24;

    /** Length of the fixed header. */
    public static final int LENGTH = 40;
    /** Length of one address. */
    public static final int ADDRESS_LENGTH = 16;
    public static final int VERSION = 6;
    /** Mask of the 20-bit flow label in the first word. */
    public static final int FLOW_LABEL_MASK = 0x000F_FFFF;

    private MemorySegment segment;
    private long offset;

    public Ipv6Header wrap(MemorySegment segment, long offset) {
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

    private int firstWord() {
        return NetworkOrder.u32(segment, offset + VERSION_CLASS_FLOW_OFFSET);
    }

    private Ipv6Header firstWord(int value) {
        NetworkOrder.u32(segment, offset + VERSION_CLASS_FLOW_OFFSET, value);
        return this;
    }

    public int version() {
        return NetworkOrder.u8(segment, offset + VERSION_CLASS_FLOW_OFFSET) >>> 4;
    }

    public Ipv6Header version(int value) {
        return firstWord((firstWord() & 0x0FFF_FFFF) | ((value & 0x0F) << 28));
    }

    /** Returns: the 8-bit traffic class (DSCP in the high 6 bits, ECN in the low 2). */
    public int trafficClass() {
        return (firstWord() >>> 20) & 0xFF;
    }

    public Ipv6Header trafficClass(int value) {
        return firstWord((firstWord() & 0xF00F_FFFF) | ((value & 0xFF) << 20));
    }

    /** Returns: the 20-bit flow label. */
    public int flowLabel() {
        return firstWord() & FLOW_LABEL_MASK;
    }

    public Ipv6Header flowLabel(int value) {
        return firstWord((firstWord() & ~FLOW_LABEL_MASK) | (value & FLOW_LABEL_MASK));
    }

    /** Returns: the bytes after the fixed header, extension headers included. */
    public int payloadLength() {
        return NetworkOrder.u16(segment, offset + PAYLOAD_LENGTH_OFFSET);
    }

    public Ipv6Header payloadLength(int bytes) {
        NetworkOrder.u16(segment, offset + PAYLOAD_LENGTH_OFFSET, bytes);
        return this;
    }

    /** Returns: the type of the first extension header or of the transport header. */
    public int nextHeader() {
        return NetworkOrder.u8(segment, offset + NEXT_HEADER_OFFSET);
    }

    public Ipv6Header nextHeader(int value) {
        NetworkOrder.u8(segment, offset + NEXT_HEADER_OFFSET, value);
        return this;
    }

    public int hopLimit() {
        return NetworkOrder.u8(segment, offset + HOP_LIMIT_OFFSET);
    }

    public Ipv6Header hopLimit(int value) {
        NetworkOrder.u8(segment, offset + HOP_LIMIT_OFFSET, value);
        return this;
    }

    /** Returns: bytes 0-7 of the source address. */
    public long srcHi() {
        return NetworkOrder.u64(segment, offset + SRC_OFFSET);
    }

    public Ipv6Header srcHi(long value) {
        NetworkOrder.u64(segment, offset + SRC_OFFSET, value);
        return this;
    }

    /** Returns: bytes 8-15 of the source address. */
    public long srcLo() {
        return NetworkOrder.u64(segment, offset + SRC_OFFSET + 8);
    }

    public Ipv6Header srcLo(long value) {
        NetworkOrder.u64(segment, offset + SRC_OFFSET + 8, value);
        return this;
    }

    public Ipv6Header src(long hi, long lo) {
        return srcHi(hi).srcLo(lo);
    }

    /** Returns: bytes 0-7 of the destination address. */
    public long dstHi() {
        return NetworkOrder.u64(segment, offset + DST_OFFSET);
    }

    public Ipv6Header dstHi(long value) {
        NetworkOrder.u64(segment, offset + DST_OFFSET, value);
        return this;
    }

    /** Returns: bytes 8-15 of the destination address. */
    public long dstLo() {
        return NetworkOrder.u64(segment, offset + DST_OFFSET + 8);
    }

    public Ipv6Header dstLo(long value) {
        NetworkOrder.u64(segment, offset + DST_OFFSET + 8, value);
        return this;
    }

    public Ipv6Header dst(long hi, long lo) {
        return dstHi(hi).dstLo(lo);
    }

    /** Returns: the absolute offset right after the fixed header (first extension or transport). */
    public long payloadOffset() {
        return offset + LENGTH;
    }

    // ---- address classes (RFC 4291 §2.4), on the (hi, lo) form --------------------------------

    /** Returns: true for a multicast address, ff00::/8. */
    public static boolean isMulticast(long hi) {
        return (hi >>> 56) == 0xFF;
    }

    /** Returns: true for a link-local unicast address, fe80::/10. */
    public static boolean isLinkLocal(long hi) {
        return (hi >>> 54) == (0xFE80L >>> 6);
    }

    /** Returns: true for the unspecified address ::. */
    public static boolean isUnspecified(long hi, long lo) {
        return (hi | lo) == 0;
    }

    /** Returns: true for a solicited-node multicast address, ff02::1:ff00:0/104 (RFC 4291 §2.7.1). */
    public static boolean isSolicitedNode(long hi, long lo) {
        return hi == 0xFF02_0000_0000_0000L && (lo & 0xFFFF_FFFF_FF00_0000L) == 0x0000_0001_FF00_0000L;
    }
}
