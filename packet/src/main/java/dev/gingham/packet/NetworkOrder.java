package dev.gingham.packet;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Value layouts and accessors for fields in network byte order (big-endian), unaligned.
 *
 * <p>Every header accessor in Gingham goes through these so that byte order is explicit at each
 * field (DESIGN.md §3). Unsigned fields come back widened: {@code u8}/{@code u16} as {@code int},
 * {@code u32} as the raw 32 bits in an {@code int} (compare with {@link Integer#compareUnsigned}
 * or widen with {@link Integer#toUnsignedLong}).
 *
 * <p>No method validates offsets: the parser validates a frame once, and accessors trust it.
 * The segment's own bounds check still stops a bug from reading outside the buffer pool.
 */
public final class NetworkOrder {
    /** One byte. */
    public static final ValueLayout.OfByte U8 = ValueLayout.JAVA_BYTE;
    /** 16 bits, big-endian, any alignment. */
    public static final ValueLayout.OfShort BE16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    /** 32 bits, big-endian, any alignment. */
    public static final ValueLayout.OfInt BE32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    /** 64 bits, big-endian, any alignment. */
    public static final ValueLayout.OfLong BE64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    private NetworkOrder() {
    }

    public static int u8(MemorySegment segment, long offset) {
        return segment.get(U8, offset) & 0xFF;
    }

    public static void u8(MemorySegment segment, long offset, int value) {
        segment.set(U8, offset, (byte) value);
    }

    public static int u16(MemorySegment segment, long offset) {
        return segment.get(BE16, offset) & 0xFFFF;
    }

    public static void u16(MemorySegment segment, long offset, int value) {
        segment.set(BE16, offset, (short) value);
    }

    /** Returns: the 32 bits at offset in network order, as a (possibly negative) int. */
    public static int u32(MemorySegment segment, long offset) {
        return segment.get(BE32, offset);
    }

    public static void u32(MemorySegment segment, long offset, int value) {
        segment.set(BE32, offset, value);
    }

    public static long u64(MemorySegment segment, long offset) {
        return segment.get(BE64, offset);
    }

    public static void u64(MemorySegment segment, long offset, long value) {
        segment.set(BE64, offset, value);
    }
}
