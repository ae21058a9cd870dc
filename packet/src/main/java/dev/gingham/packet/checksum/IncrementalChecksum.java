package dev.gingham.packet.checksum;

/**
 * Checksum updates for rewritten fields without summing the packet again (RFC 1624, eqn. 3):
 * {@code HC' = ~(~HC + ~m + m')}, where m is the old 16-bit field and m' the new one.
 *
 * <p>NAT rewrites an address and a port and patches the IPv4 header checksum and the L4
 * checksum (whose pseudo-header holds the address) with these, in a few instructions.
 *
 * <p>UDP is special (RFC 768): a checksum of 0 means "none was computed" and must stay 0, and
 * a computed 0 is sent as 0xFFFF. The {@code udp*} variants apply both rules. (Over IPv6 a zero
 * UDP checksum is invalid; a sender's zero is kept as is and the receiver decides.)
 */
public final class IncrementalChecksum {
    private IncrementalChecksum() {
    }

    /** Returns: the checksum after a 16-bit field changed from {@code oldValue} to {@code newValue}. */
    public static int replace16(int checksum, int oldValue, int newValue) {
        int sum = (~checksum & 0xFFFF) + (~oldValue & 0xFFFF) + (newValue & 0xFFFF);
        sum = (sum & 0xFFFF) + (sum >>> 16);
        sum = (sum & 0xFFFF) + (sum >>> 16);
        return ~sum & 0xFFFF;
    }

    /** Returns: the checksum after a 32-bit field (an IPv4 address) changed. */
    public static int replace32(int checksum, int oldValue, int newValue) {
        long sum = (~checksum & 0xFFFF)
                + (~oldValue >>> 16 & 0xFFFF) + (~oldValue & 0xFFFF)
                + (newValue >>> 16) + (newValue & 0xFFFF);
        return ~InternetChecksum.fold(sum) & 0xFFFF;
    }

    /** Returns: the checksum after a 128-bit field (an IPv6 address, as hi and lo halves) changed. */
    public static int replace128(int checksum, long oldHi, long oldLo, long newHi, long newLo) {
        long sum = ~checksum & 0xFFFF;
        sum = InternetChecksum.add64(sum, ~oldHi);
        sum = InternetChecksum.add64(sum, ~oldLo);
        sum = InternetChecksum.add64(sum, newHi);
        sum = InternetChecksum.add64(sum, newLo);
        return ~InternetChecksum.fold(sum) & 0xFFFF;
    }

    /** Returns: {@link #replace16} for a UDP checksum: 0 stays 0 (none), a result of 0 becomes 0xFFFF. */
    public static int udpReplace16(int checksum, int oldValue, int newValue) {
        return checksum == 0 ? 0 : nonZero(replace16(checksum, oldValue, newValue));
    }

    /** Returns: {@link #replace32} with UDP's zero rules. */
    public static int udpReplace32(int checksum, int oldValue, int newValue) {
        return checksum == 0 ? 0 : nonZero(replace32(checksum, oldValue, newValue));
    }

    /** Returns: {@link #replace128} with UDP's zero rules. */
    public static int udpReplace128(int checksum, long oldHi, long oldLo, long newHi, long newLo) {
        return checksum == 0 ? 0 : nonZero(replace128(checksum, oldHi, oldLo, newHi, newLo));
    }

    private static int nonZero(int checksum) {
        return checksum == 0 ? 0xFFFF : checksum;
    }
}
