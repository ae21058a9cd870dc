package dev.gingham.packet.header;

import dev.gingham.packet.NetworkOrder;

import java.lang.foreign.MemorySegment;

/**
 * Cursor over a TCP options region (RFC 9293 §3.1), used to find and rewrite the MSS option
 * (MSS clamping for tunnels) and to look at any other option kind.
 *
 * <pre>
 *  single-byte options:   +--------+
 *                         |  kind  |            kind 0 (end of list), kind 1 (no-op)
 *                         +--------+
 *  other options:         +--------+--------+--------+--------+---
 *                         |  kind  | length |  data (length - 2 bytes) ...
 *                         +--------+--------+--------+--------+---
 *  MSS (kind 2):          +--------+--------+-----------------+
 *                         |00000010|00000100|   max seg size  |
 *                         +--------+--------+-----------------+
 * </pre>
 *
 * <p>Unlike the header flyweights this one validates, because options are attacker-controlled
 * and the parser does not walk them: {@link #next()} never reads a byte outside
 * {@code [offset, offset + regionLength)}, stops at end-of-list, and stops with
 * {@link #malformed()} set when an option has a length below 2 (which would never advance), has
 * no room for its length byte, or runs past the region. Lookups then answer {@link #NOT_FOUND},
 * so a malformed list is treated as having no MSS option rather than half-parsed.
 *
 * <p>Usage: {@code options.wrap(tcp).mss(clampedMss)} or iterate with {@code while (next())}.
 * Rewrites do not update the TCP checksum; {@link #mssOffset()} gives the position the caller
 * needs for an incremental update (the 16-bit value is word-aligned relative to the TCP header
 * only if the option starts at an even offset).
 */
public final class TcpOptions {
    /** Kind byte, relative to an option's start. */
    public static final int KIND_OFFSET = 0;
    /** Length byte (kind and length included), relative to an option's start. */
    public static final int LENGTH_OFFSET = 1;
    /** First data byte, relative to an option's start. */
    public static final int DATA_OFFSET = 2;

    public static final int KIND_EOL = 0;
    public static final int KIND_NOP = 1;
    public static final int KIND_MSS = 2;
    public static final int KIND_WINDOW_SCALE = 3;
    public static final int KIND_SACK_PERMITTED = 4;
    public static final int KIND_SACK = 5;
    public static final int KIND_TIMESTAMP = 8;

    public static final int MSS_LENGTH = 4;
    public static final int WINDOW_SCALE_LENGTH = 3;
    public static final int SACK_PERMITTED_LENGTH = 2;
    public static final int TIMESTAMP_LENGTH = 10;

    /** Returned (as int or long) when an option is absent or the list is malformed before it. */
    public static final int NOT_FOUND = -1;

    private MemorySegment segment;
    private long offset;
    private long end;
    private long position;
    private long nextPosition;
    private int kind;
    private int optionLength;
    private boolean malformed;

    /**
     * Wraps an options region and rewinds the cursor.
     *
     * @param offset absolute offset of the first option byte
     * @param length region length in bytes (the TCP header length minus 20)
     */
    public TcpOptions wrap(MemorySegment segment, long offset, int length) {
        this.segment = segment;
        this.offset = offset;
        this.end = offset + length;
        return rewind();
    }

    /** Wraps the options region of a wrapped TCP header. */
    public TcpOptions wrap(TcpHeader tcp) {
        return wrap(tcp.segment(), tcp.optionsOffset(), tcp.optionsLength());
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

    /** Moves the cursor back before the first option. */
    public TcpOptions rewind() {
        position = NOT_FOUND;
        nextPosition = offset;
        kind = NOT_FOUND;
        optionLength = 0;
        malformed = false;
        return this;
    }

    /**
     * Advances to the next option that has a length byte, skipping no-ops.
     *
     * <p>Returns: true if positioned on an option whose whole length lies in the region; false at
     * the end of the region, at end-of-list, or on a malformed option (then {@link #malformed()}
     * is true). After false, {@link #position()} is {@link #NOT_FOUND} and further calls return
     * false until {@link #rewind()}.
     */
    public boolean next() {
        long p = nextPosition;
        while (p < end) {
            int k = NetworkOrder.u8(segment, p);
            if (k == KIND_EOL) {
                break;
            }
            if (k == KIND_NOP) {
                p++;
                continue;
            }
            if (p + LENGTH_OFFSET >= end) {
                malformed = true;
                break;
            }
            int len = NetworkOrder.u8(segment, p + LENGTH_OFFSET);
            if (len < DATA_OFFSET || len > end - p) {
                malformed = true;
                break;
            }
            position = p;
            kind = k;
            optionLength = len;
            nextPosition = p + len;
            return true;
        }
        position = NOT_FOUND;
        kind = NOT_FOUND;
        optionLength = 0;
        nextPosition = end;
        return false;
    }

    /** Returns: true if the last {@link #next()} stopped on a malformed option. */
    public boolean malformed() {
        return malformed;
    }

    /** Returns: the absolute offset of the current option's kind byte, or {@link #NOT_FOUND}. */
    public long position() {
        return position;
    }

    /** Returns: the current option's kind, or {@link #NOT_FOUND}. */
    public int kind() {
        return kind;
    }

    /** Returns: the current option's length field (kind and length bytes included). */
    public int optionLength() {
        return optionLength;
    }

    /** Returns: the absolute offset of the current option's data. */
    public long dataOffset() {
        return position + DATA_OFFSET;
    }

    /** Returns: the current option's data length in bytes. */
    public int dataLength() {
        return optionLength - DATA_OFFSET;
    }

    /**
     * Returns: the absolute offset of the first option of {@code kind} (the cursor is left on
     * it), or {@link #NOT_FOUND} if absent or the list is malformed before it.
     */
    public long find(int kind) {
        rewind();
        while (next()) {
            if (this.kind == kind) {
                return position;
            }
        }
        return NOT_FOUND;
    }

    /**
     * Returns: the absolute offset of the MSS option's kind byte (its value is at
     * {@code + DATA_OFFSET}), or {@link #NOT_FOUND} if there is none, it is malformed, or its
     * length is not {@link #MSS_LENGTH}.
     */
    public long mssOffset() {
        long p = find(KIND_MSS);
        return p != NOT_FOUND && optionLength == MSS_LENGTH ? p : NOT_FOUND;
    }

    /** Returns: the MSS value in bytes, or {@link #NOT_FOUND}. */
    public int mss() {
        long p = mssOffset();
        return p == NOT_FOUND ? NOT_FOUND : NetworkOrder.u16(segment, p + DATA_OFFSET);
    }

    /**
     * Rewrites the MSS value if an MSS option is present.
     *
     * <p>Returns: the previous MSS value (for the incremental checksum update), or
     * {@link #NOT_FOUND} if nothing was written.
     */
    public int mss(int valueBytes) {
        long p = mssOffset();
        if (p == NOT_FOUND) {
            return NOT_FOUND;
        }
        int previous = NetworkOrder.u16(segment, p + DATA_OFFSET);
        NetworkOrder.u16(segment, p + DATA_OFFSET, valueBytes);
        return previous;
    }
}
