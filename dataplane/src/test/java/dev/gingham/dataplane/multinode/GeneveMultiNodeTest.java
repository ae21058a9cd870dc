package dev.gingham.dataplane.multinode;

import dev.gingham.encap.TunnelMode;

/** The cross-node scenarios over GENEVE (root; skipped with the reason otherwise). */
class GeneveMultiNodeTest extends MultiNodeScenarios {
    @Override
    TunnelMode mode() {
        return TunnelMode.GENEVE;
    }
}
