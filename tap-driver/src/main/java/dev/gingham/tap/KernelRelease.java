package dev.gingham.tap;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The running Linux kernel's release (major.minor), for features the kernel accepts only from
 * some version on and would otherwise refuse frame by frame. Read once from {@code os.version}
 * (the JVM takes it from {@code uname(2)}: the same string as /proc/sys/kernel/osrelease).
 */
public final class KernelRelease {
    /** Linux 6.2 added virtio-net's UDP_L4 GSO type (USO) to packet sockets and TAPs. */
    public static final int UDP_GSO_VNET_MAJOR = 6;
    public static final int UDP_GSO_VNET_MINOR = 2;
    private static final Pattern VERSION = Pattern.compile("^(\\d+)\\.(\\d+)");

    private KernelRelease() {
    }

    /** Returns: true when release string {@code release} (such as "6.18.44-fc-v657") is {@code major.minor} or later; false when it cannot be read. */
    public static boolean atLeast(String release, int major, int minor) {
        Matcher m = release == null ? null : VERSION.matcher(release);
        if (m == null || !m.find()) {
            return false;
        }
        int releaseMajor = Integer.parseInt(m.group(1));
        int releaseMinor = Integer.parseInt(m.group(2));
        return releaseMajor > major || releaseMajor == major && releaseMinor >= minor;
    }

    /** Returns: true when this machine's kernel takes UDP GSO (VIRTIO_NET_HDR_GSO_UDP_L4) in a packet socket's vnet header. */
    public static boolean takesUdpGsoVnetHeader() {
        return atLeast(System.getProperty("os.version"), UDP_GSO_VNET_MAJOR, UDP_GSO_VNET_MINOR);
    }
}
