package dev.gingham.tap;

import dev.gingham.packet.BufferPool;
import dev.gingham.packet.DropReason;
import dev.gingham.packet.FrameVector;
import dev.gingham.packet.PartialChecksum;
import dev.gingham.packet.Verdict;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * One queue (one nonblocking file descriptor) of a {@link TapDevice}, or a {@link PacketSocket}
 * (an AF_PACKET socket reads and writes whole frames with the same calls): frames in with
 * {@link #receive}, frames out with {@link #transmit}. The data path: no allocation, no locks, no
 * exceptions; failures are return codes and counters.
 *
 * <p>Zero copy: {@code read(2)} goes straight into a {@link BufferPool} buffer, placed so the
 * frame starts at the buffer's {@link BufferPool#DATA_OFFSET} (where every program expects a
 * received frame) and the 12-byte {@link VnetHeader} lands in the headroom just before it.
 * Transmit writes the header into the headroom in front of the frame and sends header and frame
 * with one {@code write(2)}. The pool's memory must stay open while a queue uses it (close
 * queues, then pools).
 *
 * <p>What the caller does with received frames: parse them ({@code Parser.parseAll}; it keeps
 * {@link FrameVector#FLAG_CSUM_PARTIAL}, {@link FrameVector#FLAG_GSO} and the offload fields this
 * driver set, as it keeps them on a re-parse after decapsulation), skip frames whose verdict is
 * already a drop (this driver marks truncated frames and bad vnet headers that way), count and
 * release every buffer when done. Programs that change a partial-checksum frame follow the
 * offload fields (NatRewriter, MssClamp, TunnelEncap/Decap do).
 *
 * <p>Threading: a queue belongs to one worker (counters are plain fields, single writer; another
 * thread reading them may see slightly old values). Different queues of a device may be used by
 * different workers at the same time.
 */
public final class TapQueue implements AutoCloseable {
    /** {@link #transmit(FrameVector, int)}: the frame was handed to the kernel. */
    public static final int SENT = 0;
    /** {@link #transmit(FrameVector, int)}: the kernel is full (EAGAIN); try later or drop. */
    public static final int AGAIN = -Libc.EAGAIN;
    /** {@link #transmit(FrameVector, int)}: fewer than 12 bytes of headroom for the vnet header. */
    public static final int NO_HEADROOM = -4096;
    /** {@link #transmit(FrameVector, int)}: the kernel took only part of the frame. */
    public static final int SHORT_WRITE = -4097;
    /**
     * {@link #transmit(FrameVector, int)}: a queue without vnet header cannot pass on a partial
     * checksum, and this frame's could not be finished (its pointers lie outside the packet).
     */
    public static final int CHECKSUM_UNFINISHED = -4098;

    private final TapDevice device;
    private final int index;
    private final int headerBytes;
    private final MemorySegment errno = Libc.captureSegment(Arena.ofAuto());
    private int fd;

    private long rxFrameCount;
    private long rxByteCount;
    private long rxErrorCount;
    private long rxNoBufferCount;
    private long txFrameCount;
    private long txByteCount;
    private long txErrorCount;
    private int lastErrno;

    TapQueue(TapDevice device, int index, int fd, int headerBytes) {
        this.device = device;
        this.index = index;
        this.fd = fd;
        this.headerBytes = headerBytes;
    }

    /**
     * Reads frames until the kernel has none (EAGAIN), {@code maxFrames} were read, the vector is
     * full, or the vector's pool has no free buffer (the rest stay queued in the kernel, which
     * drops when its own queue overflows; counted in {@link #rxNoBufferCount}).
     *
     * <p>Each frame is added with {@link FrameVector#add} (ingress port {@code port}) and its
     * offload fields are set from the vnet header. A frame that did not fit its buffer is added
     * with the verdict {@link DropReason#FRAME_TOO_LONG} (length cut to the buffer), one whose
     * vnet header makes no sense with {@link DropReason#VNET_HEADER_INVALID}: the pipeline skips
     * and counts them like any drop.
     *
     * @return the number of frames added to the vector
     */
    public int receive(FrameVector vector, int port, int maxFrames) {
        BufferPool pool = vector.pool();
        MemorySegment segment = vector.segment();
        long base = segment.address();
        int maxFrameBytes = pool.maxFrameBytes();
        long capacity = (long) maxFrameBytes + headerBytes;
        int received = 0;
        while (received < maxFrames && !vector.isFull()) {
            int buffer = pool.acquire();
            if (buffer == BufferPool.NO_BUFFER) {
                rxNoBufferCount++;
                break;
            }
            long frame = pool.dataStart(buffer);
            long n = Libc.read(errno, fd, base + frame - headerBytes, capacity);
            if (n < headerBytes || n == 0) {
                pool.release(buffer);
                if (n < 0) {
                    int e = Libc.errno(errno);
                    if (e == Libc.EAGAIN) {
                        break;
                    }
                    rxErrorCount++;
                    lastErrno = e;
                    if (e == Libc.EINTR || e == Libc.EINVAL) {
                        continue; // EINVAL: the kernel could not describe one frame in a vnet header and dropped it
                    }
                    break;
                }
                rxErrorCount++;
                continue;
            }
            int length = (int) Math.min(n - headerBytes, maxFrameBytes);
            int i = vector.add(buffer, port, length);
            received++;
            rxFrameCount++;
            rxByteCount += length;
            if (n > capacity) {
                vector.drop(i, DropReason.FRAME_TOO_LONG);
            } else if (headerBytes != 0) {
                int verdict = VnetHeader.toVector(segment, frame - headerBytes, vector, i);
                if (verdict != Verdict.CONTINUE) {
                    vector.verdict(i, verdict);
                }
            }
        }
        return received;
    }

    /**
     * Sends frame {@code i} of {@code vector}: writes its vnet header (from the offload fields;
     * all zero for a plain frame) into the headroom and {@code write(2)}s header and frame at
     * once. On a queue without vnet header nothing behind the device would finish a partial
     * checksum, so this queue finishes it ({@link PartialChecksum}) before the write. The buffer
     * stays the caller's (the kernel copied the bytes).
     *
     * @return {@link #SENT}; {@link #AGAIN}, {@link #NO_HEADROOM}, {@link #SHORT_WRITE},
     *         {@link #CHECKSUM_UNFINISHED} or another
     *         negative errno (EIO: the device is down; EINVAL: the kernel rejected the vnet header).
     *         Failures are counted in {@link #txErrorCount}; the caller counts
     *         {@link DropReason#TX_FAILED} and releases the buffer
     */
    public int transmit(FrameVector vector, int i) {
        MemorySegment segment = vector.segment();
        long start = vector.start(i);
        if (vector.headroom(i) < headerBytes) {
            txErrorCount++;
            return NO_HEADROOM;
        }
        if (headerBytes != 0) {
            VnetHeader.fromVector(vector, i, segment, start - headerBytes);
            if (headerBytes == VnetHeader.LENGTH) {
                segment.set(ValueLayout.JAVA_SHORT_UNALIGNED, start - 2, (short) 0); // num_buffers
            }
        } else if (!PartialChecksum.complete(vector, i)) {
            txErrorCount++;
            return CHECKSUM_UNFINISHED;
        }
        long total = (long) vector.length(i) + headerBytes;
        long n = Libc.write(errno, fd, segment.address() + start - headerBytes, total);
        if (n == total) {
            txFrameCount++;
            txByteCount += vector.length(i);
            return SENT;
        }
        txErrorCount++;
        if (n < 0) {
            lastErrno = Libc.errno(errno);
            return -lastErrno;
        }
        return SHORT_WRITE;
    }

    /**
     * Sends every frame of {@code vector} whose verdict is {@code Verdict.tx(port)}, in order; a
     * frame that fails gets the verdict {@link DropReason#TX_FAILED} (so the caller's drop
     * accounting sees it). Buffers stay the caller's.
     *
     * @return the number of frames sent
     */
    public int transmitAll(FrameVector vector, int port) {
        int wanted = Verdict.tx(port);
        int sent = 0;
        for (int i = 0, n = vector.count(); i < n; i++) {
            if (vector.verdict(i) == wanted) {
                if (transmit(vector, i) == SENT) {
                    sent++;
                } else {
                    vector.drop(i, DropReason.TX_FAILED);
                }
            }
        }
        return sent;
    }

    /** Returns: the device this queue belongs to, or null for a {@link PacketSocket}'s queue. */
    public TapDevice device() {
        return device;
    }

    /** Returns: this queue's position in its device (0..queueCount-1). */
    public int index() {
        return index;
    }

    /** Returns: the file descriptor, for poll/epoll readiness (-1 after {@link #close()}). */
    public int fd() {
        return fd;
    }

    /** Returns: bytes of vnet header in front of each frame (12 for a TAP, 10 for a packet socket, or 0). */
    public int headerBytes() {
        return headerBytes;
    }

    public long rxFrameCount() {
        return rxFrameCount;
    }

    public long rxByteCount() {
        return rxByteCount;
    }

    /** Returns: failed reads other than "nothing to read". */
    public long rxErrorCount() {
        return rxErrorCount;
    }

    /** Returns: receive calls cut short because the pool had no free buffer. */
    public long rxNoBufferCount() {
        return rxNoBufferCount;
    }

    public long txFrameCount() {
        return txFrameCount;
    }

    public long txByteCount() {
        return txByteCount;
    }

    public long txErrorCount() {
        return txErrorCount;
    }

    /** Returns: the errno of the last failed read or write (0 if none failed yet). */
    public int lastErrno() {
        return lastErrno;
    }

    /** Closes the file descriptor; later reads and writes fail with EBADF (counted, never thrown). */
    @Override
    public void close() {
        int old = fd;
        if (old >= 0) {
            fd = -1;
            Libc.close(errno, old);
        }
    }
}
