package dev.gingham.dataplane.multinode;

import dev.gingham.encap.TunnelMode;

/** The cross-node scenarios over VXLAN (root; skipped with the reason otherwise). */
class VxlanMultiNodeTest extends MultiNodeScenarios {
    @Override
    TunnelMode mode() {
        return TunnelMode.VXLAN;
    }
}
