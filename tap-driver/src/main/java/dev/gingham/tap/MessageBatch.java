package dev.gingham.tap;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The off-heap message vector a batched {@link TapQueue} hands to {@code recvmmsg(2)} and
 * {@code sendmmsg(2)}: {@link #CAPACITY} {@code struct mmsghdr}s, each with one {@code struct iovec}
 * that points straight into a pool buffer (the vnet header in the headroom, then the frame), so a
 * burst of frames crosses the kernel boundary in one system call each way and is never copied in
 * user space. Allocated once per queue; per call only the iovecs' base and length, and the
 * messages' result fields, are rewritten.
 *
 * <pre>
 *   struct mmsghdr (64 bytes, LP64: x86-64 and aarch64 agree)
 *     0 msg_name        8 msg_namelen (+4 pad)   16 msg_iov        24 msg_iovlen
 *    32 msg_control    40 msg_controllen         48 msg_flags (+4 pad)
 *    56 msg_len (+4 pad)
 *   struct iovec (16 bytes): 0 iov_base, 8 iov_len
 * </pre>
 *
 * <p>msg_name stays NULL: the socket is bound to one interface and a packet socket sends to the
 * interface it is bound to. Single-threaded, like its queue.
 */
final class MessageBatch {
    /** Messages per system call: a whole frame vector. */
    static final int CAPACITY = 256;
    static final int MMSGHDR_BYTES = 64;
    static final int IOVEC_BYTES = 16;
    private static final long MSG_IOV_OFFSET = 16;
    private static final long MSG_IOVLEN_OFFSET = 24;
    private static final long MSG_FLAGS_OFFSET = 48;
    private static final long MSG_LEN_OFFSET = 56;
    /** msg_flags on receive: the frame was longer than the buffer and was cut. */
    static final int MSG_TRUNC = 0x20;
    /** Nonblocking for this call alone. */
    static final int MSG_DONTWAIT = 0x40;

    private final MemorySegment messages;
    private final MemorySegment iovecs;
    private final long messagesAddress;
    /** An int the kernel writes through ioctl(SIOCINQ). */
    private final MemorySegment queued;
    /** Pool buffer of each receive message, or the frame index of each send message. */
    final int[] slot = new int[CAPACITY];

    MessageBatch(Arena arena) {
        this.messages = arena.allocate((long) CAPACITY * MMSGHDR_BYTES, 64);
        this.iovecs = arena.allocate((long) CAPACITY * IOVEC_BYTES, 16);
        this.messagesAddress = messages.address();
        this.queued = arena.allocate(ValueLayout.JAVA_INT);
        for (int k = 0; k < CAPACITY; k++) {
            long m = (long) k * MMSGHDR_BYTES;
            messages.set(ValueLayout.JAVA_LONG, m + MSG_IOV_OFFSET, iovecs.address() + (long) k * IOVEC_BYTES);
            messages.set(ValueLayout.JAVA_LONG, m + MSG_IOVLEN_OFFSET, 1L);
        }
    }

    /** Points message {@code k}'s only iovec at {@code bytes} bytes from the raw address {@code address}. */
    void buffer(int k, long address, long bytes) {
        long v = (long) k * IOVEC_BYTES;
        iovecs.set(ValueLayout.JAVA_LONG, v, address);
        iovecs.set(ValueLayout.JAVA_LONG, v + 8, bytes);
        long m = (long) k * MMSGHDR_BYTES;
        messages.set(ValueLayout.JAVA_INT, m + MSG_FLAGS_OFFSET, 0);
        messages.set(ValueLayout.JAVA_INT, m + MSG_LEN_OFFSET, 0);
    }

    /** Returns: the raw address of the int {@link #queuedBytes()} reads. */
    long queuedAddress() {
        return queued.address();
    }

    /** Returns: what the last ioctl(SIOCINQ) wrote: bytes of the first waiting frame, 0 for none. */
    int queuedBytes() {
        return queued.get(ValueLayout.JAVA_INT, 0);
    }

    /** Returns: the raw address of message {@code k} (a call may start anywhere in the vector). */
    long address(int k) {
        return messagesAddress + (long) k * MMSGHDR_BYTES;
    }

    /** Returns: bytes the kernel moved for message {@code k} (msg_len), unsigned. */
    long length(int k) {
        return messages.get(ValueLayout.JAVA_INT, (long) k * MMSGHDR_BYTES + MSG_LEN_OFFSET) & 0xFFFF_FFFFL;
    }

    /** Returns: message {@code k}'s msg_flags after a receive. */
    int flags(int k) {
        return messages.get(ValueLayout.JAVA_INT, (long) k * MMSGHDR_BYTES + MSG_FLAGS_OFFSET);
    }
}
