package dev.gingham.dataplane.replay;

import dev.gingham.packet.MappedAddress;
import dev.gingham.packet.header.Addresses;

import java.io.IOException;
import java.io.OutputStream;

/**
 * The byte buffer {@code verdicts.jsonl} is formatted into and written from: text goes in as
 * bytes (pre-encoded names and key strings, decimal numbers and addresses formatted in place from
 * digit tables), and the buffer is handed to the stream in one {@code write} when it fills.
 *
 * <p>Why not a StringBuilder and a Writer: a replay's line is about 400 bytes per frame and the
 * issue's budget for the whole frame is 1,000 ns. Building the line as chars, copying them into
 * bytes and then into a {@code BufferedOutputStream} (the first versions) spent most of the
 * replay's time moving the same bytes three times and in {@code StringBuilder.append(long)}; here
 * each byte is stored once, into the array that goes to the file.
 *
 * <p>Every append makes room for itself ({@link #reserve}), so a line of any length works; a piece
 * longer than the whole buffer (a very long name) is written straight through. One instance
 * belongs to one thread; {@link #close} writes what is left but does not close the stream.
 */
final class LineBuffer implements AutoCloseable {
    /** Room for the longest number or address one call formats: "[" + 39 chars of IPv6 + "]:" + 5 digits, a long's 20. */
    private static final int MAX_FORMATTED_BYTES = 64;
    /** "00" "01" ... "99": two digits per division, as the JDK's own formatting does. */
    private static final byte[] DIGIT_PAIRS = new byte[200];
    private static final long BILLION = 1_000_000_000L;
    private static final byte[] LONG_MIN = Long.toString(Long.MIN_VALUE).getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    static {
        for (int i = 0; i < 100; i++) {
            DIGIT_PAIRS[2 * i] = (byte) ('0' + i / 10);
            DIGIT_PAIRS[2 * i + 1] = (byte) ('0' + i % 10);
        }
    }

    private final OutputStream out;
    private final byte[] buffer;
    private int position;
    private long flushedBytes;
    // the digits of the last large number above its nine lowest (see decimal)
    private long lastHigh = -1;
    private final byte[] lastHighDigits = new byte[20];
    private int lastHighLength;

    /**
     * @param out         where full buffers go (not closed by this buffer)
     * @param bufferBytes the buffer's size; at least {@link #MAX_FORMATTED_BYTES}
     */
    LineBuffer(OutputStream out, int bufferBytes) {
        if (bufferBytes < MAX_FORMATTED_BYTES) {
            throw new IllegalArgumentException("line buffer of " + bufferBytes + " bytes: at least " + MAX_FORMATTED_BYTES);
        }
        this.out = out;
        this.buffer = new byte[bufferBytes];
    }

    /** Appends pre-encoded bytes (a key, a cached name). */
    void bytes(byte[] value) throws IOException {
        bytes(value, 0, value.length);
    }

    /** Appends {@code length} pre-encoded bytes of {@code value} from {@code offset}. */
    void bytes(byte[] value, int offset, int length) throws IOException {
        if (position + length > buffer.length) {
            flush();
            if (length > buffer.length) {
                out.write(value, offset, length);
                flushedBytes += length;
                return;
            }
        }
        System.arraycopy(value, offset, buffer, position, length);
        position += length;
    }

    /** Returns: the bytes appended so far, written out or still buffered. */
    long written() {
        return flushedBytes + position;
    }

    /**
     * Copies the last {@code length} bytes appended into {@code into} at {@code at}.
     *
     * @return false (nothing copied) when some of them were already written out
     */
    boolean copyLast(int length, byte[] into, int at) {
        if (length > position) {
            return false;
        }
        System.arraycopy(buffer, position - length, into, at, length);
        return true;
    }

    /** Appends one ASCII character. */
    void ascii(char c) throws IOException {
        if (position == buffer.length) {
            flush();
        }
        buffer[position++] = (byte) c;
    }

