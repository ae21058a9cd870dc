package dev.gingham.packet.header;

import dev.gingham.packet.NetworkOrder;

import java.lang.foreign.MemorySegment;

/**
 * Flyweight over an ARP packet for Ethernet hardware and IPv4 protocol addresses (RFC 826), the
 * only combination a Kubernetes node sees; the fixed offsets below assume hlen 6 and plen 4, which
 * the parser checks.
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |      Hardware Type (1)        |     Protocol Type (0x0800)    |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  HW Len (6)   | Proto Len (4) |          Operation            |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |               Sender Hardware Address (bytes 0-3)             |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  Sender HW Addr (bytes 4-5)   |  Sender Proto Addr (bytes 0-1)|
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | Sender Proto Addr (bytes 2-3) |  Target HW Addr (bytes 0-1)   |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |               Target Hardware Address (bytes 2-5)             |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                    Target Protocol Address                    |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 *
 * <p>MAC addresses are longs (low 48 bits) and IPv4 addresses ints, as in
 * {@link EthernetHeader} and {@link Ipv4Header}. The protocol addresses are not 4-byte aligned
 * (bytes 14 and 24): the unaligned big-endian layouts handle that.
 */
public final class ArpHeader {
    public static final int HTYPE_OFFSET = 0;
    public static final int PTYPE_OFFSET = 2;
    public static final int HLEN_OFFSET = 4;
    public static final int PLEN_OFFSET = 5;
    public static final int OPER_OFFSET = 6;
    /** Sender hardware address. */
    public static final int SHA_OFFSET = 8;
    /** Sender protocol address. */
    public static final int SPA_OFFSET = 14;
    /** Target hardware address. */
    public static final int THA_OFFSET = 18;
    /** Target protocol address. */
    public static final int TPA_OFFSET = 24;
    /** Length of an Ethernet/IPv4 ARP packet. */
    public static final int LENGTH = 28;

    public static final int HTYPE_ETHERNET = 1;
    public static final int PTYPE_IPV4 = EthernetHeader.ETHER_TYPE_IPV4;
    public static final int HLEN_ETHERNET = 6;
    public static final int PLEN_IPV4 = 4;
    public static final int OPER_REQUEST = 1;
    public static final int OPER_REPLY = 2;

    private MemorySegment segment;
    private long offset;

    public ArpHeader wrap(MemorySegment segment, long offset) {
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

    public int htype() {
        return NetworkOrder.u16(segment, offset + HTYPE_OFFSET);
    }

    public ArpHeader htype(int value) {
        NetworkOrder.u16(segment, offset + HTYPE_OFFSET, value);
        return this;
    }

    public int ptype() {
        return NetworkOrder.u16(segment, offset + PTYPE_OFFSET);
    }

    public ArpHeader ptype(int value) {
        NetworkOrder.u16(segment, offset + PTYPE_OFFSET, value);
        return this;
    }

    public int hlen() {
        return NetworkOrder.u8(segment, offset + HLEN_OFFSET);
    }

    public ArpHeader hlen(int value) {
        NetworkOrder.u8(segment, offset + HLEN_OFFSET, value);
        return this;
    }

    public int plen() {
        return NetworkOrder.u8(segment, offset + PLEN_OFFSET);
    }

    public ArpHeader plen(int value) {
        NetworkOrder.u8(segment, offset + PLEN_OFFSET, value);
        return this;
    }

    /** Returns: the operation, {@link #OPER_REQUEST} or {@link #OPER_REPLY}. */
    public int oper() {
        return NetworkOrder.u16(segment, offset + OPER_OFFSET);
    }

    public ArpHeader oper(int value) {
        NetworkOrder.u16(segment, offset + OPER_OFFSET, value);
        return this;
    }

    public long sha() {
        return EthernetHeader.mac(segment, offset + SHA_OFFSET);
    }

    public ArpHeader sha(long mac) {
        EthernetHeader.mac(segment, offset + SHA_OFFSET, mac);
        return this;
    }

    public int spa() {
        return NetworkOrder.u32(segment, offset + SPA_OFFSET);
    }

    public ArpHeader spa(int address) {
        NetworkOrder.u32(segment, offset + SPA_OFFSET, address);
        return this;
    }

    public long tha() {
        return EthernetHeader.mac(segment, offset + THA_OFFSET);
    }

    public ArpHeader tha(long mac) {
        EthernetHeader.mac(segment, offset + THA_OFFSET, mac);
        return this;
    }

    public int tpa() {
        return NetworkOrder.u32(segment, offset + TPA_OFFSET);
    }

    public ArpHeader tpa(int address) {
        NetworkOrder.u32(segment, offset + TPA_OFFSET, address);
        return this;
    }
}
