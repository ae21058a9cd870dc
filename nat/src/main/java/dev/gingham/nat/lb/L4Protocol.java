package dev.gingham.nat.lb;

/**
 * Transport protocols a Kubernetes service port may name, with their IP protocol numbers (the
 * value stored in frontend keys). SCTP exists so a spec naming it can be refused by name: the
 * balancer balances TCP and UDP only.
 */
public enum L4Protocol {
    TCP(6),
    UDP(17),
    SCTP(132);

    /** IP protocol number of TCP, for hot-path comparisons without enum references. */
    public static final int TCP_NUMBER = 6;
    /** IP protocol number of UDP. */
    public static final int UDP_NUMBER = 17;
    /** IP protocol number of SCTP. */
    public static final int SCTP_NUMBER = 132;

    private final int number;

    L4Protocol(int number) {
        this.number = number;
    }

    /** Returns: the IP protocol number. */
    public int number() {
        return number;
    }
}
