package dev.gingham.packet.header;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.HexFormat;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/**
 * A golden frame copied into off-heap memory at a non-zero offset ({@link #BASE}), between guard
 * bytes, so that tests prove flyweights honour their wrap offset and that setters write exactly
 * the bytes they should.
 */
final class Frame implements AutoCloseable {
    /** Where the frame starts in the segment: odd-ish and not a multiple of 8 on purpose. */
    static final long BASE = 130;
    /** Guard bytes after the frame. */
    static final int TAIL = 32;
    /** Value of every guard byte, unlikely in headers. */
    static final byte GUARD = (byte) 0xA5;

    final Arena arena;
    final MemorySegment segment;
    final int length;
    private byte[] snapshot;

    private Frame(byte[] bytes) {
        this.arena = Arena.ofConfined();
        this.length = bytes.length;
        this.segment = arena.allocate(BASE + bytes.length + TAIL);
        segment.fill(GUARD);
        MemorySegment.copy(bytes, 0, segment, ValueLayout.JAVA_BYTE, BASE, bytes.length);
        this.snapshot = segment.toArray(ValueLayout.JAVA_BYTE);
    }

    /** Returns: a frame holding the bytes of {@code hex}; whitespace (text-block line breaks) is ignored. */
    static Frame of(String hex) {
        return new Frame(bytes(hex));
    }

    static byte[] bytes(String hex) {
        return HexFormat.of().parseHex(hex.replaceAll("\\s+", ""));
    }

    /** Returns: the absolute offset of byte {@code relative} of the frame. */
    long at(int relative) {
        return BASE + relative;
    }

    /** Returns: the frame bytes (without guards) as they are now. */
    byte[] frameBytes() {
        return segment.asSlice(BASE, length).toArray(ValueLayout.JAVA_BYTE);
    }

    /**
     * Returns: a segment that ends exactly at frame byte {@code endRelative} (exclusive): an
     * access beyond it throws IndexOutOfBoundsException. Offsets in it are the same as in
     * {@link #segment}.
     */
    MemorySegment endingAt(int endRelative) {
        return segment.asSlice(0, BASE + endRelative);
    }

    /** Takes a new reference copy of the whole segment, guards included. */
    void snapshot() {
        snapshot = segment.toArray(ValueLayout.JAVA_BYTE);
    }

    /**
     * Asserts that, since the last snapshot (or creation), exactly the bytes at frame offset
     * {@code relative} changed to {@code hex} and every other byte of the segment, guards
     * included, is unchanged. Then takes a new snapshot.
     */
    void assertOnlyChanged(int relative, String hex) {
        byte[] expected = snapshot.clone();
        byte[] patch = bytes(hex);
        System.arraycopy(patch, 0, expected, (int) BASE + relative, patch.length);
        assertArrayEquals(expected, segment.toArray(ValueLayout.JAVA_BYTE),
                () -> "expected only bytes " + relative + ".." + (relative + patch.length - 1) + " to become " + hex
                        + "\n  expected " + HexFormat.of().formatHex(expected, (int) BASE, (int) BASE + length)
                        + "\n  actual   " + HexFormat.of().formatHex(frameBytes()));
        snapshot();
    }

    /** Asserts nothing changed since the last snapshot. */
    void assertUnchanged() {
        assertArrayEquals(snapshot, segment.toArray(ValueLayout.JAVA_BYTE));
    }

    @Override
    public void close() {
        arena.close();
    }
}
