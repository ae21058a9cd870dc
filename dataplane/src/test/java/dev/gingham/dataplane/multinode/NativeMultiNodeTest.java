package dev.gingham.dataplane.multinode;

import dev.gingham.encap.TunnelMode;

/** The cross-node scenarios over NATIVE (root; skipped with the reason otherwise). */
class NativeMultiNodeTest extends MultiNodeScenarios {
    @Override
    TunnelMode mode() {
        return TunnelMode.NATIVE;
    }
}
