package dev.gingham.nat;

import dev.gingham.conntrack.CtEntry;
import dev.gingham.conntrack.CtExpiryListener;
import dev.gingham.conntrack.CtKey;
import dev.gingham.nat.snat.SnatResult;
import dev.gingham.nat.snat.SnatTable;


/**
 * Releases a flow's SNAT mapping and port when conntrack expires the flow: the conntrack key of
 * a masqueraded flow is its original (pod) tuple, which is exactly the SNAT forward key, so the
 * sweep that deletes the entry frees the port in the same step. Runs on the control agent
 * (the sweeper's thread); one instance, reused.
 */
public final class SnatExpiry implements CtExpiryListener {
    private final SnatTable snat;
    private final SnatResult scratch = new SnatResult();
    private long released;

    public SnatExpiry(SnatTable snat) {
        this.snat = snat;
    }

    @Override
    public void expired(CtKey key, CtEntry entry) {
        if (!entry.hasFlags(CtEntry.FLAG_SNAT)) {
            return;
        }
        if (snat.release(key.srcHi(), key.srcLo(), key.srcPort(), key.dstHi(), key.dstLo(), key.dstPort(),
                key.protocol(), scratch) == 0) {
            released++;
        }
    }

    /** Returns: mappings released so far. */
    public long released() {
        return released;
    }
}
