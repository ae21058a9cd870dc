package dev.gingham.packet.header;

import dev.gingham.packet.NetworkOrder;

import java.lang.foreign.MemorySegment;

/**
 * Flyweight over an Ethernet II header, with an optional 802.1Q / 802.1ad tag.
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                 Destination MAC (bytes 0-3)                   |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  Destination MAC (bytes 4-5)  |    Source MAC (bytes 0-1)     |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                   Source MAC (bytes 2-5)                      |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |       EtherType or TPID       | PCP |D|        VLAN ID        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |        Inner EtherType        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 *
 * <p>Bytes 14-17 (TCI: PCP, DEI, VLAN ID; then the inner EtherType) exist only when byte 12
 * holds a tag protocol id, 0x8100 (802.1Q) or 0x88A8 (802.1ad).
 *
 * <p>A MAC address is a {@code long} holding the 48 bits in its low bits, first octet most
 * significant, so {@code 02:00:00:00:00:01} is {@code 0x0200_0000_0001L}: comparing and hashing
 * a long is cheaper than comparing six bytes, and it fits a map key.
 *
 * <p>Tag accessors ({@link #tci()}, {@link #innerEtherType()}) read bytes 14-17 whether or not
 * a tag is present: call {@link #hasVlanTag()} first. To read the second (customer) tag of a
 * QinQ frame, wrap a second flyweight at {@code offset + VLAN_TAG_LENGTH}: its
 * {@link #etherType()} is then the inner TPID and {@link #tci()} the inner TCI (its MAC
 * accessors are meaningless there).
 *
 * <p>Accessors do not validate: the parser has checked the frame is long enough.
 */
public final class EthernetHeader {
    /** Destination MAC address, 6 bytes. */
    public static final int DST_OFFSET = 0;
    /** Source MAC address, 6 bytes. */
    public static final int SRC_OFFSET = 6;
    /** EtherType, or the TPID of a VLAN tag. */
    public static final int ETHER_TYPE_OFFSET = 12;
    /** Tag control information (PCP, DEI, VLAN id) of a tagged frame. */
    public static final int TCI_OFFSET = 14;
    /** EtherType after the tag of a tagged frame. */
    public static final int INNER_ETHER_TYPE_OFFSET = 16;

    /** Length of a MAC address. */
    public static final int MAC_LENGTH = 6;
    /** Length of an untagged header. */
    public static final int LENGTH = 14;
    /** Length of one 802.1Q tag (TPID + TCI). */
    public static final int VLAN_TAG_LENGTH = 4;
    /** Length of a header with one tag. */
    public static final int VLAN_LENGTH = LENGTH + VLAN_TAG_LENGTH;

    public static final int ETHER_TYPE_IPV4 = 0x0800;
    public static final int ETHER_TYPE_ARP = 0x0806;
    public static final int ETHER_TYPE_IPV6 = 0x86DD;
    /** 802.1Q customer VLAN tag. */
    public static final int ETHER_TYPE_VLAN = 0x8100;
    /** 802.1ad service VLAN tag (QinQ outer tag). */
    public static final int ETHER_TYPE_QINQ = 0x88A8;

    /** Mask of the 12-bit VLAN id in the TCI. */
    public static final int VLAN_ID_MASK = 0x0FFF;
    /** The broadcast address ff:ff:ff:ff:ff:ff as a MAC long. */
    public static final long BROADCAST_MAC = 0xFFFF_FFFF_FFFFL;

    private MemorySegment segment;
    private long offset;

