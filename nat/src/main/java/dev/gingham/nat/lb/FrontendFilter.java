package dev.gingham.nat.lb;

import dev.gingham.maps.HashMap;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A bitmap in front of the frontend map that answers "no frontend has this address and port"
 * without a hash-map probe: the service program asks the frontend map about every TCP and UDP
 * frame, and almost none of them (pod-to-pod, to other nodes, to the world) address a service, so
 * the common answer of that lookup is a miss that costs a key write, a seeded hash and a probe.
 *
 * <p>Exact when negative: a clear bit means no frontend entry of any protocol or scope has that
 * address and port. A set bit only means one may (another address:port shares the bit), and the
 * caller does the real lookup. The bit is one of {@code 2^k} chosen by a multiplicative hash of
 * (address, port), with {@code 2^k} at least 8 bits per frontend the configuration allows (so at
 * most one bit in 8 is set: about one non-service frame in 8 still probes the map), between
 * {@value #MIN_BITS_LOG2} and {@value #MAX_BITS_LOG2} bits in all.
 *
 * <p>Writers: the control thread that owns the frontend map ({@link ServiceTable}) only. It keeps
 * a count of entries per bit and calls {@link #add} <em>before</em> it publishes an entry and
 * {@link #remove} <em>after</em> it deletes one, so the bit of a published entry is always set
 * (the map's release on publication orders the bit before the key). A reader that looks while an
 * entry is being added may see the bit still clear and answer MISSING, as a lookup a moment
 * earlier would have. Readers: any worker, with opaque reads (never a lock, never a write).
 *
 * <p>Pinned maps outlive the process, the filter does not: {@link #rebuild} recomputes it from
 * the entries a reopened map holds.
 */
public final class FrontendFilter {
    /** 4,096 bits (512 bytes): the smallest filter. */
    static final int MIN_BITS_LOG2 = 12;
    /** 4M bits (512 KiB): the largest, for half a million frontends and more. */
    static final int MAX_BITS_LOG2 = 22;
    private static final int BITS_PER_FRONTEND = 8;
    private static final long MULTIPLIER = 0x9E37_79B9_7F4A_7C15L;
    private static final VarHandle WORDS = MethodHandles.arrayElementVarHandle(long[].class);

    private final long[] words;
    /** Entries per bit; written and read by the writer only. */
    private final int[] counts;
    private final int shift;

    private FrontendFilter(int bitsLog2) {
        this.words = new long[1 << (bitsLog2 - 6)];
        this.counts = new int[1 << bitsLog2];
        this.shift = Long.SIZE - bitsLog2;
    }

    /** Returns: an empty filter sized for {@code maxFrontends} address:port:protocol frontends. */
    public static FrontendFilter forFrontends(int maxFrontends) {
        long wanted = Math.max(1L, (long) maxFrontends * BITS_PER_FRONTEND);
        int bitsLog2 = Long.SIZE - Long.numberOfLeadingZeros(wanted - 1);
        return new FrontendFilter(Math.clamp(bitsLog2, MIN_BITS_LOG2, MAX_BITS_LOG2));
    }

    /** Returns: the number of bits (for tests and the benchmark notes). */
    public int bits() {
        return counts.length;
    }

    /**
     * Returns: false when no frontend entry has this address and port (any protocol, any scope);
     * true when one may.
     */
    public boolean mayContain(long addrHi, long addrLo, int port) {
        int bit = bit(addrHi, addrLo, port);
        return ((long) WORDS.getOpaque(words, bit >>> 6) & (1L << bit)) != 0;
    }

    /** Counts one more entry for address:port; call before publishing it in the frontend map. */
    public void add(long addrHi, long addrLo, int port) {
        int bit = bit(addrHi, addrLo, port);
        if (counts[bit]++ == 0) {
            int word = bit >>> 6;
            WORDS.setRelease(words, word, words[word] | (1L << bit));
        }
    }

    /** Counts one entry fewer for address:port; call after deleting it from the frontend map. */
    public void remove(long addrHi, long addrLo, int port) {
        int bit = bit(addrHi, addrLo, port);
        if (counts[bit] > 0 && --counts[bit] == 0) {
            int word = bit >>> 6;
            WORDS.setRelease(words, word, words[word] & ~(1L << bit));
        }
    }

    /** Empties the filter, then counts every entry {@code frontends} holds (a reopened pinned map). */
    public void rebuild(HashMap frontends) {
        java.util.Arrays.fill(counts, 0);
        for (int w = 0; w < words.length; w++) {
            WORDS.setRelease(words, w, 0L);
        }
        frontends.forEach((MemorySegment segment, long keyOffset, long valueOffset) -> add(
                segment.get(ValueLayout.JAVA_LONG_UNALIGNED, keyOffset + FrontendEntry.ADDR_HI_OFFSET),
                segment.get(ValueLayout.JAVA_LONG_UNALIGNED, keyOffset + FrontendEntry.ADDR_LO_OFFSET),
                Short.toUnsignedInt(segment.get(ValueLayout.JAVA_SHORT_UNALIGNED, keyOffset + FrontendEntry.PORT_OFFSET))));
    }

    /** Fibonacci hashing of the address words and the port: the top bits of one multiply. */
    private int bit(long addrHi, long addrLo, int port) {
        long h = (addrLo ^ Long.rotateLeft(addrHi, 32) ^ ((long) port << 48 | port)) * MULTIPLIER;
        return (int) (h >>> shift);
    }
}
