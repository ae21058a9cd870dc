package dev.gingham.maps;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetAddress;
import java.nio.ByteOrder;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;

/** Address parsing, value segments and a trivially correct reference for the LPM trie tests. */
final class LpmTestSupport {
    static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG;
    static final ValueLayout.OfLong LONG_BE = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    static final ValueLayout.OfInt INT_BE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    private LpmTestSupport() {
    }

    /** Returns: a dotted quad as a big-endian int. */
    static int ip4(String dotted) {
        String[] parts = dotted.split("\\.");
        if (parts.length != 4) {
            throw new IllegalArgumentException(dotted);
        }
        int address = 0;
        for (String part : parts) {
            address = (address << 8) | Integer.parseInt(part);
        }
        return address;
    }

    static String dotted(int address) {
        return (address >>> 24) + "." + ((address >>> 16) & 0xFF) + "." + ((address >>> 8) & 0xFF) + "." + (address & 0xFF);
    }

    /** Returns: an IPv6 literal as {hi, lo}, both big-endian. */
    static long[] ip6(String literal) {
        try {
            byte[] bytes = InetAddress.getByName(literal).getAddress();
            if (bytes.length != 16) {
                throw new IllegalArgumentException(literal + " is not IPv6");
            }
            MemorySegment s = MemorySegment.ofArray(bytes);
            return new long[] {s.get(LONG_BE, 0), s.get(LONG_BE, 8)};
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(literal, e);
        }
    }

    /** Returns: an 8-byte (or longer) value segment holding {@code v} in its first long. */
    static MemorySegment value(long v, int valueSize) {
        MemorySegment s = Arena.ofAuto().allocate(valueSize, 8);
        s.set(LONG, 0, v);
        return s;
    }

    static long maskHi(long hi, int len) {
        return len == 0 ? 0 : len >= 64 ? hi : hi & (-1L << (64 - len));
    }

    static long maskLo(long lo, int len) {
        return len <= 64 ? 0 : lo & (-1L << (128 - len));
    }

    /** A list of prefixes scanned for the longest match: obviously right, obviously slow. */
    static final class Reference {
        record Prefix(long hi, long lo, int len, long value) {
        }

        private final List<Prefix> prefixes = new ArrayList<>();

        /** Returns: true when the prefix was new. */
        boolean put(long hi, long lo, int len, long value) {
            long mhi = maskHi(hi, len);
            long mlo = maskLo(lo, len);
            for (int i = 0; i < prefixes.size(); i++) {
                Prefix p = prefixes.get(i);
                if (p.len == len && p.hi == mhi && p.lo == mlo) {
                    prefixes.set(i, new Prefix(mhi, mlo, len, value));
                    return false;
                }
            }
            prefixes.add(new Prefix(mhi, mlo, len, value));
            return true;
        }

        boolean remove(long hi, long lo, int len) {
            long mhi = maskHi(hi, len);
            long mlo = maskLo(lo, len);
            return prefixes.removeIf(p -> p.len == len && p.hi == mhi && p.lo == mlo);
        }

        /** Returns: the value of the longest prefix covering the address, or -1. */
        long longest(long hi, long lo) {
            int bestLen = -1;
            long best = -1;
            for (Prefix p : prefixes) {
                if (p.len > bestLen && maskHi(hi, p.len) == p.hi && maskLo(lo, p.len) == p.lo) {
                    bestLen = p.len;
                    best = p.value;
                }
            }
            return best;
        }

        List<Prefix> prefixes() {
            return prefixes;
        }

        int size() {
            return prefixes.size();
        }
    }
}
