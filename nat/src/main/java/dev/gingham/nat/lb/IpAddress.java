package dev.gingham.nat.lb;

import dev.gingham.packet.header.Addresses;

/**
 * An IPv4 or IPv6 address as the two longs the data path carries: {@code hi} is bytes 0-7 and
 * {@code lo} bytes 8-15, each read big-endian, and IPv4 is the IPv4-mapped IPv6 address
 * {@code ::ffff:a.b.c.d} (the parser's tuple format, so one key layout serves both families).
 *
 * @param hi bytes 0-7 of the IPv6 (or IPv4-mapped) address
 * @param lo bytes 8-15
 */
public record IpAddress(long hi, long lo) {
    private static final long MAPPED_PREFIX = 0x0000_FFFFL << 32;

    /** Returns: the IPv4-mapped form of an IPv4 address given in network order as an int. */
    public static IpAddress ipv4(int address) {
        return new IpAddress(0L, MAPPED_PREFIX | (address & 0xFFFF_FFFFL));
    }

    /**
     * Parses "10.0.0.1" (stored IPv4-mapped) or any RFC 4291 IPv6 text.
     *
     * @throws IllegalArgumentException when the text is neither
     */
    public static IpAddress parse(String text) {
        if (text != null && text.indexOf(':') < 0) {
            return ipv4(Addresses.parseIpv4(text));
        }
        long[] hiLo = new long[2];
        Addresses.parseIpv6(text, hiLo);
        return new IpAddress(hiLo[0], hiLo[1]);
    }

    /** Returns: true for an IPv4-mapped address. */
    public boolean isIpv4() {
        return hi == 0 && (lo >>> 32) == 0xFFFFL;
    }

    @Override
    public String toString() {
        return isIpv4() ? Addresses.formatIpv4((int) lo) : Addresses.formatIpv6(hi, lo);
    }
}
