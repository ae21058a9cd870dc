package dev.gingham.tap;

/**
 * A control-plane failure to create, attach or configure a network device: thrown by
 * {@link TapDevice}, {@link Rtnetlink}, {@link NetworkNamespace} and {@link PodInterface}, never
 * on the data path ({@link TapQueue} reports per-frame failures as return codes).
 *
 * <p>The message names the device, the namespace and what to do; {@link #reason()} lets the
 * daemon (and tests) act on the cause without parsing text, and {@link #errno()} keeps the
 * kernel's number (0 when the failure was found before any system call).
 */
public final class NetDeviceException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** Why the operation failed. */
    public enum Reason {
        /** EPERM/EACCES: the process lacks CAP_NET_ADMIN (or access to /dev/net/tun). */
        PERMISSION_DENIED,
        /** /dev/net/tun is missing (ENOENT) or the tun driver is not loaded (ENODEV/ENXIO). */
        NO_TUN_DEVICE,
        /** The name belongs to another interface (not a TAP, or a TAP with other flags) or is busy. */
        NAME_IN_USE,
        /** The interface name is empty, longer than 15 bytes, "." / "..", or has '/', ':' or whitespace. */
        INVALID_NAME,
        /** No network namespace of that name under /var/run/netns (or the file is not one). */
        NAMESPACE_MISSING,
        /** No interface of that name or index. */
        NO_SUCH_DEVICE,
        /** An address, route or neighbour entry that exists already (EEXIST). */
        ALREADY_EXISTS,
        /** Any other kernel refusal; the message carries errno and, for netlink, the kernel's text. */
        SYSTEM_ERROR
    }

    private final Reason reason;
    private final int errno;

    public NetDeviceException(Reason reason, int errno, String message) {
        super(message);
        this.reason = reason;
        this.errno = errno;
    }

    public Reason reason() {
        return reason;
    }

    /** Returns: the kernel's errno, or 0 when no system call failed. */
    public int errno() {
        return errno;
    }
}
