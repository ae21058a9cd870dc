package dev.gingham.packet.header;

import dev.gingham.packet.NetworkOrder;

import java.lang.foreign.MemorySegment;

/**
 * Flyweight over a UDP header (RFC 768).
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |          Source Port          |       Destination Port        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |            Length             |           Checksum            |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 *
 * <p>A checksum of 0 means "none" over IPv4 (VXLAN senders commonly use it); a computed 0 is sent
 * as 0xFFFF. Over IPv6 the checksum is mandatory. Setters do not update the checksum.
 */
public final class UdpHeader {
    public static final int SRC_PORT_OFFSET = 0;
    public static final int DST_PORT_OFFSET = 2;
    public static final int LENGTH_OFFSET = 4;
    public static final int CHECKSUM_OFFSET = 6;
    /** Length of the header. */
    public static final int LENGTH = 8;

    private MemorySegment segment;
    private long offset;

    public UdpHeader wrap(MemorySegment segment, long offset) {
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

    public UdpHeader srcPort(int value) {
        NetworkOrder.u16(segment, offset + SRC_PORT_OFFSET, value);
        return this;
    }

    public int dstPort() {
        return NetworkOrder.u16(segment, offset + DST_PORT_OFFSET);
    }

    public UdpHeader dstPort(int value) {
        NetworkOrder.u16(segment, offset + DST_PORT_OFFSET, value);
        return this;
    }

    /** Returns: the length field in bytes, header included. */
    public int length() {
        return NetworkOrder.u16(segment, offset + LENGTH_OFFSET);
    }

    public UdpHeader length(int bytes) {
        NetworkOrder.u16(segment, offset + LENGTH_OFFSET, bytes);
        return this;
    }

    public int checksum() {
        return NetworkOrder.u16(segment, offset + CHECKSUM_OFFSET);
    }

    public UdpHeader checksum(int value) {
        NetworkOrder.u16(segment, offset + CHECKSUM_OFFSET, value);
        return this;
    }

    /** Returns: the absolute offset of the datagram's data. */
    public long payloadOffset() {
        return offset + LENGTH;
    }
}
