package dev.gingham.tap;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;

/**
 * Makes the kernel's own network stack ignore every frame an interface receives, while packet
 * sockets bound to it still read them: a two-instruction BPF program ({@code return TC_ACT_SHOT})
 * attached as a direct-action classifier to the interface's clsact ingress hook, which the kernel
 * runs after the packet taps and before IP, ARP and IPv6.
 *
 * <p>Why the underlay needs it: a packet socket reads a copy, the kernel still gets the frame.
 * Even with no address on the interface the kernel accepts an IPv4 packet for any of its local
 * addresses (the weak host model), and the node's addresses live on {@code gingham_host}: it would
 * answer a ping to the node a second time, and answer every TCP segment Gingham translates (a
 * NodePort's SYN, the reply of a masqueraded connection) with a reset as soon as it has a route
 * back to the peer, tearing down the connection Gingham is serving. With the block the
 * interface belongs to Gingham alone, as a NIC bound to a userspace dataplane does.
 *
 * <p>Only this classifier is removed on {@link #close()}; the clsact qdisc stays (other programs
 * may have classifiers on it). A daemon that dies without closing leaves the block in place,
 * which is what its successor wants; {@link #attach} replaces it.
 */
public final class KernelIngressBlock implements AutoCloseable {
    /** The classifier's priority and handle on the ingress hook: fixed, so a restart replaces its predecessor's. */
    static final int PRIORITY = 1;
    static final int HANDLE = 0x6768; // "gh"
    static final String PROGRAM_NAME = "gingham_rx_drop";

    private static final int BPF_PROG_LOAD = 5;
    private static final int BPF_PROG_TYPE_SCHED_CLS = 3;
    /** bpf_attr up to and including prog_name (offsets 0..63). */
    private static final int PROG_LOAD_ATTR_BYTES = 64;
    /** r0 = 2 (TC_ACT_SHOT); exit. */
    private static final long[] DROP_PROGRAM = {0x0000_0002_0000_00b7L, 0x0000_0000_0000_0095L};

    private final Rtnetlink netlink;
    private final int ifindex;
    private final String interfaceName;
    private boolean closed;

    private KernelIngressBlock(Rtnetlink netlink, int ifindex, String interfaceName) {
        this.netlink = netlink;
        this.ifindex = ifindex;
        this.interfaceName = interfaceName;
    }

    /**
     * Blocks the kernel's stack on interface {@code ifindex} of the caller's network namespace.
     *
     * @throws NetDeviceException when the BPF program cannot be loaded (no CAP_BPF/CAP_SYS_ADMIN, a
     *                            kernel without BPF) or the classifier cannot be attached (a kernel
     *                            without clsact or cls_bpf), naming the step
     */
    public static KernelIngressBlock attach(int ifindex, String interfaceName) {
        Rtnetlink netlink = Rtnetlink.open();
        try {
            int program = loadDropProgram(interfaceName);
            try {
                netlink.addClsact(ifindex);
                netlink.replaceIngressBpf(ifindex, PRIORITY, HANDLE, program, PROGRAM_NAME);
            } finally {
                try (Arena arena = Arena.ofConfined()) {
                    Libc.close(Libc.captureSegment(arena), program); // the classifier holds its own reference
                }
            }
            return new KernelIngressBlock(netlink, ifindex, interfaceName);
        } catch (RuntimeException e) {
            netlink.close();
            throw e;
        }
    }

    /** Loads the drop program. Returns: its file descriptor. */
    private static int loadDropProgram(String interfaceName) {
        long number = switch (System.getProperty("os.arch")) {
            case "amd64", "x86_64" -> 321;
            case "aarch64" -> 280;
            default -> throw new NetDeviceException(NetDeviceException.Reason.SYSTEM_ERROR, 0,
                    "blocking the kernel's stack on '" + interfaceName + "': bpf(2) syscall number unknown on "
                            + System.getProperty("os.arch"));
        };
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment errno = Libc.captureSegment(arena);
            MemorySegment instructions = arena.allocate(ValueLayout.JAVA_LONG, DROP_PROGRAM.length);
            for (int i = 0; i < DROP_PROGRAM.length; i++) {
                instructions.setAtIndex(ValueLayout.JAVA_LONG, i, DROP_PROGRAM[i]);
            }
            MemorySegment license = arena.allocateFrom("GPL");
            MemorySegment attr = arena.allocate(PROG_LOAD_ATTR_BYTES, 8);
            attr.set(ValueLayout.JAVA_INT, 0, BPF_PROG_TYPE_SCHED_CLS);
            attr.set(ValueLayout.JAVA_INT, 4, DROP_PROGRAM.length);
            attr.set(ValueLayout.JAVA_LONG, 8, instructions.address());
            attr.set(ValueLayout.JAVA_LONG, 16, license.address());
            byte[] name = PROGRAM_NAME.getBytes(StandardCharsets.US_ASCII);
            MemorySegment.copy(name, 0, attr, ValueLayout.JAVA_BYTE, 48, name.length);
            long fd = Libc.syscall(errno, number, BPF_PROG_LOAD, attr, PROG_LOAD_ATTR_BYTES);
            if (fd < 0) {
                int e = Libc.errno(errno);
                boolean denied = e == Libc.EPERM || e == Libc.EACCES;
                throw new NetDeviceException(denied ? NetDeviceException.Reason.PERMISSION_DENIED
                        : NetDeviceException.Reason.SYSTEM_ERROR, e, "blocking the kernel's stack on '" + interfaceName
                        + "': cannot load a BPF program: " + Libc.describe(e) + (denied ? " (needs root or CAP_BPF)" : ""));
            }
            return (int) fd;
        }
    }

    /** Returns: the interface blocked. */
    public String interfaceName() {
        return interfaceName;
    }

    /** Gives the interface back to the kernel's stack (removes the classifier); idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            netlink.deleteIngressBpf(ifindex, PRIORITY, HANDLE);
        } catch (NetDeviceException e) {
            // Already gone: the interface was deleted (taking its classifiers), or someone removed or replaced it.
            if (e.reason() != NetDeviceException.Reason.NO_SUCH_DEVICE && e.errno() != Libc.ENOENT) {
                throw e;
            }
        } finally {
            netlink.close();
        }
    }
}
