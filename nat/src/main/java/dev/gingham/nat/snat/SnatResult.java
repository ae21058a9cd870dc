package dev.gingham.nat.snat;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * The answer of {@link SnatTable} and {@link EgressGateway} lookups, and the scratch memory
 * they build map keys in: one instance per worker (and one for the control agent), allocated
 * at start and reused for every packet, so the hot path allocates nothing. Not thread-safe:
 * never share one between threads.
 */
public final class SnatResult {
    static final int SCRATCH_BYTES = 256;
    static final long KEY_A = 0;
    static final long KEY_B = 48;
    static final long VALUE_A = 96;
    static final long VALUE_B = 136;
    static final long POOL_KEY = 176;
    static final long EGRESS_KEY = 208;

    final MemorySegment scratch = Arena.ofAuto().allocate(SCRATCH_BYTES, 8);
    /** Where {@link SnatTable#prefetchReverse} folds the words it touches, so the loads are not optimised away. */
    long prefetchSink;

    /** NAT (or egress) address, bytes 0-7 and 8-15; IPv4 is IPv4-mapped. */
    public long natHi;
    public long natLo;
    /** NAT port, or ICMP echo identifier. */
    public int natPort;
    /** When the mapping was created (the caller's clock). */
    public long createdNs;
    /** The original source of a reply's flow (from {@link SnatTable#lookupReverse}). */
    public long origHi;
    public long origLo;
    public int origPort;

    /** Returns: the NAT address as a big-endian IPv4 int (meaningful for IPv4 mappings). */
    public int natIpv4() {
        return (int) natLo;
    }

    /** Returns: the original source as a big-endian IPv4 int (meaningful for IPv4 flows). */
    public int origIpv4() {
        return (int) origLo;
    }
}
