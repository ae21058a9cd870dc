package dev.gingham.tap;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The node's underlay port: raw AF_PACKET sockets bound to one interface (the NIC, or a veth in a
 * node namespace), one per worker. Whole Ethernet frames are read and written with the same
 * zero-copy {@link TapQueue} code a TAP uses, because a bound packet socket reads and writes
 * frames through {@code read(2)}/{@code write(2)} just as a TAP queue does.
 *
 * <p>Why these options:
 * <ul>
 *   <li>{@code PACKET_VNET_HDR}: a 10-byte virtio-net header in front of every frame, so frames
 *       the kernel hands over with a partial checksum (a veth peer's stack offloads it) are
 *       marked partial, and frames Gingham sends partial (or as TCP GSO, to the world) are
 *       finished by the kernel, as a NIC would.</li>
 *   <li>{@code PACKET_IGNORE_OUTGOING}: without it a packet socket also reads every frame sent on
 *       the interface, its own included.</li>
 *   <li>{@code PACKET_FANOUT} (hash) when there are several workers: the kernel spreads received
 *       flows over the workers' sockets, as RSS spreads them over a NIC's queues; every socket
 *       sends.</li>
 *   <li>Larger socket buffers ({@code SO_RCVBUFFORCE}/{@code SO_SNDBUFFORCE}, root only; the
 *       normal limits otherwise): a burst of a poll-mode worker's absence is not dropped.</li>
 * </ul>
 *
 * <p>Batched (the daemon's default, {@code underlay.batch}): each queue reads a burst with one
 * {@code recvmmsg(2)} and writes one with one {@code sendmmsg(2)} ({@link MessageBatch}: one message
 * per frame, its iovec pointing straight into the pool buffer), instead of one {@code read(2)} or
 * {@code write(2)} per frame. The vnet header is the first 10 bytes of every message either way.
 * {@code PACKET_QDISC_BYPASS} is not set: it would save little on a veth (no qdisc) and hide
 * Gingham's own frames from {@code tcpdump} on the interface, which skips the packet taps too.
 *
 * <p>The interface must be Gingham's alone: the kernel still sees every frame a packet socket
 * sees, so an interface with addresses of its own would answer ARP and reset TCP connections
 * that Gingham serves (docs/architecture.md, "The daemon"). Control plane only; the data path is
 * the queues'.
 */
public final class PacketSocket implements AutoCloseable {
    private static final int AF_PACKET = 17;
    private static final int SOCK_RAW = 3;
    private static final int SOCK_NONBLOCK = 0x800;
    private static final int SOCK_CLOEXEC = 0x8_0000;
    /** htons(ETH_P_ALL) as the int the kernel expects in the protocol argument. */
    private static final int ETH_P_ALL_BE = 0x0300;
    private static final short ETH_P_ALL_BE_SHORT = 0x0300;
    private static final int SOL_SOCKET = 1;
    private static final int SO_SNDBUFFORCE = 32;
    private static final int SO_RCVBUFFORCE = 33;
    private static final int SO_SNDBUF = 7;
    private static final int SO_RCVBUF = 8;
    private static final int SOL_PACKET = 263;
    private static final int PACKET_VNET_HDR = 15;
    private static final int PACKET_FANOUT = 18;
    private static final int PACKET_IGNORE_OUTGOING = 23;
    private static final int PACKET_FANOUT_HASH = 0;
    private static final int SOCKADDR_LL_BYTES = 20;
    /** Bytes of socket buffer asked for in each direction. */
    public static final int SOCKET_BUFFER_BYTES = 4 << 20;

    private final String interfaceName;
    private final TapQueue[] queues;

    private PacketSocket(String interfaceName, TapQueue[] queues) {
        this.interfaceName = interfaceName;
        this.queues = queues;
    }

    /**
     * Opens {@code queueCount} sockets on interface {@code interfaceName} of the caller's namespace.
     *
     * @param fanoutGroup the PACKET_FANOUT group id (1..65535) shared by the queues, unique on the host
     *                    (the pid's low 16 bits serve); unused with one queue
     * @throws NetDeviceException NO_SUCH_DEVICE, PERMISSION_DENIED (needs CAP_NET_RAW), or SYSTEM_ERROR naming the step
     */
    public static PacketSocket open(String interfaceName, int queueCount, int fanoutGroup) {
        return open(interfaceName, queueCount, fanoutGroup, false);
    }

    /**
     * As {@link #open(String, int, int)}; with {@code batched} the queues move bursts with
     * recvmmsg/sendmmsg (one system call per burst each way), without it one frame per read/write.
     */
    public static PacketSocket open(String interfaceName, int queueCount, int fanoutGroup, boolean batched) {
        if (queueCount < 1 || queueCount > TapConfig.MAX_QUEUES) {
            throw new IllegalArgumentException("queueCount: 1.." + TapConfig.MAX_QUEUES + ", got " + queueCount);
        }
        LinkInfo link;
        try (Rtnetlink netlink = Rtnetlink.open()) {
            link = netlink.findLink(interfaceName);
        }
        if (link == null) {
            throw new NetDeviceException(NetDeviceException.Reason.NO_SUCH_DEVICE, 0,
                    "underlay interface '" + interfaceName + "' does not exist in this network namespace");
        }
        TapQueue[] queues = new TapQueue[queueCount];
        int opened = 0;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment errno = Libc.captureSegment(arena);
            MemorySegment intValue = arena.allocate(ValueLayout.JAVA_INT);
            MemorySegment address = arena.allocate(SOCKADDR_LL_BYTES, 8);
            try {
                for (int q = 0; q < queueCount; q++) {
                    int fd = Libc.socket(errno, AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, ETH_P_ALL_BE);
                    if (fd < 0) {
                        throw failure(interfaceName, "open an AF_PACKET socket", Libc.errno(errno));
                    }
                    queues[opened++] = new TapQueue(null, q, fd, VnetHeader.PACKET_SOCKET_LENGTH,
                            batched ? new MessageBatch(Arena.ofAuto()) : null);
                    option(errno, intValue, fd, SOL_PACKET, PACKET_VNET_HDR, 1, interfaceName, "PACKET_VNET_HDR");
                    option(errno, intValue, fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, 1, interfaceName, "PACKET_IGNORE_OUTGOING");
                    buffer(errno, intValue, fd, SO_RCVBUFFORCE, SO_RCVBUF, interfaceName);
                    buffer(errno, intValue, fd, SO_SNDBUFFORCE, SO_SNDBUF, interfaceName);
                    address.fill((byte) 0);
                    address.set(ValueLayout.JAVA_SHORT, 0, (short) AF_PACKET);
                    address.set(ValueLayout.JAVA_SHORT, 2, ETH_P_ALL_BE_SHORT);
                    address.set(ValueLayout.JAVA_INT, 4, link.ifindex());
                    if (Libc.bind(errno, fd, address, SOCKADDR_LL_BYTES) != 0) {
                        throw failure(interfaceName, "bind to ifindex " + link.ifindex(), Libc.errno(errno));
                    }
                    if (queueCount > 1) {
                        int fanout = (fanoutGroup & 0xFFFF) | PACKET_FANOUT_HASH << 16;
                        option(errno, intValue, fd, SOL_PACKET, PACKET_FANOUT, fanout, interfaceName,
                                "PACKET_FANOUT group " + (fanoutGroup & 0xFFFF));
                    }
                }
            } catch (RuntimeException e) {
                for (int q = 0; q < opened; q++) {
                    queues[q].close();
                }
                throw e;
            }
        }
        return new PacketSocket(interfaceName, queues);
    }

    private static void option(MemorySegment errno, MemorySegment intValue, int fd, int level, int name, int value,
                               String interfaceName, String what) {
        intValue.set(ValueLayout.JAVA_INT, 0, value);
        if (Libc.setsockopt(errno, fd, level, name, intValue, Integer.BYTES) != 0) {
            throw failure(interfaceName, "set " + what, Libc.errno(errno));
        }
    }

    /** The forced size needs CAP_NET_ADMIN; without it the normal call is capped by rmem_max/wmem_max. */
    private static void buffer(MemorySegment errno, MemorySegment intValue, int fd, int forced, int normal, String interfaceName) {
        intValue.set(ValueLayout.JAVA_INT, 0, SOCKET_BUFFER_BYTES);
        if (Libc.setsockopt(errno, fd, SOL_SOCKET, forced, intValue, Integer.BYTES) != 0) {
            Libc.setsockopt(errno, fd, SOL_SOCKET, normal, intValue, Integer.BYTES);
        }
    }

    private static NetDeviceException failure(String interfaceName, String step, int e) {
        NetDeviceException.Reason reason = e == Libc.EPERM || e == Libc.EACCES
                ? NetDeviceException.Reason.PERMISSION_DENIED : NetDeviceException.Reason.SYSTEM_ERROR;
        String advice = reason == NetDeviceException.Reason.PERMISSION_DENIED ? " (run as root or with CAP_NET_RAW)" : "";
        return new NetDeviceException(reason, e, "underlay '" + interfaceName + "': cannot " + step + ": "
                + Libc.describe(e) + advice);
    }

    /** Returns: the interface the sockets are bound to. */
    public String interfaceName() {
        return interfaceName;
    }

    public int queueCount() {
        return queues.length;
    }

    /** Returns: worker {@code index}'s socket. */
    public TapQueue queue(int index) {
        return queues[index];
    }

    @Override
    public void close() {
        for (TapQueue queue : queues) {
            queue.close();
        }
    }
}
