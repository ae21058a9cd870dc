package dev.gingham.dataplane.k8s;

/**
 * The L4 protocols a NetworkPolicy port or a container port can name, with their IP protocol
 * numbers (what {@code FrameVector.protocol} holds). Kubernetes defaults to TCP when a port
 * leaves the protocol out.
 */
public enum Protocol {
    TCP(6),
    UDP(17),
    SCTP(132);

    private final int number;

    Protocol(int number) {
        this.number = number;
    }

    /** Returns: the IP protocol number (6, 17, 132). */
    public int number() {
        return number;
    }

    /**
     * Returns: the protocol with the Kubernetes spelling {@code text} ("TCP", "UDP", "SCTP").
     *
     * @throws IllegalArgumentException for any other text (Kubernetes is case-sensitive here)
     */
    public static Protocol parse(String text) {
        return Spellings.parse(values(), Protocol::name, text, "TCP, UDP or SCTP");
    }
}
