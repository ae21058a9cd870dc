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

    /** Why a frame was skipped ({@link #skippedReason(int)}). */
    public enum SkipReason {
        /** Captured length below the original length: the snap length cut it. */
        SNAPLEN_CUT("snaplen-cut"),
        /** Longer than the pool's buffers hold. */
        OVERSIZED("oversized"),
        /** Its capture interface maps to no port of the node. */
        UNMAPPED_INTERFACE("unmapped-interface");

        private final String label;

        SkipReason(String label) {
            this.label = label;
        }

        /** Returns: the reason as verdicts.jsonl spells it. */
        public String label() {
            return label;
        }
    }

    // Frames skipped during the last fill, in capture order (rare: the arrays grow on demand).
    private int skipped;
    private long[] skippedIndex = new long[4];
    private long[] skippedTimeNs = new long[4];
    private int[] skippedInterface = new int[4];
    private int[] skippedCaptured = new int[4];
    private int[] skippedOriginal = new int[4];
    private SkipReason[] skippedReason = new SkipReason[4];

    public CaptureFeed(CaptureReader reader, IngressPorts ports) {
        this.reader = reader;
        this.ports = ports;
        Arrays.fill(portByInterface, UNRESOLVED);
        reader.skipListener(r -> recordSkip(SkipReason.SNAPLEN_CUT));
    }

    private void recordSkip(SkipReason reason) {
        if (skipped == skippedIndex.length) {
            int n = skipped * 2;
            skippedIndex = Arrays.copyOf(skippedIndex, n);
            skippedTimeNs = Arrays.copyOf(skippedTimeNs, n);
            skippedInterface = Arrays.copyOf(skippedInterface, n);
            skippedCaptured = Arrays.copyOf(skippedCaptured, n);
            skippedOriginal = Arrays.copyOf(skippedOriginal, n);
            skippedReason = Arrays.copyOf(skippedReason, n);
        }
        skippedIndex[skipped] = reader.frameIndex();
        skippedTimeNs[skipped] = reader.timestampNs();
        skippedInterface[skipped] = reader.interfaceIndex();
        skippedCaptured[skipped] = reader.capturedLength();
        skippedOriginal[skipped] = reader.originalLength();
        skippedReason[skipped] = reason;
        skipped++;
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
        skipped = 0;
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
                recordSkip(SkipReason.UNMAPPED_INTERFACE);
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
                recordSkip(SkipReason.OVERSIZED);
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

    /**
     * Returns: the frames the last {@link #fill} skipped (cut by the snap length, oversized, of an
     * unmapped interface), described by the {@code skipped*} accessors in capture order. Their
     * capture indexes lie before the frames a later fill appends.
     */
    public int skippedCount() {
        return skipped;
    }

    public long skippedFrameIndex(int k) {
        return skippedIndex[k];
    }

    public long skippedTimestampNs(int k) {
        return skippedTimeNs[k];
    }

    /** Returns: the capture interface of skipped frame k (its ingress port when it maps to one: {@link #portOfInterface}). */
    public int skippedInterface(int k) {
        return skippedInterface[k];
    }

    public int skippedCapturedLength(int k) {
        return skippedCaptured[k];
    }

    public int skippedOriginalLength(int k) {
        return skippedOriginal[k];
    }

    public SkipReason skippedReason(int k) {
        return skippedReason[k];
    }

    /** Returns: the port a capture interface feeds (resolving it on first use), or a negative value for none. */
    public int portOfInterface(int interfaceIndex) {
        return port(interfaceIndex);
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
