package dev.gingham.nat.lb;

import dev.gingham.nat.IpAddress;

import java.util.List;

/**
 * Sizes and node facts the load balancer's maps and control plane are built from. Everything is
 * fixed at creation (DESIGN.md §3: no resize on the hot path); the constructor validates the whole
 * record and names the first bad field.
 *
 * @param nodeAddresses         this node's addresses: every one is a NodePort frontend
 * @param nodePortMin           lowest allowed nodePort (Kubernetes default 30000)
 * @param nodePortMax           highest allowed nodePort (Kubernetes default 32767)
 * @param maxServices           service ports (each owns up to two backend lists), at most {@link #MAX_SERVICES} (8,388,607)
 * @param maxFrontends          frontends (address:port:protocol); also the rev-NAT index range, at most
 *                              {@link FrontendEntry#MAX_INDEX} (16,777,215; Cilium's rev-NAT index is 16 bits, ours 24)
 * @param maxBackends           backend entries in total (backend ids 1..maxBackends)
 * @param maxBackendsPerService backends of one service port, at most {@link #MAX_BACKENDS_PER_SERVICE}
 * @param maxMaglevTables       Maglev tables (one per backend list that uses Maglev), at most {@link #MAX_MAGLEV_TABLES}
 * @param maglevTableSize       Maglev table size M: a prime, {@link #MIN_MAGLEV_TABLE_SIZE}..{@link #MAX_MAGLEV_TABLE_SIZE}
 * @param maxAffinityEntries    session-affinity entries (LRU)
 * @param workers               worker threads (per-worker round-robin counters)
 */
public record LbConfig(List<IpAddress> nodeAddresses, int nodePortMin, int nodePortMax, int maxServices,
                       int maxFrontends, int maxBackends, int maxBackendsPerService, int maxMaglevTables,
                       int maglevTableSize, int maxAffinityEntries, int workers) {
    /** The Maglev paper's and Cilium's default table size for small services. */
    public static final int DEFAULT_MAGLEV_TABLE_SIZE = 16_381;
    /** A backend list half must fit one map value (64 KiB): 16-byte header + 8 bytes per backend, twice. */
    public static final int MAX_BACKENDS_PER_SERVICE = 4_092;
    public static final int MIN_MAGLEV_TABLE_SIZE = 3;
    /** Service port p owns backend lists 2p and 2p+1, and list indexes are 24 bits wide. */
    public static final int MAX_SERVICES = (FrontendEntry.MAX_INDEX - 1) / 2;
    /** Maglev tables are addressed by a u32 index; 4M tables of even the smallest size exceed any node's memory. */
    public static final int MAX_MAGLEV_TABLES = 1 << 22;
    public static final int MAX_MAGLEV_TABLE_SIZE = 1 << 20;

    public LbConfig {
        if (nodeAddresses == null) {
            throw new IllegalArgumentException("nodeAddresses: required (may be empty)");
        }
        nodeAddresses = List.copyOf(nodeAddresses);
        if (nodePortMin < 1 || nodePortMax > 65_535 || nodePortMin > nodePortMax) {
            throw new IllegalArgumentException("nodePortMin/nodePortMax " + nodePortMin + "-" + nodePortMax
                    + ": must be a range within 1..65535");
        }
        requireRange("maxServices", maxServices, 1, MAX_SERVICES);
        requireRange("maxFrontends", maxFrontends, 1, FrontendEntry.MAX_INDEX);
        requireRange("maxBackends", maxBackends, 1, Integer.MAX_VALUE - 1);
        requireRange("maxBackendsPerService", maxBackendsPerService, 1, MAX_BACKENDS_PER_SERVICE);
        requireRange("maxMaglevTables", maxMaglevTables, 1, MAX_MAGLEV_TABLES);
        requireRange("maglevTableSize", maglevTableSize, MIN_MAGLEV_TABLE_SIZE, MAX_MAGLEV_TABLE_SIZE);
        if (!isPrime(maglevTableSize)) {
            throw new IllegalArgumentException("maglevTableSize " + maglevTableSize + ": must be prime (e.g. 16381, 65521)");
        }
        if (2L * maxMaglevTables * MaglevTables.rowsPerTable(maglevTableSize) > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("maxMaglevTables " + maxMaglevTables + " x maglevTableSize " + maglevTableSize
                    + ": the double-buffered tables would need more than 2^31-1 rows of " + MaglevTables.ROW_ENTRIES + " entries");
        }
        requireRange("maxAffinityEntries", maxAffinityEntries, 1, Integer.MAX_VALUE);
        requireRange("workers", workers, 1, 4096);
    }

    /** Returns: Kubernetes' NodePort range and sizes for a small node, with the given addresses. */
    public static LbConfig defaults(List<IpAddress> nodeAddresses) {
        return new LbConfig(nodeAddresses, 30_000, 32_767, 1024, 4096, 16_384, 256, 64,
                DEFAULT_MAGLEV_TABLE_SIZE, 65_536, 1);
    }

    /** Returns: a copy with another Maglev table size (validated). */
    public LbConfig withMaglevTableSize(int m) {
        return new LbConfig(nodeAddresses, nodePortMin, nodePortMax, maxServices, maxFrontends, maxBackends,
                maxBackendsPerService, maxMaglevTables, m, maxAffinityEntries, workers);
    }

    /** Returns: a copy with other capacities (validated). */
    public LbConfig withCapacity(int services, int frontends, int backends, int backendsPerService, int maglevTables) {
        return new LbConfig(nodeAddresses, nodePortMin, nodePortMax, services, frontends, backends,
                backendsPerService, maglevTables, maglevTableSize, maxAffinityEntries, workers);
    }

    /** Returns: a copy with another worker count. */
    public LbConfig withWorkers(int workerCount) {
        return new LbConfig(nodeAddresses, nodePortMin, nodePortMax, maxServices, maxFrontends, maxBackends,
                maxBackendsPerService, maxMaglevTables, maglevTableSize, maxAffinityEntries, workerCount);
    }

    private static void requireRange(String field, int value, int min, int max) {
        if (value < min || value > max) {
            throw new IllegalArgumentException(field + " " + value + ": must be " + min + ".." + max);
        }
    }

    /** Returns: true when n is prime (trial division; n is at most 2^20). */
    static boolean isPrime(int n) {
        if (n < 2) {
            return false;
        }
        if (n % 2 == 0) {
            return n == 2;
        }
        for (int d = 3; (long) d * d <= n; d += 2) {
            if (n % d == 0) {
                return false;
            }
        }
        return true;
    }
}
