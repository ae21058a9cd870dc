package dev.gingham.nat.snat;

import dev.gingham.maps.MapErrors;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;

/**
 * The ports (or ICMP echo identifiers) of one NAT address and protocol: a bitmap over
 * {@code [minPort, maxPort]} in off-heap memory that the owner places (an element of the pinned
 * {@code snat_ports} array, so the bitmap survives a restart), claimed by CAS on 64-bit words so
 * several workers allocate at once without a lock.
 *
 * <pre>
 *  base +0   natHi     8   NAT address, bytes 0-7      (written by the owner, {@link PortPools})
 *       +8   natLo     8   NAT address, bytes 8-15
 *       +16  protocol  4   IANA number: 6 TCP, 17 UDP, 1 ICMP, 58 ICMPv6
 *       +20  state     4   0 free pool, 1 in use
 *       +24  cursor    8   bit index the next scan starts at (a hint, any value is safe)
 *       +32  words     8 x ceil(ports / 64): bit i set = port minPort + i in use; the bits
 *                      past the last port are kept set, so they are never handed out
 * </pre>
 *
 * <h2>Guarantee</h2>
 * {@link #allocate} scans every word once, starting at the cursor's word (its bits at and after
 * the cursor first) and wrapping round to the cursor word's lower bits, so it fails only when
 * every word it read was full: with no concurrent release, exactly when every port is in use.
 * No bounded random probing (as Cilium's retries have) that can fail with ports left free.
 * The cursor moves past each port handed out, so a released port is not reused until the
 * cursor has gone round the range (TIME_WAIT-style safety for late packets of the old flow);
 * with one thread the sequence of ports is fully determined by the calls made.
 *
 * <h2>Concurrency</h2>
 * Claims and releases are CAS loops on one word; a failed CAS means another thread changed
 * that word, so the allocator is lock-free. The cursor is a plain hint written with opaque
 * stores; two workers starting at the same cursor contend on a word, and the loser moves to the
 * next free bit. Double release is detected (the bit is already clear), not corruption.
 */
public final class PortAllocator {
    /** {@link #allocate} result when every port is in use. */
    public static final int NO_PORT = -1;

    static final long NAT_HI_OFFSET = 0;
    static final long NAT_LO_OFFSET = 8;
    static final long PROTOCOL_OFFSET = 16;
    static final long STATE_OFFSET = 20;
    static final long CURSOR_OFFSET = 24;
    static final long WORDS_OFFSET = 32;

    private static final VarHandle LONG = ValueLayout.JAVA_LONG.varHandle().withInvokeExactBehavior();

    private final MemorySegment segment;
    private final long base;
    private final long wordsOffset;
    private final int minPort;
    private final int portCount;
    private final int words;

    /**
     * A view over a pool at {@code base} (8-byte aligned) of {@link #bytes(int, int)} bytes.
     * Does not initialise it: see {@link #reset()}.
     */
    public PortAllocator(MemorySegment segment, long base, int minPort, int maxPort) {
        if (minPort < 0 || maxPort > 65535 || minPort > maxPort) {
            throw new IllegalArgumentException("port range " + minPort + "-" + maxPort + " must lie in 0-65535, min <= max");
        }
        if ((base & 7) != 0 || (segment.address() & 7) != 0) {
            throw new IllegalArgumentException("pool base " + base + " must be 8-byte aligned");
        }
        this.segment = segment;
        this.base = base;
        this.wordsOffset = base + WORDS_OFFSET;
        this.minPort = minPort;
        this.portCount = maxPort - minPort + 1;
        this.words = (portCount + 63) >>> 6;
        segment.asSlice(base, bytes(minPort, maxPort)); // bounds check once, not per access
    }

    /** Returns: the bytes one pool over {@code [minPort, maxPort]} needs, header included. */
    public static long bytes(int minPort, int maxPort) {
        return WORDS_OFFSET + 8L * ((maxPort - minPort + 1 + 63) >>> 6);
    }

    /** Marks every port free and the cursor at the first port (the owner, before first use). */
    public void reset() {
        for (int w = 0; w < words; w++) {
            LONG.setVolatile(segment, wordsOffset + 8L * w, padBits(w));
        }
        LONG.setVolatile(segment, base + CURSOR_OFFSET, 0L);
    }

    /** The bits of word {@code w} that name no port (past the end of the range): kept set. */
    long padBits(int w) {
        int valid = Math.min(64, portCount - (w << 6));
        return valid == 64 ? 0L : -1L << valid;
    }

