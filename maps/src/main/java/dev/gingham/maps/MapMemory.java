package dev.gingham.maps;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * The memory behind one map: a header followed by the map type's body, either anonymous
 * off-heap memory or a memory-mapped file (a pinned map, as maps pinned in bpffs outlive the
 * program that created them).
 *
 * <pre>
 *  0                   8         12        16        20        24        28        32        36        40
 *  +-------------------+---------+---------+---------+---------+---------+---------+---------+---------+
 *  | magic "GINGMAP1"  | hdr ver | layout  | type    | keySize | valSize | maxEnt  | workers | (rsvd)  |
 *  +-------------------+---------+---------+---------+---------+---------+---------+---------+---------+
 *  40: bodyBytes (8)   48: hashSeed (8)   56: created, epoch ms (8)   64..127: name, UTF-8, NUL padded
 *  128..255: per-type state words (counts, clock hands, free lists), see {@link #stateOffset(int)}
 *  256..: body, laid out by the map type
 * </pre>
 *
 * <p>The header is little-endian (the pinned file is only ever read on the machine that wrote
 * it; so is the body, which the map types access in native order). A pinned file is created
 * under a temporary name and renamed into place once its header is complete, so a file at the
 * pinned path always has a whole header. The writer holds an exclusive file lock for as long as
 * it has the map open: a second writer gets a clear error instead of corrupting the map, while
 * read-only openers (the CLI, like bpftool) take no lock and may dump the map as it runs.
 */
public final class MapMemory implements AutoCloseable {
    /** "GINGMAP1" as a little-endian long. */
    public static final long MAGIC = 0x3150414D474E4947L;
    /** Version of the header format itself (not of a map type's body). */
    public static final int HEADER_VERSION = 1;

    public static final int MAGIC_OFFSET = 0;
    public static final int HEADER_VERSION_OFFSET = 8;
    public static final int LAYOUT_VERSION_OFFSET = 12;
    public static final int TYPE_OFFSET = 16;
    public static final int KEY_SIZE_OFFSET = 20;
    public static final int VALUE_SIZE_OFFSET = 24;
    public static final int MAX_ENTRIES_OFFSET = 28;
    public static final int WORKERS_OFFSET = 32;
    public static final int BODY_BYTES_OFFSET = 40;
    public static final int HASH_SEED_OFFSET = 48;
    public static final int CREATED_OFFSET = 56;
    public static final int NAME_OFFSET = 64;
    public static final int NAME_LENGTH = 64;
    /** Start of the 16 per-type state words (8 bytes each). */
    public static final int STATE_OFFSET = 128;
    public static final int STATE_WORDS = 16;
    /** Where the body starts: 256, a multiple of the cache line. */
    public static final int BODY_OFFSET = 256;

    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final MapSpec spec;
    private final int layoutVersion;
    private final Arena arena;
    private final MemorySegment segment;
    private final Path file;
    private final FileChannel channel;
    private final FileLock lock;
    private final boolean readOnly;
    private final boolean reopened;

    private MapMemory(MapSpec spec, int layoutVersion, Arena arena, MemorySegment segment, Path file,
                      FileChannel channel, FileLock lock, boolean readOnly, boolean reopened) {
        this.spec = spec;
        this.layoutVersion = layoutVersion;
        this.arena = arena;
        this.segment = segment;
        this.file = file;
        this.channel = channel;
        this.lock = lock;
        this.readOnly = readOnly;
        this.reopened = reopened;
    }

    /**
     * Allocates anonymous, zeroed, 128-byte aligned off-heap memory (huge pages where possible, see
     * {@link AnonymousMemory}) for a map of this spec (128,
     * not 64: per-worker regions aligned in the body then never share an adjacent-line pair).
     *
     * @param layoutVersion the map type's body layout version
     * @param bodyBytes     size of the body the map type needs
     * @param hashSeed      seed for the map's hash function (fixed seeds make replays reproducible)
     */
    public static MapMemory anonymous(MapSpec spec, int layoutVersion, long bodyBytes, long hashSeed) {
        Arena arena = Arena.ofShared();
        MemorySegment segment = AnonymousMemory.allocate(arena, BODY_OFFSET + bodyBytes, 128);
        writeHeader(segment, spec, layoutVersion, bodyBytes, hashSeed);
        return new MapMemory(spec, layoutVersion, arena, segment, null, null, null, false, false);
    }

    /**
     * Opens the pinned map at {@code file} for writing, creating it when absent.
     *
     * <p>An existing file must have been written for exactly this spec and layout; anything else
     * is a {@link MapPinException} naming the field that differs. {@link #reopened()} tells the
     * map type that the contents come from an earlier owner (which may have died mid-write).
     *
     * @param hashSeedIfNew the hash seed for a new file; an existing file keeps its own
     */
    public static MapMemory pinned(Path file, MapSpec spec, int layoutVersion, long bodyBytes, long hashSeedIfNew) {
        long fileBytes = BODY_OFFSET + bodyBytes;
        boolean existed = Files.exists(file);
        if (!existed) {
            createPinnedFile(file, spec, layoutVersion, bodyBytes, hashSeedIfNew);
        }
        FileChannel channel = null;
        try {
            channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
            FileLock lock;
            try {
                lock = channel.tryLock();
            } catch (OverlappingFileLockException e) {
                lock = null;
            }
            if (lock == null) {
                throw new MapPinException("pinned map " + file + ": already opened for writing by another owner"
                        + " (one writer per pinned map; open it read-only to inspect it)");
            }
            long size = channel.size();
            if (size < BODY_OFFSET) {
                throw new MapPinException("pinned map " + file + ": not a Gingham map (" + size
                        + " bytes is shorter than a map header of " + BODY_OFFSET + " bytes)");
            }
            // Map what is there and read the header first, so that a file written for another
            // spec is reported by the field that differs, not merely by its size.
            Arena arena = Arena.ofShared();
            MemorySegment segment;
            try {
                segment = channel.map(FileChannel.MapMode.READ_WRITE, 0, size, arena);
                validateHeader(file, segment, spec, layoutVersion, bodyBytes);
                if (size != fileBytes) {
                    throw new MapPinException("pinned map " + file + ": file is " + size + " bytes, spec "
                            + spec.name() + " needs " + fileBytes + " (truncated or extended?)");
                }
            } catch (IOException | RuntimeException e) {
                arena.close();
                throw e;
            }
            return new MapMemory(spec, layoutVersion, arena, segment, file, channel, lock, false, existed);
        } catch (IOException e) {
            closeQuietly(channel);
            throw new MapPinException("pinned map " + file + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            closeQuietly(channel);
            throw e;
        }
    }

    /**
     * Opens a pinned map read-only, with its spec taken from the file's header: what a second
     * process (the CLI) uses to dump a map while its owner runs.
     *
     * @param expectedLayoutVersion the layout version the caller can read
     */
    public static MapMemory openReadOnly(Path file, MapType expectedType, int expectedLayoutVersion) {
        MapSpec spec = readSpec(file);
        if (spec.type() != expectedType) {
            throw new MapPinException("pinned map " + file + ": is a " + spec.type() + " map, not " + expectedType);
        }
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            Arena arena = Arena.ofShared();
            MemorySegment segment = channel.map(FileChannel.MapMode.READ_ONLY, 0, channel.size(), arena);
            long bodyBytes = segment.get(LONG, BODY_BYTES_OFFSET);
            try {
                validateHeader(file, segment, spec, expectedLayoutVersion, bodyBytes);
            } catch (MapPinException e) {
                arena.close();
                throw e;
            }
            return new MapMemory(spec, expectedLayoutVersion, arena, segment, file, null, null, true, true);
        } catch (IOException e) {
            throw new MapPinException("pinned map " + file + ": " + e.getMessage(), e);
        }
    }

    /** Returns: the spec written in a pinned map's header, without mapping its body. */
    public static MapSpec readSpec(Path file) {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ);
             Arena arena = Arena.ofConfined()) {
            if (channel.size() < BODY_OFFSET) {
                throw new MapPinException("pinned map " + file + ": " + channel.size()
                        + " bytes is shorter than a map header (" + BODY_OFFSET + ")");
            }
            MemorySegment header = channel.map(FileChannel.MapMode.READ_ONLY, 0, BODY_OFFSET, arena);
            return specOf(file, header);
        } catch (NoSuchFileException e) {
            throw new MapPinException("pinned map " + file + ": no such file", e);
        } catch (IOException e) {
            throw new MapPinException("pinned map " + file + ": " + e.getMessage(), e);
        }
    }

    private static MapSpec specOf(Path file, MemorySegment header) {
        long magic = header.get(LONG, MAGIC_OFFSET);
        if (magic != MAGIC) {
            throw new MapPinException("pinned map " + file + ": not a Gingham map (magic 0x"
                    + Long.toHexString(magic) + ", expected 0x" + Long.toHexString(MAGIC) + ")");
        }
        int headerVersion = header.get(INT, HEADER_VERSION_OFFSET);
        if (headerVersion != HEADER_VERSION) {
            throw new MapPinException("pinned map " + file + ": header version " + headerVersion
                    + ", this Gingham reads version " + HEADER_VERSION);
        }
        int typeCode = header.get(INT, TYPE_OFFSET);
        MapType type = MapType.ofCode(typeCode);
        if (type == null) {
            throw new MapPinException("pinned map " + file + ": unknown map type code " + typeCode);
        }
        byte[] nameBytes = header.asSlice(NAME_OFFSET, NAME_LENGTH).toArray(ValueLayout.JAVA_BYTE);
        int nameLength = 0;
        while (nameLength < nameBytes.length && nameBytes[nameLength] != 0) {
            nameLength++;
        }
        try {
            return new MapSpec(new String(nameBytes, 0, nameLength, StandardCharsets.UTF_8), type,
                    header.get(INT, KEY_SIZE_OFFSET), header.get(INT, VALUE_SIZE_OFFSET),
                    header.get(INT, MAX_ENTRIES_OFFSET), header.get(INT, WORKERS_OFFSET));
        } catch (IllegalArgumentException e) {
            throw new MapPinException("pinned map " + file + ": corrupt header: " + e.getMessage(), e);
        }
    }

    private static void createPinnedFile(Path file, MapSpec spec, int layoutVersion, long bodyBytes, long hashSeed) {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp-" + ProcessHandle.current().pid());
        try {
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            try (FileChannel channel = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW,
                    StandardOpenOption.READ, StandardOpenOption.WRITE);
                 Arena arena = Arena.ofConfined()) {
                // A sparse file: pages of the body cost nothing until they are written.
                MemorySegment segment = channel.map(FileChannel.MapMode.READ_WRITE, 0, BODY_OFFSET + bodyBytes, arena);
                writeHeader(segment, spec, layoutVersion, bodyBytes, hashSeed);
                segment.force();
            }
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file);
            }
        } catch (IOException e) {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException ignored) {
                // The original error is the one worth reporting.
            }
            throw new MapPinException("pinned map " + file + ": cannot create: " + e.getMessage(), e);
        }
    }

    private static void writeHeader(MemorySegment segment, MapSpec spec, int layoutVersion, long bodyBytes, long hashSeed) {
        segment.set(INT, HEADER_VERSION_OFFSET, HEADER_VERSION);
        segment.set(INT, LAYOUT_VERSION_OFFSET, layoutVersion);
        segment.set(INT, TYPE_OFFSET, spec.type().code());
        segment.set(INT, KEY_SIZE_OFFSET, spec.keySize());
        segment.set(INT, VALUE_SIZE_OFFSET, spec.valueSize());
        segment.set(INT, MAX_ENTRIES_OFFSET, spec.maxEntries());
        segment.set(INT, WORKERS_OFFSET, spec.workers());
        segment.set(LONG, BODY_BYTES_OFFSET, bodyBytes);
        segment.set(LONG, HASH_SEED_OFFSET, hashSeed);
        segment.set(LONG, CREATED_OFFSET, System.currentTimeMillis());
        byte[] name = spec.name().getBytes(StandardCharsets.UTF_8);
        MemorySegment.copy(name, 0, segment, ValueLayout.JAVA_BYTE, NAME_OFFSET, name.length);
        // The magic goes last: a header is recognised only once it is complete.
        segment.set(LONG, MAGIC_OFFSET, MAGIC);
    }

    private static void validateHeader(Path file, MemorySegment segment, MapSpec spec, int layoutVersion, long bodyBytes) {
        MapSpec found = specOf(file, segment);
        mismatch(file, "type", found.type(), spec.type());
        mismatch(file, "key size", found.keySize(), spec.keySize());
        mismatch(file, "value size", found.valueSize(), spec.valueSize());
        mismatch(file, "max entries", found.maxEntries(), spec.maxEntries());
        mismatch(file, "workers", found.workers(), spec.workers());
        mismatch(file, "layout version", segment.get(INT, LAYOUT_VERSION_OFFSET), layoutVersion);
        mismatch(file, "body bytes", segment.get(LONG, BODY_BYTES_OFFSET), bodyBytes);
        if (segment.byteSize() < BODY_OFFSET + bodyBytes) {
            throw new MapPinException("pinned map " + file + ": file holds " + segment.byteSize()
                    + " bytes, its header promises " + (BODY_OFFSET + bodyBytes));
        }
    }

    private static void mismatch(Path file, String field, Object inFile, Object inSpec) {
        if (!inFile.equals(inSpec)) {
            throw new MapPinException("pinned map " + file + ": " + field + " is " + inFile
                    + " in the file but " + inSpec + " in the spec; refusing to reuse it"
                    + " (delete the file to start empty, or fix the configuration)");
        }
    }

    private static void closeQuietly(FileChannel channel) {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException ignored) {
                // Closing after a failure: the failure is what gets reported.
            }
        }
    }

    public MapSpec spec() {
        return spec;
    }

    public int layoutVersion() {
        return layoutVersion;
    }

    /** Returns: the whole mapping, header included; bodies start at {@link #BODY_OFFSET}. */
    public MemorySegment segment() {
        return segment;
    }

    public long bodyBytes() {
        return segment.get(LONG, BODY_BYTES_OFFSET);
    }

    public long hashSeed() {
        return segment.get(LONG, HASH_SEED_OFFSET);
    }

    /** Returns: the offset of per-type state word {@code index} (0..15), 8-byte aligned. */
    public static long stateOffset(int index) {
        if (index < 0 || index >= STATE_WORDS) {
            throw new IllegalArgumentException("state word " + index + " outside 0.." + (STATE_WORDS - 1));
        }
        return STATE_OFFSET + 8L * index;
    }

    public boolean pinned() {
        return file != null;
    }

    /** Returns: the pinned file, or null for anonymous memory. */
    public Path file() {
        return file;
    }

    public boolean readOnly() {
        return readOnly;
    }

    /** Returns: true when the contents were written by an earlier owner (a reopened pinned map). */
    public boolean reopened() {
        return reopened;
    }

    /** Flushes a pinned map's dirty pages to its file; a no-op for anonymous memory. */
    public void force() {
        if (file != null && !readOnly) {
            segment.force();
        }
    }

    /** Unmaps or frees the memory and releases the writer's lock. Using the map afterwards fails. */
    @Override
    public void close() {
        arena.close();
        try {
            if (lock != null) {
                lock.release();
            }
            if (channel != null) {
                channel.close();
            }
        } catch (IOException e) {
            throw new MapPinException("pinned map " + file + ": close: " + e.getMessage(), e);
        }
    }
}
