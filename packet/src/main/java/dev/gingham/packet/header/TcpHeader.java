package dev.gingham.packet.header;

import dev.gingham.packet.NetworkOrder;

import java.lang.foreign.MemorySegment;

/**
 * Flyweight over a TCP header (RFC 9293). Options are read with {@link TcpOptions}.
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |          Source Port          |       Destination Port        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                        Sequence Number                        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                    Acknowledgment Number                      |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  Data |       |C|E|U|A|P|R|S|F|                               |
 * | Offset| Rsrvd |W|C|R|C|S|S|Y|I|            Window             |
 * |       |       |R|E|G|K|H|T|N|N|                               |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |           Checksum            |         Urgent Pointer        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                    Options (data offset > 5)  |    Padding    |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 *
 * <p>Sequence and acknowledgment numbers are the raw 32 bits in an {@code int}; compare them
 * with serial-number arithmetic ({@code (a - b) < 0}), never with {@code <}.
 *
 * <p>Setters do not update {@link #checksum()} (see {@link Ipv4Header}).
 */
public final class TcpHeader {
    public static final int SRC_PORT_OFFSET = 0;
    public static final int DST_PORT_OFFSET = 2;
    public static final int SEQ_OFFSET = 4;
    public static final int ACK_OFFSET = 8;
    /** Data offset (high nibble) and reserved bits. */
    public static final int DATA_OFFSET_OFFSET = 12;
    public static final int FLAGS_OFFSET = 13;
    public static final int WINDOW_OFFSET = 14;
    public static final int CHECKSUM_OFFSET = 16;
    public static final int URGENT_POINTER_OFFSET = 18;
    public static final int OPTIONS_OFFSET = 20;

    /** Length of a header without options (data offset 5). */
    public static final int MIN_LENGTH = 20;
    /** Length of a header with the most options (data offset 15). */
    public static final int MAX_LENGTH = 60;

    public static final int FIN = 0x01;
    public static final int SYN = 0x02;
    public static final int RST = 0x04;
    public static final int PSH = 0x08;
    public static final int ACK = 0x10;
    public static final int URG = 0x20;
    public static final int ECE = 0x40;
    public static final int CWR = 0x80;

    private MemorySegment segment;
    private long offset;

    public TcpHeader wrap(MemorySegment segment, long offset) {
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

    public int srcPort() {
        return NetworkOrder.u16(segment, offset + SRC_PORT_OFFSET);
    }

    public TcpHeader srcPort(int value) {
        NetworkOrder.u16(segment, offset + SRC_PORT_OFFSET, value);
        return this;
    }

    public int dstPort() {
        return NetworkOrder.u16(segment, offset + DST_PORT_OFFSET);
    }

    public TcpHeader dstPort(int value) {
        NetworkOrder.u16(segment, offset + DST_PORT_OFFSET, value);
        return this;
    }

    public int seq() {
        return NetworkOrder.u32(segment, offset + SEQ_OFFSET);
    }

    public TcpHeader seq(int value) {
        NetworkOrder.u32(segment, offset + SEQ_OFFSET, value);
        return this;
    }

    public int ack() {
        return NetworkOrder.u32(segment, offset + ACK_OFFSET);
    }

    public TcpHeader ack(int value) {
        NetworkOrder.u32(segment, offset + ACK_OFFSET, value);
        return this;
    }

    /** Returns: the header length in 32-bit words (5..15 in a valid header). */
    public int dataOffset() {
        return NetworkOrder.u8(segment, offset + DATA_OFFSET_OFFSET) >>> 4;
    }

    /** Sets the data offset in 32-bit words, keeping the reserved bits of the same byte. */
    public TcpHeader dataOffset(int words) {
        int b = NetworkOrder.u8(segment, offset + DATA_OFFSET_OFFSET);
        NetworkOrder.u8(segment, offset + DATA_OFFSET_OFFSET, (b & 0x0F) | ((words & 0x0F) << 4));
        return this;
    }

    /** Returns: the header length in bytes, options included. */
    public int headerLength() {
        return dataOffset() << 2;
    }

    public TcpHeader headerLength(int bytes) {
        return dataOffset(bytes >>> 2);
    }

    /** Returns: the eight flag bits; test with {@link #FIN} .. {@link #CWR}. */
    public int flags() {
        return NetworkOrder.u8(segment, offset + FLAGS_OFFSET);
    }

    public TcpHeader flags(int value) {
        NetworkOrder.u8(segment, offset + FLAGS_OFFSET, value);
        return this;
    }

    /** Returns: true if every bit of {@code mask} is set. */
    public boolean hasFlags(int mask) {
        return (flags() & mask) == mask;
    }

    public int window() {
        return NetworkOrder.u16(segment, offset + WINDOW_OFFSET);
    }

    public TcpHeader window(int value) {
        NetworkOrder.u16(segment, offset + WINDOW_OFFSET, value);
        return this;
    }

    public int checksum() {
        return NetworkOrder.u16(segment, offset + CHECKSUM_OFFSET);
    }

    public TcpHeader checksum(int value) {
        NetworkOrder.u16(segment, offset + CHECKSUM_OFFSET, value);
        return this;
    }

    public int urgentPointer() {
        return NetworkOrder.u16(segment, offset + URGENT_POINTER_OFFSET);
    }

    public TcpHeader urgentPointer(int value) {
        NetworkOrder.u16(segment, offset + URGENT_POINTER_OFFSET, value);
        return this;
    }

    /** Returns: the absolute offset of the options region (it may be empty). */
    public long optionsOffset() {
        return offset + OPTIONS_OFFSET;
    }

    /** Returns: the options region length in bytes ({@code headerLength() - 20}). */
    public int optionsLength() {
        return headerLength() - MIN_LENGTH;
    }

    /** Returns: the absolute offset of the segment's data. */
    public long payloadOffset() {
        return offset + headerLength();
    }
}
