package dev.gingham.packet.header;

import dev.gingham.packet.NetworkOrder;

import java.lang.foreign.MemorySegment;

/**
 * Flyweight over an ICMP (v4) header (RFC 792, RFC 1191 for the next-hop MTU).
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |     Type      |     Code      |          Checksum             |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  echo (0, 8):     Identifier  |        Sequence Number        |
 * |  frag needed (3/4): unused    |         Next-Hop MTU          |
 * |  redirect (5):            Gateway Internet Address            |
 * |  Pointer (12) |           unused (parameter problem)          |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | errors (3, 4, 5, 11, 12): original IP header + 8 or more bytes|
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 *
 * <p>The second word means different things per type; each accessor names one meaning and reads
 * the same bytes regardless of the type, so check {@link #type()} first. Setters do not update
 * the checksum.
 */
public final class Icmp4Header {
    public static final int TYPE_OFFSET = 0;
    public static final int CODE_OFFSET = 1;
    public static final int CHECKSUM_OFFSET = 2;
    /** The 32-bit "rest of header" word. */
    public static final int REST_OF_HEADER_OFFSET = 4;
    /** Echo identifier (types 0 and 8). */
    public static final int IDENTIFIER_OFFSET = 4;
    /** Echo sequence number (types 0 and 8). */
    public static final int SEQUENCE_OFFSET = 6;
    /** Next-hop MTU (type 3 code 4, RFC 1191). */
    public static final int NEXT_HOP_MTU_OFFSET = 6;
    /** Gateway address (type 5). */
    public static final int GATEWAY_OFFSET = 4;
    /** Pointer to the offending byte (type 12). */
    public static final int POINTER_OFFSET = 4;
    /** The original datagram in error messages. */
    public static final int DATAGRAM_OFFSET = 8;
    /** Length of the header (type, code, checksum and the rest-of-header word). */
    public static final int LENGTH = 8;

    public static final int ECHO_REPLY = 0;
    public static final int DEST_UNREACH = 3;
    /** Deprecated by RFC 6633 but still an error message that quotes a datagram. */
    public static final int SOURCE_QUENCH = 4;
    public static final int REDIRECT = 5;
    public static final int ECHO_REQUEST = 8;
    public static final int TIME_EXCEEDED = 11;
    public static final int PARAMETER_PROBLEM = 12;

    /** Destination-unreachable codes. */
    public static final int NET_UNREACH = 0;
    public static final int HOST_UNREACH = 1;
    public static final int PROTO_UNREACH = 2;
    public static final int PORT_UNREACH = 3;
    /** Fragmentation needed and DF set: the next-hop MTU field is valid. */
    public static final int FRAG_NEEDED = 4;
    /** Communication administratively prohibited (a policy reject). */
    public static final int ADMIN_PROHIBITED = 13;
    /** Time-exceeded codes. */
    public static final int TTL_EXCEEDED = 0;
    public static final int FRAG_REASSEMBLY_EXCEEDED = 1;

    private MemorySegment segment;
    private long offset;

    public Icmp4Header wrap(MemorySegment segment, long offset) {
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

    public Icmp4Header type(int value) {
        NetworkOrder.u8(segment, offset + TYPE_OFFSET, value);
        return this;
    }

    public int code() {
        return NetworkOrder.u8(segment, offset + CODE_OFFSET);
    }

    public Icmp4Header code(int value) {
        NetworkOrder.u8(segment, offset + CODE_OFFSET, value);
        return this;
    }

    public int checksum() {
        return NetworkOrder.u16(segment, offset + CHECKSUM_OFFSET);
    }

    public Icmp4Header checksum(int value) {
        NetworkOrder.u16(segment, offset + CHECKSUM_OFFSET, value);
        return this;
    }

    /** Returns: the raw 32-bit word after the checksum, whatever the type. */
    public int restOfHeader() {
        return NetworkOrder.u32(segment, offset + REST_OF_HEADER_OFFSET);
    }

    public Icmp4Header restOfHeader(int value) {
        NetworkOrder.u32(segment, offset + REST_OF_HEADER_OFFSET, value);
        return this;
    }

    /** Returns: the echo identifier, which conntrack and NAT treat as the "port". */
    public int identifier() {
        return NetworkOrder.u16(segment, offset + IDENTIFIER_OFFSET);
    }

    public Icmp4Header identifier(int value) {
        NetworkOrder.u16(segment, offset + IDENTIFIER_OFFSET, value);
        return this;
    }

    public int sequence() {
        return NetworkOrder.u16(segment, offset + SEQUENCE_OFFSET);
    }

    public Icmp4Header sequence(int value) {
        NetworkOrder.u16(segment, offset + SEQUENCE_OFFSET, value);
        return this;
    }

    /** Returns: the next-hop MTU in bytes of a fragmentation-needed message (type 3 code 4). */
    public int nextHopMtu() {
        return NetworkOrder.u16(segment, offset + NEXT_HOP_MTU_OFFSET);
    }

    public Icmp4Header nextHopMtu(int bytes) {
        NetworkOrder.u16(segment, offset + NEXT_HOP_MTU_OFFSET, bytes);
        return this;
    }

    /** Returns: the gateway address of a redirect (type 5). */
    public int gateway() {
        return NetworkOrder.u32(segment, offset + GATEWAY_OFFSET);
    }

    public Icmp4Header gateway(int address) {
        NetworkOrder.u32(segment, offset + GATEWAY_OFFSET, address);
        return this;
    }

    /** Returns: the pointer of a parameter problem (type 12). */
    public int pointer() {
        return NetworkOrder.u8(segment, offset + POINTER_OFFSET);
    }

    public Icmp4Header pointer(int value) {
        NetworkOrder.u8(segment, offset + POINTER_OFFSET, value);
        return this;
    }

    /**
     * Returns: the absolute offset of the original datagram's IP header quoted by an error
     * message (see {@link #isError(int)}); the parser checks it is there before conntrack
     * reads it.
     */
    public long datagramOffset() {
        return offset + DATAGRAM_OFFSET;
    }

    /**
     * Returns: true for the error types that quote the offending datagram (3, 4, 5, 11, 12),
     * the set Linux conntrack treats as related to an existing connection. Queries (echo,
     * timestamp, ...) are false.
     */
    public static boolean isError(int type) {
        return switch (type) {
            case DEST_UNREACH, SOURCE_QUENCH, REDIRECT, TIME_EXCEEDED, PARAMETER_PROBLEM -> true;
            default -> false;
        };
    }
}
