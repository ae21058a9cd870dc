package dev.gingham.dataplane.api;

import java.util.Locale;

/** IP protocol numbers and the names dumps and query filters use (TCP, UDP, ICMP, ICMPv6, SCTP). */
public final class IpProtocols {
    public static final int ICMP = 1;
    public static final int TCP = 6;
    public static final int UDP = 17;
    public static final int ICMPV6 = 58;
    public static final int SCTP = 132;

    private IpProtocols() {
    }

    /** Returns: "TCP", "UDP", "ICMP", "ICMPv6", "SCTP", or the number as text. */
    public static String name(int protocol) {
        return switch (protocol) {
            case ICMP -> "ICMP";
            case TCP -> "TCP";
            case UDP -> "UDP";
            case ICMPV6 -> "ICMPv6";
            case SCTP -> "SCTP";
            default -> Integer.toString(protocol);
        };
    }

    /**
     * Parses a name (any case) or a number 0..255.
     *
     * @throws IllegalArgumentException naming what is accepted
     */
    public static int parse(String text) {
        switch (text.toLowerCase(Locale.ROOT)) {
            case "icmp": return ICMP;
            case "tcp": return TCP;
            case "udp": return UDP;
            case "icmpv6": return ICMPV6;
            case "sctp": return SCTP;
            default:
                try {
                    int n = Integer.parseInt(text);
                    if (n >= 0 && n <= 255) {
                        return n;
                    }
                } catch (NumberFormatException ignored) {
                    // reported below
                }
                throw new IllegalArgumentException("'" + text + "' is not a protocol (tcp, udp, icmp, icmpv6, sctp or 0..255)");
        }
    }
}
