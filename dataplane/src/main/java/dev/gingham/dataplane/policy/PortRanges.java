package dev.gingham.dataplane.policy;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/**
 * An immutable set of ports (0..65535) held as sorted, disjoint, non-adjacent closed ranges: the
 * compiler's form of "which ports of one protocol a row allows". Ranges keep endPort rules cheap
 * to merge on the heap; the publisher turns each distinct set into the bitmap workers test
 * ({@link #writeBitmap}), so the packet path never walks ranges.
 */
public final class PortRanges {
    /** Largest port. */
    public static final int MAX_PORT = 65_535;
    /** Bytes of one bitmap: one bit per port. */
    public static final int BITMAP_BYTES = (MAX_PORT + 1) / 8;

    public static final PortRanges NONE = new PortRanges(new int[0]);
    public static final PortRanges ALL = new PortRanges(new int[] {0, MAX_PORT});

    /** first0, last0, first1, last1, ... sorted, with gaps of at least one port between ranges. */
    private final int[] bounds;
    private final int hash;

    private PortRanges(int[] bounds) {
        this.bounds = bounds;
        this.hash = Arrays.hashCode(bounds);
    }

    /** Returns: the ports {@code first..last} (inclusive). */
    public static PortRanges of(int first, int last) {
        if (first < 0 || last > MAX_PORT || first > last) {
            throw new IllegalArgumentException("port range " + first + ".." + last + " is not within 0.." + MAX_PORT);
        }
        return first == 0 && last == MAX_PORT ? ALL : new PortRanges(new int[] {first, last});
    }

    /** Returns: exactly the given ports. */
    public static PortRanges ofPorts(int... ports) {
        PortRanges result = NONE;
        for (int port : ports) {
            result = result.union(of(port, port));
        }
        return result;
    }

    public boolean isEmpty() {
        return bounds.length == 0;
    }

    /** Returns: the number of ranges. */
    public int ranges() {
        return bounds.length / 2;
    }

    public int first(int range) {
        return bounds[2 * range];
    }

    public int last(int range) {
        return bounds[2 * range + 1];
    }

    public boolean contains(int port) {
        for (int i = 0; i < bounds.length; i += 2) {
            if (port < bounds[i]) {
                return false;
            }
            if (port <= bounds[i + 1]) {
                return true;
            }
        }
        return false;
    }

    /** Returns: every port in this set or in {@code other}. */
    public PortRanges union(PortRanges other) {
        if (other.isEmpty() || this == other) {
            return this;
        }
        if (isEmpty()) {
            return other;
        }
        int[] merged = new int[bounds.length + other.bounds.length];
        int n = 0;
        int i = 0;
        int j = 0;
        while (i < bounds.length || j < other.bounds.length) {
            int first;
            int last;
            if (j >= other.bounds.length || (i < bounds.length && bounds[i] <= other.bounds[j])) {
                first = bounds[i];
                last = bounds[i + 1];
                i += 2;
            } else {
                first = other.bounds[j];
                last = other.bounds[j + 1];
                j += 2;
            }
            if (n > 0 && first <= merged[n - 1] + 1) {
                merged[n - 1] = Math.max(merged[n - 1], last); // overlaps or touches the previous range
            } else {
                merged[n++] = first;
                merged[n++] = last;
            }
        }
        int[] result = Arrays.copyOf(merged, n);
        return Arrays.equals(result, ALL.bounds) ? ALL : new PortRanges(result);
    }

    /**
     * Writes this set as a {@value #BITMAP_BYTES}-byte bitmap (bit {@code p & 63} of the native
     * long at {@code offset + (p >>> 6) * 8} is port p), clearing every other bit.
     */
    public void writeBitmap(MemorySegment segment, long offset) {
        segment.asSlice(offset, BITMAP_BYTES).fill((byte) 0);
        for (int r = 0; r < bounds.length; r += 2) {
            for (int port = bounds[r]; port <= bounds[r + 1]; ) {
                int word = port >>> 6;
                int bit = port & 63;
                int take = Math.min(64 - bit, bounds[r + 1] - port + 1);
                long mask = take == 64 ? -1L : ((1L << take) - 1) << bit;
                long at = offset + (long) word * Long.BYTES;
                segment.set(ValueLayout.JAVA_LONG_UNALIGNED, at, segment.get(ValueLayout.JAVA_LONG_UNALIGNED, at) | mask);
                port += take;
            }
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PortRanges other && hash == other.hash && Arrays.equals(bounds, other.bounds);
    }

    @Override
    public int hashCode() {
        return hash;
    }

    @Override
    public String toString() {
        if (isEmpty()) {
            return "none";
        }
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < bounds.length; i += 2) {
            if (i > 0) {
                text.append(',');
            }
            text.append(bounds[i]);
            if (bounds[i + 1] != bounds[i]) {
                text.append('-').append(bounds[i + 1]);
            }
        }
        return text.toString();
    }
}
