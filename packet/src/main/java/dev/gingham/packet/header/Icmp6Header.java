package dev.gingham.packet.header;

import dev.gingham.packet.NetworkOrder;

import java.lang.foreign.MemorySegment;

/**
 * Flyweight over an ICMPv6 header (RFC 4443; neighbor discovery RFC 4861).
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |     Type      |     Code      |          Checksum             |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  echo (128, 129):  Identifier |        Sequence Number        |
 * |  packet too big (2):                 MTU                      |
 * |  parameter problem (4):            Pointer                    |
 * |  neighbor advert (136): R|S|O|        Reserved                |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  errors (1..4): as much of the invoking packet as fits 1280   |
 * |  NS / NA / redirect (135..137): Target Address (128 bits) ... |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 *
 * <p>As with {@link Icmp4Header}, accessors name one meaning of the second word and read it
 * whatever the type. The checksum covers an IPv6 pseudo-header; setters do not update it.
 */
public final class Icmp6Header {
    public static final int TYPE_OFFSET = 0;
    public static final int CODE_OFFSET = 1;
    public static final int CHECKSUM_OFFSET = 2;
    /** The 32-bit word after the checksum. */
    public static final int REST_OF_HEADER_OFFSET = 4;
    public static final int IDENTIFIER_OFFSET = 4;
    public static final int SEQUENCE_OFFSET = 6;
    /** MTU of a packet-too-big message, 32 bits. */
    public static final int MTU_OFFSET = 4;
    /** Pointer of a parameter-problem message, 32 bits. */
    public static final int POINTER_OFFSET = 4;
    /** The invoking packet in error messages. */
    public static final int DATAGRAM_OFFSET = 8;
    /** Target address of neighbor solicitation, advertisement and redirect. */
    public static final int TARGET_OFFSET = 8;
    /** Length of the header (type, code, checksum and the 32-bit word). */
    public static final int LENGTH = 8;
    /** Length of a neighbor solicitation or advertisement without options. */
    public static final int NEIGHBOR_LENGTH = 24;

    public static final int DEST_UNREACH = 1;
    public static final int PACKET_TOO_BIG = 2;
    public static final int TIME_EXCEEDED = 3;
    public static final int PARAMETER_PROBLEM = 4;
    public static final int ECHO_REQUEST = 128;
    public static final int ECHO_REPLY = 129;
    public static final int ROUTER_SOLICITATION = 133;
    public static final int ROUTER_ADVERTISEMENT = 134;
    public static final int NEIGHBOR_SOLICITATION = 135;
    public static final int NEIGHBOR_ADVERTISEMENT = 136;
    public static final int REDIRECT = 137;

    /** Destination-unreachable codes. */
    public static final int NO_ROUTE = 0;
    public static final int ADMIN_PROHIBITED = 1;
    public static final int ADDR_UNREACH = 3;
    public static final int PORT_UNREACH = 4;
    /** Time-exceeded codes. */
    public static final int HOP_LIMIT_EXCEEDED = 0;
    public static final int FRAG_REASSEMBLY_EXCEEDED = 1;

    /** Options of a neighbor solicitation or advertisement start after the target address. */
    public static final int NEIGHBOR_OPTIONS_OFFSET = NEIGHBOR_LENGTH;
    /** Option lengths count units of 8 bytes (RFC 4861 §4.6); 0 is invalid. */
    public static final int OPTION_UNIT_BYTES = 8;
    /** Option type: source link-layer address (RFC 4861 §4.6.1). */
    public static final int OPTION_SOURCE_LINK_LAYER = 1;
    /** Option type: target link-layer address (RFC 4861 §4.6.1). */
    public static final int OPTION_TARGET_LINK_LAYER = 2;
    /** A link-layer address option for Ethernet: type, length 1, six MAC bytes. */
    public static final int LINK_LAYER_OPTION_LENGTH = 8;

    /** Neighbor advertisement flags in the rest-of-header word. */
    public static final int NA_FLAG_ROUTER = 0x8000_0000;
    public static final int NA_FLAG_SOLICITED = 0x4000_0000;
    public static final int NA_FLAG_OVERRIDE = 0x2000_0000;

