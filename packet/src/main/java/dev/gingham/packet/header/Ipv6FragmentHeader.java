package dev.gingham.packet.header;

import dev.gingham.packet.NetworkOrder;

import java.lang.foreign.MemorySegment;

/**
 * Flyweight over the IPv6 fragment extension header (next header 44, RFC 8200 §4.5).
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  Next Header  |   Reserved    |      Fragment Offset    |Res|M|
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                         Identification                        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 *
 * <p>Unlike IPv4 the offset is in the high 13 bits of its word and the M flag in the lowest
 * bit; there is no DF bit because IPv6 routers never fragment.
 */
public final class Ipv6FragmentHeader {
    public static final int NEXT_HEADER_OFFSET = 0;
    public static final int RESERVED_OFFSET = 1;
    /** The 16-bit word holding the 13-bit fragment offset, two reserved bits and M. */
    public static final int FRAGMENT_OFFSET_OFFSET = 2;
    public static final int IDENTIFICATION_OFFSET = 4;
    /** The fragment header is always 8 bytes. */
    public static final int LENGTH = 8;

    /** More-fragments bit in the offset word. */
    public static final int FLAG_M = 0x0001;

    private MemorySegment segment;
    private long offset;

    public Ipv6FragmentHeader wrap(MemorySegment segment, long offset) {
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

    public int nextHeader() {
        return NetworkOrder.u8(segment, offset + NEXT_HEADER_OFFSET);
    }

    public Ipv6FragmentHeader nextHeader(int value) {
        NetworkOrder.u8(segment, offset + NEXT_HEADER_OFFSET, value);
        return this;
    }

    private int offsetWord() {
        return NetworkOrder.u16(segment, offset + FRAGMENT_OFFSET_OFFSET);
    }

    private Ipv6FragmentHeader offsetWord(int value) {
        NetworkOrder.u16(segment, offset + FRAGMENT_OFFSET_OFFSET, value);
        return this;
    }

    /** Returns: the fragment offset in 8-byte units. */
    public int fragmentOffset() {
        return offsetWord() >>> 3;
    }

    /** Sets the fragment offset in 8-byte units, keeping the reserved bits and M. */
    public Ipv6FragmentHeader fragmentOffset(int units) {
        return offsetWord((offsetWord() & 0x0007) | ((units & 0x1FFF) << 3));
    }

    /** Returns: the fragment offset in bytes. */
    public int fragmentOffsetBytes() {
        return fragmentOffset() << 3;
    }

    public boolean moreFragments() {
        return (offsetWord() & FLAG_M) != 0;
    }

    public Ipv6FragmentHeader moreFragments(boolean value) {
        return offsetWord(value ? offsetWord() | FLAG_M : offsetWord() & ~FLAG_M);
    }

    /** Returns: the 32-bit identification as a (possibly negative) int. */
    public int identification() {
        return NetworkOrder.u32(segment, offset + IDENTIFICATION_OFFSET);
    }

    public Ipv6FragmentHeader identification(int value) {
        NetworkOrder.u32(segment, offset + IDENTIFICATION_OFFSET, value);
        return this;
    }

    /** Returns: the absolute offset of the header after this one. */
    public long payloadOffset() {
        return offset + LENGTH;
    }
}
