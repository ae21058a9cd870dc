package dev.gingham.dataplane.agent;

import dev.gingham.packet.FrameVector;

/**
 * One port as a worker drives it: a TAP queue of a pod or the host, the underlay, or (in tests)
 * an in-memory queue. Implementations never block and never throw on the data path.
 */
public interface PortIo {
    /** Returns: the port number (the one TX verdicts name). */
    int port();

    /**
     * Reads up to {@code maxFrames} waiting frames into buffers of the vector's pool and appends
     * them to the vector with this port as their ingress port.
     *
     * @return the number of frames read (0 when none are waiting or the pool is empty)
     */
    int receive(FrameVector vector, int maxFrames);

    /**
     * Sends frame {@code i} of the vector out of this port. The buffer stays the caller's.
     *
     * @return true when the frame was handed to the device; false when it could not take it (full, gone)
     */
    boolean transmit(FrameVector vector, int i);

    /**
     * Returns: the most frames the worker reads from this port per cycle, or 0 for the worker's
     * own burst size. A port whose frames may be TSO frames bound for a tunnel keeps this small:
     * each such frame becomes up to 45 segments, and a vector holds 256 frames.
     */
    default int burstFrames() {
        return 0;
    }
}
