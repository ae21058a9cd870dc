package dev.gingham.dataplane.fuzz;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.zip.CRC32C;

/**
 * SCTP's checksum: CRC32c over the whole packet with the checksum field zero (RFC 9260 §6.8,
 * Appendix A), stored in the byte order Linux and Wireshark use (the CRC's little-endian bytes).
 * The JDK's {@link CRC32C} is intrinsified; it reads from a heap array, so the packet is copied
 * into a scratch array first (no allocation per packet). One instance per thread.
 */
final class SctpChecksum {
    static final int CHECKSUM_OFFSET = 8;
    private static final ValueLayout.OfInt LE32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final CRC32C crc = new CRC32C();
    private final byte[] scratch = new byte[65_536];

    /** Returns: the checksum of the SCTP packet at {@code offset}, whatever its checksum field holds. */
    int compute(MemorySegment segment, long offset, int bytes) {
        MemorySegment.copy(segment, ValueLayout.JAVA_BYTE, offset, scratch, 0, bytes);
        for (int i = 0; i < 4; i++) {
            scratch[CHECKSUM_OFFSET + i] = 0;
        }
        crc.reset();
        crc.update(scratch, 0, bytes);
        return (int) crc.getValue();
    }

    /** Returns: the checksum field as stored. */
    static int field(MemorySegment segment, long offset) {
        return segment.get(LE32, offset + CHECKSUM_OFFSET);
    }

    /** Writes the checksum field. */
    static void field(MemorySegment segment, long offset, int checksum) {
        segment.set(LE32, offset + CHECKSUM_OFFSET, checksum);
    }
}
