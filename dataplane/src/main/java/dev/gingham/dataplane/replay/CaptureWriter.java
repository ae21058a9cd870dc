package dev.gingham.dataplane.replay;

import java.io.IOException;
import java.nio.file.Path;

/**
 * What the two capture writers share: the buffered file they write through, the frame count,
 * flushing and closing, and the frame-length rule. The formats themselves are in
 * {@link PcapWriter} and {@link PcapngWriter}.
 */
public abstract sealed class CaptureWriter implements AutoCloseable permits PcapWriter, PcapngWriter {
    /** Snap length both writers declare: libpcap's maximum, so no frame Gingham handles is cut. */
    public static final int SNAP_LENGTH = CaptureReader.MAX_CAPTURED_BYTES;

    final CaptureOutput out;
    private long frames;

    CaptureWriter(Path file) throws IOException {
        this.out = new CaptureOutput(file);
    }

    /** Refuses a frame length no capture of these writers can hold (a caller's bug, not a packet's). */
    static void checkLength(int length) {
        if (length < 0 || length > SNAP_LENGTH) {
            throw new IllegalArgumentException("frame of " + length + " bytes: captures hold frames of 0.." + SNAP_LENGTH
                    + " bytes");
        }
    }

    /** Counts a frame written. */
    final void counted() {
        frames++;
    }

    /** Returns: the frames written. */
    public final long frames() {
        return frames;
    }

    /** Writes out everything buffered (the file is a valid capture after every flush). */
    public final void flush() throws IOException {
        out.flush();
    }

    @Override
    public final void close() throws IOException {
        out.close();
    }
}
