package dev.gingham.conntrack;

/**
 * Told about every conntrack entry the {@link CtSweeper} is about to delete, while key and
 * entry are still intact: the NAT module frees the flow's SNAT port and mappings here, the
 * flow log reports the flow's final counters.
 *
 * <p>Called on the sweeper's thread (the control agent), exactly once per deleted entry, before
 * the delete. The key is the 40-byte form whatever map the entry is in (the sweeper converts an
 * IPv4 map's stored key); both flyweights belong to the sweeper and are re-aimed after the call,
 * so copy what must outlive it. The listener must not delete the entry itself.
 */
@FunctionalInterface
public interface CtExpiryListener {
    /** A listener that does nothing. */
    CtExpiryListener NONE = (key, entry) -> { };

    /**
     * @param key   the entry's key (40-byte form, in the sweeper's scratch memory or in the map)
     * @param entry the entry, in the map
     */
    void expired(CtKey key, CtEntry entry);
}
