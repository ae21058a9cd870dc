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
    /** recvmmsg/sendmmsg messages, or null: one read(2)/write(2) per frame (a TAP has no other way). */
    private final MessageBatch batch;
    private int fd;

    private long rxFrameCount;
    private long rxByteCount;
    private long rxErrorCount;
    private long rxNoBufferCount;
    private long txFrameCount;
    private long txByteCount;
    private long txErrorCount;
    private long rxCallCount;
    private long txCallCount;
    private int lastErrno;

    TapQueue(TapDevice device, int index, int fd, int headerBytes) {
        this(device, index, fd, headerBytes, null);
    }

    /** @param batch the message vector of a socket read and written with recvmmsg/sendmmsg, or null for read/write */
    TapQueue(TapDevice device, int index, int fd, int headerBytes, MessageBatch batch) {
        this.device = device;
        this.index = index;
        this.fd = fd;
        this.headerBytes = headerBytes;
        this.batch = batch;
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
     * <p>A batched queue ({@link PacketSocket} opened with batching) reads the whole burst with one
     * {@code recvmmsg(2)}: it takes as many free buffers as the burst may fill, points one message
     * at each, and gives back those the kernel left empty.
     *
     * @return the number of frames added to the vector
     */
    public int receive(FrameVector vector, int port, int maxFrames) {
        if (batch != null) {
            return receiveBatch(vector, port, maxFrames);
        }
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
            add(vector, buffer, port, n, n > capacity);
            rxCallCount++;
            received++;
        }
        return received;
    }

    /** Appends a frame the kernel put into {@code buffer} ({@code n} bytes with the vnet header) and counts it. */
    private void add(FrameVector vector, int buffer, int port, long n, boolean truncated) {
        int length = (int) Math.min(n - headerBytes, vector.pool().maxFrameBytes());
        int i = vector.add(buffer, port, length);
        rxFrameCount++;
        rxByteCount += length;
        if (truncated) {
            vector.drop(i, DropReason.FRAME_TOO_LONG);
        } else if (headerBytes != 0) {
            int verdict = VnetHeader.toVector(vector.segment(), vector.pool().dataStart(buffer) - headerBytes, vector, i);
            if (verdict != Verdict.CONTINUE) {
                vector.verdict(i, verdict);
            }
        }
    }

    /**
     * One poll of a batched socket. SIOCINQ first (is anything waiting?), so an idle poll takes no
     * buffers and needs no errno; then one recvmmsg for the burst. Both through downcalls without
     * errno capture ({@link Libc#recvmmsgPlain}); only a call that fails after SIOCINQ said a frame
     * was waiting is repeated through the capturing handle to learn why.
     */
    private int receiveBatch(FrameVector vector, int port, int maxFrames) {
        if (Libc.ioctlPlain(fd, Libc.SIOCINQ, batch.queuedAddress()) != 0 || batch.queuedBytes() == 0) {
            return 0; // nothing waiting (a failed ioctl shows as a failed recvmmsg on a later poll with data)
        }
        BufferPool pool = vector.pool();
        int room = Math.min(Math.min(maxFrames, FrameVector.MAX_FRAMES - vector.count()), MessageBatch.CAPACITY);
        int free = pool.available();
        if (free < room) {
            rxNoBufferCount++;
            room = free;
        }
        if (room <= 0) {
            return 0;
        }
        long base = vector.segment().address();
        long capacity = (long) pool.maxFrameBytes() + headerBytes;
        int[] buffers = batch.slot;
        for (int k = 0; k < room; k++) {
            int buffer = pool.acquire();
            buffers[k] = buffer;
            batch.buffer(k, base + pool.dataStart(buffer) - headerBytes, capacity);
        }
        int n = Libc.recvmmsgPlain(fd, batch.address(0), room, MessageBatch.MSG_DONTWAIT);
        if (n < 0) {
            n = Libc.recvmmsg(errno, fd, batch.address(0), room, MessageBatch.MSG_DONTWAIT); // error path: learn errno
        }
        int received = 0;
        if (n < 0) {
            int e = Libc.errno(errno);
            if (e != Libc.EAGAIN) {
                rxErrorCount++;
                lastErrno = e;
            }
            n = 0;
        } else {
            rxCallCount++;
        }
        for (int k = 0; k < n; k++) {
            long bytes = batch.length(k);
            if (bytes < headerBytes || bytes == 0) {
                rxErrorCount++;
                pool.release(buffers[k]);
                continue;
            }
            add(vector, buffers[k], port, bytes, (batch.flags(k) & MessageBatch.MSG_TRUNC) != 0);
            received++;
        }
        for (int k = n; k < room; k++) {
            pool.release(buffers[k]);
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
        int prepared = prepare(vector, i);
        if (prepared != SENT) {
            return prepared;
        }
        long total = (long) vector.length(i) + headerBytes;
        long n = Libc.write(errno, fd, vector.segment().address() + vector.start(i) - headerBytes, total);
        return written(vector, i, n, total);
    }

    /** Counts the outcome of the {@code write(2)} of frame {@code i} ({@code n} of {@code total} bytes). Returns: the transmit code. */
    private int written(FrameVector vector, int i, long n, long total) {
        txCallCount++;
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
     * Writes frame {@code i}'s vnet header into its headroom (or, without one, finishes a partial
     * checksum). Returns: {@link #SENT} when the frame can go, else the failure code (counted).
     */
    private int prepare(FrameVector vector, int i) {
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
        return SENT;
    }

    /**
     * Sends frames {@code frames[0..count)} of {@code vector}, in that order. A batched queue sends
     * them with as few {@code sendmmsg(2)} calls as the kernel allows (one when it takes them all);
     * any other queue with one {@link #transmit} each. A frame that is not sent gets a drop verdict
     * saying why ({@link #dropReason}); the others keep theirs. Buffers stay the caller's.
     *
     * <p>sendmmsg reports only how many messages went; when it stops early the next call starts
     * at the first unsent message and returns that message's errno: EAGAIN (the socket's send
     * buffer is full) drops the rest of the burst, anything else drops that one frame and goes on.
     *
     * @return the number of frames sent
     */
    public int transmitBatch(FrameVector vector, int[] frames, int count) {
        return transmitBatch(vector, frames, count, false);
    }

    /**
     * As {@link #transmitBatch(FrameVector, int[], int)}; with {@code coalesceTcp} a TAP queue with
     * vnet header first merges runs of consecutive segments of one TCP flow into one GSO frame
     * ({@link TcpCoalescer}) and writes that once. The merged frames count as sent with it (and as
     * dropped with it if the write fails); their own buffers are left as they were.
     */
    public int transmitBatch(FrameVector vector, int[] frames, int count, boolean coalesceTcp) {
        if (batch == null) {
            boolean coalesce = coalesceTcp && device != null && headerBytes == VnetHeader.LENGTH;
            int sent = 0;
            long base = vector.segment().address();
            for (int k = 0; k < count; k++) {
                int merged = coalesce ? TcpCoalescer.merge(vector, frames, k, count) : 0;
                int i = frames[k];
                // the write(2) here rather than through transmit(): the same steps without one more call level
                int result = prepare(vector, i);
                if (result == SENT) {
                    long total = (long) vector.length(i) + headerBytes;
                    result = written(vector, i, Libc.write(errno, fd, base + vector.start(i) - headerBytes, total), total);
                }
                for (int m = k; m <= k + merged; m++) {
                    if (result == SENT) {
                        sent++;
                    } else {
                        vector.drop(frames[m], dropReason(result));
                    }
                }
                if (result == SENT) {
                    txFrameCount += merged;
                }
                k += merged;
            }
            return sent;
        }
        long base = vector.segment().address();
        int[] index = batch.slot;
        int messages = 0;
        for (int k = 0; k < count; k++) {
            int i = frames[k];
            int prepared = prepare(vector, i);
            if (prepared != SENT) {
                vector.drop(i, dropReason(prepared));
                continue;
            }
            index[messages] = i;
            batch.buffer(messages++, base + vector.start(i) - headerBytes, (long) vector.length(i) + headerBytes);
        }
        int sent = 0;
        int next = 0;
        while (next < messages) {
            int n = Libc.sendmmsgPlain(fd, batch.address(next), messages - next, 0);
            if (n < 0) {
                n = Libc.sendmmsg(errno, fd, batch.address(next), messages - next, 0); // error path: learn errno
            }
            txCallCount++;
            if (n > 0) {
                for (int k = next; k < next + n; k++) {
                    int i = index[k];
                    if (batch.length(k) == (long) vector.length(i) + headerBytes) {
                        sent++;
                        txFrameCount++;
                        txByteCount += vector.length(i);
                    } else {
                        txErrorCount++;
                        vector.drop(i, dropReason(SHORT_WRITE));
                    }
                }
                next += n;
                continue;
            }
            lastErrno = Libc.errno(errno);
            if (lastErrno == Libc.EAGAIN) {
                for (int k = next; k < messages; k++) {
                    txErrorCount++;
                    vector.drop(index[k], DropReason.TX_QUEUE_FULL);
                }
                break;
            }
            txErrorCount++;
            vector.drop(index[next++], DropReason.TX_REJECTED);
        }
        return sent;
    }

    /** Returns: the drop reason of a failed {@link #transmit}'s code (EAGAIN: the queue is full; anything else: rejected). */
    public static DropReason dropReason(int transmitResult) {
        return transmitResult == AGAIN ? DropReason.TX_QUEUE_FULL : DropReason.TX_REJECTED;
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

    /** Returns: read/recvmmsg calls that returned frames (frames over calls is the receive batching achieved). */
    public long rxCallCount() {
        return rxCallCount;
    }

    /** Returns: write/sendmmsg calls made (frames over calls is the transmit batching achieved). */
    public long txCallCount() {
        return txCallCount;
    }

    /** Returns: whether this queue moves bursts with recvmmsg/sendmmsg (a batched packet socket). */
    public boolean batched() {
        return batch != null;
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