    /**
     * Claims a free port, searching from the cursor.
     *
     * @return the port, or {@link #NO_PORT} when every port was seen in use
     */
    public int allocate() {
        long cursor = (long) LONG.getOpaque(segment, base + CURSOR_OFFSET);
        int startBit = (int) Long.remainderUnsigned(cursor, portCount);
        int startWord = startBit >>> 6;
        long upper = -1L << (startBit & 63);
        for (int i = 0; i <= words; i++) {
            int w = startWord + i;
            if (w >= words) {
                w -= words;
            }
            long mask = i == 0 ? upper : (i == words ? ~upper : -1L);
            if (mask == 0) {
                continue;
            }
            int bit = claim(w, mask);
            if (bit >= 0) {
                int index = (w << 6) + bit;
                LONG.setOpaque(segment, base + CURSOR_OFFSET, (long) (index + 1 == portCount ? 0 : index + 1));
                return minPort + index;
            }
        }
        return NO_PORT;
    }

    private int claim(int w, long mask) {
        long offset = wordsOffset + 8L * w;
        for (;;) {
            long word = (long) LONG.getVolatile(segment, offset);
            long free = ~word & mask;
            if (free == 0) {
                return -1;
            }
            long bit = Long.lowestOneBit(free);
            if ((boolean) LONG.compareAndSet(segment, offset, word, word | bit)) {
                return Long.numberOfTrailingZeros(bit);
            }
        }
    }

    /**
     * Frees {@code port}.
     *
     * @return {@link MapErrors#OK}; {@link MapErrors#ENOENT} when it was not in use (a double
     *         release: nothing changes); {@link MapErrors#EINVAL} when it is outside the range
     */
    public int release(int port) {
        int index = port - minPort;
        if (index < 0 || index >= portCount) {
            return MapErrors.EINVAL;
        }
        long offset = wordsOffset + 8L * (index >>> 6);
        long bit = 1L << (index & 63);
        for (;;) {
            long word = (long) LONG.getVolatile(segment, offset);
            if ((word & bit) == 0) {
                return MapErrors.ENOENT;
            }
            if ((boolean) LONG.compareAndSet(segment, offset, word, word & ~bit)) {
                return MapErrors.OK;
            }
        }
    }

    /**
     * Marks a specific port in use (rebuilding from existing mappings).
     *
     * @return {@link MapErrors#OK}, {@link MapErrors#EEXIST} when already in use, or
     *         {@link MapErrors#EINVAL} outside the range
     */
    public int reserve(int port) {
        int index = port - minPort;
        if (index < 0 || index >= portCount) {
            return MapErrors.EINVAL;
        }
        long offset = wordsOffset + 8L * (index >>> 6);
        long bit = 1L << (index & 63);
        for (;;) {
            long word = (long) LONG.getVolatile(segment, offset);
            if ((word & bit) != 0) {
                return MapErrors.EEXIST;
            }
            if ((boolean) LONG.compareAndSet(segment, offset, word, word | bit)) {
                return MapErrors.OK;
            }
        }
    }

    /** Returns: true when {@code port} is in range and in use. */
    public boolean inUse(int port) {
        int index = port - minPort;
        if (index < 0 || index >= portCount) {
            return false;
        }
        long word = (long) LONG.getVolatile(segment, wordsOffset + 8L * (index >>> 6));
        return (word & (1L << (index & 63))) != 0;
    }

    /** Returns: the number of ports in use (a snapshot while workers allocate). */
    public int usedCount() {
        int used = 0;
        for (int w = 0; w < words; w++) {
            used += Long.bitCount((long) LONG.getVolatile(segment, wordsOffset + 8L * w) & ~padBits(w));
        }
        return used;
    }

    /** Returns: the number of ports in the range. */
    public int portCount() {
        return portCount;
    }

    public int minPort() {
        return minPort;
    }

    /** Returns: the number of 64-bit bitmap words. */
    int words() {
        return words;
    }

    /** Returns: bitmap word {@code w} (pad bits included). */
    long word(int w) {
        return (long) LONG.getVolatile(segment, wordsOffset + 8L * w);
    }

    /** Overwrites bitmap word {@code w} (recovery on reopen, before workers start). */
    void word(int w, long value) {
        LONG.setVolatile(segment, wordsOffset + 8L * w, value | padBits(w));
    }

    /** Moves the scan start to the port with bit index {@code index} (tests, recovery). */
    void cursor(int index) {
        LONG.setOpaque(segment, base + CURSOR_OFFSET, (long) index);
    }

    MemorySegment segment() {
        return segment;
    }

    long base() {
        return base;
    }
}
