package dev.gingham.dataplane.identity;

import dev.gingham.packet.Cidr;

import java.util.HashMap;
import java.util.Map;

/**
 * Node-local identities for the prefixes NetworkPolicy ipBlocks name ({@code cidr} and every
 * {@code except}), installed into the ipcache through a {@link PrefixIdentitySink} so that an
 * address outside the cluster resolves, by longest prefix, to the identity of the most specific
 * prefix any policy mentions. Numbers carry Cilium's local-scope bit: {@code 1 << 24 | n} from
 * n = 1, so they can never collide with cluster-wide pod identities.
 *
 * <p>Reference counted per prefix (two policies naming 10.0.0.0/8 share one identity); the
 * first reference installs the prefix, the last removes it. Control plane only; synchronized.
 */
public final class CidrIdentityAllocator {
    private final PrefixIdentitySink sink;
    private final Map<Cidr, Integer> byPrefix = new HashMap<>();
    private final Map<Integer, Cidr> byId = new HashMap<>();
    private final Map<Integer, Integer> references = new HashMap<>();
    private final int maxId;
    private int cursor = ReservedIdentity.MIN_CIDR_IDENTITY;

    public CidrIdentityAllocator(PrefixIdentitySink sink) {
        this(sink, ReservedIdentity.MAX_CIDR_IDENTITY);
    }

    /** An allocator with fewer numbers, for tests of exhaustion. */
    public CidrIdentityAllocator(PrefixIdentitySink sink, int maxId) {
        if (maxId < ReservedIdentity.MIN_CIDR_IDENTITY || maxId > ReservedIdentity.MAX_CIDR_IDENTITY) {
            throw new IllegalArgumentException("max CIDR identity " + maxId + " out of range");
        }
        this.sink = sink;
        this.maxId = maxId;
    }

    /**
     * Takes a reference on {@code prefix}'s identity, allocating and installing it on first use.
     *
     * @throws IllegalStateException when the numbers are exhausted or the sink refuses the prefix
     *                               (nothing is changed then)
     */
    public synchronized int acquire(Cidr prefix) {
        Cidr key = prefix.masked();
        Integer existing = byPrefix.get(key);
        if (existing != null) {
            references.merge(existing, 1, Integer::sum);
            return existing;
        }
        int span = maxId - ReservedIdentity.MIN_CIDR_IDENTITY + 1;
        for (int tried = 0; tried < span; tried++) {
            int candidate = cursor;
            cursor = cursor == maxId ? ReservedIdentity.MIN_CIDR_IDENTITY : cursor + 1;
            if (byId.containsKey(candidate)) {
                continue;
            }
            int installed = sink.upsert(key, candidate);
            if (installed != 0) {
                throw new IllegalStateException("ipcache refused " + key + " (error " + installed + ")");
            }
            byPrefix.put(key, candidate);
            byId.put(candidate, key);
            references.put(candidate, 1);
            return candidate;
        }
        throw new IllegalStateException("no free CIDR identity (" + span + " prefixes in use)");
    }

    /**
     * Drops one reference on {@code prefix}; the last one removes it from the ipcache.
     *
     * @return true when the prefix is now gone
     * @throws IllegalArgumentException when the prefix holds no identity
     */
    public synchronized boolean release(Cidr prefix) {
        Cidr key = prefix.masked();
        Integer id = byPrefix.get(key);
        if (id == null) {
            throw new IllegalArgumentException("prefix " + key + " has no CIDR identity");
        }
        int count = references.get(id);
        if (count > 1) {
            references.put(id, count - 1);
            return false;
        }
        references.remove(id);
        byPrefix.remove(key);
        byId.remove(id);
        sink.remove(key);
        return true;
    }

    /** Returns: the prefix of a CIDR identity, or null. */
    public synchronized Cidr prefix(int identity) {
        return byId.get(identity);
    }

    /** Returns: the identity of an installed prefix, or {@link ReservedIdentity#UNKNOWN}. */
    public synchronized int lookup(Cidr prefix) {
        Integer id = byPrefix.get(prefix.masked());
        return id == null ? ReservedIdentity.UNKNOWN : id;
    }

    /** Returns: a copy of every CIDR identity and its prefix, for the policy compiler. */
    public synchronized Map<Integer, Cidr> snapshot() {
        return Map.copyOf(byId);
    }
}
