package dev.gingham.dataplane.replay;

import dev.gingham.packet.BufferPool;
import dev.gingham.packet.FrameVector;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * Reads the frames of a classic pcap or pcapng file, one {@link #next()} at a time, fast enough
 * to replay millions of frames per second on one thread.
 *
 * <p><b>Design.</b> The whole file is memory-mapped once; {@link #next()} decodes one record
 * header in place (a handful of loads, byte-swapped when the file's byte order is not the
 * machine's) and leaves the frame where it lies in the mapping. {@link #addTo} then copies it
 * into a pool buffer with one bulk copy, so a frame costs one header decode and one memcpy, and
 * nothing is allocated per frame: no record objects, no byte arrays, no boxed timestamps. The
 * page cache is the read buffer; a capture bigger than memory streams through it as the kernel
 * pages it in and out.
 *
 * <p><b>What the caller sees.</b> The current frame's {@link #timestampNs()} (always
 * nanoseconds since the epoch, whatever the file's resolution: the replay's virtual clock),
 * {@link #capturedLength()}, {@link #originalLength()}, {@link #interfaceIndex()} and
 * {@link #interfaceName()} (pcapng {@code if_name}; classic pcap has one unnamed interface 0),
 * and {@link #frameIndex()}, the record's position among all packet records of the file.
 *
 * <p><b>Frames cut by the snap length</b> ({@code capturedLength < originalLength}) are not
 * delivered: replaying a cut frame would send a packet that never existed (its IP length claims
 * bytes that are missing). They are counted in {@link #snaplenCutFrames()} and skipped; their
 * indexes still count in {@link #frameIndex()}, so the indexes of delivered frames match
 * Wireshark's frame numbers minus one.
 *
 * <p><b>Errors</b> are {@link CaptureFormatException}s naming the file, byte offset and frame
 * index: truncated files, wrong magic (saying what was found and what was expected, and when
 * the file is the other capture format or compressed), link types other than Ethernet, absurd
 * lengths. Frames before the problem have been delivered by then.
 *
 * <p>Threading: one reader belongs to one thread. {@link #close()} unmaps the file; frames
 * already copied into pool buffers stay valid.
 */
public abstract sealed class CaptureReader implements AutoCloseable permits PcapReader, PcapngReader {
    /** {@link #addTo} result: the vector has no room; the frame stays current, add it to the next vector. */
    public static final int ADD_VECTOR_FULL = -1;
    /** {@link #addTo} result: no free buffer in the pool; the frame stays current. */
    public static final int ADD_POOL_EMPTY = -2;
    /** {@link #addTo} result: the frame is longer than the pool's buffers hold; skip it or use bigger buffers. */
    public static final int ADD_TOO_LONG = -3;

    /**
     * Largest captured length of a frame that is not an error: libpcap's MAXIMUM_SNAPLEN (256
     * KiB), which also covers 64 KiB TSO/GRO frames. Larger means a corrupt file.
     */
    public static final int MAX_CAPTURED_BYTES = 262_144;

    private static final ValueLayout.OfShort LE16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt LE32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** Classic pcap magics as read little-endian from the first four bytes. */
    static final int PCAP_MICRO_LE = 0xA1B2C3D4;
    static final int PCAP_MICRO_BE = 0xD4C3B2A1;
    static final int PCAP_NANO_LE = 0xA1B23C4D;
    static final int PCAP_NANO_BE = 0x4D3CB2A1;
    /** pcapng Section Header Block type: the same bytes in both byte orders. */
    static final int PCAPNG_SHB = 0x0A0D0D0A;

    private final Path file;
    private final Arena arena;
    /** The mapped file. */
    final MemorySegment data;
    /** The file's length in bytes. */
    final long size;
    /** True when the file (or the current pcapng section) is big-endian. */
    boolean swapped;

    // ---- the current frame (written by the format's advance()) ---------------------------------
    long frameOffset;
    int capturedLength;
    int originalLength;
    long timestampNs;
    int interfaceIndex;
    /** Packet records seen so far; the current record's index is {@code records - 1}. */
    long records;

    private long framesDelivered;
    private long snaplenCutFrames;
    private SkipListener skipListener;

    /** Told about each frame {@link #next()} skips, while the reader stands on it (replay writes it a verdict line). */
    @FunctionalInterface
    public interface SkipListener {
        /** The current frame is cut by the snap length and will be skipped; its accessors describe it. */
        void snaplenCut(CaptureReader reader);
    }

    /** Sets who is told about skipped frames (null: nobody). */
    public final void skipListener(SkipListener listener) {
        this.skipListener = listener;
    }

    // ---- interfaces, global across pcapng sections -----------------------------------------------
    private String[] interfaceNames = new String[4];
    private int interfaceCount;

    CaptureReader(Path file, Arena arena, MemorySegment data) {
        this.file = file;
        this.arena = arena;
        this.data = data;
        this.size = data.byteSize();
    }

    /**
     * Opens a classic pcap or pcapng file, whichever it is (told by its first four bytes).
     *
     * @throws CaptureFormatException when the file is neither, or its header is unusable
     * @throws IOException            when it cannot be opened or mapped
     */
    public static CaptureReader open(Path file) throws IOException {
        Arena arena = Arena.ofShared();
        boolean opened = false;
        try {
            MemorySegment data = map(file, arena);
            CaptureReader reader = switch (magic(file, data)) {
                case PCAP_MICRO_LE, PCAP_MICRO_BE, PCAP_NANO_LE, PCAP_NANO_BE -> new PcapReader(file, arena, data);
                case PCAPNG_SHB -> new PcapngReader(file, arena, data);
                default -> throw new CaptureFormatException(file + ": " + describeUnknownMagic(data)
                        + "; expected a pcap magic (a1b2c3d4 microsecond, a1b23c4d nanosecond, in either byte order)"
                        + " or a pcapng section header (0a0d0d0a)", 0, CaptureFormatException.NO_FRAME);
            };
            opened = true;
            return reader;
        } finally {
            if (!opened) {
                arena.close();
            }
        }
    }

    /** Maps the whole file read-only; refuses empty files and things that cannot be mapped. */
    static MemorySegment map(Path file, Arena arena) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IOException(file + ": not a regular file (captures are memory-mapped: pipes and devices cannot be read)");
        }
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = channel.size();
            if (size == 0) {
                throw new CaptureFormatException(file + ": empty file (0 bytes): not a capture", 0,
                        CaptureFormatException.NO_FRAME);
            }
            return channel.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
        }
    }

    /** Returns: the first four bytes as a little-endian int, or fails when there are fewer. */
    static int magic(Path file, MemorySegment data) throws CaptureFormatException {
        if (data.byteSize() < 4) {
            throw new CaptureFormatException(file + ": truncated: the file has " + data.byteSize()
                    + " bytes, fewer than the 4 of any capture magic", 0, CaptureFormatException.NO_FRAME);
        }
        return data.get(LE32, 0);
    }

    /** Returns: what the first bytes are, in words, for a file that is not a capture Gingham reads. */
    static String describeUnknownMagic(MemorySegment data) {
        byte[] head = data.asSlice(0, Math.min(4, data.byteSize())).toArray(ValueLayout.JAVA_BYTE);
        String hex = HexFormat.of().formatHex(head);
        int b0 = head[0] & 0xFF;
        int b1 = head[1] & 0xFF;
        String what;
        if (b0 == 0x1F && b1 == 0x8B) {
            what = "a gzip-compressed file (gunzip it first)";
        } else if (hex.equals("28b52ffd")) {
            what = "a zstd-compressed file (unzstd it first)";
        } else if (hex.equals("a1b2cd34") || hex.equals("34cdb2a1")) {
            what = "a modified (Kuznetzov) pcap, which Gingham does not read (convert it with editcap -F pcap)";
        } else if (hex.equals("736e6f6f")) {
            what = "a Solaris snoop capture (convert it with editcap -F pcap)";
        } else {
            what = "not a capture file";
        }
        return "magic " + hex + " at byte offset 0: " + what;
    }

    // ---- reading the file's integers in its byte order --------------------------------------------

    final int u16(long offset) {
        short value = data.get(LE16, offset);
        return (swapped ? Short.reverseBytes(value) : value) & 0xFFFF;
    }

    final int u32(long offset) {
        int value = data.get(LE32, offset);
        return swapped ? Integer.reverseBytes(value) : value;
    }

    /** Returns: a failure naming the file, with the offset and, when it is one, the frame index. */
    final CaptureFormatException fail(String what, long byteOffset, long frameIndex) {
        String where = frameIndex == CaptureFormatException.NO_FRAME ? ""
                : " (frame index " + frameIndex + ", Wireshark frame " + (frameIndex + 1) + ")";
        return new CaptureFormatException(file + ": " + what + " at byte offset " + byteOffset + where, byteOffset, frameIndex);
    }

    /** Returns: the refusal of a link type other than Ethernet. */
    final CaptureFormatException unsupportedLinkType(int linkType, String interfaceWhat, long byteOffset, long frameIndex) {
        return fail("link type " + LinkTypes.describe(linkType) + " of " + interfaceWhat + " is not supported. "
                + LinkTypes.advice(linkType) + ";", byteOffset, frameIndex);
    }

    // ---- interfaces ------------------------------------------------------------------------------

    /** Registers an interface (allocates only then, never per frame); returns its global index. */
    final int addInterface(String name) {
        if (interfaceCount == interfaceNames.length) {
            interfaceNames = Arrays.copyOf(interfaceNames, interfaceCount * 2);
        }
        interfaceNames[interfaceCount] = name;
        return interfaceCount++;
    }

    /**
     * Returns: how many interfaces the file has declared so far. pcapng files may declare
     * interfaces between packets, so the count can grow during a read; a caller that maps
     * interfaces to ports checks it (or {@link #interfaceIndex()} against it) per frame.
     */
    public final int interfaceCount() {
        return interfaceCount;
    }

    /**
     * Returns: the name of an interface ({@code if_name}), or null when it has none (classic
     * pcap, or a pcapng interface without the option). Indexes are global: the interfaces of a
     * pcapng file's second section follow those of its first.
     */
    public final String interfaceName(int index) {
        return interfaceNames[index];
    }

    // ---- frames ----------------------------------------------------------------------------------

    /**
     * Moves to the next whole frame, skipping (and counting) frames cut by the snap length.
     *
     * @return false at the end of the file
     * @throws CaptureFormatException when the file is broken at this point; frames before it were delivered
     */
    public final boolean next() throws CaptureFormatException {
        while (advance()) {
            if (capturedLength < originalLength) {
                snaplenCutFrames++;
                if (skipListener != null) {
                    skipListener.snaplenCut(this);
                }
                continue;
            }
            framesDelivered++;
            return true;
        }
        return false;
    }

    /** Reads the next packet record, whatever its lengths; false at the end of the file. */
    abstract boolean advance() throws CaptureFormatException;

    /** Returns: a short description of the format for summaries ("pcap, nanosecond timestamps, little-endian"). */
    public abstract String formatDescription();

    /**
     * Copies the current frame into a buffer from the vector's pool and appends it to the vector
     * (ingress {@code port}, metadata reset). Does not move to the next frame, so a frame refused
     * for lack of room can be added again to the next vector.
     *
     * @return the frame's index in the vector, or {@link #ADD_VECTOR_FULL}, {@link #ADD_POOL_EMPTY}, {@link #ADD_TOO_LONG}
     */
    public final int addTo(FrameVector vector, int port) {
        if (vector.isFull()) {
            return ADD_VECTOR_FULL;
        }
        BufferPool pool = vector.pool();
        if (capturedLength > pool.maxFrameBytes()) {
            return ADD_TOO_LONG;
        }
        int buffer = pool.acquire();
        if (buffer == BufferPool.NO_BUFFER) {
            return ADD_POOL_EMPTY;
        }
        MemorySegment.copy(data, frameOffset, vector.segment(), pool.dataStart(buffer), capturedLength);
        return vector.add(buffer, port, capturedLength);
    }

    /** Copies the current frame's bytes to {@code target} at {@code offset}; returns the byte count. */
    public final int copyTo(MemorySegment target, long offset) {
        MemorySegment.copy(data, frameOffset, target, offset, capturedLength);
        return capturedLength;
    }

    /** Returns: the mapped file; the current frame is at {@link #frameOffset()} (zero-copy access). */
    public final MemorySegment fileData() {
        return data;
    }

    /** Returns: the offset of the current frame's first byte in {@link #fileData()}. */
    public final long frameOffset() {
        return frameOffset;
    }

    /** Returns: the current frame's timestamp in nanoseconds since the epoch. */
    public final long timestampNs() {
        return timestampNs;
    }

    /** Returns: the bytes of the current frame present in the file (FCS, when the file declares one, removed). */
    public final int capturedLength() {
        return capturedLength;
    }

    /** Returns: the current frame's length on the wire. */
    public final int originalLength() {
        return originalLength;
    }

    /** Returns: the global index of the interface the current frame was captured on (0 for classic pcap). */
    public final int interfaceIndex() {
        return interfaceIndex;
    }

    /** Returns: the current frame's interface name, or null when the interface has none. */
    public final String interfaceName() {
        return interfaceNames[interfaceIndex];
    }

    /** Returns: the 0-based index of the current frame among all packet records of the file. */
    public final long frameIndex() {
        return records - 1;
    }

    /** Returns: the frames {@link #next()} has delivered. */
    public final long framesDelivered() {
        return framesDelivered;
    }

    /** Returns: the frames skipped because the snap length cut them (captured &lt; original length). */
    public final long snaplenCutFrames() {
        return snaplenCutFrames;
    }

    /** Returns: the file's path, as given to {@link #open}. */
    public final Path file() {
        return file;
    }

    /** Unmaps the file. */
    @Override
    public final void close() {
        arena.close();
    }
}
