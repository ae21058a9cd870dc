package dev.gingham.dataplane.neighbour;

import java.lang.foreign.MemorySegment;

/** Puts one frame the control agent made on the underlay (the daemon's {@code tap.PacketSender}; a list in tests). */
@FunctionalInterface
public interface FrameSender {
    /**
     * Sends the first {@code lengthBytes} bytes of {@code frame}.
     *
     * @return false when the frame could not be sent (it is retried later, never waited for)
     */
    boolean send(MemorySegment frame, int lengthBytes);
}
