package dev.gingham.dataplane.replay;

import java.io.IOException;

/**
 * A capture file that cannot be read on: truncated, wrong magic, a link type Gingham cannot
 * replay, a length no real capture has. The message names the file, the byte offset and, when
 * the problem is in a packet record, the frame index, so a user can look at the spot with
 * {@code xxd} or Wireshark.
 *
 * <p>Frames before the problem have already been delivered when the reader throws this from
 * {@link CaptureReader#next()}: a truncated capture (tcpdump killed mid-write) still replays up to
 * its last whole frame.
 */
public final class CaptureFormatException extends IOException {
    /** Frame index for problems that are not inside a packet record (file header, IDB). */
    public static final long NO_FRAME = -1;

    private final long byteOffset;
    private final long frameIndex;

    CaptureFormatException(String message, long byteOffset, long frameIndex) {
        super(message);
        this.byteOffset = byteOffset;
        this.frameIndex = frameIndex;
    }

    /** Returns: the offset in the file where the bad structure starts. */
    public long byteOffset() {
        return byteOffset;
    }

    /** Returns: the 0-based index of the packet record at fault, or {@link #NO_FRAME}. */
    public long frameIndex() {
        return frameIndex;
    }
}
