package dev.gingham.tap;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A send-only AF_PACKET socket on one interface: how the control agent puts the few frames it
 * makes itself (ARP requests for the underlay's next hops) on the wire without touching the
 * workers' sockets, which belong to the worker threads.
 *
 * <p>Why protocol 0: a packet socket bound with protocol 0 registers no receive hook, so the
 * kernel never queues a copy of the interface's traffic for it (a socket bound to ETH_P_ALL would
 * be handed every frame and, never read, drop them at its buffer's end). No virtio-net header:
 * the frames are small and complete. The worker sockets' {@code PACKET_IGNORE_OUTGOING} keeps
 * what this socket sends from being read back by the node. Control plane only; not thread-safe.
 */
public final class PacketSender implements AutoCloseable {
    private static final int AF_PACKET = 17;
    private static final int SOCK_RAW = 3;
    private static final int SOCK_NONBLOCK = 0x800;
    private static final int SOCK_CLOEXEC = 0x8_0000;
    private static final int SOCKADDR_LL_BYTES = 20;
    private static final int MSG_DONTWAIT = 0x40;

    private final String interfaceName;
    private final int fd;
    /** Shared: opened on the daemon's start thread, used by the control agent's. */
    private final Arena arena = Arena.ofShared();
    private final MemorySegment errno = Libc.captureSegment(arena);
    private long failedSends;
    private boolean closed;

    private PacketSender(String interfaceName, int fd) {
        this.interfaceName = interfaceName;
        this.fd = fd;
    }

    /**
     * Opens the socket on {@code interfaceName} of the caller's network namespace.
     *
     * @throws NetDeviceException NO_SUCH_DEVICE, PERMISSION_DENIED (needs CAP_NET_RAW) or SYSTEM_ERROR naming the step
     */
    public static PacketSender open(String interfaceName) {
        LinkInfo link;
        try (Rtnetlink netlink = Rtnetlink.open()) {
            link = netlink.findLink(interfaceName);
        }
        if (link == null) {
            throw new NetDeviceException(NetDeviceException.Reason.NO_SUCH_DEVICE, 0,
                    "interface '" + interfaceName + "' does not exist in this network namespace");
        }
        try (Arena local = Arena.ofConfined()) {
            MemorySegment errno = Libc.captureSegment(local);
            int fd = Libc.socket(errno, AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
            if (fd < 0) {
                throw failure(interfaceName, "open an AF_PACKET socket", Libc.errno(errno));
            }
            MemorySegment address = local.allocate(SOCKADDR_LL_BYTES, 8);
            address.set(ValueLayout.JAVA_SHORT, 0, (short) AF_PACKET);
            address.set(ValueLayout.JAVA_INT, 4, link.ifindex());
            if (Libc.bind(errno, fd, address, SOCKADDR_LL_BYTES) != 0) {
                int e = Libc.errno(errno);
                Libc.close(errno, fd);
                throw failure(interfaceName, "bind to ifindex " + link.ifindex(), e);
            }
            return new PacketSender(interfaceName, fd);
        }
    }

    private static NetDeviceException failure(String interfaceName, String step, int e) {
        NetDeviceException.Reason reason = e == Libc.EPERM || e == Libc.EACCES
                ? NetDeviceException.Reason.PERMISSION_DENIED : NetDeviceException.Reason.SYSTEM_ERROR;
        return new NetDeviceException(reason, e, "packet sender on '" + interfaceName + "': cannot " + step + ": "
                + Libc.describe(e) + (reason == NetDeviceException.Reason.PERMISSION_DENIED ? " (run as root or with CAP_NET_RAW)" : ""));
    }

    /**
     * Sends one whole Ethernet frame, {@code lengthBytes} bytes of {@code frame} from its start
     * (a native segment). Never blocks.
     *
     * @return true when the kernel took it; false (counted in {@link #failedSends}) when it did
     *         not (full buffer, interface down): the caller's retry timer sends it again
     */
    public boolean send(MemorySegment frame, int lengthBytes) {
        if (closed) {
            failedSends++;
            return false;
        }
        long sent = Libc.send(errno, fd, frame, lengthBytes, MSG_DONTWAIT);
        if (sent != lengthBytes) {
            failedSends++;
            return false;
        }
        return true;
    }

    /** Returns: frames the kernel did not take. */
    public long failedSends() {
        return failedSends;
    }

    public String interfaceName() {
        return interfaceName;
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            Libc.close(errno, fd);
            arena.close();
        }
    }
}
