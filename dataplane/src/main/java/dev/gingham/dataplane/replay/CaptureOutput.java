package dev.gingham.dataplane.replay;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The buffered file both capture writers write through: one 1 MiB direct buffer, filled with
 * little-endian integers and bulk copies of frames straight from pool memory, written to the
 * file channel when full. Nothing is allocated per frame, and a frame (at most
 * {@link CaptureReader#MAX_CAPTURED_BYTES}) always fits in an emptied buffer.
 */
final class CaptureOutput implements AutoCloseable {
    static final int BUFFER_BYTES = 1 << 20;

    private final Path file;
    private final FileChannel channel;
    private final ByteBuffer buffer = ByteBuffer.allocateDirect(BUFFER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
    private final MemorySegment bufferMemory = MemorySegment.ofBuffer(buffer);
    private long bytesWritten;

    CaptureOutput(Path file) throws IOException {
        this.file = file;
        this.channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.WRITE);
    }

    Path file() {
        return file;
    }

    /** Makes room for {@code bytes} (at most {@link #BUFFER_BYTES}) by writing out what is buffered. */
    void reserve(int bytes) throws IOException {
        if (buffer.remaining() < bytes) {
            flush();
        }
    }

    void u16(int value) {
        buffer.putShort((short) value);
    }

    void u32(int value) {
        buffer.putInt(value);
    }

    void u64(long value) {
        buffer.putLong(value);
    }

    void bytes(byte[] value) {
        buffer.put(value);
    }

    /** Appends {@code length} bytes of {@code source} at {@code offset}, then zeros up to a multiple of {@code align}. */
    void frame(MemorySegment source, long offset, int length, int align) {
        int at = buffer.position();
        MemorySegment.copy(source, offset, bufferMemory, at, length);
        buffer.position(at + length);
        for (int i = length; i % align != 0; i++) {
            buffer.put((byte) 0);
        }
    }

    /** Zero bytes up to the next multiple of four (pcapng option values). */
    void pad4(int length) {
        for (int i = length; i % 4 != 0; i++) {
            buffer.put((byte) 0);
        }
    }

    /** Returns: the bytes written so far, buffered ones included. */
    long position() {
        return bytesWritten + buffer.position();
    }

    void flush() throws IOException {
        buffer.flip();
        while (buffer.hasRemaining()) {
            bytesWritten += channel.write(buffer);
        }
        buffer.clear();
    }

    @Override
    public void close() throws IOException {
        try {
            flush();
        } finally {
            channel.close();
        }
    }
}
