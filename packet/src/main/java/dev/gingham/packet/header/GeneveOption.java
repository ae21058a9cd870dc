package dev.gingham.packet.header;

import dev.gingham.packet.NetworkOrder;

import java.lang.foreign.MemorySegment;

/**
 * Cursor over the options region of a Geneve header (RFC 8926 §3.5): each {@link #next()} moves
 * to the next option, and the accessors read or write the option under the cursor.
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |          Option Class         |C|    Type     |R|R|R| Length  |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                                                               |
 * ~             Variable-Length Option Data (Length * 4)          ~
 * |                                                               |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 *
 * <p>The C (critical) bit is the high bit of the type byte, so {@link #type()} returns all
 * eight bits as on the wire, and {@link #critical()} tests the high one.
 *
 * <p>The option accessors read at {@link #position()}: call them only after {@link #next()}
 * returned true or {@link #find(int, int)} returned an offset.
 *
 * <p>Options come from the sender, possibly a hostile one, so {@link #next()} never reads outside
 * {@code [offset, offset + regionLength)}: an option whose 4-byte header or data does not fit
 * stops the walk with {@link #malformed()} set.
 */
public final class GeneveOption {
    public static final int CLASS_OFFSET = 0;
    public static final int TYPE_OFFSET = 2;
    /** Reserved bits (3) and length (5 bits, 4-byte units, header excluded). */
    public static final int LENGTH_OFFSET = 3;
    public static final int DATA_OFFSET = 4;
    /** Length of an option header, without data. */
    public static final int HEADER_LENGTH = 4;
    /** Largest option data in bytes (length field 31). */
    public static final int MAX_DATA_LENGTH = 31 * 4;

    /** Critical bit in the type byte. */
    public static final int TYPE_CRITICAL = 0x80;
    /** Returned by lookups when the option is absent or the region is malformed before it. */
    public static final int NOT_FOUND = -1;

    private MemorySegment segment;
    private long offset;
    private long end;
    private long position;
    private long nextPosition;
    private boolean malformed;

    /**
     * Wraps an options region and rewinds the cursor.
     *
     * @param offset absolute offset of the first option
     * @param length region length in bytes ({@link GeneveHeader#optionsLength()})
     */
    public GeneveOption wrap(MemorySegment segment, long offset, int length) {
        this.segment = segment;
        this.offset = offset;
        this.end = offset + length;
        return rewind();
    }

    /** Wraps the options region of a wrapped Geneve header. */
    public GeneveOption wrap(GeneveHeader geneve) {
        return wrap(geneve.segment(), geneve.optionsOffset(), geneve.optionsLength());
    }

    public MemorySegment segment() {
        return segment;
    }

    /** Returns: the absolute offset of the options region. */
    public long offset() {
        return offset;
    }

    public int regionLength() {
        return (int) (end - offset);
    }

    public GeneveOption rewind() {
        position = NOT_FOUND;
        nextPosition = offset;
        malformed = false;
        return this;
    }

    /**
     * Advances to the next option.
     *
     * <p>Returns: true if positioned on an option that lies wholly in the region; false at the
     * end of the region or on a truncated option (then {@link #malformed()} is true). After
     * false, further calls return false until {@link #rewind()}.
     */
    public boolean next() {
        long p = nextPosition;
        if (p >= end) {
            position = NOT_FOUND;
            return false;
        }
        if (end - p < HEADER_LENGTH) {
            return stopMalformed();
        }
        int length = HEADER_LENGTH + ((NetworkOrder.u8(segment, p + LENGTH_OFFSET) & 0x1F) << 2);
        if (length > end - p) {
            return stopMalformed();
        }
        position = p;
        nextPosition = p + length;
        return true;
    }

    private boolean stopMalformed() {
        malformed = true;
        position = NOT_FOUND;
        nextPosition = end;
        return false;
    }

    /** Returns: true if the last {@link #next()} stopped on a truncated option. */
    public boolean malformed() {
        return malformed;
    }

    /** Returns: the absolute offset of the current option, or {@link #NOT_FOUND}. */
    public long position() {
        return position;
    }

    /**
     * Returns: the absolute offset of the first option with this class and type (the C bit
     * ignored), leaving the cursor on it, or {@link #NOT_FOUND}.
     */
    public long find(int optionClass, int type) {
        rewind();
        while (next()) {
            if (optionClass() == optionClass && (type() & ~TYPE_CRITICAL) == (type & ~TYPE_CRITICAL)) {
                return position;
            }
        }
        return NOT_FOUND;
    }

    public int optionClass() {
        return NetworkOrder.u16(segment, position + CLASS_OFFSET);
    }

    public GeneveOption optionClass(int value) {
        NetworkOrder.u16(segment, position + CLASS_OFFSET, value);
        return this;
    }

    /** Returns: the type byte as on the wire, C bit included. */
    public int type() {
        return NetworkOrder.u8(segment, position + TYPE_OFFSET);
    }

    public GeneveOption type(int value) {
        NetworkOrder.u8(segment, position + TYPE_OFFSET, value);
        return this;
    }

    public boolean critical() {
        return (type() & TYPE_CRITICAL) != 0;
    }

    public GeneveOption critical(boolean value) {
        return type(value ? type() | TYPE_CRITICAL : type() & ~TYPE_CRITICAL);
    }

    /** Returns: the option data length in bytes (length field times 4). */
    public int dataLength() {
        return (NetworkOrder.u8(segment, position + LENGTH_OFFSET) & 0x1F) << 2;
    }

    /** Sets the data length in bytes (a multiple of 4, at most 124), keeping the reserved bits. */
    public GeneveOption dataLength(int bytes) {
        int b = NetworkOrder.u8(segment, position + LENGTH_OFFSET);
        NetworkOrder.u8(segment, position + LENGTH_OFFSET, (b & 0xE0) | ((bytes >>> 2) & 0x1F));
        return this;
    }

    /** Returns: the whole option length in bytes, header included. */
    public int optionLength() {
        return HEADER_LENGTH + dataLength();
    }

    /** Returns: the absolute offset of the current option's data. */
    public long dataOffset() {
        return position + DATA_OFFSET;
    }
}
