package dev.gingham.packet.header;

import dev.gingham.packet.NetworkOrder;

import java.lang.foreign.MemorySegment;

/**
 * Flyweight over the fixed part of a Geneve header (RFC 8926). Options are read with
 * {@link GeneveOption}.
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |Ver|  Opt Len  |O|C|    Rsvd.  |          Protocol Type        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |        Virtual Network Identifier (VNI)       |    Reserved   |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                                                               |
 * ~                    Variable-Length Options                    ~
 * |                                                               |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 *
 * <p>Opt Len counts 4-byte units; {@link #optionsLength()} converts it to bytes. The inner
 * frame starts after the options ({@link #payloadOffset()}). The C bit says a critical option
 * is present: a receiver that does not understand one must drop the packet (RFC 8926 §3.5).
 */
public final class GeneveHeader {
    /** Version (2 bits) and option length (6 bits, 4-byte units). */
    public static final int VERSION_OPTIONS_LENGTH_OFFSET = 0;
    /** O and C flags (high bits) and reserved bits. */
    public static final int FLAGS_OFFSET = 1;
    public static final int PROTOCOL_TYPE_OFFSET = 2;
    /** The VNI is the high 24 bits of the 32-bit word at this offset. */
    public static final int VNI_OFFSET = 4;
    public static final int OPTIONS_OFFSET = 8;
    /** Length of the fixed header, without options. */
    public static final int LENGTH = 8;
    /** Largest options region in bytes (Opt Len 63). */
    public static final int MAX_OPTIONS_LENGTH = 63 * 4;

    /** O flag: control (OAM) packet. */
    public static final int FLAG_OAM = 0x80;
    /** C flag: critical options present. */
    public static final int FLAG_CRITICAL = 0x40;
    /** Protocol type of an Ethernet payload (Transparent Ethernet Bridging). */
    public static final int PROTOCOL_TRANS_ETHER_BRIDGING = 0x6558;
    /** IANA port. */
    public static final int PORT = 6081;
    public static final int MAX_VNI = 0xFF_FFFF;

    private MemorySegment segment;
    private long offset;

    public GeneveHeader wrap(MemorySegment segment, long offset) {
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
        return NetworkOrder.u8(segment, offset + VERSION_OPTIONS_LENGTH_OFFSET) >>> 6;
    }

    public GeneveHeader version(int value) {
        int b = NetworkOrder.u8(segment, offset + VERSION_OPTIONS_LENGTH_OFFSET);
        NetworkOrder.u8(segment, offset + VERSION_OPTIONS_LENGTH_OFFSET, (b & 0x3F) | ((value & 0x03) << 6));
        return this;
    }

    /** Returns: the options region length in bytes (Opt Len field times 4). */
    public int optionsLength() {
        return (NetworkOrder.u8(segment, offset + VERSION_OPTIONS_LENGTH_OFFSET) & 0x3F) << 2;
    }

    /** Sets the options region length in bytes (a multiple of 4, at most 252). */
    public GeneveHeader optionsLength(int bytes) {
        int b = NetworkOrder.u8(segment, offset + VERSION_OPTIONS_LENGTH_OFFSET);
        NetworkOrder.u8(segment, offset + VERSION_OPTIONS_LENGTH_OFFSET, (b & 0xC0) | ((bytes >>> 2) & 0x3F));
        return this;
    }

    /** Returns: the raw flags byte (O, C and reserved bits). */
    public int flags() {
        return NetworkOrder.u8(segment, offset + FLAGS_OFFSET);
    }

    public GeneveHeader flags(int value) {
        NetworkOrder.u8(segment, offset + FLAGS_OFFSET, value);
        return this;
    }

    public boolean oam() {
        return (flags() & FLAG_OAM) != 0;
    }

    public GeneveHeader oam(boolean value) {
        return flags(value ? flags() | FLAG_OAM : flags() & ~FLAG_OAM);
    }

    public boolean critical() {
        return (flags() & FLAG_CRITICAL) != 0;
    }

    public GeneveHeader critical(boolean value) {
        return flags(value ? flags() | FLAG_CRITICAL : flags() & ~FLAG_CRITICAL);
    }

    /** Returns: the EtherType of the payload, {@link #PROTOCOL_TRANS_ETHER_BRIDGING} for Ethernet. */
    public int protocolType() {
        return NetworkOrder.u16(segment, offset + PROTOCOL_TYPE_OFFSET);
    }

    public GeneveHeader protocolType(int value) {
        NetworkOrder.u16(segment, offset + PROTOCOL_TYPE_OFFSET, value);
        return this;
    }

    /** Returns: the 24-bit VNI. */
    public int vni() {
        return NetworkOrder.u32(segment, offset + VNI_OFFSET) >>> 8;
    }

    /** Sets the 24-bit VNI, keeping the reserved byte after it. */
    public GeneveHeader vni(int value) {
        int word = NetworkOrder.u32(segment, offset + VNI_OFFSET);
        NetworkOrder.u32(segment, offset + VNI_OFFSET, (value << 8) | (word & 0xFF));
        return this;
    }

    /**
     * Writes a whole fixed header with no options: version 0, no flags, the protocol type and
     * the VNI, zero reserved fields (encapsulation writes over old headroom bytes).
     */
    public GeneveHeader init(int vni, int protocolType) {
        NetworkOrder.u32(segment, offset + VERSION_OPTIONS_LENGTH_OFFSET, protocolType & 0xFFFF);
        NetworkOrder.u32(segment, offset + VNI_OFFSET, vni << 8);
        return this;
    }

    /** Returns: the absolute offset of the options region (it may be empty). */
    public long optionsOffset() {
        return offset + OPTIONS_OFFSET;
    }

    /** Returns: the header length in bytes, options included. */
    public int headerLength() {
        return LENGTH + optionsLength();
    }

    /** Returns: the absolute offset of the payload (the inner frame), after the options. */
    public long payloadOffset() {
        return offset + headerLength();
    }
}