    private MemorySegment segment;
    private long offset;

    public Icmp6Header wrap(MemorySegment segment, long offset) {
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

    public int type() {
        return NetworkOrder.u8(segment, offset + TYPE_OFFSET);
    }

    public Icmp6Header type(int value) {
        NetworkOrder.u8(segment, offset + TYPE_OFFSET, value);
        return this;
    }

    public int code() {
        return NetworkOrder.u8(segment, offset + CODE_OFFSET);
    }

    public Icmp6Header code(int value) {
        NetworkOrder.u8(segment, offset + CODE_OFFSET, value);
        return this;
    }

    public int checksum() {
        return NetworkOrder.u16(segment, offset + CHECKSUM_OFFSET);
    }

    public Icmp6Header checksum(int value) {
        NetworkOrder.u16(segment, offset + CHECKSUM_OFFSET, value);
        return this;
    }

    /** Returns: the raw 32-bit word after the checksum (NA flags live here). */
    public int restOfHeader() {
        return NetworkOrder.u32(segment, offset + REST_OF_HEADER_OFFSET);
    }

    public Icmp6Header restOfHeader(int value) {
        NetworkOrder.u32(segment, offset + REST_OF_HEADER_OFFSET, value);
        return this;
    }

    public int identifier() {
        return NetworkOrder.u16(segment, offset + IDENTIFIER_OFFSET);
    }

    public Icmp6Header identifier(int value) {
        NetworkOrder.u16(segment, offset + IDENTIFIER_OFFSET, value);
        return this;
    }

    public int sequence() {
        return NetworkOrder.u16(segment, offset + SEQUENCE_OFFSET);
    }

    public Icmp6Header sequence(int value) {
        NetworkOrder.u16(segment, offset + SEQUENCE_OFFSET, value);
        return this;
    }

    /**
     * Returns: the MTU in bytes of a packet-too-big message. The field is 32 bits; real values
     * fit an int (an MTU above 2^31 would read negative).
     */
    public int mtu() {
        return NetworkOrder.u32(segment, offset + MTU_OFFSET);
    }

    public Icmp6Header mtu(int bytes) {
        NetworkOrder.u32(segment, offset + MTU_OFFSET, bytes);
        return this;
    }

    /** Returns: the byte offset of the error in the invoking packet (parameter problem). */
    public int pointer() {
        return NetworkOrder.u32(segment, offset + POINTER_OFFSET);
    }

    public Icmp6Header pointer(int value) {
        NetworkOrder.u32(segment, offset + POINTER_OFFSET, value);
        return this;
    }

    /** Returns: bytes 0-7 of the target address (NS, NA, redirect). */
    public long targetHi() {
        return NetworkOrder.u64(segment, offset + TARGET_OFFSET);
    }

    public Icmp6Header targetHi(long value) {
        NetworkOrder.u64(segment, offset + TARGET_OFFSET, value);
        return this;
    }

    /** Returns: bytes 8-15 of the target address (NS, NA, redirect). */
    public long targetLo() {
        return NetworkOrder.u64(segment, offset + TARGET_OFFSET + 8);
    }

    public Icmp6Header targetLo(long value) {
        NetworkOrder.u64(segment, offset + TARGET_OFFSET + 8, value);
        return this;
    }

    /** Returns: the absolute offset of the invoking packet's IPv6 header in an error message. */
    public long datagramOffset() {
        return offset + DATAGRAM_OFFSET;
    }

    /**
     * Returns: true for types 1..4, the errors that quote the invoking packet. RFC 4443 calls
     * every type below 128 an error, but only these four have a defined layout, so only they
     * can be matched to a connection.
     */
    public static boolean isError(int type) {
        return type >= DEST_UNREACH && type <= PARAMETER_PROBLEM;
    }

    /** Returns: true for the neighbor discovery types 133..137. */
    public static boolean isNeighborDiscovery(int type) {
        return type >= ROUTER_SOLICITATION && type <= REDIRECT;
    }
}
