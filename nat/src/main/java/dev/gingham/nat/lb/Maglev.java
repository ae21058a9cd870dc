package dev.gingham.nat.lb;

import dev.gingham.packet.FlowHash;
import dev.gingham.nat.IpAddress;

import java.util.Arrays;
import java.util.Comparator;

/**
 * Maglev consistent hashing (Eisenbud et al., NSDI 2016, §3.4): fills a lookup table of prime
 * size M so that every backend owns about M/N entries and a change of the backend set moves few
 * entries between the backends that remain.
 *
 * <p>Each backend has a permutation of 0..M-1 given by {@code offset = h1(key) mod M} and
 * {@code skip = h2(key) mod (M-1) + 1} ({@code skip} is never 0 and M is prime, so the walk
 * visits every entry). Backends take turns claiming the next still-empty entry of their
 * permutation. Weights are turns: each round a backend earns its weight in credit and takes one
 * entry per {@code maxWeight} of credit, so with equal weights each backend takes exactly one
 * entry per round (the paper's algorithm) and owners differ by at most one entry; with weights,
 * ownership is proportional to weight.
 *
 * <p>The table is a function of the backend <em>set</em>: a backend's permutation depends on its
 * stable key (its address and port), never its id or position, and backends take their turns in
 * the order of their keys, not in the order the caller lists them. Who gets an entry two
 * backends both want depends on whose turn comes first, so with the caller's order two nodes
 * given the same endpoints in a different order (an EndpointSlice lists them in no fixed order,
 * and a Service may have several slices) would build different tables, and a flow that an ECMP
 * router moves from one node to the other would change backend; a reordered update on one node
 * would move entries with no backend change at all.
 *
 * <p>Control-plane only: allocation here is fine (the hot path reads the finished table).
 */
public final class Maglev {
    private static final long SEED_OFFSET = 0x6A09E667F3BCC908L;
    private static final long SEED_SKIP = 0xBB67AE8584CAA73BL;

    private Maglev() {
    }

    /** Returns: the stable permutation key of a backend: a hash of its address and port. */
    public static long backendKey(IpAddress address, int port) {
        return FlowHash.mix(FlowHash.mix(address.hi() ^ SEED_OFFSET) ^ address.lo() ^ ((long) port << 48));
    }

    /**
     * Fills {@code out[0..m)} with backend ids.
     *
     * @param count       number of backends (the first {@code count} entries of the arrays), at least 1
     * @param backendIds  ids written into the table (non-negative)
     * @param backendKeys stable keys ({@link #backendKey}) that define each backend's permutation
     * @param weights     positive weights
     * @param m           table size, a prime
     * @param out         the table, at least m long
     * @throws IllegalArgumentException on a bad argument (control-plane misuse)
     */
    public static void build(int count, int[] backendIds, long[] backendKeys, int[] weights, int m, int[] out) {
        if (count < 1 || count > backendIds.length || count > backendKeys.length || count > weights.length) {
            throw new IllegalArgumentException("count " + count + ": must be 1..length of the backend arrays");
        }
        if (!LbConfig.isPrime(m) || out.length < m) {
            throw new IllegalArgumentException("m " + m + ": must be prime and at most out.length " + out.length);
        }
        int maxWeight = 0;
        for (int i = 0; i < count; i++) {
            if (weights[i] <= 0 || backendIds[i] < 0) {
                throw new IllegalArgumentException("backend " + i + ": weight " + weights[i] + " and id " + backendIds[i]
                        + " must be positive and non-negative");
            }
            maxWeight = Math.max(maxWeight, weights[i]);
        }
        int[] turns = turnOrder(count, backendIds, backendKeys);
        int[] position = new int[count];
        int[] skip = new int[count];
        long[] credit = new long[count];
        for (int i = 0; i < count; i++) {
            position[i] = (int) Long.remainderUnsigned(FlowHash.mix(backendKeys[i] ^ SEED_OFFSET), m);
            skip[i] = (int) Long.remainderUnsigned(FlowHash.mix(backendKeys[i] ^ SEED_SKIP), m - 1) + 1;
        }
        Arrays.fill(out, 0, m, -1);
        int filled = 0;
        while (true) {
            for (int turn = 0; turn < count; turn++) {
                int i = turns[turn];
                credit[i] += weights[i];
                while (credit[i] >= maxWeight) {
                    credit[i] -= maxWeight;
                    int c = position[i];
                    while (out[c] >= 0) {
                        c += skip[i];
                        if (c >= m) {
                            c -= m;
                        }
                    }
                    out[c] = backendIds[i];
                    c += skip[i];
                    position[i] = c >= m ? c - m : c;
                    if (++filled == m) {
                        return;
                    }
                }
            }
        }
    }

    /**
     * Returns: the backends' indexes in the order they take turns: by key, then (equal keys: the
     * same address and port listed twice) by id, so the order never depends on the caller's.
     */
    private static int[] turnOrder(int count, int[] backendIds, long[] backendKeys) {
        Integer[] order = new Integer[count];
        for (int i = 0; i < count; i++) {
            order[i] = i;
        }
        Arrays.sort(order, Comparator.<Integer>comparingLong(i -> backendKeys[i]).thenComparingInt(i -> backendIds[i]));
        int[] turns = new int[count];
        for (int i = 0; i < count; i++) {
            turns[i] = order[i];
        }
        return turns;
    }
}
