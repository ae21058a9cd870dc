package dev.gingham.conntrack;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;

/**
 * Flyweight over a conntrack entry: the value of every {@link CtTable} map, 40 bytes, 8-byte
 * aligned (map values are), shared by every worker and the control agent.
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                     expiresAtNs (i64)                         |  0
 * |                     packets (i64)     both directions         |  8
 * |                     bytes (i64)       both directions         | 16
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  state word (i32): bits 0-7 tcpState, 8-15 zero, 16-31 flags  | 24
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                       revNatIndex (u32)                       | 28
 * |                        backendId (u32)                        | 32
 * |                        srcIdentity (u32)                      | 36
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 *
 * <p><b>Why 40 bytes.</b> An IPv4 slot is an 8-byte header, the 16-byte key ({@link CtKey#LENGTH4})
 * and this entry: 64 bytes, one cache line, so a lookup in a table too large for the caches waits
 * for one line instead of two or three (at 1M entries about 17% less per packet through the
 * table: docs/benchmarks-notes.md, "Conntrack in one cache line"). The price is the counters: one packet and one byte count for
 * both directions together, as Cilium's current {@code ct_entry} keeps them, instead of a pair per
 * direction. Whether a flow has seen its reply is the {@link #FLAG_SEEN_REPLY} flag.
 *
 * <p>Fields are in <em>native</em> byte order, unlike packet headers: an entry never goes on the
 * wire, and native order lets the fields be accessed through atomic VarHandles.
 *
 * <p><b>Concurrency.</b> Two workers may update one entry at once (the two directions of a flow
 * often arrive on different ports). TCP state and flags share one 32-bit word changed only by
 * compare-and-set, so a state transition from one direction can never erase a flag set by the
 * other (a SEEN_REPLY lost to a plain read-modify-write would keep a flow on its SYN lifetime).
 * The expiry is written with volatile stores by the table (see {@link CtTable#account}).
 *
 * <p><b>Counters are plain adds</b> (opaque load and store, no lock prefix). They are statistics,
 * never state: when the two directions of a flow are accounted by two workers at the same instant,
 * one increment can be lost, and nothing else. An atomic add (Cilium uses
 * {@code __sync_fetch_and_add}) is a locked instruction on x86, which also stops the CPU from
 * running ahead into the next frame's loads: measured on ConntrackBenchmark at 10k entries, 86 ns
 * with atomic adds, 67 ns without.
 *
 * <p><b>Flags</b> are split by owner: bits 0-7 belong to conntrack, bits 8-15 to the NAT module
 * (which sets them on the entries it creates or rewrites). {@link #revNatIndex}, {@link #backendId}
 * and {@link #srcIdentity} are written by their owners before an entry is inserted (see
 * {@link CtTable#insert}) or in place later; conntrack never interprets them.
 */
public final class CtEntry {
    public static final int EXPIRES_AT_NS_OFFSET = 0;
    public static final int PACKETS_OFFSET = 8;
    public static final int BYTES_OFFSET = 16;
    public static final int STATE_WORD_OFFSET = 24;
    public static final int REV_NAT_INDEX_OFFSET = 28;
    public static final int BACKEND_ID_OFFSET = 32;
    public static final int SRC_IDENTITY_OFFSET = 36;
    /** Size of an entry in bytes. */
    public static final int LENGTH = 40;

    /** A packet of the reply direction has been seen. */
    public static final int FLAG_SEEN_REPLY = 1;
    /** A TCP packet without SYN has been seen (the flow was picked up mid-stream or completed its handshake). */
    public static final int FLAG_SEEN_NON_SYN = 1 << 1;
    /** The original direction has sent FIN. */
    public static final int FLAG_TX_CLOSING = 1 << 2;
    /** The reply direction has sent FIN. */
    public static final int FLAG_RX_CLOSING = 1 << 3;
    /** NAT: the flow's destination was translated from a service VIP to a backend. */
    public static final int FLAG_SERVICE_DNAT = 1 << 8;
    /** NAT: the flow's source was masqueraded. */
    public static final int FLAG_SNAT = 1 << 9;
    /** NAT: a pod reached itself through a service (source translated too). */
    public static final int FLAG_HAIRPIN = 1 << 10;
    /** NAT: the flow entered through a NodePort. */
    public static final int FLAG_NODEPORT = 1 << 11;
    /** The bits conntrack owns; the NAT module owns bits 8-15. */
    public static final int CONNTRACK_FLAGS = 0xFF;

    static final int TCP_STATE_MASK = 0xFF;
    static final int FLAGS_SHIFT = 16;

    private static final VarHandle LONG = ValueLayout.JAVA_LONG.varHandle().withInvokeExactBehavior();
    private static final VarHandle INT = ValueLayout.JAVA_INT.varHandle().withInvokeExactBehavior();

    private MemorySegment segment;
    private long offset;

    public CtEntry wrap(MemorySegment segment, long offset) {
        this.segment = segment;
        this.offset = offset;
        return this;
    }

    public MemorySegment segment() {
        return segment;
    }

    public long offset() {
        return offset;
    }

    /** Zeroes the entry and sets its expiry: how a new entry is prepared before insertion. */
    public CtEntry init(long nowNs, long lifetimeNs) {
        for (int at = 0; at < LENGTH; at += Long.BYTES) {
            LONG.set(segment, offset + at, 0L); // no slice: that would allocate per new flow
        }
        expiresAtNs(nowNs + lifetimeNs);
        return this;
    }

