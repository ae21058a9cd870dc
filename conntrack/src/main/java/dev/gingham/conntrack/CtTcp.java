package dev.gingham.conntrack;

/**
 * TCP state tracking for conntrack entries: a pure function from (state word, TCP flags,
 * direction) to the next state word, and the lifetime each state earns.
 *
 * <pre>
 *   first packet (original direction)         later packets
 *   ---------------------------------         -------------------------------------------------
 *   SYN           -> SYN_SENT                 SYN_SENT    --SYN(+ACK) from reply-->  SYN_RECV
 *   SYN+ACK       -> SYN_RECV                 SYN_RECV    --any packet without SYN-> ESTABLISHED
 *   FIN           -> FIN_WAIT                 any         --FIN from one side-----> FIN_WAIT
 *   RST           -> CLOSED                   FIN_WAIT    --FIN from the other----> CLOSING
 *   anything else -> ESTABLISHED (pickup)     any         --RST-------------------> CLOSED
 *                                             CLOSING, CLOSED --SYN (no ACK) from original--> SYN_SENT
 * </pre>
 *
 * <p><b>Lifetimes.</b> CLOSING and CLOSED earn the close lifetime, set once at the transition and
 * not extended by later packets (the last ACKs, retransmitted FINs), so a finished flow frees
 * its entry, and its NAT port, promptly, as Cilium stops refreshing entries that are no longer
 * alive. ESTABLISHED and FIN_WAIT (a half-closed flow may keep sending for hours) earn the
 * established lifetime once a reply has been seen; every other state, the SYN lifetime.
 *
 * <p><b>Mid-stream pickup.</b> A first packet without SYN (the flow predates the table: a restart
 * without pinned state, or an entry swept while the flow idled) creates an ESTABLISHED entry, as
 * Cilium creates entries for non-SYN packets, so restarting the dataplane never breaks
 * connections. Such an entry keeps the SYN lifetime until the other side answers: a flood of
 * spoofed ACKs then holds table slots for 60 s, not 6 hours.
 *
 * <p><b>Reuse.</b> A SYN without ACK from the original side on a CLOSING or CLOSED entry starts
 * the connection over (a client reusing its port within the close lifetime, as after
 * TIME_WAIT): closing flags, SEEN_REPLY and SEEN_NON_SYN are cleared, NAT flags kept.
 *
 * <p>No sequence-number tracking: like Cilium, conntrack follows flags, not windows.
 */
public final class CtTcp {
    /** Not TCP, or not yet classified. */
    public static final int NONE = 0;
    /** SYN seen from the original side. */
    public static final int SYN_SENT = 1;
    /** SYN(+ACK) seen from the reply side (or the flow was picked up at its SYN-ACK). */
    public static final int SYN_RECV = 2;
    /** Handshake completed, or the flow was picked up mid-stream. */
    public static final int ESTABLISHED = 3;
    /** FIN from one side; {@link CtEntry#FLAG_TX_CLOSING} / {@link CtEntry#FLAG_RX_CLOSING} say which. */
    public static final int FIN_WAIT = 4;
    /** FIN from both sides (the LAST_ACK / TIME_WAIT stretch). */
    public static final int CLOSING = 5;
    /** RST seen. */
    public static final int CLOSED = 6;

    static final int FIN = 0x01;
    static final int SYN = 0x02;
    static final int RST = 0x04;
    static final int ACK = 0x10;

    private static final int CLOSING_FLAGS = CtEntry.FLAG_TX_CLOSING | CtEntry.FLAG_RX_CLOSING;
    private static final int RESET_ON_REUSE = CLOSING_FLAGS | CtEntry.FLAG_SEEN_REPLY | CtEntry.FLAG_SEEN_NON_SYN;

    private CtTcp() {
    }

    /**
     * Returns: the state word after a packet with {@code tcpFlags} in the given direction; the
     * same word when nothing changes. A word in state {@link #NONE} takes the packet as the
     * flow's first (always original direction).
     */
    public static int next(int stateWord, int tcpFlags, boolean reply) {
        int state = CtEntry.tcpState(stateWord);
        int flags = CtEntry.flags(stateWord);
        boolean syn = (tcpFlags & SYN) != 0;
        boolean ack = (tcpFlags & ACK) != 0;
        if (reply) {
            flags |= CtEntry.FLAG_SEEN_REPLY;
        }
        if (!syn) {
            flags |= CtEntry.FLAG_SEEN_NON_SYN;
        }
        if ((tcpFlags & RST) != 0) {
            return CtEntry.stateWord(CLOSED, flags);
        }
        if (state == CLOSED || state == CLOSING) {
            if (syn && !ack && !reply) {
                return CtEntry.stateWord(SYN_SENT, flags & ~RESET_ON_REUSE);
            }
            if (state == CLOSED) {
                return CtEntry.stateWord(CLOSED, flags);
            }
        }
        if ((tcpFlags & FIN) != 0) {
            flags |= reply ? CtEntry.FLAG_RX_CLOSING : CtEntry.FLAG_TX_CLOSING;
            return CtEntry.stateWord((flags & CLOSING_FLAGS) == CLOSING_FLAGS ? CLOSING : FIN_WAIT, flags);
        }
        int nextState = switch (state) {
            case NONE -> syn ? (ack ? SYN_RECV : SYN_SENT) : ESTABLISHED;
            case SYN_SENT -> reply && syn ? SYN_RECV : SYN_SENT;
            case SYN_RECV -> syn ? SYN_RECV : ESTABLISHED;
            default -> state;
        };
        return CtEntry.stateWord(nextState, flags);
    }

    /** Returns: true for the states that get the close lifetime once and are not refreshed. */
    public static boolean closed(int stateWord) {
        int state = CtEntry.tcpState(stateWord);
        return state == CLOSING || state == CLOSED;
    }

    /** Returns: the lifetime a TCP entry in this state word earns from a packet (see the class comment). */
    public static long lifetimeNs(int stateWord, CtLifetimes lifetimes) {
        int state = CtEntry.tcpState(stateWord);
        if (state == CLOSING || state == CLOSED) {
            return lifetimes.tcpCloseNs();
        }
        if ((state == ESTABLISHED || state == FIN_WAIT) && (CtEntry.flags(stateWord) & CtEntry.FLAG_SEEN_REPLY) != 0) {
            return lifetimes.tcpEstablishedNs();
        }
        return lifetimes.tcpSynNs();
    }

    /** Returns: the state's name for dumps ("ESTABLISHED"), "?" for an unknown value. */
    public static String name(int state) {
        return switch (state) {
            case NONE -> "NONE";
            case SYN_SENT -> "SYN_SENT";
            case SYN_RECV -> "SYN_RECV";
            case ESTABLISHED -> "ESTABLISHED";
            case FIN_WAIT -> "FIN_WAIT";
            case CLOSING -> "CLOSING";
            case CLOSED -> "CLOSED";
            default -> "?";
        };
    }
}
