package dev.gingham.nat.lb;

import dev.gingham.maps.KeyHash;
import dev.gingham.nat.IpAddress;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

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
 *  bits 0-23 listIndex | 24-47 revNatIndex | 48-55 kind | 56-63 flags
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

    /** List and rev-NAT indexes are 24 bits: up to 16,777,215 of each (see {@link LbConfig}). */
    public static final int MAX_INDEX = (1 << 24) - 1;
    private static final long INDEX_MASK = MAX_INDEX;

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

    /**
     * Returns: the hash, in {@code seed}'s frontend map, of the key {@link #key} writes: the same
     * value as the map's own hash of that key, computed from the fields (the first pass of a
     * vector loop hashes every frame this way without writing a key).
     */
    public static long hash(long seed, long addrHi, long addrLo, int port, int protocol, int scope) {
        long h = KeyHash.start(seed, KEY_BYTES);
        h = KeyHash.mix(h, addrHi);
        h = KeyHash.mix(h, addrLo);
        h = KeyHash.mix(h, lastWord(port, protocol, scope));
        return KeyHash.finish(h, KEY_BYTES);
    }

    /** Bytes 16-23 of a key as one native-order word: port (native u16), protocol, scope, zero pad. */
    private static long lastWord(int port, int protocol, int scope) {
        if (NATIVE_BIG_ENDIAN) {
            return (long) (port & 0xFFFF) << 48 | (long) (protocol & 0xFF) << 40 | (long) (scope & 0xFF) << 32;
        }
        return (port & 0xFFFFL) | (protocol & 0xFFL) << 16 | (scope & 0xFFL) << 24;
    }

    private static final boolean NATIVE_BIG_ENDIAN = ByteOrder.nativeOrder() == ByteOrder.BIG_ENDIAN;

    /** Returns: the master word of these fields. */
    public static long word(int listIndex, int revNatIndex, int kind, int flags) {
        return (listIndex & INDEX_MASK) | (revNatIndex & INDEX_MASK) << 24 | (kind & 0xFFL) << 48 | (flags & 0xFFL) << 56;
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
        return (int) (word & INDEX_MASK);
    }

    public static int revNatIndex(long word) {
        return (int) ((word >>> 24) & INDEX_MASK);
    }

    public static int kind(long word) {
        return (int) (word >>> 48) & 0xFF;
    }

    public static int flags(long word) {
        return (int) (word >>> 56) & 0xFF;
    }
}
