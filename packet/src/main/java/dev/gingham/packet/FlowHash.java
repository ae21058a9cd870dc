package dev.gingham.packet;

/**
 * Hashes of a flow's tuple: {@link #of} for backend selection (nat.lb: random, Maglev, source
 * hash), {@link #spread} for the outer source port of tunnel packets (encap). Pure arithmetic on primitives,
 * so the hot path allocates nothing and a replay with the same packets makes the same choices
 * (no {@code Random} anywhere).
 * The finaliser is MurmurHash3's fmix64, whose output bits each depend on every input bit.
 */
public final class FlowHash {
    private static final long K1 = 0x9E3779B97F4A7C15L;
    private static final long K2 = 0xC2B2AE3D27D4EB4FL;
    private static final long K3 = 0x165667B19E3779F9L;
    private static final long K4 = 0xD6E8FEB86659FD93L;
    private static final long K5 = 0xFF51AFD7ED558CCDL;

    private FlowHash() {
    }

    /** Returns: fmix64 of {@code x}: a bijective 64-bit mix. */
    public static long mix(long x) {
        x ^= x >>> 33;
        x *= 0xFF51AFD7ED558CCDL;
        x ^= x >>> 33;
        x *= 0xC4CEB9FE1A85EC53L;
        x ^= x >>> 33;
        return x;
    }

    /** Returns: a hash of the 5-tuple (what RANDOM and MAGLEV consume). */
    public static long of(long srcHi, long srcLo, long dstHi, long dstLo, int srcPort, int dstPort, int protocol) {
        long h = mix(srcHi ^ K1);
        h = mix(h ^ srcLo);
        h = mix(h ^ dstHi * K2);
        h = mix(h ^ dstLo);
        return mix(h ^ ((long) srcPort << 32 | (long) dstPort << 8 | protocol));
    }

    /**
     * {@link #spread} of an IPv4 flow, from the raw header words: {@code addresses} is the IPv4
     * header's source and destination as one big-endian 64-bit word (source in the high half),
     * {@code ports} the L4 header's first 32 bits (source port high). Equal to {@link #spread} of the
     * same flow in its IPv4-mapped form, so either may hash a flow's packets.
     */
    public static long spread4(long addresses, int ports, int protocol) {
        return (MappedAddress.IPV4_PREFIX | addresses >>> 32) * K2 + (MappedAddress.IPV4_PREFIX | addresses & 0xFFFF_FFFFL) * K4
                + ((long) (ports >>> 16) << 32 | (long) (ports & 0xFFFF) << 8 | protocol) * K5;
    }

    /** Returns: a hash of a client address alone (what SOURCE_HASH consumes, as IPVS sh). */
    public static long ofClient(long clientHi, long clientLo) {
        return mix(mix(clientHi ^ K2) ^ clientLo);
    }

    /**
     * Returns: a cheaper hash of the 5-tuple for spreading flows over paths and queues (the
     * tunnel's outer source port, which underlay ECMP and NIC RSS hash) whose <b>high bits</b>
     * are the hash: take them with {@code >>>}; the low bits depend only on the inputs' low bits.
     * Multiplicative (Fibonacci) hashing: each word multiplied by its own odd constant, so the
     * CPU overlaps the multiplications, and summed; the carries bring every input bit into the
     * top bits. One multiplication of latency where {@link #of} chains ten (measured: its five
     * dependent mixing rounds were 12 ns of a tunnel packet's encapsulation). Tuples whose
     * weighted sums are equal collide, which someone choosing addresses could arrange: fine for
     * spreading traffic, not for choosing a backend.
     */
    public static long spread(long srcHi, long srcLo, long dstHi, long dstLo, int srcPort, int dstPort, int protocol) {
        return srcHi * K1 + srcLo * K2 + dstHi * K3 + dstLo * K4
                + ((long) srcPort << 32 | (long) dstPort << 8 | protocol) * K5;
    }
}