    /** Appends {@code value} in decimal, as {@code Long.toString} spells it. */
    void decimal(long value) throws IOException {
        reserve(MAX_FORMATTED_BYTES);
        if (value < 0) {
            if (value == Long.MIN_VALUE) {
                System.arraycopy(LONG_MIN, 0, buffer, position, LONG_MIN.length);
                position += LONG_MIN.length;
                return;
            }
            buffer[position++] = '-';
            value = -value;
        }
        if (value < BILLION) {
            position = putDecimal((int) value, position);
            return;
        }
        // Large numbers are timestamps (19 digits): the digits above the last nine change once a
        // second of capture time, so they are copied from the last number's, and the nine below
        // are formatted with int arithmetic.
        long high = value / BILLION;
        if (high != lastHigh) {
            lastHigh = high;
            lastHighLength = putLongDecimal(high, 0, lastHighDigits);
        }
        System.arraycopy(lastHighDigits, 0, buffer, position, lastHighLength);
        position = putNineDigits((int) (value - high * BILLION), position + lastHighLength);
    }

    /** Appends an IPv4 address (host-order int) as a.b.c.d. */
    void ipv4(int address) throws IOException {
        reserve(MAX_FORMATTED_BYTES);
        int at = putDecimal(address >>> 24, position);
        buffer[at++] = '.';
        at = putDecimal((address >>> 16) & 0xFF, at);
        buffer[at++] = '.';
        at = putDecimal((address >>> 8) & 0xFF, at);
        buffer[at++] = '.';
        position = putDecimal(address & 0xFF, at);
    }

    /**
     * Appends "a.b.c.d:port" for an IPv4-mapped address, else "[v6]:port"; without a port
     * ({@code port} negative) neither the colon nor the brackets; IPv6 as
     * {@link Addresses#formatIpv6(long, long)} spells it.
     */
    void endpoint(long hi, long lo, int port) throws IOException {
        if (MappedAddress.isIpv4(hi, lo)) {
            ipv4(MappedAddress.ip4(lo));
        } else {
            reserve(MAX_FORMATTED_BYTES);
            if (port >= 0) {
                buffer[position++] = '[';
            }
            position = Addresses.formatIpv6(hi, lo, buffer, position);
            if (port >= 0) {
                buffer[position++] = ']';
            }
        }
        if (port >= 0) {
            reserve(MAX_FORMATTED_BYTES);
            buffer[position++] = ':';
            position = putDecimal(port, position);
        }
    }

    /** Makes room for {@code bytes} (at most the buffer's size) by writing out what is buffered. */
    void reserve(int bytes) throws IOException {
        if (position + bytes > buffer.length) {
            flush();
        }
    }

    /** Writes what is buffered to the stream. */
    void flush() throws IOException {
        if (position > 0) {
            out.write(buffer, 0, position);
            flushedBytes += position;
            position = 0;
        }
    }

    @Override
    public void close() throws IOException {
        flush();
    }

    /** Stores a non-negative {@code value} in decimal at {@code at} of the buffer; returns the position after it. */
    private int putDecimal(int value, int at) {
        int end = at + digits((long) value);
        int i = end;
        while (value >= 100) {
            int pair = value % 100;
            value /= 100;
            buffer[--i] = DIGIT_PAIRS[2 * pair + 1];
            buffer[--i] = DIGIT_PAIRS[2 * pair];
        }
        if (value >= 10) {
            buffer[--i] = DIGIT_PAIRS[2 * value + 1];
            buffer[--i] = DIGIT_PAIRS[2 * value];
        } else {
            buffer[--i] = (byte) ('0' + value);
        }
        return end;
    }

    /** Stores {@code value} (below 10^9) as exactly nine digits, leading zeros included. */
    private int putNineDigits(int value, int at) {
        int i = at + 9;
        for (int pairs = 0; pairs < 4; pairs++) {
            int pair = value % 100;
            value /= 100;
            buffer[--i] = DIGIT_PAIRS[2 * pair + 1];
            buffer[--i] = DIGIT_PAIRS[2 * pair];
        }
        buffer[--i] = (byte) ('0' + value);
        return at + 9;
    }

    /** Stores a non-negative long in decimal at {@code at} of {@code into} (rare: once per second of timestamps). */
    private static int putLongDecimal(long value, int at, byte[] into) {
        int end = at + digits(value);
        int i = end;
        do {
            into[--i] = (byte) ('0' + value % 10);
            value /= 10;
        } while (value > 0);
        return end;
    }

    private static int digits(long value) {
        long bound = 10;
        for (int digits = 1; digits < 19; digits++) {
            if (value < bound) {
                return digits;
            }
            bound *= 10;
        }
        return 19;
    }
}
