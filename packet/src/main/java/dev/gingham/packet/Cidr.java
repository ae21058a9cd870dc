package dev.gingham.packet;

import dev.gingham.packet.header.Addresses;

/**
 * An IPv4 or IPv6 prefix from configuration ("10.0.0.0/8", "fd00::/104"), held the way the
 * packet path holds addresses: two longs, IPv4 as IPv4-mapped IPv6 ({@code ::ffff:a.b.c.d}).
 * The one prefix type of the control plane: masquerade and egress CIDRs (nat), pod CIDRs and
 * ipcache prefixes (encap), ipBlocks and CIDR identities (dataplane). Never on the hot path.
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

    /**
     * Parses "address/length", or a bare address as the host prefix (/32, /128): how node
     * addresses and single hosts are written where a prefix is expected.
     *
     * @throws IllegalArgumentException naming the text and what is wrong with it
     */
    public static Cidr parseAddressOrPrefix(String text) {
        if (text == null || text.indexOf('/') >= 0) {
            return parse(text);
        }
        return parse(text + (text.indexOf(':') >= 0 ? "/128" : "/32"));
    }

    /** Returns: the IPv4 prefix {@code address/prefixLength} (address as a big-endian int). */
    public static Cidr ipv4(int address, int prefixLength) {
        return new Cidr(true, 0, MappedAddress.lo4(address), prefixLength);
    }

    /** Returns: the IPv4 address as a big-endian int (meaningful for IPv4 prefixes only). */
    public int v4() {
        return (int) lo;
    }

    /** Returns: the prefix length counted over all 128 bits (an IPv4 /p is a /96+p). */
    public int bits128() {
        return ipv4 ? 96 + prefixLength : prefixLength;
    }

    /** Returns: this prefix with every bit past its length cleared. */
    public Cidr masked() {
        int length = bits128();
        return new Cidr(ipv4, maskHi(hi, length), maskLo(lo, length), prefixLength);
    }

    /** Returns: true when every address of {@code inner} is in this prefix (same family). */
    public boolean contains(Cidr inner) {
        return ipv4 == inner.ipv4 && inner.prefixLength >= prefixLength && contains(inner.hi, inner.lo);
    }

    /** Returns: true when address (hi, lo) is in this prefix. */
    public boolean contains(long addrHi, long addrLo) {
        int length = bits128();
        return maskHi(addrHi, length) == maskHi(hi, length) && maskLo(addrLo, length) == maskLo(lo, length);
    }

    private static long maskHi(long hi, int length) {
        return length >= 64 ? hi : length == 0 ? 0 : hi & (-1L << (64 - length));
    }

    private static long maskLo(long lo, int length) {
        return length <= 64 ? 0 : length >= 128 ? lo : lo & (-1L << (128 - length));
    }

    @Override
    public String toString() {
        return (ipv4 ? Addresses.formatIpv4(v4()) : Addresses.formatIpv6(hi, lo)) + "/" + prefixLength;
    }
}
