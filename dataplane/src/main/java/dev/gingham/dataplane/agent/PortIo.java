package dev.gingham.dataplane.agent;

import dev.gingham.packet.DropReason;
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
     * Returns: a file descriptor that polls readable whenever {@link #receive} would return frames
     * (what an idle worker sleeps on: {@link PortWaiter}), or -1 for a port that has none (an
     * in-memory port), which makes its worker park instead.
     */
    default int waitFd() {
        return -1;
    }

    /**
     * Returns: reads of this port that failed other than "nothing waiting" (a frame too long for
     * a buffer, a vnet header the pipeline cannot take, an errno), since the port was made. Written
     * by the worker that polls the port; another thread reading it may see a slightly old value,
     * which is all a metric needs. The default: a port that cannot fail a read.
     */
    default long rxErrorCount() {
        return 0;
    }

    /**
     * Sends frames {@code frames[0..count)} of the vector out of this port, in that order: the
     * worker hands over every frame a burst sends here at once, so a port that can (a batched
     * underlay socket: one {@code sendmmsg(2)}) makes one system call for all of them. A frame not
     * sent gets a drop verdict naming why; the others keep their TX verdict. Buffers stay the caller's.
     * The default sends them one by one with {@link #transmit} and marks a refused frame
     * {@link DropReason#TX_FAILED} (a port that knows more overrides it).
     *
     * @return the number of frames sent
     */
    default int transmitBatch(FrameVector vector, int[] frames, int count) {
        int sent = 0;
        for (int k = 0; k < count; k++) {
            if (transmit(vector, frames[k])) {
                sent++;
            } else {
                vector.drop(frames[k], DropReason.TX_FAILED);
            }
        }
        return sent;
    }

    /**
     * Returns: the most frames the worker reads from this port per cycle, or 0 for the worker's
     * own burst size. A port whose frames may be TSO frames bound for a tunnel keeps this small:
     * each such frame becomes up to 45 segments, and a vector holds 256 frames.
     */
    default int burstFrames() {
        return 0;
    }
}
