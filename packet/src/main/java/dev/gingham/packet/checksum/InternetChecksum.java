package dev.gingham.packet.checksum;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * The Internet checksum (RFC 1071): the 16-bit ones' complement of the ones' complement sum of
 * the data taken as big-endian 16-bit words, an odd last byte padded with zero.
 *
 * <p>Partial sums are carried as a {@code long} accumulator of big-endian 16-bit words so that
 * regions (a pseudo-header, then the L4 header and payload) can be summed one after another
 * with {@link #add}; every region but the last must have an even length. {@link #finish}
 * folds and complements.
 *
 * <p>Speed: the data is read eight bytes at a time in the machine's byte order, and the folded
 * sum is byte-swapped once at the end. RFC 1071 §2(B): the ones' complement sum is independent
 * of byte order up to a final swap, so this equals summing big-endian words one by one.
 */
public final class InternetChecksum {
    private static final ValueLayout.OfLong NATIVE_LONG = ValueLayout.JAVA_LONG_UNALIGNED;
    private static final ValueLayout.OfInt NATIVE_INT = ValueLayout.JAVA_INT_UNALIGNED;
    private static final ValueLayout.OfShort NATIVE_SHORT = ValueLayout.JAVA_SHORT_UNALIGNED;
    private static final boolean LITTLE_ENDIAN = ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN;

    private InternetChecksum() {
    }

    /**
     * Adds the bytes {@code [offset, offset + length)} to a big-endian word sum.
     *
     * @return the new accumulator (not folded; keep adding or call {@link #finish})
     */
    public static long add(MemorySegment segment, long offset, int length, long accumulator) {
        long sum = 0;
        // A counted int loop over 8-byte words: C2 hoists the segment's bounds check out of it,
        // unrolls it and vectorizes the sum (a while loop over a long position it does neither).
        // Each word adds at most 2^33 - 2: 2^30 words (8 GB) before the long could overflow.
        int words = length >>> 3;
        for (int k = 0; k < words; k++) {
            long word = segment.get(NATIVE_LONG, offset + ((long) k << 3));
            sum += (word & 0xFFFF_FFFFL) + (word >>> 32);
        }
        long position = offset + ((long) words << 3);
        long end = offset + length;
        if (end - position >= 4) {
            sum += segment.get(NATIVE_INT, position) & 0xFFFF_FFFFL;
            position += 4;
        }
        if (end - position >= 2) {
            sum += segment.get(NATIVE_SHORT, position) & 0xFFFF;
            position += 2;
        }
        if (position < end) {
            int last = segment.get(ValueLayout.JAVA_BYTE, position) & 0xFF;
            // Big-endian: the lone byte is the high half of a zero-padded word.
            sum += LITTLE_ENDIAN ? last : last << 8;
        }
        int folded = fold(sum);
        return accumulator + (LITTLE_ENDIAN ? Integer.reverseBytes(folded) >>> 16 : folded);
    }

    /** Adds a 16-bit big-endian word value to the accumulator. */
    public static long add16(long accumulator, int word) {
        return accumulator + (word & 0xFFFF);
    }

    /** Adds a 32-bit value as two big-endian 16-bit words (an IPv4 address, a sequence number). */
    public static long add32(long accumulator, int value) {
        return accumulator + (value >>> 16) + (value & 0xFFFF);
    }

    /** Adds a 64-bit value as four big-endian 16-bit words (half of an IPv6 address). */
    public static long add64(long accumulator, long value) {
        return accumulator + add32(0, (int) (value >>> 32)) + add32(0, (int) value);
    }

    /** Returns: the accumulator folded to 16 bits with end-around carries (not complemented). */
    public static int fold(long accumulator) {
        long sum = accumulator;
        while ((sum >>> 16) != 0) {
            sum = (sum & 0xFFFF) + (sum >>> 16);
        }
        return (int) sum;
    }

    /** Returns: the checksum to write into a header: the complement of the folded sum. */
    public static int finish(long accumulator) {
        return ~fold(accumulator) & 0xFFFF;
    }

    /** Returns: the checksum of one region. */
    public static int compute(MemorySegment segment, long offset, int length) {
        return finish(add(segment, offset, length, 0));
    }

    /**
     * Returns: true when the 20 bytes at {@code offset} (an IPv4 header without options, checksum
     * included) sum to 0xFFFF: {@link #verifies} for the one size every tunnel packet's outer
     * header has, in three loads instead of a loop.
     */
    public static boolean verifies20(MemorySegment segment, long offset) {
        long first = segment.get(NATIVE_LONG, offset);
        long second = segment.get(NATIVE_LONG, offset + 8);
        long sum = (first & 0xFFFF_FFFFL) + (first >>> 32) + (second & 0xFFFF_FFFFL) + (second >>> 32)
                + (segment.get(NATIVE_INT, offset + 16) & 0xFFFF_FFFFL);
        return fold(sum) == 0xFFFF;
    }

    /**
     * Returns: true when a region that includes its own checksum field sums to 0xFFFF (ones'
     * complement "minus zero"), which is how a receiver verifies it.
     */
    public static boolean verifies(MemorySegment segment, long offset, int length) {
        return fold(add(segment, offset, length, 0)) == 0xFFFF;
    }
}