    public EthernetHeader wrap(MemorySegment segment, long offset) {
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

    public long dst() {
        return mac(segment, offset + DST_OFFSET);
    }

    public EthernetHeader dst(long mac) {
        mac(segment, offset + DST_OFFSET, mac);
        return this;
    }

    public long src() {
        return mac(segment, offset + SRC_OFFSET);
    }

    public EthernetHeader src(long mac) {
        mac(segment, offset + SRC_OFFSET, mac);
        return this;
    }

    /** Returns: the EtherType at byte 12, which is the TPID when the frame is tagged. */
    public int etherType() {
        return NetworkOrder.u16(segment, offset + ETHER_TYPE_OFFSET);
    }

    public EthernetHeader etherType(int value) {
        NetworkOrder.u16(segment, offset + ETHER_TYPE_OFFSET, value);
        return this;
    }

    /** Returns: true when byte 12 holds an 802.1Q or 802.1ad TPID. */
    public boolean hasVlanTag() {
        int type = etherType();
        return type == ETHER_TYPE_VLAN || type == ETHER_TYPE_QINQ;
    }

    /** Returns: the whole 16-bit tag control information. Meaningful only if tagged. */
    public int tci() {
        return NetworkOrder.u16(segment, offset + TCI_OFFSET);
    }

    public EthernetHeader tci(int value) {
        NetworkOrder.u16(segment, offset + TCI_OFFSET, value);
        return this;
    }

    /** Returns: the 12-bit VLAN id from the TCI. */
    public int vlanId() {
        return tci() & VLAN_ID_MASK;
    }

    /** Sets the 12-bit VLAN id, keeping PCP and DEI. */
    public EthernetHeader vlanId(int value) {
        return tci((tci() & ~VLAN_ID_MASK) | (value & VLAN_ID_MASK));
    }

    /** Returns: the 3-bit priority code point from the TCI. */
    public int pcp() {
        return tci() >>> 13;
    }

    /** Sets the 3-bit priority code point, keeping DEI and VLAN id. */
    public EthernetHeader pcp(int value) {
        return tci((tci() & 0x1FFF) | ((value & 0x7) << 13));
    }

    /** Returns: the drop eligible indicator bit (0 or 1) from the TCI. */
    public int dei() {
        return (tci() >>> 12) & 1;
    }

    public EthernetHeader dei(int value) {
        return tci((tci() & ~0x1000) | ((value & 1) << 12));
    }

    /** Returns: the EtherType after the tag. Meaningful only if tagged. */
    public int innerEtherType() {
        return NetworkOrder.u16(segment, offset + INNER_ETHER_TYPE_OFFSET);
    }

    public EthernetHeader innerEtherType(int value) {
        NetworkOrder.u16(segment, offset + INNER_ETHER_TYPE_OFFSET, value);
        return this;
    }

    /** Returns: the EtherType of the payload: the inner one if tagged, else the outer one. */
    public int payloadEtherType() {
        return hasVlanTag() ? innerEtherType() : etherType();
    }

    /** Returns: {@link #VLAN_LENGTH} if one tag is present, else {@link #LENGTH}. */
    public int headerLength() {
        return hasVlanTag() ? VLAN_LENGTH : LENGTH;
    }

    /** Returns: the absolute offset of the payload after one optional tag. */
    public long payloadOffset() {
        return offset + headerLength();
    }

    /** Returns: the MAC address at an absolute offset, in the low 48 bits. */
    public static long mac(MemorySegment segment, long offset) {
        long high = NetworkOrder.u16(segment, offset);
        long low = Integer.toUnsignedLong(NetworkOrder.u32(segment, offset + 2));
        return (high << 32) | low;
    }

    /** Writes the low 48 bits of {@code mac} at an absolute offset; the high 16 bits are ignored. */
    public static void mac(MemorySegment segment, long offset, long mac) {
        NetworkOrder.u16(segment, offset, (int) (mac >>> 32));
        NetworkOrder.u32(segment, offset + 2, (int) mac);
    }

    /**
     * Writes both addresses of the header at an absolute offset (destination, then source: 12
     * bytes) in two stores instead of four: routing and encapsulation rewrite both on every
     * frame. High 16 bits of each argument are ignored.
     */
    public static void macs(MemorySegment segment, long offset, long dstMac, long srcMac) {
        NetworkOrder.u64(segment, offset + DST_OFFSET, dstMac << 16 | (srcMac >>> 32 & 0xFFFF));
        NetworkOrder.u32(segment, offset + SRC_OFFSET + 2, (int) srcMac);
    }

    /**
     * Writes a whole untagged header (destination, source, EtherType) at an absolute offset in
     * two overlapping 8-byte stores (bytes 0-7 and 6-13; bytes 6-7 get the same value twice):
     * encapsulation writes one per packet. High 16 bits of the MACs are ignored.
     */
    public static void write(MemorySegment segment, long offset, long dstMac, long srcMac, int etherType) {
        NetworkOrder.u64(segment, offset + DST_OFFSET, dstMac << 16 | (srcMac >>> 32 & 0xFFFF));
        NetworkOrder.u64(segment, offset + SRC_OFFSET, srcMac << 16 | (etherType & 0xFFFF));
    }

    /**
     * Copies six MAC bytes between absolute offsets, without decoding them: the ARP responder and
     * the L2 rewrite copy addresses from one header to another.
     */
    public static void copyMac(MemorySegment from, long fromOffset, MemorySegment to, long toOffset) {
        MemorySegment.copy(from, fromOffset, to, toOffset, MAC_LENGTH);
    }

    /** Returns: true if the group bit (least significant bit of the first octet) is set. */
    public static boolean isMulticastMac(long mac) {
        return (mac & 0x0100_0000_0000L) != 0;
    }
}
