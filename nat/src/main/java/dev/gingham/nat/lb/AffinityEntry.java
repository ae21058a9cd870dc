package dev.gingham.nat.lb;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Key and value layout of the session-affinity map ({@code lb-affinity}, an LRU hash map, so a
 * flood of clients ages out old entries instead of failing). Affinity is per backend list (a
 * service port seen through one traffic-policy view), so a Local view never inherits a remote
 * backend from the Cluster view.
 *
 * <h2>Key (24 bytes)</h2>
 * <pre>
 *  0               8               16          20       24
 *  +---------------+---------------+-----------+--------+
 *  | clientHi u64  | clientLo u64  | list u32  | pad 0  |
 *  +---------------+---------------+-----------+--------+
 * </pre>
 * <h2>Value (16 bytes)</h2>
 * <pre>
 *  0           4         8                 16
 *  +-----------+---------+-----------------+
 *  | backend   | pad     | lastUsedNs u64  |
 *  +-----------+---------+-----------------+
 * </pre>
 * An entry older than the service's timeout (by the caller's virtual clock) is ignored and
 * overwritten by the next selection; nothing sweeps it, the LRU reclaims it.
 */
public final class AffinityEntry {
    public static final int KEY_BYTES = 24;
    public static final int VALUE_BYTES = 16;
    public static final int CLIENT_HI_OFFSET = 0;
    public static final int CLIENT_LO_OFFSET = 8;
    public static final int LIST_OFFSET = 16;
    public static final int BACKEND_OFFSET = 0;
    public static final int LAST_USED_NS_OFFSET = 8;

    private AffinityEntry() {
    }

    public static void key(MemorySegment s, long offset, long clientHi, long clientLo, int list) {
        s.set(ValueLayout.JAVA_LONG_UNALIGNED, offset + CLIENT_HI_OFFSET, clientHi);
        s.set(ValueLayout.JAVA_LONG_UNALIGNED, offset + CLIENT_LO_OFFSET, clientLo);
        s.set(ValueLayout.JAVA_INT_UNALIGNED, offset + LIST_OFFSET, list);
        s.set(ValueLayout.JAVA_INT_UNALIGNED, offset + LIST_OFFSET + 4, 0);
    }

    public static void value(MemorySegment s, long offset, int backendId, long lastUsedNs) {
        s.set(ValueLayout.JAVA_INT_UNALIGNED, offset + BACKEND_OFFSET, backendId);
        s.set(ValueLayout.JAVA_INT_UNALIGNED, offset + BACKEND_OFFSET + 4, 0);
        s.set(ValueLayout.JAVA_LONG_UNALIGNED, offset + LAST_USED_NS_OFFSET, lastUsedNs);
    }

    public static int backendId(MemorySegment s, long offset) {
        return s.get(ValueLayout.JAVA_INT_UNALIGNED, offset + BACKEND_OFFSET);
    }

    public static long lastUsedNs(MemorySegment s, long offset) {
        return s.get(ValueLayout.JAVA_LONG_UNALIGNED, offset + LAST_USED_NS_OFFSET);
    }

    /** Refreshes the last-used time in place (a racing refresh by another worker is harmless). */
    public static void touch(MemorySegment s, long offset, long nowNs) {
        s.set(ValueLayout.JAVA_LONG_UNALIGNED, offset + LAST_USED_NS_OFFSET, nowNs);
    }
}
