package dev.gingham.dataplane.multinode;

import dev.gingham.encap.TunnelMode;

/** The cross-node scenarios over IPIP (root; skipped with the reason otherwise). */
class IpipMultiNodeTest extends MultiNodeScenarios {
    @Override
    TunnelMode mode() {
        return TunnelMode.IPIP;
    }
}
