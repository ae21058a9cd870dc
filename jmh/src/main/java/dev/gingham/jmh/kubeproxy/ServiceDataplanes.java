package dev.gingham.jmh.kubeproxy;

import dev.gingham.nat.lb.Algorithm;

import java.util.List;

/**
 * The names the kube-proxy comparison's {@code impl} parameter takes, and the model each builds.
 */
public final class ServiceDataplanes {
    public static final String IPTABLES = "iptables";
    public static final String IPVS = "ipvs";
    public static final String NFTABLES = "nftables";
    public static final String GINGHAM_RANDOM = "gingham-random";
    public static final String GINGHAM_MAGLEV = "gingham-maglev";
    /** Every implementation, baselines first. */
    public static final List<String> ALL = List.of(IPTABLES, IPVS, NFTABLES, GINGHAM_RANDOM, GINGHAM_MAGLEV);
    /** Maglev M for the comparison (see {@link GinghamModel}). */
    public static final int MAGLEV_TABLE_SIZE = 1021;

    private ServiceDataplanes() {
    }

    /**
     * Returns: an empty model.
     *
     * @param maxServices the most services it will hold at once (sizes Gingham's Maglev tables)
     */
    public static ServiceDataplane create(String impl, int maxServices) {
        return switch (impl) {
            case IPTABLES -> new IptablesModel();
            case IPVS -> new IpvsModel();
            case NFTABLES -> new NftablesModel();
            case GINGHAM_RANDOM -> new GinghamModel(Algorithm.RANDOM, 1, MAGLEV_TABLE_SIZE);
            case GINGHAM_MAGLEV -> new GinghamModel(Algorithm.MAGLEV, maxServices, MAGLEV_TABLE_SIZE);
            default -> throw new IllegalArgumentException("impl " + impl + ": one of " + ALL);
        };
    }
}
