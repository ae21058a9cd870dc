package dev.gingham.packet.header;

import dev.gingham.packet.NetworkOrder;

import java.lang.foreign.MemorySegment;

/**
 * Flyweight over an IPv4 header (RFC 791), options included.
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |Version|  IHL  |    DSCP   |ECN|          Total Length         |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |         Identification        |R|D|M|     Fragment Offset     |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  Time to Live |    Protocol   |         Header Checksum       |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                       Source Address                          |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                    Destination Address                        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                    Options (IHL > 5)          |    Padding    |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 *
 * <p>Addresses are {@code int}s holding the 32 bits in network order read big-endian, so
 * 10.0.0.1 is {@code 0x0A000001}: prefix matching is a shift and a compare.
 *
 * <p>Setters write the field only. They do not update {@link #checksum()}: the caller does,
 * incrementally (RFC 1624) with the old and new values, or in full after all rewrites.
 */
public final class Ipv4Header {
    /** Version (high nibble) and IHL (low nibble). */
    public static final int VERSION_IHL_OFFSET = 0;
    /** Type of service: DSCP (6 high bits) and ECN (2 low bits). */
    public static final int TOS_OFFSET = 1;
    public static final int TOTAL_LENGTH_OFFSET = 2;
    public static final int IDENTIFICATION_OFFSET = 4;
    /** The 16-bit word holding the three flag bits and the 13-bit fragment offset. */
    public static final int FLAGS_OFFSET = 6;
    public static final int TTL_OFFSET = 8;
    public static final int PROTOCOL_OFFSET = 9;
    public static final int CHECKSUM_OFFSET = 10;
    public static final int SRC_OFFSET = 12;
    public static final int DST_OFFSET = 16;
    public static final int OPTIONS_OFFSET = 20;

    /** Length of a header without options (IHL 5). */
    public static final int MIN_LENGTH = 20;
    /** Length of a header with the most options (IHL 15). */
    public static final int MAX_LENGTH = 60;
    public static final int VERSION = 4;

    /** Reserved ("evil") bit in the flags word. */
    public static final int FLAG_RESERVED = 0x8000;
    /** Don't Fragment bit in the flags word. */
    public static final int FLAG_DF = 0x4000;
    /** More Fragments bit in the flags word. */
    public static final int FLAG_MF = 0x2000;
    /** Mask of the fragment offset (8-byte units) in the flags word. */
    public static final int FRAGMENT_OFFSET_MASK = 0x1FFF;

    public static final int PROTOCOL_ICMP = 1;
    public static final int PROTOCOL_IGMP = 2;
    /** IPv4-in-IPv4 (IPIP tunnels). */
    public static final int PROTOCOL_IPIP = 4;
    public static final int PROTOCOL_TCP = 6;
    public static final int PROTOCOL_UDP = 17;
    /** IPv6 encapsulated in IPv4 (6in4); also the IPv6 next-header value of IPv6-in-IPv6. */
    public static final int PROTOCOL_IPV6 = 41;
    public static final int PROTOCOL_GRE = 47;
    public static final int PROTOCOL_ESP = 50;
    public static final int PROTOCOL_AH = 51;
    public static final int PROTOCOL_ICMPV6 = 58;
    public static final int PROTOCOL_SCTP = 132;

    private MemorySegment segment;
    private long offset;

