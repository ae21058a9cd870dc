package dev.gingham.conntrack;

import java.util.concurrent.TimeUnit;

/**
 * How long a conntrack entry lives after the packet that last refreshed it, per protocol and
 * TCP state (see {@link CtTcp} for which state earns which). Defaults are Cilium's
 * ({@code bpf/lib/conntrack.h}, {@code --conntrack-gc-*} / {@code CT_*_LIFETIME}).
 *
 * @param tcpSynNs         a TCP flow before its handshake completes (and a picked-up flow before a reply): 60 s
 * @param tcpEstablishedNs an established TCP flow that has seen a reply: 21600 s (6 h)
 * @param tcpCloseNs       after RST or FIN from both sides, not refreshed: 10 s
 * @param nonTcpNs         UDP, ICMP and other protocols, refreshed by every packet: 60 s
 */
public record CtLifetimes(long tcpSynNs, long tcpEstablishedNs, long tcpCloseNs, long nonTcpNs) {
    public static final long DEFAULT_TCP_SYN_NS = TimeUnit.SECONDS.toNanos(60);
    public static final long DEFAULT_TCP_ESTABLISHED_NS = TimeUnit.SECONDS.toNanos(21_600);
    public static final long DEFAULT_TCP_CLOSE_NS = TimeUnit.SECONDS.toNanos(10);
    public static final long DEFAULT_NON_TCP_NS = TimeUnit.SECONDS.toNanos(60);

    public CtLifetimes {
        requirePositive("tcpSynNs", tcpSynNs);
        requirePositive("tcpEstablishedNs", tcpEstablishedNs);
        requirePositive("tcpCloseNs", tcpCloseNs);
        requirePositive("nonTcpNs", nonTcpNs);
    }

    /** Returns: Cilium's defaults. */
    public static CtLifetimes defaults() {
        return new CtLifetimes(DEFAULT_TCP_SYN_NS, DEFAULT_TCP_ESTABLISHED_NS, DEFAULT_TCP_CLOSE_NS, DEFAULT_NON_TCP_NS);
    }

    private static void requirePositive(String field, long valueNs) {
        if (valueNs <= 0) {
            throw new IllegalArgumentException("conntrack lifetime " + field + " is " + valueNs + " ns: it must be positive");
        }
    }
}
