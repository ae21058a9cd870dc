package dev.gingham.packet;

/**
 * The per-frame verdict, an {@code int} so the hot path never touches an object:
 *
 * <pre>
 *   verdict  &lt; 0  : dropped; {@code -verdict} is the {@link DropReason} code
 *   verdict == 0  : {@link #CONTINUE}, the frame goes on to the next program
 *   verdict  &gt; 0  : an action in the top byte, its argument (a port) in the low 24 bits
 *                   {@link #TX} (transmit on a port) or {@link #PUNT} (hand to the control agent)
 * </pre>
 *
 * <p>Programs run over a whole vector and skip frames whose verdict is already final
 * (anything but {@link #CONTINUE}), so "first drop wins" needs no branches beyond that check.
 */
public final class Verdict {
    /** Not decided yet: the next program looks at the frame. */
    public static final int CONTINUE = 0;

    /** Action: transmit on the port in the low 24 bits. */
    public static final int TX = 1 << 24;
    /** Action: hand to the control agent (ARP for unknown targets, ICMP it should answer...). */
    public static final int PUNT = 2 << 24;

    /** Largest port number a verdict can carry. */
    public static final int MAX_PORT = (1 << 24) - 1;

    private static final int ACTION_MASK = 0x7F << 24;

    private Verdict() {
    }

    /** Returns: the verdict "transmit on {@code port}". */
    public static int tx(int port) {
        return TX | (port & MAX_PORT);
    }

    /** Returns: the verdict "hand to the control agent", with an argument (e.g. a punt reason). */
    public static int punt(int argument) {
        return PUNT | (argument & MAX_PORT);
    }

    /** Returns: the verdict that drops for {@code reason}. */
    public static int drop(DropReason reason) {
        return -reason.code();
    }

    public static boolean isDrop(int verdict) {
        return verdict < 0;
    }

    public static boolean isContinue(int verdict) {
        return verdict == CONTINUE;
    }

    public static boolean isTx(int verdict) {
        return verdict > 0 && (verdict & ACTION_MASK) == TX;
    }

    public static boolean isPunt(int verdict) {
        return verdict > 0 && (verdict & ACTION_MASK) == PUNT;
    }

    /** Returns: the port (or punt argument) of a positive verdict. */
    public static int port(int verdict) {
        return verdict & MAX_PORT;
    }

    /** Returns: the drop code of a negative verdict. */
    public static int dropCode(int verdict) {
        return -verdict;
    }

    /** Returns: a readable form ("TX 3", "DROP 158 NO_SERVICE", ...) for logs and tests; allocates. */
    public static String toString(int verdict) {
        if (verdict == CONTINUE) {
            return "CONTINUE";
        }
        if (verdict < 0) {
            DropReason reason = DropReason.ofCode(-verdict);
            return "DROP " + (-verdict) + " " + (reason == null ? "UNKNOWN" : reason.name());
        }
        if (isTx(verdict)) {
            return "TX " + port(verdict);
        }
        if (isPunt(verdict)) {
            return "PUNT " + port(verdict);
        }
        return "ACTION 0x" + Integer.toHexString(verdict);
    }
}