    // ---- time ------------------------------------------------------------------------------------

    /** Returns: the time at or after which the sweeper deletes the entry. */
    public long expiresAtNs() {
        return (long) LONG.getVolatile(segment, offset + EXPIRES_AT_NS_OFFSET);
    }

    public CtEntry expiresAtNs(long value) {
        LONG.setVolatile(segment, offset + EXPIRES_AT_NS_OFFSET, value);
        return this;
    }

    /** Returns: true when the entry's lifetime is over at {@code nowNs} (expiry is inclusive). */
    public boolean expired(long nowNs) {
        return expiresAtNs() <= nowNs;
    }

    // ---- counters ------------------------------------------------------------------------------

    /** Returns: packets seen in both directions (the creating packet included). */
    public long packets() {
        return (long) LONG.getVolatile(segment, offset + PACKETS_OFFSET);
    }

    /** Returns: bytes (frame lengths, as Cilium counts) seen in both directions. */
    public long bytes() {
        return (long) LONG.getVolatile(segment, offset + BYTES_OFFSET);
    }

    /** Counts one packet of {@code bytes}, either direction (plain adds, see the class comment). */
    public void addPacket(int bytes) {
        add(PACKETS_OFFSET, 1L);
        add(BYTES_OFFSET, bytes);
    }

    private void add(int field, long delta) {
        long at = offset + field;
        LONG.setOpaque(segment, at, (long) LONG.getOpaque(segment, at) + delta);
    }

    // ---- state and flags ---------------------------------------------------------------------------

    /** Returns: the state word: {@code flags << 16 | tcpState}. */
    public int stateWord() {
        return (int) INT.getVolatile(segment, offset + STATE_WORD_OFFSET);
    }

    /** Sets the state word outright: only for an entry not yet visible to other threads. */
    public CtEntry stateWord(int value) {
        INT.setVolatile(segment, offset + STATE_WORD_OFFSET, value);
        return this;
    }

    /** Returns: true when the state word was {@code expected} and is now {@code next}. */
    public boolean compareAndSetStateWord(int expected, int next) {
        return (boolean) INT.compareAndSet(segment, offset + STATE_WORD_OFFSET, expected, next);
    }

    /** Returns: the TCP state ({@link CtTcp#NONE} for non-TCP entries). */
    public int tcpState() {
        return stateWord() & TCP_STATE_MASK;
    }

    /** Returns: the flags (u16). */
    public int flags() {
        return stateWord() >>> FLAGS_SHIFT;
    }

    public boolean hasFlags(int bits) {
        return (flags() & bits) == bits;
    }

    /** Sets flag bits atomically; a no-op, without a write, when they are already set. */
    public CtEntry addFlags(int bits) {
        int shifted = (bits & 0xFFFF) << FLAGS_SHIFT;
        int word = stateWord();
        while ((word & shifted) != shifted) {
            int witness = (int) INT.compareAndExchange(segment, offset + STATE_WORD_OFFSET, word, word | shifted);
            if (witness == word) {
                break;
            }
            word = witness;
        }
        return this;
    }

    /** Clears flag bits atomically. */
    public CtEntry clearFlags(int bits) {
        int shifted = (bits & 0xFFFF) << FLAGS_SHIFT;
        int word = stateWord();
        while ((word & shifted) != 0) {
            int witness = (int) INT.compareAndExchange(segment, offset + STATE_WORD_OFFSET, word, word & ~shifted);
            if (witness == word) {
                break;
            }
            word = witness;
        }
        return this;
    }

    /** Returns: the state word with the given TCP state and flags. */
    public static int stateWord(int tcpState, int flags) {
        return (flags & 0xFFFF) << FLAGS_SHIFT | (tcpState & TCP_STATE_MASK);
    }

    /** Returns: the TCP state of a state word. */
    public static int tcpState(int stateWord) {
        return stateWord & TCP_STATE_MASK;
    }

    /** Returns: the flags of a state word. */
    public static int flags(int stateWord) {
        return stateWord >>> FLAGS_SHIFT;
    }

    // ---- owned by NAT and policy -------------------------------------------------------------------

    /** Returns: the service whose VIP replies are rewritten back to (0: none). */
    public int revNatIndex() {
        return (int) INT.get(segment, offset + REV_NAT_INDEX_OFFSET);
    }

    public CtEntry revNatIndex(int value) {
        INT.set(segment, offset + REV_NAT_INDEX_OFFSET, value);
        return this;
    }

    /** Returns: the backend chosen for a service flow (u32 as int; 0: none). */
    public int backendId() {
        return (int) INT.get(segment, offset + BACKEND_ID_OFFSET);
    }

    public CtEntry backendId(int value) {
        INT.set(segment, offset + BACKEND_ID_OFFSET, value);
        return this;
    }

    /** Returns: the security identity of the flow's source, as policy resolved it at creation. */
    public int srcIdentity() {
        return (int) INT.get(segment, offset + SRC_IDENTITY_OFFSET);
    }

    public CtEntry srcIdentity(int value) {
        INT.set(segment, offset + SRC_IDENTITY_OFFSET, value);
        return this;
    }
}
