package dev.gingham.encap;

import dev.gingham.packet.FrameVector;

/**
 * The outer UDP source port of VXLAN and Geneve packets: a hash of the inner flow, so that
 * underlay routers (ECMP) and receiving NICs (RSS), which hash only outer headers, still spread
 * different inner flows over paths and queues while keeping each flow on one (RFC 7348 §5,
 * RFC 8926 §3.3).
 *
 * <p>Range: IANA's dynamic ports 49152-65535 (RFC 6335 §6), which RFC 7348 recommends; Linux
 * draws from its local port range (32768-60999 by default) instead. 16384 values: 14 bits of
 * the hash. Fragments hash without ports (a later fragment has none), so every fragment of a
 * packet takes the same path.
 */
public final class FlowHash {
    /** First port of the range. */
    public static final int MIN_PORT = 49152;
    /** Number of ports in the range (49152-65535). */
    public static final int PORT_COUNT = 16384;

    private static final long K1 = 0x9E37_79B9_7F4A_7C15L;
    private static final long K2 = 0xC2B2_AE3D_27D4_EB4FL;

    private FlowHash() {
    }

    /** Returns: the outer source port for frame {@code i}'s parsed inner flow. */
    public static int sourcePort(FrameVector v, int i) {
        long ports = v.hasFlag(i, FrameVector.FLAG_FRAGMENT) ? 0 : (long) v.srcPort(i) << 16 | v.dstPort(i);
        long h = (v.srcHi(i) ^ Long.rotateLeft(v.dstHi(i), 32)) * K1;
        h = (h ^ v.srcLo(i)) * K2;
        h = (h ^ Long.rotateLeft(v.dstLo(i), 29)) * K1;
        h = (h ^ (ports << 8 | v.protocol(i))) * K2;
        h ^= h >>> 31;
        return MIN_PORT + (int) ((h ^ (h >>> 17)) & (PORT_COUNT - 1));
    }
}
