package dev.gingham.dataplane.replay;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * pcapng (draft-ietf-opsawg-pcapng): a sequence of blocks, each
 * {@code type u32 | total length u32 | body | total length u32}, 4-byte aligned.
 *
 * <p>Read: Section Header Blocks (byte order from each section's byte-order magic, so a file
 * may mix little- and big-endian sections; interfaces restart per section), Interface
 * Description Blocks (link type, snap length, options {@code if_name}, {@code if_tsresol}
 * (10^-n or 2^-n; default 10^-6), {@code if_tsoffset}, {@code if_fcslen}), Enhanced Packet
 * Blocks, Simple Packet Blocks (interface 0 of the section; they carry no timestamp, so they
 * take the previous frame's) and the obsolete Packet Block. Name resolution, interface
 * statistics, decryption secrets, custom and unknown blocks are skipped after their length is
 * checked.
 *
 * <p>Interface indexes are global: section 2's interface 0 follows the last interface of
 * section 1. A link type other than Ethernet is refused when the first frame from that
 * interface arrives (a file may describe interfaces it captured nothing on).
 */
public final class PcapngReader extends CaptureReader {
    static final int BLOCK_SHB = 0x0A0D0D0A;
    static final int BLOCK_IDB = 1;
    static final int BLOCK_OPB = 2;
    static final int BLOCK_SPB = 3;
    static final int BLOCK_NRB = 4;
    static final int BLOCK_ISB = 5;
    static final int BLOCK_EPB = 6;
    static final int BYTE_ORDER_MAGIC = 0x1A2B3C4D;
    static final int VERSION_MAJOR = 1;

    static final int OPTION_END = 0;
    static final int OPTION_IF_NAME = 2;
    static final int OPTION_IF_TSRESOL = 9;
    static final int OPTION_IF_FCSLEN = 13;
    static final int OPTION_IF_TSOFFSET = 14;

    /** Block header (type, length) plus trailing length. */
    static final int BLOCK_OVERHEAD = 12;
    /** Largest block accepted: libpcap's limit (16 MiB); bigger means a corrupt length. */
    static final int MAX_BLOCK_BYTES = 16 * 1024 * 1024;
    private static final int SHB_MIN_LENGTH = 28;
    private static final int IDB_MIN_LENGTH = 20;
    private static final int EPB_MIN_LENGTH = 32;
    private static final int SPB_MIN_LENGTH = 16;
    private static final int OPB_MIN_LENGTH = 32;
    private static final int DEFAULT_TSRESOL = 6;

    private static final ValueLayout.OfInt LE32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private long position;
    private int sections;
    /** Global index of the current section's interface 0, and how many the section has declared. */
    private int sectionBase;
    private int sectionInterfaces;

    // Per global interface, filled when its IDB is read.
    private int[] linkType = new int[4];
    private int[] snapLength = new int[4];
    private int[] fcsBytes = new int[4];
    private boolean[] linkChecked = new boolean[4];
    private TimestampScale[] scale = new TimestampScale[4];

    PcapngReader(Path file, Arena arena, MemorySegment data) throws CaptureFormatException {
        super(file, arena, data);
        if (size < SHB_MIN_LENGTH) {
            throw fail("truncated: a pcapng section header block needs at least " + SHB_MIN_LENGTH + " bytes, the file has "
                    + size, 0, CaptureFormatException.NO_FRAME);
        }
        // The first block is read here so that a bad section header fails at open.
        readSectionHeader(0);
    }

    /**
     * Opens a file that must be pcapng; a classic pcap file is refused with a message saying so.
     * {@link CaptureReader#open} reads either.
     */
    public static PcapngReader open(Path file) throws IOException {
        CaptureReader reader = CaptureReader.open(file);
        if (reader instanceof PcapngReader pcapng) {
            return pcapng;
        }
        reader.close();
        throw new CaptureFormatException(file + ": this is a classic pcap file (" + reader.formatDescription()
                + "), not pcapng (section header block 0a0d0d0a); open it with CaptureReader.open, which reads both", 0,
                CaptureFormatException.NO_FRAME);
    }

    @Override
    boolean advance() throws CaptureFormatException {
        while (position != size) {
            long block = position;
            long remaining = size - block;
            if (remaining < BLOCK_OVERHEAD) {
                throw fail("truncated: a block header needs " + BLOCK_OVERHEAD + " bytes, " + remaining + " remain", block,
                        CaptureFormatException.NO_FRAME);
            }
            int type = u32(block);
            if (type == BLOCK_SHB) {
                readSectionHeader(block);
                continue;
            }
            boolean packet = type == BLOCK_EPB || type == BLOCK_SPB || type == BLOCK_OPB;
            long index = packet ? records : CaptureFormatException.NO_FRAME;
            int total = checkedLength(block, type, index);
            position = block + total;
            switch (type) {
                case BLOCK_EPB -> {
                    readPacket(block, total, u32(block + 8), index, EPB_MIN_LENGTH);
                    return true;
                }
                case BLOCK_OPB -> {
                    readPacket(block, total, u16(block + 8), index, OPB_MIN_LENGTH);
                    return true;
                }
                case BLOCK_SPB -> {
                    readSimplePacket(block, total, index);
                    return true;
                }
                case BLOCK_IDB -> readInterface(block, total);
                default -> {
                    // NRB, ISB, decryption secrets, custom and unknown blocks: nothing Gingham replays.
                }
            }
        }
        return false;
    }

    /** Validates a block's leading and trailing lengths; returns the total length. */
    private int checkedLength(long block, int type, long index) throws CaptureFormatException {
        int total = u32(block + 4);
        if (total < BLOCK_OVERHEAD || total % 4 != 0) {
            throw fail("corrupt " + blockName(type) + " block: total length " + Integer.toUnsignedString(total)
                    + " is not a multiple of 4 of at least " + BLOCK_OVERHEAD, block, index);
        }
        if (total > MAX_BLOCK_BYTES) {
            throw fail("absurd " + blockName(type) + " block length " + total + " (more than " + MAX_BLOCK_BYTES
                    + "): the file is corrupt", block, index);
        }
        if (size - block < total) {
            throw fail("truncated: the " + blockName(type) + " block needs " + total + " bytes, " + (size - block)
                    + " remain", block, index);
        }
        int trailer = u32(block + total - 4);
        if (trailer != total) {
            throw fail("corrupt " + blockName(type) + " block: trailing length " + Integer.toUnsignedString(trailer)
                    + " differs from the leading length " + total, block, index);
        }
        return total;
    }

    private void readSectionHeader(long block) throws CaptureFormatException {
        int order = data.get(LE32, block + 8);
        if (order == BYTE_ORDER_MAGIC) {
            swapped = false;
        } else if (order == Integer.reverseBytes(BYTE_ORDER_MAGIC)) {
            swapped = true;
        } else {
            throw fail("pcapng section header with byte-order magic " + String.format("%08x", Integer.reverseBytes(order))
                    + " (expected 1a2b3c4d or 4d3c2b1a): not a pcapng file, or a corrupt one", block + 8,
                    CaptureFormatException.NO_FRAME);
        }
        int total = checkedLength(block, BLOCK_SHB, CaptureFormatException.NO_FRAME);
        if (total < SHB_MIN_LENGTH) {
            throw fail("corrupt section header block: total length " + total + " is below " + SHB_MIN_LENGTH, block,
                    CaptureFormatException.NO_FRAME);
        }
        int major = u16(block + 12);
        if (major != VERSION_MAJOR) {
            throw fail("pcapng version " + major + "." + u16(block + 14) + " is not supported (1.0 expected)", block + 12,
                    CaptureFormatException.NO_FRAME);
        }
        sections++;
        sectionBase = interfaceCount();
        sectionInterfaces = 0;
        position = block + total;
    }

    private void readInterface(long block, int total) throws CaptureFormatException {
        if (total < IDB_MIN_LENGTH) {
            throw fail("corrupt interface description block: total length " + total + " is below " + IDB_MIN_LENGTH, block,
                    CaptureFormatException.NO_FRAME);
        }
        String name = null;
        int resolution = DEFAULT_TSRESOL;
        long offsetSeconds = 0;
        int fcs = 0;
        long option = block + 16;
        long end = block + total - 4;
        while (end - option >= 4) {
            int code = u16(option);
            int length = u16(option + 2);
            long value = option + 4;
            if (code == OPTION_END) {
                break;
            }
            if (length > end - value) {
                throw fail("corrupt interface description block: option " + code + " of " + length
                        + " bytes runs past the block", option, CaptureFormatException.NO_FRAME);
            }
            switch (code) {
                case OPTION_IF_NAME -> name = utf8(value, length);
                case OPTION_IF_TSRESOL -> {
                    if (length >= 1) {
                        resolution = data.get(ValueLayout.JAVA_BYTE, value) & 0xFF;
                    }
                }
                case OPTION_IF_TSOFFSET -> {
                    if (length >= 8) {
                        offsetSeconds = u64(value);
                    }
                }
                case OPTION_IF_FCSLEN -> {
                    if (length >= 1) {
                        fcs = data.get(ValueLayout.JAVA_BYTE, value) & 0xFF;
                    }
                }
                default -> {
                    // if_description, if_speed, if_os, ...: not needed to replay.
                }
            }
            option = value + ((length + 3) & ~3);
        }
        TimestampScale timestampScale = TimestampScale.of(resolution, offsetSeconds);
        if (timestampScale == null) {
            throw fail("if_tsresol " + resolution + " is not supported (10^-0..10^-18 and 2^-0..2^-63 are)", block,
                    CaptureFormatException.NO_FRAME);
        }
        int index = addInterface(name);
        if (index >= linkType.length) {
            int grown = linkType.length * 2;
            linkType = Arrays.copyOf(linkType, grown);
            snapLength = Arrays.copyOf(snapLength, grown);
            fcsBytes = Arrays.copyOf(fcsBytes, grown);
            linkChecked = Arrays.copyOf(linkChecked, grown);
            scale = Arrays.copyOf(scale, grown);
        }
        linkType[index] = u16(block + 8);
        snapLength[index] = u32(block + 12);
        fcsBytes[index] = fcs;
        scale[index] = timestampScale;
        sectionInterfaces++;
    }

    /** Reads an EPB or OPB: interface id, 64-bit timestamp at +12, captured and original lengths, data at +28. */
    private void readPacket(long block, int total, int localInterface, long index, int minLength)
            throws CaptureFormatException {
        int type = u32(block);
        if (total < minLength) {
            throw fail("corrupt " + blockName(type) + " block: total length " + total + " is below " + minLength, block, index);
        }
        int global = globalInterface(localInterface, type, block, index);
        int captured = u32(block + 20);
        int original = u32(block + 24);
        if (captured < 0 || captured > MAX_CAPTURED_BYTES) {
            throw fail("absurd captured length " + Integer.toUnsignedString(captured) + " (more than "
                    + MAX_CAPTURED_BYTES + "): the file is corrupt", block + 20, index);
        }
        if (captured > total - minLength) {
            throw fail("corrupt " + blockName(type) + " block: captured length " + captured + " runs past the block of "
                    + total + " bytes", block + 20, index);
        }
        if (original < 0) {
            throw fail("absurd original length " + Integer.toUnsignedString(original) + ": the file is corrupt", block + 24,
                    index);
        }
        long units = (u32(block + 12) & 0xFFFF_FFFFL) << 32 | (u32(block + 16) & 0xFFFF_FFFFL);
        timestampNs = scale[global].toNanos(units);
        deliver(global, block + 28, captured, original, index);
    }

    /** Reads an SPB: interface 0 of the section, original length, data at +12; no timestamp. */
    private void readSimplePacket(long block, int total, long index) throws CaptureFormatException {
        if (total < SPB_MIN_LENGTH) {
            throw fail("corrupt simple packet block: total length " + total + " is below " + SPB_MIN_LENGTH, block, index);
        }
        int global = globalInterface(0, BLOCK_SPB, block, index);
        int original = u32(block + 8);
        if (original < 0) {
            throw fail("absurd original length " + Integer.toUnsignedString(original) + ": the file is corrupt", block + 8,
                    index);
        }
        // The captured length is implied: the original cut to the snap length and to the block's room.
        int captured = Math.min(original, total - SPB_MIN_LENGTH);
        int snap = snapLength[global];
        if (snap > 0) {
            captured = Math.min(captured, snap);
        }
        deliver(global, block + 12, captured, original, index);
    }

    /** Returns: the global index of a packet block's interface, checked to exist and to be Ethernet. */
    private int globalInterface(int localInterface, int blockType, long block, long index) throws CaptureFormatException {
        if (localInterface < 0 || localInterface >= sectionInterfaces) {
            throw fail("corrupt " + blockName(blockType) + " block: interface " + Integer.toUnsignedString(localInterface)
                    + " was not described (section " + sections + " has " + sectionInterfaces + " interfaces)", block, index);
        }
        int global = sectionBase + localInterface;
        if (!linkChecked[global]) {
            if (linkType[global] != LinkTypes.ETHERNET) {
                String name = interfaceName(global);
                throw unsupportedLinkType(linkType[global], "interface " + localInterface
                        + (name == null ? "" : " (" + name + ")") + " of section " + sections, block, index);
            }
            linkChecked[global] = true;
        }
        return global;
    }

    private void deliver(int global, long frameStart, int captured, int original, long index) {
        records++;
        interfaceIndex = global;
        frameOffset = frameStart;
        int fcs = fcsBytes[global];
        if (fcs != 0 && captured == original && captured >= fcs) {
            captured -= fcs;
            original -= fcs;
        }
        capturedLength = captured;
        originalLength = original;
        assert index == records - 1;
    }

    /** Returns: a 64-bit option value, stored whole in the section's byte order. */
    private long u64(long offset) {
        long first = u32(offset) & 0xFFFF_FFFFL;
        long second = u32(offset + 4) & 0xFFFF_FFFFL;
        return swapped ? first << 32 | second : second << 32 | first;
    }

    private String utf8(long offset, int length) {
        byte[] bytes = data.asSlice(offset, length).toArray(ValueLayout.JAVA_BYTE);
        int end = bytes.length;
        while (end > 0 && bytes[end - 1] == 0) {
            end--;
        }
        return new String(bytes, 0, end, StandardCharsets.UTF_8);
    }

    private static String blockName(int type) {
        return switch (type) {
            case BLOCK_SHB -> "section header";
            case BLOCK_IDB -> "interface description";
            case BLOCK_OPB -> "packet (obsolete)";
            case BLOCK_SPB -> "simple packet";
            case BLOCK_NRB -> "name resolution";
            case BLOCK_ISB -> "interface statistics";
            case BLOCK_EPB -> "enhanced packet";
            default -> "type 0x" + Integer.toHexString(type);
        };
    }

    /** Returns: how many sections have been read so far. */
    public int sections() {
        return sections;
    }

    @Override
    public String formatDescription() {
        return "pcapng, " + sections + (sections == 1 ? " section" : " sections") + ", " + interfaceCount()
                + (interfaceCount() == 1 ? " interface" : " interfaces");
    }
}
