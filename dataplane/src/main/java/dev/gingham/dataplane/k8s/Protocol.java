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
        for (Protocol p : values()) {
            if (p.name().equals(text)) {
                return p;
            }
        }
        throw new IllegalArgumentException("'" + text + "' is not TCP, UDP or SCTP");
    }
}
