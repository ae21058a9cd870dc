package dev.gingham.packet.checksum;

import dev.gingham.packet.NetworkOrder;

import java.lang.foreign.MemorySegment;

/**
 * Checksums that cover a pseudo-header: TCP, UDP (RFC 768/793, IPv4 and IPv6) and ICMPv6
 * (RFC 4443), plus the IPv4 header checksum and ICMPv4, which have none.
 *
 * <p>The computing methods sum the segment as it is, including the checksum field: callers
 * write 0 into the field first ({@link #tcpUdp4} and friends do not do it for them, so that
 * a verify and a compute cannot be confused).
 */
public final class TransportChecksum {
    /** IP protocol numbers used in pseudo-headers. */
    public static final int TCP = 6;
    public static final int UDP = 17;
    public static final int ICMPV6 = 58;
    /** Offset of the IPv4 header checksum field (the packet module's lowest layer has no header import). */
    private static final int IPV4_CHECKSUM_OFFSET = 10;

    private TransportChecksum() {
    }

    /** Returns: the pseudo-header sum for IPv4 (RFC 793 §3.1). */
    public static long pseudoHeader4(int source, int destination, int protocol, int l4Length) {
        long sum = InternetChecksum.add32(0, source);
        sum = InternetChecksum.add32(sum, destination);
        return sum + protocol + l4Length;
    }

    /** Returns: the pseudo-header sum for IPv6 (RFC 8200 §8.1). */
    public static long pseudoHeader6(long sourceHi, long sourceLo, long destinationHi, long destinationLo,
                                     int nextHeader, int l4Length) {
        long sum = InternetChecksum.add64(0, sourceHi);
        sum = InternetChecksum.add64(sum, sourceLo);
        sum = InternetChecksum.add64(sum, destinationHi);
        sum = InternetChecksum.add64(sum, destinationLo);
        return InternetChecksum.add32(sum, l4Length) + nextHeader;
    }

    /**
     * Returns: the TCP or UDP checksum over IPv4 of the L4 message at {@code l4Offset}, its
     * checksum field already zeroed. For UDP a computed 0 is returned as 0xFFFF (RFC 768).
     */
    public static int tcpUdp4(MemorySegment segment, long l4Offset, int l4Length, int source, int destination, int protocol) {
        long sum = InternetChecksum.add(segment, l4Offset, l4Length, pseudoHeader4(source, destination, protocol, l4Length));
        int checksum = InternetChecksum.finish(sum);
        return protocol == UDP && checksum == 0 ? 0xFFFF : checksum;
    }

    /** Returns: the TCP, UDP or ICMPv6 checksum over IPv6, checksum field already zeroed. */
    public static int l4Over6(MemorySegment segment, long l4Offset, int l4Length,
                              long sourceHi, long sourceLo, long destinationHi, long destinationLo, int nextHeader) {
        long sum = InternetChecksum.add(segment, l4Offset, l4Length,
                pseudoHeader6(sourceHi, sourceLo, destinationHi, destinationLo, nextHeader, l4Length));
        int checksum = InternetChecksum.finish(sum);
        return nextHeader == UDP && checksum == 0 ? 0xFFFF : checksum;
    }

    /** Returns: true when a TCP/UDP message over IPv4 verifies (its checksum field included). */
    public static boolean verifies4(MemorySegment segment, long l4Offset, int l4Length, int source, int destination, int protocol) {
        long sum = InternetChecksum.add(segment, l4Offset, l4Length, pseudoHeader4(source, destination, protocol, l4Length));
        return InternetChecksum.fold(sum) == 0xFFFF;
    }

    /** Returns: true when a TCP/UDP/ICMPv6 message over IPv6 verifies. */
    public static boolean verifies6(MemorySegment segment, long l4Offset, int l4Length,
                                    long sourceHi, long sourceLo, long destinationHi, long destinationLo, int nextHeader) {
        long sum = InternetChecksum.add(segment, l4Offset, l4Length,
                pseudoHeader6(sourceHi, sourceLo, destinationHi, destinationLo, nextHeader, l4Length));
        return InternetChecksum.fold(sum) == 0xFFFF;
    }

    /**
     * Returns: the IPv4 header checksum of the header at {@code offset}, whatever its checksum
     * field holds (the field's current value is taken out of the sum).
     */
    public static int ipv4Header(MemorySegment segment, long offset, int headerLength) {
        long sum = InternetChecksum.add(segment, offset, headerLength, 0);
        int field = NetworkOrder.u16(segment, offset + IPV4_CHECKSUM_OFFSET);
        return InternetChecksum.finish(sum + (~field & 0xFFFF));
    }
}
