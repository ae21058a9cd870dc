package dev.gingham.dataplane.replay;

import dev.gingham.packet.FrameVector;

import java.util.Arrays;

/**
 * Fills {@link FrameVector}s from a {@link CaptureReader}: what the replay loop calls between
 * pipeline runs. Each frame is copied into a pool buffer with its ingress port (from the
 * capture interface, through {@link IngressPorts}), and its timestamp and capture index are
 * kept beside the vector ({@link #timestampNs(int)}, {@link #frameIndex(int)}), indexed like the
 * vector, for the virtual clock and the verdict lines.
 *
 * <p>A frame that does not fit (vector full, pool empty) stays pending and goes first into the
 * next fill, so none is lost. Frames longer than the pool's buffers and frames of interfaces
 * mapped to {@link IngressPorts#SKIP} are skipped and counted ({@link #oversizedFrames()},
 * {@link #unmappedFrames()}); frames cut by the snap length are skipped by the reader
 * ({@link CaptureReader#snaplenCutFrames()}). Nothing is allocated per frame. The feed owns the
 * reader: closing the feed closes it.
 */
public final class CaptureFeed implements AutoCloseable {
    private static final int UNRESOLVED = Integer.MIN_VALUE;

    private final CaptureReader reader;
    private final IngressPorts ports;
    private int[] portByInterface = new int[8];
    private final long[] timestampNs = new long[FrameVector.MAX_FRAMES];
    private final long[] frameIndex = new long[FrameVector.MAX_FRAMES];
    private boolean pending;
    private boolean finished;
    private long oversizedFrames;
    private long unmappedFrames;
    private long framesFed;

    public CaptureFeed(CaptureReader reader, IngressPorts ports) {
        this.reader = reader;
        this.ports = ports;
        Arrays.fill(portByInterface, UNRESOLVED);
    }

    /**
     * Appends frames until the vector is full, the pool has no free buffer or the capture ends.
     *
     * @return the number of frames appended
     * @throws CaptureFormatException when the capture is broken at this point (frames before it were fed)
     */
    public int fill(FrameVector vector) throws CaptureFormatException {
        return fill(vector, Long.MAX_VALUE);
    }

    /**
     * As {@link #fill(FrameVector)}, but stops before a frame more than {@code maxSpanNs} later
     * than the first frame of this fill, so that one clock reading per vector stays within
     * {@code maxSpanNs} of every frame's own timestamp.
     */
    public int fill(FrameVector vector, long maxSpanNs) throws CaptureFormatException {
        int added = 0;
        long firstNs = 0;
        while (!finished) {
            if (!pending) {
                if (!reader.next()) {
                    finished = true;
                    break;
                }
                pending = true;
            }
            int port = port(reader.interfaceIndex());
            if (port < 0) {
                unmappedFrames++;
                pending = false;
                continue;
            }
            long now = reader.timestampNs();
            if (added == 0) {
                firstNs = now;
            } else if (now - firstNs > maxSpanNs) {
                break;
            }
            int i = reader.addTo(vector, port);
            if (i == CaptureReader.ADD_TOO_LONG) {
                oversizedFrames++;
                pending = false;
                continue;
            }
            if (i < 0) {
                break; // vector full or pool empty: the frame stays pending
            }
            timestampNs[i] = now;
            frameIndex[i] = reader.frameIndex();
            pending = false;
            added++;
            framesFed++;
        }
        return added;
    }

    private int port(int interfaceIndex) {
        if (interfaceIndex >= portByInterface.length) {
            int old = portByInterface.length;
            portByInterface = Arrays.copyOf(portByInterface, Math.max(interfaceIndex + 1, old * 2));
            Arrays.fill(portByInterface, old, portByInterface.length, UNRESOLVED);
        }
        int port = portByInterface[interfaceIndex];
        if (port == UNRESOLVED) {
            port = ports.portOf(interfaceIndex, reader.interfaceName(interfaceIndex));
            portByInterface[interfaceIndex] = port < 0 ? IngressPorts.SKIP : port;
        }
        return port;
    }

    /** Returns: the capture timestamp (ns since the epoch) of vector frame {@code i} from the last fill. */
    public long timestampNs(int i) {
        return timestampNs[i];
    }

    /** Returns: the 0-based capture index (Wireshark frame number - 1) of vector frame {@code i}. */
    public long frameIndex(int i) {
        return frameIndex[i];
    }

    /** Returns: true when the capture has been read to its end and nothing is pending. */
    public boolean finished() {
        return finished && !pending;
    }

    /** Returns: frames appended to vectors so far. */
    public long framesFed() {
        return framesFed;
    }

    /** Returns: frames skipped because they are longer than the pool's buffers hold. */
    public long oversizedFrames() {
        return oversizedFrames;
    }

    /** Returns: frames skipped because their interface maps to no port. */
    public long unmappedFrames() {
        return unmappedFrames;
    }

    public CaptureReader reader() {
        return reader;
    }

    /** Closes the reader (unmaps the capture); frames already in vectors stay valid. */
    @Override
    public void close() {
        reader.close();
    }
}
