package dev.gingham.nat;

import dev.gingham.packet.MappedAddress;
import dev.gingham.packet.header.Addresses;

/**
 * An IPv4 or IPv6 prefix from configuration ("10.0.0.0/8", "fd00::/104"), held the way the
 * packet path holds addresses: two longs, IPv4 as IPv4-mapped IPv6 ({@code ::ffff:a.b.c.d}).
 *
 * @param ipv4         true for an IPv4 prefix
 * @param hi           bytes 0-7 of the address (0 for IPv4)
 * @param lo           bytes 8-15 of the address (for IPv4: {@code 0x0000_FFFF_xxxx_xxxx})
 * @param prefixLength 0..32 for IPv4, 0..128 for IPv6
 */
public record Cidr(boolean ipv4, long hi, long lo, int prefixLength) {
    public Cidr {
        int maxBits = ipv4 ? 32 : 128;
        if (prefixLength < 0 || prefixLength > maxBits) {
            throw new IllegalArgumentException("prefix length " + prefixLength + " must be 0.." + maxBits);
        }
        if (ipv4 && !MappedAddress.isIpv4(hi, lo)) {
            throw new IllegalArgumentException("an IPv4 prefix must be held IPv4-mapped");
        }
    }

    /**
     * Parses "address/length".
     *
     * @throws IllegalArgumentException naming the text and what is wrong with it
     */
    public static Cidr parse(String text) {
        if (text == null) {
            throw new IllegalArgumentException("CIDR is null");
        }
        int slash = text.indexOf('/');
        if (slash < 0) {
            throw new IllegalArgumentException("CIDR '" + text + "' has no /prefix-length");
        }
        String address = text.substring(0, slash);
        int length;
        try {
            length = Integer.parseInt(text.substring(slash + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("CIDR '" + text + "': prefix length is not a number");
        }
        try {
            if (address.indexOf(':') < 0) {
                return new Cidr(true, 0, MappedAddress.lo4(Addresses.parseIpv4(address)), length);
            }
            long[] hiLo = new long[2];
            Addresses.parseIpv6(address, hiLo);
            return new Cidr(false, hiLo[0], hiLo[1], length);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("CIDR '" + text + "': " + e.getMessage(), e);
        }
    }

    /** Returns: the IPv4 address as a big-endian int (meaningful for IPv4 prefixes only). */
    public int v4() {
        return (int) lo;
    }

    @Override
    public String toString() {
        return (ipv4 ? Addresses.formatIpv4(v4()) : Addresses.formatIpv6(hi, lo)) + "/" + prefixLength;
    }
}