    public Ipv4Header wrap(MemorySegment segment, long offset) {
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

    public int version() {
        return NetworkOrder.u8(segment, offset + VERSION_IHL_OFFSET) >>> 4;
    }

    public Ipv4Header version(int value) {
        int b = NetworkOrder.u8(segment, offset + VERSION_IHL_OFFSET);
        NetworkOrder.u8(segment, offset + VERSION_IHL_OFFSET, (b & 0x0F) | ((value & 0x0F) << 4));
        return this;
    }

    /** Returns: the header length in 32-bit words (5..15 in a valid header). */
    public int ihl() {
        return NetworkOrder.u8(segment, offset + VERSION_IHL_OFFSET) & 0x0F;
    }

    public Ipv4Header ihl(int words) {
        int b = NetworkOrder.u8(segment, offset + VERSION_IHL_OFFSET);
        NetworkOrder.u8(segment, offset + VERSION_IHL_OFFSET, (b & 0xF0) | (words & 0x0F));
        return this;
    }

    /** Returns: the header length in bytes, options included ({@code ihl() * 4}). */
    public int headerLength() {
        return ihl() << 2;
    }

    /** Sets the IHL from a length in bytes (a multiple of 4). */
    public Ipv4Header headerLength(int bytes) {
        return ihl(bytes >>> 2);
    }

    /** Returns: the whole type-of-service byte (DSCP and ECN). */
    public int tos() {
        return NetworkOrder.u8(segment, offset + TOS_OFFSET);
    }

    public Ipv4Header tos(int value) {
        NetworkOrder.u8(segment, offset + TOS_OFFSET, value);
        return this;
    }

    /** Returns: the 6-bit differentiated services code point. */
    public int dscp() {
        return tos() >>> 2;
    }

    /** Sets the DSCP, keeping the ECN bits (which belong to the transport's congestion control). */
    public Ipv4Header dscp(int value) {
        return tos((tos() & 0x03) | ((value & 0x3F) << 2));
    }

    /** Returns: the 2-bit explicit congestion notification field. */
    public int ecn() {
        return tos() & 0x03;
    }

    public Ipv4Header ecn(int value) {
        return tos((tos() & 0xFC) | (value & 0x03));
    }

    /** Returns: the length in bytes of header plus payload. */
    public int totalLength() {
        return NetworkOrder.u16(segment, offset + TOTAL_LENGTH_OFFSET);
    }

    public Ipv4Header totalLength(int bytes) {
        NetworkOrder.u16(segment, offset + TOTAL_LENGTH_OFFSET, bytes);
        return this;
    }

    /** Returns: {@code totalLength() - headerLength()}, the bytes after the header. */
    public int payloadLength() {
        return totalLength() - headerLength();
    }

    public int identification() {
        return NetworkOrder.u16(segment, offset + IDENTIFICATION_OFFSET);
    }

    public Ipv4Header identification(int value) {
        NetworkOrder.u16(segment, offset + IDENTIFICATION_OFFSET, value);
        return this;
    }

    /** Returns: the raw 16-bit flags-and-fragment-offset word; test with {@code FLAG_*}. */
    public int flags() {
        return NetworkOrder.u16(segment, offset + FLAGS_OFFSET);
    }

    public Ipv4Header flags(int word) {
        NetworkOrder.u16(segment, offset + FLAGS_OFFSET, word);
        return this;
    }

    public boolean dontFragment() {
        return (flags() & FLAG_DF) != 0;
    }

    public Ipv4Header dontFragment(boolean value) {
        return flags(value ? flags() | FLAG_DF : flags() & ~FLAG_DF);
    }

    public boolean moreFragments() {
        return (flags() & FLAG_MF) != 0;
    }

    public Ipv4Header moreFragments(boolean value) {
        return flags(value ? flags() | FLAG_MF : flags() & ~FLAG_MF);
    }

    /** Returns: the fragment offset in 8-byte units. */
    public int fragmentOffset() {
        return flags() & FRAGMENT_OFFSET_MASK;
    }

    /** Sets the fragment offset in 8-byte units, keeping the flag bits. */
    public Ipv4Header fragmentOffset(int units) {
        return flags((flags() & ~FRAGMENT_OFFSET_MASK) | (units & FRAGMENT_OFFSET_MASK));
    }

    /** Returns: the fragment offset in bytes ({@code fragmentOffset() * 8}). */
    public int fragmentOffsetBytes() {
        return fragmentOffset() << 3;
    }

    /**
     * Returns: true if this datagram is a fragment (MF set or a non-zero offset). Only the
     * first fragment carries the transport header, so ports are not readable otherwise.
     */
    public boolean isFragment() {
        return (flags() & (FLAG_MF | FRAGMENT_OFFSET_MASK)) != 0;
    }

    public int ttl() {
        return NetworkOrder.u8(segment, offset + TTL_OFFSET);
    }

    public Ipv4Header ttl(int value) {
        NetworkOrder.u8(segment, offset + TTL_OFFSET, value);
        return this;
    }

    public int protocol() {
        return NetworkOrder.u8(segment, offset + PROTOCOL_OFFSET);
    }

    public Ipv4Header protocol(int value) {
        NetworkOrder.u8(segment, offset + PROTOCOL_OFFSET, value);
        return this;
    }

    public int checksum() {
        return NetworkOrder.u16(segment, offset + CHECKSUM_OFFSET);
    }

    public Ipv4Header checksum(int value) {
        NetworkOrder.u16(segment, offset + CHECKSUM_OFFSET, value);
        return this;
    }

    public int src() {
        return NetworkOrder.u32(segment, offset + SRC_OFFSET);
    }

    public Ipv4Header src(int address) {
        NetworkOrder.u32(segment, offset + SRC_OFFSET, address);
        return this;
    }

    public int dst() {
        return NetworkOrder.u32(segment, offset + DST_OFFSET);
    }

    public Ipv4Header dst(int address) {
        NetworkOrder.u32(segment, offset + DST_OFFSET, address);
        return this;
    }

    /** Returns: the absolute offset of the options region (it may be empty). */
    public long optionsOffset() {
        return offset + OPTIONS_OFFSET;
    }

    /** Returns: the options region length in bytes, padding included ({@code headerLength() - 20}). */
    public int optionsLength() {
        return headerLength() - MIN_LENGTH;
    }

    /** Returns: the absolute offset of the payload, after the options. */
    public long payloadOffset() {
        return offset + headerLength();
    }

    /**
     * Writes a whole 20-byte header (version 4, IHL 5, no options) with its checksum, for headers
     * built from nothing in headroom that holds old bytes: encapsulation and ICMP errors. The
     * checksum is summed from the field values, not read back from memory.
     *
     * @param flagsAndOffset the flags word ({@link #FLAG_DF}, {@link #FLAG_MF}, fragment offset)
     */
    public static void write(MemorySegment segment, long offset, int tos, int totalLength, int identification,
                             int flagsAndOffset, int ttl, int protocol, int src, int dst) {
        int versionIhlTos = 0x4500 | (tos & 0xFF);
        int ttlProtocol = (ttl & 0xFF) << 8 | (protocol & 0xFF);
        long sum = versionIhlTos + (totalLength & 0xFFFF) + (identification & 0xFFFF) + (flagsAndOffset & 0xFFFF)
                + ttlProtocol + (src >>> 16) + (src & 0xFFFF) + (dst >>> 16) + (dst & 0xFFFF);
        sum = (sum & 0xFFFF) + (sum >>> 16);
        sum = (sum & 0xFFFF) + (sum >>> 16);
        // three stores (8 + 8 + 4 bytes): this runs per encapsulated packet
        NetworkOrder.u64(segment, offset, (long) (versionIhlTos << 16 | (totalLength & 0xFFFF)) << 32
                | ((identification & 0xFFFFL) << 16) | (flagsAndOffset & 0xFFFFL));
        NetworkOrder.u64(segment, offset + TTL_OFFSET, (long) (ttlProtocol << 16 | (~(int) sum & 0xFFFF)) << 32
                | (src & 0xFFFF_FFFFL));
        NetworkOrder.u32(segment, offset + DST_OFFSET, dst);
    }
}
