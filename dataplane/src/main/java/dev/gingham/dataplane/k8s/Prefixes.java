package dev.gingham.dataplane.k8s;

import dev.gingham.nat.Cidr;

/**
 * Prefix arithmetic on {@link Cidr} (IPv4 held IPv4-mapped): clearing host bits and containment,
 * which ipBlock validation and CIDR identity selection need.
 */
public final class Prefixes {
    private Prefixes() {
    }

    /** Returns: the prefix length counted over all 128 bits (an IPv4 /p is a /96+p). */
    public static int bits128(Cidr cidr) {
        return cidr.ipv4() ? 96 + cidr.prefixLength() : cidr.prefixLength();
    }

    /** Returns: {@code cidr} with every bit past its prefix length cleared. */
    public static Cidr masked(Cidr cidr) {
        int length = bits128(cidr);
        return new Cidr(cidr.ipv4(), maskHi(cidr.hi(), length), maskLo(cidr.lo(), length), cidr.prefixLength());
    }

    /** Returns: true when every address of {@code inner} is in {@code outer} (same family). */
    public static boolean contains(Cidr outer, Cidr inner) {
        if (outer.ipv4() != inner.ipv4() || inner.prefixLength() < outer.prefixLength()) {
            return false;
        }
        int length = bits128(outer);
        return maskHi(inner.hi(), length) == maskHi(outer.hi(), length)
                && maskLo(inner.lo(), length) == maskLo(outer.lo(), length);
    }

    /** Returns: true when address (hi, lo) is in {@code cidr}. */
    public static boolean contains(Cidr cidr, long hi, long lo) {
        int length = bits128(cidr);
        return maskHi(hi, length) == maskHi(cidr.hi(), length) && maskLo(lo, length) == maskLo(cidr.lo(), length);
    }

    private static long maskHi(long hi, int length) {
        return length >= 64 ? hi : length == 0 ? 0 : hi & (-1L << (64 - length));
    }

    private static long maskLo(long lo, int length) {
        return length <= 64 ? 0 : length >= 128 ? lo : lo & (-1L << (128 - length));
    }
}
