package dev.gingham.nat;

import dev.gingham.packet.MappedAddress;
import dev.gingham.packet.header.Addresses;

/**
 * An address as configuration holds it, in the packet path's convention: two longs (bytes 0-7,
 * bytes 8-15), IPv4 as IPv4-mapped IPv6 ({@code ::ffff:a.b.c.d}), as
 * {@code FrameVector.srcHi/srcLo} hold it. The hot path works on the two longs with
 * {@link MappedAddress}; this record is for parsing, validation and printing.
 *
 * @param hi bytes 0-7
 * @param lo bytes 8-15
 */
public record IpAddress(long hi, long lo) {
    /** Parses an IPv4 (dotted quad) or IPv6 address. */
    public static IpAddress parse(String text) {
        if (text != null && text.indexOf(':') < 0) {
            return of4(Addresses.parseIpv4(text));
        }
        long[] hiLo = new long[2];
        Addresses.parseIpv6(text, hiLo);
        return new IpAddress(hiLo[0], hiLo[1]);
    }

    /** Returns: the IPv4-mapped form of an IPv4 address given in network order as an int. */
    public static IpAddress of4(int address) {
        return new IpAddress(0, MappedAddress.lo4(address));
    }

    /** Returns: the IPv4 address as a big-endian int (meaningful for IPv4 addresses only). */
    public int v4() {
        return MappedAddress.ip4(lo);
    }

    /** Returns: true for an IPv4(-mapped) address. */
    public boolean ipv4() {
        return MappedAddress.isIpv4(hi, lo);
    }

    @Override
    public String toString() {
        return ipv4() ? Addresses.formatIpv4(v4()) : Addresses.formatIpv6(hi, lo);
    }
}
