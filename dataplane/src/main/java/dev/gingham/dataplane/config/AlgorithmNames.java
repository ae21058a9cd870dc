package dev.gingham.dataplane.config;

import dev.gingham.nat.lb.Algorithm;

import java.util.List;

/**
 * The spellings of backend selection algorithms in the node configuration
 * ({@code services.defaultAlgorithm}) and in the Service annotation: kebab-case, as Cilium spells
 * its {@code service.cilium.io/lb-algorithm} values.
 */
public final class AlgorithmNames {
    private AlgorithmNames() {
    }

    /** Returns: "random", "round-robin", "source-hash" or "maglev". */
    public static String spelling(Algorithm algorithm) {
        return switch (algorithm) {
            case RANDOM -> "random";
            case ROUND_ROBIN -> "round-robin";
            case SOURCE_HASH -> "source-hash";
            case MAGLEV -> "maglev";
        };
    }

    /** Returns: every algorithm, in the order messages list them. */
    public static List<Algorithm> all() {
        return List.of(Algorithm.values());
    }

    /**
     * Returns: the algorithm spelt {@code text}.
     *
     * @throws IllegalArgumentException listing the spellings
     */
    public static Algorithm parse(String text) {
        for (Algorithm algorithm : Algorithm.values()) {
            if (spelling(algorithm).equals(text)) {
                return algorithm;
            }
        }
        throw new IllegalArgumentException("'" + text + "' is not random, round-robin, source-hash or maglev");
    }
}
