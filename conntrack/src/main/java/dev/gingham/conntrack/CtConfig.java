package dev.gingham.conntrack;

/**
 * Sizes and lifetimes of a {@link CtTable}.
 *
 * @param tcpMaxEntries    capacity of the TCP table (Cilium's default {@value #DEFAULT_TCP_MAX_ENTRIES})
 * @param nonTcpMaxEntries capacity of the table for UDP, ICMP and the rest (Cilium's default
 *                         {@value #DEFAULT_NON_TCP_MAX_ENTRIES})
 * @param lifetimes        entry lifetimes
 */
public record CtConfig(int tcpMaxEntries, int nonTcpMaxEntries, CtLifetimes lifetimes) {
    public static final int DEFAULT_TCP_MAX_ENTRIES = 524_288;
    public static final int DEFAULT_NON_TCP_MAX_ENTRIES = 262_144;

    public CtConfig {
        if (tcpMaxEntries <= 0) {
            throw new IllegalArgumentException("conntrack tcpMaxEntries is " + tcpMaxEntries + ": it must be positive");
        }
        if (nonTcpMaxEntries <= 0) {
            throw new IllegalArgumentException("conntrack nonTcpMaxEntries is " + nonTcpMaxEntries + ": it must be positive");
        }
        if (lifetimes == null) {
            throw new IllegalArgumentException("conntrack lifetimes are required");
        }
    }

    /** Returns: Cilium's default sizes and lifetimes. */
    public static CtConfig defaults() {
        return new CtConfig(DEFAULT_TCP_MAX_ENTRIES, DEFAULT_NON_TCP_MAX_ENTRIES, CtLifetimes.defaults());
    }

    /** Returns: this configuration with other capacities (tests use small tables). */
    public CtConfig withMaxEntries(int tcp, int nonTcp) {
        return new CtConfig(tcp, nonTcp, lifetimes);
    }
}
