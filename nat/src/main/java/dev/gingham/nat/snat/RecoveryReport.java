package dev.gingham.nat.snat;

/**
 * What {@link SnatTable#pinned} found and repaired when it reopened maps left by an earlier
 * owner (which may have died between allocating a port and inserting its entries).
 *
 * @param mappings         forward entries kept
 * @param reverseRepaired  reverse entries re-inserted for forward entries that lacked them
 * @param reverseOrphans   reverse entries deleted because no forward entry owns them
 * @param forwardDropped   forward entries deleted (unknown pool, port out of range or
 *                         claimed twice)
 * @param portsLeaked      ports marked in use with no mapping: freed
 * @param portsMissing     ports used by a mapping but marked free: marked in use
 */
public record RecoveryReport(int mappings, int reverseRepaired, int reverseOrphans, int forwardDropped,
                             int portsLeaked, int portsMissing) {
    /** The report of a map that was created empty. */
    public static final RecoveryReport NONE = new RecoveryReport(0, 0, 0, 0, 0, 0);
}
