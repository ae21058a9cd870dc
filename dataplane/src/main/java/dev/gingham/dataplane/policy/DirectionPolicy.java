package dev.gingham.dataplane.policy;

import java.util.Map;

/**
 * One endpoint's compiled policy in one direction: whether it is enforced (some policy isolates
 * the endpoint in this direction), whether it is in audit mode, and the allow rows by peer
 * identity. Key {@link dev.gingham.dataplane.identity.ReservedIdentity#UNKNOWN} (0) is the
 * wildcard row: rules that allow every peer. The compiler has already merged the wildcard row
 * into every other row, so one row answers for a known peer.
 *
 * <p>Immutable, with value equality: endpoints whose compiled policies are equal (replicas of one
 * deployment) share one table in the maps.
 */
public final class DirectionPolicy {
    /** Not enforced: everything is allowed and nothing is looked up. */
    public static final DirectionPolicy OPEN = new DirectionPolicy(false, false, Map.of());

    private final boolean enforced;
    private final boolean audit;
    private final Map<Integer, PolicyRow> rows;
    private final int hash;

    public DirectionPolicy(boolean enforced, boolean audit, Map<Integer, PolicyRow> rows) {
        this.enforced = enforced;
        this.audit = audit;
        this.rows = Map.copyOf(rows);
        this.hash = (Boolean.hashCode(enforced) * 31 + Boolean.hashCode(audit)) * 31 + this.rows.hashCode();
    }

    public boolean enforced() {
        return enforced;
    }

    public boolean audit() {
        return audit;
    }

    /** Returns: allow rows by peer identity (0: every peer). */
    public Map<Integer, PolicyRow> rows() {
        return rows;
    }

    /**
     * Returns: the reference answer, on the heap: whether a packet from/to {@code peer} with
     * that protocol and port is allowed (audit aside). The maps must agree with it.
     */
    public boolean allows(int peer, int protocol, int port) {
        if (!enforced) {
            return true;
        }
        PolicyRow row = rows.get(peer);
        if (row == null) {
            row = rows.get(0);
        }
        return row != null && row.allows(protocol, port);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof DirectionPolicy other && hash == other.hash && enforced == other.enforced
                && audit == other.audit && rows.equals(other.rows);
    }

    @Override
    public int hashCode() {
        return hash;
    }

    @Override
    public String toString() {
        return (enforced ? (audit ? "audit " : "enforced ") : "open ") + rows;
    }
}
