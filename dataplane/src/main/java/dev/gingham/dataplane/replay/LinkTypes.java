package dev.gingham.dataplane.replay;

/**
 * Link-layer header types of capture files (tcpdump.org/linktypes.html), for the one check that
 * matters to Gingham: frames must start with an Ethernet header, since the pipeline parses
 * Ethernet frames as TAP devices deliver them. The names make the refusal readable ("LINUX_SLL,
 * a capture taken with -i any") instead of a bare number.
 */
final class LinkTypes {
    /** LINKTYPE_ETHERNET: IEEE 802.3 Ethernet, the only type Gingham replays. */
    static final int ETHERNET = 1;

    private LinkTypes() {
    }

    /** Returns: a name and a hint for a link type, for error messages. */
    static String describe(int linkType) {
        String name = switch (linkType) {
            case 0 -> "NULL (BSD loopback)";
            case 1 -> "ETHERNET";
            case 6 -> "IEEE802_5 (Token Ring)";
            case 9 -> "PPP";
            case 12, 101 -> "RAW (IP packets without a link-layer header)";
            case 50 -> "PPP_HDLC";
            case 104 -> "C_HDLC";
            case 105 -> "IEEE802_11 (Wi-Fi)";
            case 108 -> "LOOP (OpenBSD loopback)";
            case 113 -> "LINUX_SLL (Linux cooked capture, e.g. tcpdump -i any)";
            case 127 -> "IEEE802_11_RADIOTAP";
            case 192 -> "PPI";
            case 220 -> "USB_LINUX_MMAPPED";
            case 228 -> "IPV4 (raw IPv4)";
            case 229 -> "IPV6 (raw IPv6)";
            case 276 -> "LINUX_SLL2 (Linux cooked capture v2, e.g. tcpdump -i any)";
            default -> "unknown";
        };
        return linkType + " " + name;
    }

    /** Returns: the advice printed after a refused link type. */
    static String advice(int linkType) {
        String base = "Gingham replays Ethernet frames only (link type 1)";
        return switch (linkType) {
            case 113, 276 -> base + "; capture on a named interface (tcpdump -i eth0) instead of -i any";
            case 12, 101, 228, 229 -> base + "; capture on an Ethernet or TAP interface, not a tun/IP-only one";
            default -> base;
        };
    }
}
