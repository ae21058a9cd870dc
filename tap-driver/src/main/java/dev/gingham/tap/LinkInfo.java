package dev.gingham.tap;

import dev.gingham.packet.header.Addresses;

/**
 * What rtnetlink reports about one interface (RTM_GETLINK), in the namespace it was asked in.
 *
 * @param ifindex  the interface index (per namespace: a move may change it)
 * @param name     the interface name
 * @param mac      the MAC address as the low 48 bits (0 for interfaces without one)
 * @param mtuBytes the MTU
 * @param flags    the IFF_* flags ({@link #IFF_UP}, ...)
 * @param kind     the link kind ("tun" for TUN/TAP, "veth", "dummy", ...), "" for physical and loopback
 * @param tun      TUN/TAP details when {@code kind} is "tun", else null
 */
public record LinkInfo(int ifindex, String name, long mac, int mtuBytes, int flags, String kind, Tun tun) {
    /** IFF_UP: administratively up. */
    public static final int IFF_UP = 0x1;

    /**
     * The tun driver's own attributes (IFLA_INFO_DATA of kind "tun").
     *
     * @param tap         true for a TAP (Ethernet frames), false for a TUN (IP packets)
     * @param vnetHeader  IFF_VNET_HDR is set
     * @param persistent  the device outlives its file descriptors (TUNSETPERSIST)
     * @param multiQueue  IFF_MULTI_QUEUE is set
     * @param queues      queues attached now (open file descriptors); 0 for a persistent device nobody holds. The
     *                    kernel reports it for multi-queue devices only: a single-queue device says 0 even when held
     */
    public record Tun(boolean tap, boolean vnetHeader, boolean persistent, boolean multiQueue, int queues) {
    }

    public boolean isUp() {
        return (flags & IFF_UP) != 0;
    }

    /** Returns: true for a TAP device (kind "tun", type tap). */
    public boolean isTap() {
        return tun != null && tun.tap();
    }

    /** Returns: the MAC as "02:00:00:00:00:01". */
    public String macText() {
        return Addresses.formatMac(mac);
    }
}
