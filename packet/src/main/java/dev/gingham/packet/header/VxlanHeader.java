package dev.gingham.packet.header;

import dev.gingham.packet.NetworkOrder;

import java.lang.foreign.MemorySegment;

/**
 * Flyweight over a VXLAN header (RFC 7348), which follows the outer UDP header and precedes the
 * inner Ethernet frame.
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |R|R|R|R|I|R|R|R|                   Reserved                    |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |             VXLAN Network Identifier (VNI)    |   Reserved    |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 *
 * <p>The VNI is valid only when the I flag is set (RFC 7348 §5). Cilium carries the source
 * security identity in the VNI, so the VNI is read on every decapsulated packet.
 */
public final class VxlanHeader {
    public static final int FLAGS_OFFSET = 0;
    /** The VNI is the high 24 bits of the 32-bit word at this offset. */
    public static final int VNI_OFFSET = 4;
    /** Length of the header. */
    public static final int LENGTH = 8;

    /** The I flag: the VNI is valid. */
    public static final int FLAG_I = 0x08;
    /** Largest VNI (24 bits). */
    public static final int MAX_VNI = 0xFF_FFFF;
    /** IANA port (RFC 7348). */
    public static final int PORT_IANA = 4789;
    /** Linux kernel's historical default, also flannel's and Cilium's default. */
    public static final int PORT_LINUX = 8472;

    private MemorySegment segment;
    private long offset;

    public VxlanHeader wrap(MemorySegment segment, long offset) {
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

    /** Returns: the flags byte; only {@link #FLAG_I} is defined. */
    public int flags() {
        return NetworkOrder.u8(segment, offset + FLAGS_OFFSET);
    }

    public VxlanHeader flags(int value) {
        NetworkOrder.u8(segment, offset + FLAGS_OFFSET, value);
        return this;
    }

    /** Returns: true if the I flag is set, so {@link #vni()} is meaningful. */
    public boolean vniValid() {
        return (flags() & FLAG_I) != 0;
    }

    /** Returns: the 24-bit VNI. */
    public int vni() {
        return NetworkOrder.u32(segment, offset + VNI_OFFSET) >>> 8;
    }

    /** Sets the 24-bit VNI, keeping the reserved byte after it. */
    public VxlanHeader vni(int value) {
        int word = NetworkOrder.u32(segment, offset + VNI_OFFSET);
        NetworkOrder.u32(segment, offset + VNI_OFFSET, (value << 8) | (word & 0xFF));
        return this;
    }

    /**
     * Writes a whole header: the I flag, the VNI, zero reserved fields. Encapsulation writes
     * into headroom that holds old bytes, so every byte is set.
     */
    public VxlanHeader init(int vni) {
        NetworkOrder.u32(segment, offset + FLAGS_OFFSET, FLAG_I << 24);
        NetworkOrder.u32(segment, offset + VNI_OFFSET, vni << 8);
        return this;
    }

    /** Returns: the absolute offset of the inner Ethernet frame. */
    public long payloadOffset() {
        return offset + LENGTH;
    }
}
