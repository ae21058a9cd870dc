package dev.gingham.dataplane.identity;

import java.util.HashMap;
import java.util.Map;

/**
 * Numeric identities for pod label sets ({@link SecurityLabels}): equal label sets get the same
 * number, each holder takes a reference, and a number is released when its last holder lets go.
 * Numbers run from {@link ReservedIdentity#MIN_POD_IDENTITY} (256) to
 * {@link ReservedIdentity#MAX_POD_IDENTITY}.
 *
 * <p>Released numbers are not handed out again at once: a rotating cursor gives the next free
 * number after the last one allocated, so a number lingering in a conntrack entry's source
 * identity, a flow record or a remote node's ipcache is unlikely to name a new label set before
 * it has aged out.
 *
 * <p>Control plane only (the control agent changes it; the flow reader and the API read it);
 * methods are synchronized, none is on the packet path.
 */
public final class IdentityAllocator {
    private final Map<SecurityLabels, Integer> byLabels = new HashMap<>();
    private final Map<Integer, SecurityLabels> byId = new HashMap<>();
    private final Map<Integer, Integer> references = new HashMap<>();
    private final int minId;
    private final int maxId;
    private int cursor;

    public IdentityAllocator() {
        this(ReservedIdentity.MIN_POD_IDENTITY, ReservedIdentity.MAX_POD_IDENTITY);
    }

    /** An allocator over a smaller range, for tests of exhaustion and reuse. */
    public IdentityAllocator(int minId, int maxId) {
        if (minId < ReservedIdentity.MIN_POD_IDENTITY || maxId > ReservedIdentity.MAX_POD_IDENTITY || minId > maxId) {
            throw new IllegalArgumentException("identity range " + minId + ".." + maxId + " must lie within "
                    + ReservedIdentity.MIN_POD_IDENTITY + ".." + ReservedIdentity.MAX_POD_IDENTITY);
        }
        this.minId = minId;
        this.maxId = maxId;
        this.cursor = minId;
    }

    /**
     * Takes a reference on the identity of {@code labels}, allocating it on first use.
     *
     * @throws IllegalStateException when every number in the range is in use
     */
    public synchronized int acquire(SecurityLabels labels) {
        Integer existing = byLabels.get(labels);
        if (existing != null) {
            references.merge(existing, 1, Integer::sum);
            return existing;
        }
        int span = maxId - minId + 1;
        for (int tried = 0; tried < span; tried++) {
            int candidate = cursor;
            cursor = cursor == maxId ? minId : cursor + 1;
            if (!byId.containsKey(candidate)) {
                byLabels.put(labels, candidate);
                byId.put(candidate, labels);
                references.put(candidate, 1);
                return candidate;
            }
        }
        throw new IllegalStateException("no free identity in " + minId + ".." + maxId + " (" + span + " label sets in use)");
    }

    /**
     * Drops one reference; the last one frees the number.
     *
     * @return true when the identity is now free
     * @throws IllegalArgumentException when {@code identity} is not allocated (a double release)
     */
    public synchronized boolean release(int identity) {
        Integer count = references.get(identity);
        if (count == null) {
            throw new IllegalArgumentException("identity " + identity + " is not allocated");
        }
        if (count > 1) {
            references.put(identity, count - 1);
            return false;
        }
        references.remove(identity);
        byLabels.remove(byId.remove(identity));
        return true;
    }

    /** Returns: the label set of an allocated identity, or null. */
    public synchronized SecurityLabels labels(int identity) {
        return byId.get(identity);
    }

    /** Returns: the identity of a label set in use, or {@link ReservedIdentity#UNKNOWN}. */
    public synchronized int lookup(SecurityLabels labels) {
        Integer id = byLabels.get(labels);
        return id == null ? ReservedIdentity.UNKNOWN : id;
    }

    /** Returns: the references held on {@code identity} (0 when free). */
    public synchronized int references(int identity) {
        return references.getOrDefault(identity, 0);
    }

    /** Returns: a copy of every allocated identity and its labels, for the policy compiler. */
    public synchronized Map<Integer, SecurityLabels> snapshot() {
        return Map.copyOf(byId);
    }
}
