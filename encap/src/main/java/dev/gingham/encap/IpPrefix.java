package dev.gingham.encap;

import dev.gingham.packet.MappedAddress;
import dev.gingham.packet.header.Addresses;

/**
 * A prefix the overlay routes or the ipcache maps: the control plane's form (the hot path
 * never sees one). IPv4 is held IPv4-mapped, as in the flow tuple, and its length counts IPv4
 * bits (0..32), so {@code 10.0.1.0/24} reads as written.
 *
 * @param hi           bytes 0-7 of the address (0 for IPv4)
 * @param lo           bytes 8-15 of the address (IPv4: {@code 0000:ffff:a.b.c.d})
 * @param prefixLength 0..32 for IPv4, 0..128 for IPv6
 */
public record IpPrefix(long hi, long lo, int prefixLength) {
    public IpPrefix {
        int bits = MappedAddress.isIpv4(hi, lo) ? 32 : 128;
        if (prefixLength < 0 || prefixLength > bits) {
            throw new IllegalArgumentException("prefixLength: " + prefixLength + " must be 0.." + bits);
        }
    }

    /** Returns: the IPv4 prefix {@code address/prefixLength} (address as a big-endian int). */
    public static IpPrefix ipv4(int address, int prefixLength) {
        return new IpPrefix(0, MappedAddress.lo4(address), prefixLength);
    }

    /**
     * Parses {@code "10.0.1.0/24"} or {@code "fd00:1::/64"}; a bare address is a host prefix.
     *
     * @throws IllegalArgumentException naming the text
     */
    public static IpPrefix parse(String text) {
        int slash = text.indexOf('/');
        String address = slash < 0 ? text : text.substring(0, slash);
        try {
            boolean v6 = address.indexOf(':') >= 0;
            int length = slash < 0 ? (v6 ? 128 : 32) : Integer.parseInt(text.substring(slash + 1));
            if (!v6) {
                return ipv4(Addresses.parseIpv4(address), length);
            }
            long[] hiLo = new long[2];
            Addresses.parseIpv6(address, hiLo);
            return new IpPrefix(hiLo[0], hiLo[1], length);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("prefix '" + text + "': " + e.getMessage(), e);
        }
    }

    public boolean ipv4() {
        return MappedAddress.isIpv4(hi, lo);
    }

    /** Returns: the IPv4 address as a big-endian int (IPv4 prefixes only). */
    public int address4() {
        return MappedAddress.ip4(lo);
    }

    @Override
    public String toString() {
        return (ipv4() ? Addresses.formatIpv4(address4()) : Addresses.formatIpv6(hi, lo)) + "/" + prefixLength;
    }
}
