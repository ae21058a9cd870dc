package dev.gingham.nat.lb;

import dev.gingham.nat.IpAddress;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;

/**
 * Key and value layout of the frontend map ({@code lb-frontends}, a hash map): the first and
 * only per-packet lookup that decides whether a destination is a service.
 *
 * <h2>Key (24 bytes)</h2>
 * <pre>
 *  0               8               16      18    19    20          24
 *  +---------------+---------------+-------+-----+-----+-----------+
 *  | addrHi u64    | addrLo u64    | port  |proto|scope| pad (0)   |
 *  +---------------+---------------+-------+-----+-----+-----------+
 * </pre>
 * Addresses are {@link IpAddress} longs (IPv4 mapped into IPv6), stored as native-order longs;
 * port is the host-order u16; proto is 6 or 17; scope is {@link Scope}.
 *
 * <h2>Value: the master word (8 bytes, one native-order u64)</h2>
 * <pre>
 *  bits 0-15 listIndex | 16-31 revNatIndex | 32-39 kind | 40-47 flags | 48-63 zero
 * </pre>
 * Unlike Cilium's lb4 map this value holds no backend slots and no count: those live in the
 * backend list ({@link BackendLists}) the word points to, which every frontend of one service
 * port shares (ClusterIP, each NodePort address, LB and external IPs), so a backend change is
 * one publication, not one per frontend, and the master stays one lookup. The word is written
 * with one release store and read with one acquire load, so a reader sees it whole.
 *
 * <p>Scopes: every frontend has an EXTERNAL-scope entry. When in-cluster traffic must see a
 * different backend view (externalTrafficPolicy and internalTrafficPolicy differ), an
 * INTERNAL-scope entry exists too and the EXTERNAL entry carries {@link #FLAG_TWO_SCOPES}, so
 * lookups from pods cost a second lookup only for such services (Cilium's two-scope scheme).
 */
public final class FrontendEntry {
    public static final int KEY_BYTES = 24;
    public static final int ADDR_HI_OFFSET = 0;
    public static final int ADDR_LO_OFFSET = 8;
    public static final int PORT_OFFSET = 16;
    public static final int PROTOCOL_OFFSET = 18;
    public static final int SCOPE_OFFSET = 19;
    public static final int PAD_OFFSET = 20;
    public static final int VALUE_BYTES = 8;

    /** The EXTERNAL entry has an INTERNAL sibling for in-cluster clients. */
    public static final int FLAG_TWO_SCOPES = 1;

    private static final VarHandle WORD = ValueLayout.JAVA_LONG.varHandle().withInvokeExactBehavior();

    private FrontendEntry() {
    }

    /** Writes a key at {@code offset}. */
    public static void key(MemorySegment s, long offset, long addrHi, long addrLo, int port, int protocol, int scope) {
        s.set(ValueLayout.JAVA_LONG_UNALIGNED, offset + ADDR_HI_OFFSET, addrHi);
        s.set(ValueLayout.JAVA_LONG_UNALIGNED, offset + ADDR_LO_OFFSET, addrLo);
        s.set(ValueLayout.JAVA_SHORT_UNALIGNED, offset + PORT_OFFSET, (short) port);
        s.set(ValueLayout.JAVA_BYTE, offset + PROTOCOL_OFFSET, (byte) protocol);
        s.set(ValueLayout.JAVA_BYTE, offset + SCOPE_OFFSET, (byte) scope);
        s.set(ValueLayout.JAVA_INT_UNALIGNED, offset + PAD_OFFSET, 0);
    }

    /** Returns: the master word of these fields. */
    public static long word(int listIndex, int revNatIndex, int kind, int flags) {
        return (listIndex & 0xFFFFL) | (revNatIndex & 0xFFFFL) << 16 | (kind & 0xFFL) << 32 | (flags & 0xFFL) << 40;
    }

    /** Returns: the master word at a value offset (acquire: a whole, published word). */
    public static long read(MemorySegment s, long valueOffset) {
        return (long) WORD.getAcquire(s, valueOffset);
    }

    /** Replaces the master word in place with one release store (control thread only). */
    public static void publish(MemorySegment s, long valueOffset, long word) {
        WORD.setRelease(s, valueOffset, word);
    }

    public static int listIndex(long word) {
        return (int) word & 0xFFFF;
    }

    public static int revNatIndex(long word) {
        return (int) (word >>> 16) & 0xFFFF;
    }

    public static int kind(long word) {
        return (int) (word >>> 32) & 0xFF;
    }

    public static int flags(long word) {
        return (int) (word >>> 40) & 0xFF;
    }
}
