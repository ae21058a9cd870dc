package dev.gingham.nat;

import dev.gingham.packet.MappedAddress;

import dev.gingham.packet.header.Addresses;

/**
 * An address in the packet path's convention: two longs (bytes 0-7, bytes 8-15), IPv4 as
 * IPv4-mapped IPv6 ({@code ::ffff:a.b.c.d}: hi 0, lo {@code 0x0000_FFFF_xxxx_xxxx}), as
 * {@code FrameVector.srcHi/srcLo} hold it. The record is for configuration; the static helpers
 * are what the hot path uses.
 *
 * @param hi bytes 0-7
 * @param lo bytes 8-15
 */
public record IpAddress(long hi, long lo) {
    /** The high 32 bits of lo that mark an IPv4-mapped address. */
    public static final long IPV4_MAPPED_PREFIX = MappedAddress.IPV4_PREFIX;

    /** Parses an IPv4 (dotted quad) or IPv6 address. */
    public static IpAddress parse(String text) {
        if (text != null && text.indexOf(':') < 0) {
            return new IpAddress(0, mapped(Addresses.parseIpv4(text)));
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
        return (int) lo;
    }

    /** Returns: true for an IPv4(-mapped) address. */
    public boolean ipv4() {
        return isIpv4Mapped(hi, lo);
    }

    /** Returns: true when (hi, lo) is an IPv4-mapped address. */
    public static boolean isIpv4Mapped(long hi, long lo) {
        return MappedAddress.isIpv4(hi, lo);
    }

    /** Returns: lo of the IPv4-mapped form of a big-endian IPv4 int (hi is 0). */
    public static long mapped(int ipv4) {
        return MappedAddress.lo4(ipv4);
    }

    @Override
    public String toString() {
        return ipv4() ? Addresses.formatIpv4((int) lo) : Addresses.formatIpv6(hi, lo);
    }
}
