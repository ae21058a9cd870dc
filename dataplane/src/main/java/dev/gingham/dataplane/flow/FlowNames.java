package dev.gingham.dataplane.flow;

/**
 * How the reader turns the numbers in a flow record into names, off the packet path: from the
 * endpoint table (address &rarr; pod), the identity allocators (identity &rarr; namespace,
 * labels) and the policy registry (policy id &rarr; namespace/name). The daemon implements it
 * over its live tables; names are resolved when an event is read, so a pod deleted in between
 * reads as unknown ("").
 */
public interface FlowNames {
    /** Returns: "namespace/name" of the pod with this address, or "" when none. */
    String pod(long hi, long lo);

    /** Returns: a readable form of an identity ("reserved:world", "cidr:10.0.0.0/8", the namespace and labels), or "". */
    String identity(int identity);

    /** Returns: the namespace of a pod identity, or "". */
    String namespace(int identity);

    /** Returns: "namespace/name" of a policy id, or "" for 0 or an id no longer known. */
    String policy(int policyId);

    /** Names nothing: events carry numbers only. */
    FlowNames NONE = new FlowNames() {
        @Override
        public String pod(long hi, long lo) {
            return "";
        }

        @Override
        public String identity(int identity) {
            return "";
        }

        @Override
        public String namespace(int identity) {
            return "";
        }

        @Override
        public String policy(int policyId) {
            return "";
        }
    };
}
