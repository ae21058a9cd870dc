package dev.gingham.packet;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Fixed-size off-heap frame buffers, allocated once at start and recycled forever.
 *
 * <pre>
 *   buffer base                                   base + DATA_OFFSET                 base + bufferSize
 *   |&lt;------------- HEADROOM (256) -------------&gt;|pad|&lt;------ frame: up to maxFrameBytes -------&gt;|
 *                 ^ encap headers / vnet header    ^2  ^ Ethernet header; IP header 16-byte aligned
 * </pre>
 *
 * <p>Headroom lets encapsulation prepend outer headers (VXLAN 50 bytes, Geneve 50 plus options,
 * an IPv6 underlay 70) and the TAP driver place the virtio-net header in front of the frame
 * without copying the frame. The 2-byte pad puts the IP header that follows a 14-byte Ethernet
 * header on a 16-byte boundary.
 *
 * <p>Threading: a pool belongs to one worker, which acquires and releases its buffers; it is
 * not safe for use by several threads. Frames cross threads only by copying. Releasing a
 * buffer twice, or one that was never acquired, is a bug and throws {@link IllegalStateException}
 * (never a per-packet outcome: the pipeline's bookkeeping decides releases, not packet bytes).
 */
public final class BufferPool implements AutoCloseable {
    /** Bytes before the frame reserved for headers that will be prepended. */
    public static final int HEADROOM = 256;
    /** Pad so that the IP header after a 14-byte Ethernet header is aligned. */
    public static final int ALIGN_PAD = 2;
    /** Offset of a freshly received frame's first byte from its buffer's base. */
    public static final int DATA_OFFSET = HEADROOM + ALIGN_PAD;
    /** Buffer size for 1500-byte MTU frames: 1790 bytes of frame after the headroom. */
    public static final int DEFAULT_BUFFER_SIZE = 2048;
    /** Buffer size for 9000-byte MTU (jumbo) frames: 9278 bytes of frame after the headroom. */
    public static final int JUMBO_BUFFER_SIZE = 9536;
    /** Buffer size for 64 KB TSO/GSO frames from a TAP with IFF_VNET_HDR. */
    public static final int TSO_BUFFER_SIZE = 66 * 1024;
    /** What {@link #acquire()} returns when every buffer is in use. */
    public static final int NO_BUFFER = -1;

    private final Arena arena;
    private final MemorySegment segment;
    private final int bufferSize;
    private final int bufferCount;
    private final int[] freeStack;
    private final boolean[] inUse;
    private int freeTop;

    private BufferPool(int bufferCount, int bufferSize) {
        if (bufferCount <= 0) {
            throw new IllegalArgumentException("buffer count " + bufferCount + " must be positive");
        }
        if (bufferSize < DATA_OFFSET + 64 || bufferSize % 64 != 0) {
            throw new IllegalArgumentException("buffer size " + bufferSize + " must be a multiple of 64 and at least "
                    + (DATA_OFFSET + 64));
        }
        this.bufferCount = bufferCount;
        this.bufferSize = bufferSize;
        this.arena = Arena.ofShared();
        this.segment = arena.allocate((long) bufferCount * bufferSize, 4096);
        this.freeStack = new int[bufferCount];
        this.inUse = new boolean[bufferCount];
        // Highest index at the bottom so buffer 0 is handed out first: easier to read in tests.
        for (int i = 0; i < bufferCount; i++) {
            freeStack[i] = bufferCount - 1 - i;
        }
        this.freeTop = bufferCount;
    }

    /** Allocates {@code bufferCount} buffers of {@code bufferSize} bytes each (headroom included). */
    public static BufferPool allocate(int bufferCount, int bufferSize) {
        return new BufferPool(bufferCount, bufferSize);
    }

    /** Returns: a free buffer's index, or {@link #NO_BUFFER} when the pool is exhausted. */
    public int acquire() {
        if (freeTop == 0) {
            return NO_BUFFER;
        }
        int buffer = freeStack[--freeTop];
        inUse[buffer] = true;
        return buffer;
    }

    /** Returns a buffer to the pool. */
    public void release(int buffer) {
        if (buffer < 0 || buffer >= bufferCount || !inUse[buffer]) {
            throw new IllegalStateException("buffer " + buffer + " released but not in use (double release?)");
        }
        inUse[buffer] = false;
        freeStack[freeTop++] = buffer;
    }

    /** Returns: the offset of a buffer's first byte (its headroom) in {@link #segment()}. */
    public long base(int buffer) {
        return (long) buffer * bufferSize;
    }

    /** Returns: the offset where a received frame starts in a buffer: {@code base + DATA_OFFSET}. */
    public long dataStart(int buffer) {
        return (long) buffer * bufferSize + DATA_OFFSET;
    }

    /** Returns: the largest frame a buffer holds when it starts at {@link #DATA_OFFSET}. */
    public int maxFrameBytes() {
        return bufferSize - DATA_OFFSET;
    }

    /** Returns: the index of the buffer that holds {@code offset}. */
    public int bufferOf(long offset) {
        return (int) (offset / bufferSize);
    }

    public int bufferSize() {
        return bufferSize;
    }

    public int bufferCount() {
        return bufferCount;
    }

    /** Returns: the number of free buffers. */
    public int available() {
        return freeTop;
    }

    /** Returns: true when the buffer is currently acquired. */
    public boolean inUse(int buffer) {
        return inUse[buffer];
    }

    /** Returns: the memory of all buffers; frame offsets everywhere are offsets into it. */
    public MemorySegment segment() {
        return segment;
    }

    @Override
    public void close() {
        arena.close();
    }
}
