package dev.gingham.tap;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * A TAP device (Ethernet frames to and from the kernel) opened through {@code /dev/net/tun} with
 * java.lang.foreign: IFF_TAP | IFF_NO_PI, optionally IFF_VNET_HDR with offloads, IFF_MULTI_QUEUE
 * with one nonblocking file descriptor per {@link TapQueue}.
 *
 * <h2>Lifecycle</h2>
 * <ul>
 *   <li>{@link #create}: a new device; fails with NAME_IN_USE if any interface has the name.</li>
 *   <li>{@link #open}: creates the device, or attaches to an existing TAP of that name opened
 *       with the same flags: how a restarted daemon gets its persistent pod devices back.</li>
 *   <li>{@link #close}: closes every queue. A non-persistent device disappears with its last
 *       file descriptor; a persistent one stays (down, addresses and routes kept) until
 *       {@link #setPersistent setPersistent(false)} and close, or an RTM_DELLINK
 *       ({@link Rtnetlink#deleteLink}), or its namespace is deleted.</li>
 * </ul>
 *
 * <h2>Restart without loss (persistent devices)</h2>
 * The daemon creates each pod's device with {@link TapConfig#withPersistent persistent} on, then
 * moves it into the pod's namespace and renames it there (say to {@code eth0}, see
 * {@link PodInterface}). File descriptors keep working across the move. When the daemon dies,
 * its descriptors close but the device, its addresses and routes, and the pod's sockets stay.
 * The restarted daemon calls {@link #open} with the same configuration, the name the device has
 * now ({@code eth0}) and {@link TapConfig#inNamespace the pod's namespace}: a {@code /dev/net/tun}
 * file looks names up in the namespace it was opened in, so the file is opened by a thread
 * standing in that namespace ({@link NetworkNamespace}). Queue count, vnet header and
 * multi-queue must match what the device was created with (the kernel refuses a multi-queue
 * mismatch; {@link Rtnetlink#link(String)} reports what a device has in {@link LinkInfo#tun()}).
 * While nobody is attached the device has no carrier and the kernel drops what the pod sends;
 * TCP retransmits it.
 *
 * <h2>Errors</h2>
 * {@link NetDeviceException} with a reason: PERMISSION_DENIED (EPERM/EACCES: needs
 * CAP_NET_ADMIN), NO_TUN_DEVICE (no /dev/net/tun or no tun driver), NAME_IN_USE (another kind of
 * interface, a TAP with other flags, a single-queue TAP attached elsewhere), INVALID_NAME (longer
 * than 15 bytes, ...), NAMESPACE_MISSING. Everything opened before a failure is closed again.
 */
public final class TapDevice implements AutoCloseable {
    /** The clone device every TUN/TAP is opened through. */
    public static final Path TUN_DEVICE = Path.of("/dev/net/tun");

    static final long TUNSETIFF = 0x4004_54CAL;
    static final long TUNSETPERSIST = 0x4004_54CBL;
    static final long TUNSETOFFLOAD = 0x4004_54D0L;
    static final long TUNSETVNETHDRSZ = 0x4004_54D8L;
    static final long TUNSETVNETLE = 0x4004_54DCL;

    static final int IFF_TAP = 0x0002;
    static final int IFF_MULTI_QUEUE = 0x0100;
    static final int IFF_NO_PI = 0x1000;
    static final int IFF_VNET_HDR = 0x4000;
    static final int IFF_TUN_EXCL = 0x8000;

    /** struct ifreq: 16 bytes of name, then a union whose first member here is short ifr_flags. */
    private static final int IFREQ_BYTES = 40;
    private static final int IFREQ_FLAGS_OFFSET = 16;

    private final TapConfig config;
    private final String name;
    private final TapQueue[] queues;

    private TapDevice(TapConfig config, String name, int[] fds) {
        this.config = config;
        this.name = name;
        this.queues = new TapQueue[fds.length];
        for (int q = 0; q < fds.length; q++) {
            queues[q] = new TapQueue(this, q, fds[q], config.vnetHeaderBytes());
        }
    }

    /**
     * Creates a new TAP device as {@code config} says.
     *
     * @throws NetDeviceException NAME_IN_USE when an interface of that name exists (a TAP too: use
     *                            {@link #open} to attach to one), and the reasons in the class comment
     */
    public static TapDevice create(TapConfig config) {
        return open(config, TUN_DEVICE, true);
    }

    /**
     * Creates the TAP device, or attaches to the existing TAP of that name (a persistent device
     * after a restart). The configuration's vnet header, offloads and persistence are applied to
     * the device either way.
     */
    public static TapDevice open(TapConfig config) {
        return open(config, TUN_DEVICE, false);
    }

    /** {@link #open}/{@link #create} through another clone device path (tests of the missing-device error). */
    static TapDevice open(TapConfig config, Path tunDevice, boolean exclusive) {
        String[] actualName = new String[1];
        int[] fds = NetworkNamespace.call(config.namespace(), () -> openQueues(config, tunDevice, exclusive, actualName));
        return new TapDevice(config, actualName[0], fds);
    }

    private static int[] openQueues(TapConfig config, Path tunDevice, boolean exclusive, String[] actualName) {
        int[] fds = new int[config.queueCount()];
        int opened = 0;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment errno = Libc.captureSegment(arena);
            MemorySegment path = arena.allocateFrom(tunDevice.toString());
            MemorySegment ifreq = arena.allocate(IFREQ_BYTES, 8);
            MemorySegment intArgument = arena.allocate(ValueLayout.JAVA_INT);
            try {
                for (int q = 0; q < fds.length; q++) {
                    int fd = Libc.open(errno, path, Libc.O_RDWR | Libc.O_CLOEXEC);
                    if (fd < 0) {
                        throw openFailure(config, tunDevice, Libc.errno(errno));
                    }
                    fds[opened++] = fd;
                    ifreq.fill((byte) 0);
                    byte[] nameBytes = (actualName[0] == null ? config.name() : actualName[0]).getBytes(StandardCharsets.UTF_8);
                    MemorySegment.copy(nameBytes, 0, ifreq, ValueLayout.JAVA_BYTE, 0, nameBytes.length);
                    int flags = IFF_TAP | IFF_NO_PI | (config.vnetHeader() ? IFF_VNET_HDR : 0)
                            | (config.multiQueue() ? IFF_MULTI_QUEUE : 0) | (exclusive && q == 0 ? IFF_TUN_EXCL : 0);
                    ifreq.set(ValueLayout.JAVA_SHORT, IFREQ_FLAGS_OFFSET, (short) flags);
                    if (Libc.ioctl(errno, fd, TUNSETIFF, ifreq) != 0) {
                        throw attachFailure(config, exclusive && q == 0, Libc.errno(errno));
                    }
                    actualName[0] = ifreq.getString(0);
                    int status = Libc.fcntlGet(errno, fd, Libc.F_GETFL);
                    if (status < 0 || Libc.fcntlSet(errno, fd, Libc.F_SETFL, status | Libc.O_NONBLOCK) != 0) {
                        throw deviceFailure(config, "make queue " + q + " nonblocking (fcntl O_NONBLOCK)", Libc.errno(errno));
                    }
                    if (q == 0) {
                        configureDevice(config, fd, errno, intArgument);
                    }
                }
                return fds;
            } catch (RuntimeException | Error e) {
                for (int q = 0; q < opened; q++) {
                    Libc.close(errno, fds[q]);
                }
                throw e;
            }
        }
    }

    /** Device-wide settings, made once through the first queue. */
    private static void configureDevice(TapConfig config, int fd, MemorySegment errno, MemorySegment intArgument) {
        if (config.vnetHeader()) {
            intArgument.set(ValueLayout.JAVA_INT, 0, VnetHeader.LENGTH);
            if (Libc.ioctl(errno, fd, TUNSETVNETHDRSZ, intArgument) != 0) {
                throw deviceFailure(config, "set the vnet header size to " + VnetHeader.LENGTH + " (TUNSETVNETHDRSZ)",
                        Libc.errno(errno));
            }
            intArgument.set(ValueLayout.JAVA_INT, 0, 1);
            if (Libc.ioctl(errno, fd, TUNSETVNETLE, intArgument) != 0) {
                throw deviceFailure(config, "make the vnet header little-endian (TUNSETVNETLE)", Libc.errno(errno));
            }
        }
        if (Libc.ioctl(errno, fd, TUNSETOFFLOAD, config.offloads()) != 0) {
            throw deviceFailure(config, "set offloads 0x" + Integer.toHexString(config.offloads()) + " (TUNSETOFFLOAD)",
                    Libc.errno(errno));
        }
        if (Libc.ioctl(errno, fd, TUNSETPERSIST, config.persistent() ? 1 : 0) != 0) {
            throw deviceFailure(config, "set persistence " + config.persistent() + " (TUNSETPERSIST)", Libc.errno(errno));
        }
    }

    private static NetDeviceException openFailure(TapConfig config, Path tunDevice, int e) {
        return switch (e) {
            case Libc.ENOENT -> new NetDeviceException(NetDeviceException.Reason.NO_TUN_DEVICE, e, "cannot open TAP '"
                    + config.name() + "': " + tunDevice + " does not exist (create it with 'mkdir -p /dev/net && mknod "
                    + "/dev/net/tun c 10 200', or give the container the device: --device /dev/net/tun)");
            case Libc.ENODEV, Libc.ENXIO -> new NetDeviceException(NetDeviceException.Reason.NO_TUN_DEVICE, e,
                    "cannot open TAP '" + config.name() + "': the tun driver is not loaded (" + Libc.describe(e)
                            + " on " + tunDevice + "; try 'modprobe tun')");
            case Libc.EPERM, Libc.EACCES -> new NetDeviceException(NetDeviceException.Reason.PERMISSION_DENIED, e,
                    "cannot open " + tunDevice + " for TAP '" + config.name() + "': " + Libc.describe(e)
                            + " (run as root or with CAP_NET_ADMIN and access to the device)");
            default -> deviceFailure(config, "open " + tunDevice, e);
        };
    }

    /** TUNSETIFF failed: name what stands in the way (looked up in the same namespace). */
    private static NetDeviceException attachFailure(TapConfig config, boolean exclusive, int e) {
        String subject = "TAP '" + config.name() + "' in " + where(config);
        if (e == Libc.EPERM || e == Libc.EACCES) {
            return new NetDeviceException(NetDeviceException.Reason.PERMISSION_DENIED, e, "cannot create or attach "
                    + subject + ": " + Libc.describe(e) + " (needs CAP_NET_ADMIN, or to be the owner of a persistent device)");
        }
        if (e != Libc.EBUSY && e != Libc.EINVAL) {
            return deviceFailure(config, "create or attach (TUNSETIFF)", e);
        }
        LinkInfo existing;
        try (Rtnetlink netlink = Rtnetlink.open()) {
            existing = netlink.findLink(config.name());
        } catch (NetDeviceException lookupFailed) {
            existing = null;
        }
        if (existing == null) {
            return deviceFailure(config, "create or attach (TUNSETIFF)", e);
        }
        String what;
        if (!existing.isTap()) {
            what = "the name belongs to an existing " + (existing.kind().isEmpty() ? "physical or loopback"
                    : existing.kind().equals("tun") ? "TUN (not TAP)" : existing.kind()) + " interface";
        } else if (exclusive) {
            what = "a TAP of that name exists already (open() attaches to it)";
        } else if (existing.tun().multiQueue() != config.multiQueue()) {
            what = "the existing TAP has multi_queue " + (existing.tun().multiQueue() ? "on" : "off")
                    + " but " + config.queueCount() + " queue(s) were asked for";
        } else {
            what = "the existing TAP is attached by another process (a single-queue TAP takes one file descriptor)";
        }
        return new NetDeviceException(NetDeviceException.Reason.NAME_IN_USE, e, "cannot "
                + (exclusive ? "create " : "create or attach ") + subject + ": " + what + " [" + Libc.describe(e) + "]");
    }

    private static NetDeviceException deviceFailure(TapConfig config, String what, int e) {
        return new NetDeviceException(NetDeviceException.Reason.SYSTEM_ERROR, e,
                "TAP '" + config.name() + "' in " + where(config) + ": cannot " + what + ": " + Libc.describe(e));
    }

    private static String where(TapConfig config) {
        return config.namespace() == null ? "this process's network namespace" : "network namespace '" + config.namespace() + "'";
    }

    /**
     * Makes the device persistent (it outlives the file descriptors) or not (it disappears when
     * the last one closes).
     */
    public void setPersistent(boolean persistent) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment errno = Libc.captureSegment(arena);
            if (Libc.ioctl(errno, queues[0].fd(), TUNSETPERSIST, persistent ? 1 : 0) != 0) {
                throw deviceFailure(config, "set persistence " + persistent + " (TUNSETPERSIST)", Libc.errno(errno));
            }
        }
    }

    /**
     * Returns: the name the device got when it was opened (the kernel's choice for a pattern such
     * as {@code gtap%d}). A later rename or move does not change this value.
     */
    public String name() {
        return name;
    }

    public TapConfig config() {
        return config;
    }

    public int queueCount() {
        return queues.length;
    }

    public TapQueue queue(int index) {
        return queues[index];
    }

    /** Closes every queue (see the class comment for what happens to the device). */
    @Override
    public void close() {
        for (TapQueue queue : queues) {
            queue.close();
        }
    }
}
