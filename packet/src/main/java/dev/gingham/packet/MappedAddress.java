package dev.gingham.packet;

/**
 * IPv4 addresses in the IPv4-mapped IPv6 form ({@code ::ffff:a.b.c.d}, RFC 4291 §2.5.5.2) that
 * the flow tuple, conntrack keys and service maps use, so one 16-byte key shape serves both
 * families. The address is two longs: {@code hi} (bytes 0-7, zero for IPv4) and {@code lo}
 * (bytes 8-15: {@code 0000:ffff:} then the IPv4 address).
 */
public final class MappedAddress {
    /** The {@code lo} half of {@code ::ffff:0.0.0.0}. */
    public static final long IPV4_PREFIX = 0x0000_FFFF_0000_0000L;

    private MappedAddress() {
    }

    /** Returns: the {@code lo} half for IPv4 {@code address} (its {@code hi} half is 0). */
    public static long lo4(int address) {
        return IPV4_PREFIX | (address & 0xFFFF_FFFFL);
    }

    /** Returns: true when (hi, lo) is an IPv4-mapped address. */
    public static boolean isIpv4(long hi, long lo) {
        return hi == 0 && (lo & 0xFFFF_FFFF_0000_0000L) == IPV4_PREFIX;
    }

    /** Returns: the IPv4 address of a mapped {@code lo} half. */
    public static int ip4(long lo) {
        return (int) lo;
    }
}
