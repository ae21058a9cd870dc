package dev.gingham.tap;

/**
 * How to create or attach a TAP device. Immutable; start from {@link #of(String)} and adjust with
 * the {@code with*} methods.
 *
 * @param name       the interface name (at most 15 bytes) in {@code namespace}; a kernel pattern
 *                   such as {@code "gtap%d"} lets the kernel pick the number
 * @param queueCount file descriptors (queues) to open, 1..{@link #MAX_QUEUES}; more than one turns on
 *                   IFF_MULTI_QUEUE (the kernel spreads flows over the queues by hash), so a
 *                   persistent device must be re-attached with the same choice
 * @param vnetHeader IFF_VNET_HDR: every frame read or written carries a {@link VnetHeader}; needed
 *                   for checksum and segmentation offloads (the main throughput lever)
 * @param offloads   TUNSETOFFLOAD flags ({@link #OFFLOAD_CSUM}, {@link #OFFLOAD_TSO4}, ...): what
 *                   the kernel may hand over unfinished (partial checksums, 64 KB TCP frames) and
 *                   accepts unfinished from us; 0 without the vnet header
 * @param persistent TUNSETPERSIST: the device outlives the file descriptors (survives a daemon
 *                   restart, see {@link TapDevice})
 * @param namespace  the network namespace (name under /var/run/netns) the name is looked up and
 *                   created in; null for the caller's own
 */
public record TapConfig(String name, int queueCount, boolean vnetHeader, int offloads, boolean persistent,
                        String namespace) {
    /** The tun driver's queue limit (MAX_TAP_QUEUES). */
    public static final int MAX_QUEUES = 256;

    /** TUN_F_CSUM: partial checksums allowed both ways (required by every other offload). */
    public static final int OFFLOAD_CSUM = 0x01;
    /** TUN_F_TSO4: TCP over IPv4 in frames up to 64 KB, segmented by whoever sends them on. */
    public static final int OFFLOAD_TSO4 = 0x02;
    /** TUN_F_TSO6: the same for IPv6. */
    public static final int OFFLOAD_TSO6 = 0x04;
    /** TUN_F_TSO_ECN: TSO frames of ECN connections (gso_type carries {@link VnetHeader#GSO_ECN}). */
    public static final int OFFLOAD_TSO_ECN = 0x08;
    /** TUN_F_USO4: UDP segmentation offload over IPv4 (gso_type UDP_L4). */
    public static final int OFFLOAD_USO4 = 0x20;
    /** TUN_F_USO6: UDP segmentation offload over IPv6. */
    public static final int OFFLOAD_USO6 = 0x40;
    /** Checksum and TCP segmentation offload both families: what DESIGN.md §8 measured at 13 Gbit/s. */
    public static final int DEFAULT_OFFLOADS = OFFLOAD_CSUM | OFFLOAD_TSO4 | OFFLOAD_TSO6;

    private static final int KNOWN_OFFLOADS = OFFLOAD_CSUM | OFFLOAD_TSO4 | OFFLOAD_TSO6 | OFFLOAD_TSO_ECN
            | OFFLOAD_USO4 | OFFLOAD_USO6;

    public TapConfig {
        InterfaceName.validate(name);
        if (queueCount < 1 || queueCount > MAX_QUEUES) {
            throw new IllegalArgumentException("TAP '" + name + "': queue count " + queueCount + " must be 1.." + MAX_QUEUES);
        }
        if ((offloads & ~KNOWN_OFFLOADS) != 0) {
            throw new IllegalArgumentException("TAP '" + name + "': unknown offload bits 0x"
                    + Integer.toHexString(offloads & ~KNOWN_OFFLOADS));
        }
        if (offloads != 0 && !vnetHeader) {
            throw new IllegalArgumentException("TAP '" + name + "': offloads need the vnet header (without it the kernel"
                    + " cannot say which checksum is unfinished)");
        }
        if (offloads != 0 && (offloads & OFFLOAD_CSUM) == 0) {
            throw new IllegalArgumentException("TAP '" + name + "': segmentation offloads need OFFLOAD_CSUM");
        }
        if (namespace != null) {
            NetworkNamespace.path(namespace);
        }
    }

    /** Returns: one queue, vnet header with {@link #DEFAULT_OFFLOADS}, not persistent, the caller's namespace. */
    public static TapConfig of(String name) {
        return new TapConfig(name, 1, true, DEFAULT_OFFLOADS, false, null);
    }

    public TapConfig withQueues(int count) {
        return new TapConfig(name, count, vnetHeader, offloads, persistent, namespace);
    }

    /** Turning the vnet header off also turns every offload off. */
    public TapConfig withVnetHeader(boolean on) {
        return new TapConfig(name, queueCount, on, on ? offloads : 0, persistent, namespace);
    }

    public TapConfig withOffloads(int flags) {
        return new TapConfig(name, queueCount, vnetHeader, flags, persistent, namespace);
    }

    public TapConfig withPersistent(boolean on) {
        return new TapConfig(name, queueCount, vnetHeader, offloads, on, namespace);
    }

    /** Returns: this configuration with the device looked up and created in network namespace {@code netns}. */
    public TapConfig inNamespace(String netns) {
        return new TapConfig(name, queueCount, vnetHeader, offloads, persistent, netns);
    }

    public TapConfig withName(String newName) {
        return new TapConfig(newName, queueCount, vnetHeader, offloads, persistent, namespace);
    }

    /** Returns: whether the device is opened with IFF_MULTI_QUEUE. */
    public boolean multiQueue() {
        return queueCount > 1;
    }

    /** Returns: the bytes in front of every frame: {@link VnetHeader#LENGTH} or 0. */
    public int vnetHeaderBytes() {
        return vnetHeader ? VnetHeader.LENGTH : 0;
    }
}
