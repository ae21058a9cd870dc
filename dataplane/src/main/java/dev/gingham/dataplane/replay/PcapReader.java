package dev.gingham.dataplane.replay;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;

/**
 * Classic pcap (libpcap's format): a 24-byte file header, then records of a 16-byte header and
 * the frame.
 *
 * <pre>
 *   file header: magic u32 | major u16 | minor u16 | thiszone i32 | sigfigs u32 | snaplen u32 | linktype u32
 *   record:      ts_sec u32 | ts_frac u32 | captured u32 | original u32 | frame bytes (captured)
 * </pre>
 *
 * <p>The magic tells the byte order (read in both) and the unit of {@code ts_frac}: a1b2c3d4
 * microseconds, a1b23c4d nanoseconds. The link type must be Ethernet (1). When the link-type
 * word declares an FCS (bit 26 and its length in 16-bit words in bits 28-31), the FCS is
 * removed from every whole frame, so frames replay as a TAP delivers them.
 */
public final class PcapReader extends CaptureReader {
    static final int FILE_HEADER_LENGTH = 24;
    static final int RECORD_HEADER_LENGTH = 16;
    static final int VERSION_MAJOR = 2;
    private static final int LINKTYPE_OFFSET = 20;
    private static final int FCS_PRESENT = 0x0400_0000;

    private final boolean nanosecond;
    private final long fractionUnitNs;
    private final int fcsBytes;
    private long position = FILE_HEADER_LENGTH;

    PcapReader(Path file, Arena arena, MemorySegment data) throws CaptureFormatException {
        super(file, arena, data);
        int magic = magic(file, data);
        swapped = magic == PCAP_MICRO_BE || magic == PCAP_NANO_BE;
        nanosecond = magic == PCAP_NANO_LE || magic == PCAP_NANO_BE;
        fractionUnitNs = nanosecond ? 1 : 1000;
        if (size < FILE_HEADER_LENGTH) {
            throw fail("truncated: the pcap file header needs " + FILE_HEADER_LENGTH + " bytes, the file has " + size, 0,
                    CaptureFormatException.NO_FRAME);
        }
        int major = u16(4);
        if (major != VERSION_MAJOR) {
            throw fail("pcap version " + major + "." + u16(6) + " is not supported (2.4 expected)", 4,
                    CaptureFormatException.NO_FRAME);
        }
        int linkWord = u32(LINKTYPE_OFFSET);
        int linkType = linkWord & 0xFFFF;
        if (linkType != LinkTypes.ETHERNET) {
            throw unsupportedLinkType(linkType, "the file", LINKTYPE_OFFSET, CaptureFormatException.NO_FRAME);
        }
        fcsBytes = (linkWord & FCS_PRESENT) != 0 ? (linkWord >>> 28) * 2 : 0;
        addInterface(null);
    }

    /**
     * Opens a file that must be classic pcap; a pcapng file is refused with a message saying so.
     * {@link CaptureReader#open} reads either.
     */
    public static PcapReader open(Path file) throws IOException {
        CaptureReader reader = CaptureReader.open(file);
        if (reader instanceof PcapReader pcap) {
            return pcap;
        }
        reader.close();
        throw new CaptureFormatException(file + ": this is a pcapng file (section header block 0a0d0d0a at byte offset 0),"
                + " not classic pcap (a1b2c3d4 or a1b23c4d); open it with CaptureReader.open, which reads both", 0,
                CaptureFormatException.NO_FRAME);
    }

    @Override
    boolean advance() throws CaptureFormatException {
        long header = position;
        if (header == size) {
            return false;
        }
        long index = records;
        if (size - header < RECORD_HEADER_LENGTH) {
            throw fail("truncated: the record header needs " + RECORD_HEADER_LENGTH + " bytes, " + (size - header)
                    + " remain", header, index);
        }
        long seconds = u32(header) & 0xFFFF_FFFFL;
        long fraction = u32(header + 4) & 0xFFFF_FFFFL;
        int captured = u32(header + 8);
        int original = u32(header + 12);
        if (captured < 0 || captured > MAX_CAPTURED_BYTES) {
            throw fail("absurd captured length " + Integer.toUnsignedString(captured) + " (more than "
                    + MAX_CAPTURED_BYTES + "): the file is corrupt", header + 8, index);
        }
        if (original < 0) {
            throw fail("absurd original length " + Integer.toUnsignedString(original) + ": the file is corrupt", header + 12,
                    index);
        }
        long dataStart = header + RECORD_HEADER_LENGTH;
        if (size - dataStart < captured) {
            throw fail("truncated: the record says " + captured + " captured bytes, " + (size - dataStart) + " remain",
                    header, index);
        }
        records++;
        position = dataStart + captured;
        frameOffset = dataStart;
        timestampNs = seconds * 1_000_000_000L + fraction * fractionUnitNs;
        interfaceIndex = 0;
        if (fcsBytes != 0 && captured == original && captured >= fcsBytes) {
            captured -= fcsBytes;
            original -= fcsBytes;
        }
        capturedLength = captured;
        originalLength = original;
        return true;
    }

    /** Returns: true when the file's timestamps are in nanoseconds (magic a1b23c4d). */
    public boolean nanosecondTimestamps() {
        return nanosecond;
    }

    @Override
    public String formatDescription() {
        return "pcap, " + (nanosecond ? "nanosecond" : "microsecond") + " timestamps, "
                + (swapped ? "big-endian" : "little-endian");
    }
}
