package dev.gingham.packet;


import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * A raw AF_PACKET socket on one interface of a network namespace, through java.lang.foreign:
 * the test's wire. It is created inside the namespace (the calling thread enters it with
 * {@code setns} and returns at once: a socket keeps the namespace it was made in), bound to the
 * interface, with a receive timeout so no test can hang. Linux x86-64/aarch64 constants.
 *
 * <p>Checksums: veth offloads them, so the kernel hands a captured frame over with its L4
 * checksum still partial (the field holds only the pseudo-header sum; with VXLAN, the outer UDP
 * checksum is computed ahead for the finished inner one, "local checksum offload"). The socket
 * asks for the virtio-net header ({@code PACKET_VNET_HDR}) and, when it says NEEDS_CSUM, finishes
 * the checksum as a NIC would, so tests see the bytes that would be on a real wire.
 */
public final class PacketSocket implements AutoCloseable {
    private static final int AF_PACKET = 17;
    private static final int SOCK_RAW = 3;
    /** htons(ETH_P_ALL) as the int the kernel expects in the protocol argument. */
    private static final int ETH_P_ALL_BE = 0x0300;
    private static final int CLONE_NEWNET = 0x4000_0000;
    private static final int O_RDONLY_CLOEXEC = 0x8_0000;
    private static final int SOL_SOCKET = 1;
    private static final int SO_RCVTIMEO = 20;
    private static final int PACKET_OUTGOING = 4;
    private static final int SOCKADDR_LL_BYTES = 20;
    private static final int SOL_PACKET = 263;
    private static final int PACKET_VNET_HDR = 15;
    /** struct virtio_net_hdr: flags, gso_type, hdr_len, gso_size, csum_start, csum_offset. */
    private static final int VNET_HDR_BYTES = 10;
    private static final int VIRTIO_NET_HDR_F_NEEDS_CSUM = 1;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final StructLayout CAPTURE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CAPTURE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final MethodHandle OPEN = function("open", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle SETNS = function("setns", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
    private static final MethodHandle SOCKET = function("socket", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT));
    private static final MethodHandle BIND = function("bind", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle SETSOCKOPT = function("setsockopt",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle SEND = function("send", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT));
    private static final MethodHandle RECVFROM = function("recvfrom",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT, ADDRESS, ADDRESS));
    private static final MethodHandle CLOSE = function("close", FunctionDescriptor.of(JAVA_INT, JAVA_INT));

    private final int fd;
    private final Arena arena = Arena.ofConfined();
    private final MemorySegment buffer = arena.allocate(65536);
    private final MemorySegment from = arena.allocate(SOCKADDR_LL_BYTES + 12);
    private final MemorySegment fromLength = arena.allocate(JAVA_INT);
    private final MemorySegment errno = arena.allocate(CAPTURE);

    private static MethodHandle function(String name, FunctionDescriptor descriptor) {
        MemorySegment symbol = LINKER.defaultLookup().find(name).orElseThrow();
        return LINKER.downcallHandle(symbol, descriptor, Linker.Option.captureCallState("errno"));
    }

    private PacketSocket(int fd) {
        this.fd = fd;
    }

    /** Opens a socket on {@code ifindex} of namespace {@code netns}, receiving with {@code timeoutMs}. */
    public static PacketSocket open(String netns, int ifindex, int timeoutMs) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment err = a.allocate(CAPTURE);
            int self = (int) OPEN.invokeExact(err, a.allocateFrom("/proc/thread-self/ns/net"), O_RDONLY_CLOEXEC);
            int target = (int) OPEN.invokeExact(err, a.allocateFrom("/var/run/netns/" + netns), O_RDONLY_CLOEXEC);
            check(self >= 0 && target >= 0, "open namespace files", err);
            int fd;
            try {
                check((int) SETNS.invokeExact(err, target, CLONE_NEWNET) == 0, "setns into " + netns, err);
                fd = (int) SOCKET.invokeExact(err, AF_PACKET, SOCK_RAW, ETH_P_ALL_BE);
            } finally {
                int back = (int) SETNS.invokeExact(err, self, CLONE_NEWNET);
                int ignored = (int) CLOSE.invokeExact(err, self);
                ignored = (int) CLOSE.invokeExact(err, target);
                check(back == 0, "setns back to the test's namespace", err);
            }
            check(fd >= 0, "socket(AF_PACKET)", err);
            MemorySegment address = a.allocate(SOCKADDR_LL_BYTES);
            address.set(ValueLayout.JAVA_SHORT, 0, (short) AF_PACKET);
            address.set(ValueLayout.JAVA_SHORT, 2, (short) ETH_P_ALL_BE);
            address.set(JAVA_INT, 4, ifindex);
            check((int) BIND.invokeExact(err, fd, address, SOCKADDR_LL_BYTES) == 0, "bind to ifindex " + ifindex, err);
            MemorySegment timeval = a.allocate(16);
            timeval.set(JAVA_LONG, 0, timeoutMs / 1000);
            timeval.set(JAVA_LONG, 8, (timeoutMs % 1000) * 1000L);
            check((int) SETSOCKOPT.invokeExact(err, fd, SOL_SOCKET, SO_RCVTIMEO, timeval, 16) == 0, "SO_RCVTIMEO", err);
            MemorySegment one = a.allocateFrom(JAVA_INT, 1);
            check((int) SETSOCKOPT.invokeExact(err, fd, SOL_PACKET, PACKET_VNET_HDR, one, 4) == 0, "PACKET_VNET_HDR", err);
            return new PacketSocket(fd);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    private static void check(boolean ok, String what, MemorySegment err) {
        if (!ok) {
            throw new IllegalStateException(what + " failed, errno " + (int) ERRNO.get(err, 0L));
        }
    }

    /** Sends a whole frame (checksums complete: an all-zero virtio-net header goes in front). */
    public void send(byte[] frame) {
        buffer.asSlice(0, VNET_HDR_BYTES).fill((byte) 0);
        MemorySegment.copy(frame, 0, buffer, ValueLayout.JAVA_BYTE, VNET_HDR_BYTES, frame.length);
        try {
            long sent = (long) SEND.invokeExact(errno, fd, buffer, (long) VNET_HDR_BYTES + frame.length, 0);
            check(sent == VNET_HDR_BYTES + frame.length, "send", errno);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** Returns: the next frame received (not one this host sent), or null when the timeout passed. */
    public byte[] receive() {
        try {
            while (true) {
                fromLength.set(JAVA_INT, 0, SOCKADDR_LL_BYTES + 12);
                long n = (long) RECVFROM.invokeExact(errno, fd, buffer, buffer.byteSize(), 0, from, fromLength);
                if (n < 0) {
                    return null;
                }
                if ((from.get(ValueLayout.JAVA_BYTE, 10) & 0xFF) != PACKET_OUTGOING && n > VNET_HDR_BYTES) {
                    byte[] frame = buffer.asSlice(VNET_HDR_BYTES, n - VNET_HDR_BYTES).toArray(ValueLayout.JAVA_BYTE);
                    if ((buffer.get(ValueLayout.JAVA_BYTE, 0) & VIRTIO_NET_HDR_F_NEEDS_CSUM) != 0) {
                        finishChecksum(frame, buffer.get(ValueLayout.JAVA_SHORT, 6) & 0xFFFF,
                                buffer.get(ValueLayout.JAVA_SHORT, 8) & 0xFFFF);
                    }
                    return frame;
                }
            }
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** What a NIC does for NEEDS_CSUM: sum from {@code start} to the end (the field holds the pseudo-header sum) and store the complement. */
    private static void finishChecksum(byte[] frame, int start, int offset) {
        int checksum = PacketBuilder.referenceChecksum(frame, start, frame.length - start);
        frame[start + offset] = (byte) (checksum >>> 8);
        frame[start + offset + 1] = (byte) checksum;
    }

    @Override
    public void close() {
        try {
            int ignored = (int) CLOSE.invokeExact(errno, fd);
        } catch (Throwable ignored) {
            // closing a socket in a test's teardown: nothing to recover
        }
        arena.close();
    }
}
