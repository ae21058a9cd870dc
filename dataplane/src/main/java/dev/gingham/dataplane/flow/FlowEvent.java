package dev.gingham.dataplane.flow;

/**
 * A decoded flow event, with names, for the {@code monitor} command and the API. Built by
 * {@link FlowReader} from a {@link FlowRecord}; allocation is fine here, off the packet path.
 *
 * @param timeNs      when the worker saw the packet (its clock)
 * @param node        the node that saw it
 * @param type        "policy-verdict" or "drop"
 * @param verdict     "FORWARDED", "DROPPED" or "AUDIT"
 * @param dropCode    the drop reason code (0 when forwarded)
 * @param dropReason  the drop reason's name ("POLICY"), "" when forwarded
 * @param direction   "ingress", "egress" or "unknown"
 * @param protocol    IP protocol number
 * @param source      the source endpoint
 * @param destination the destination endpoint
 * @param policy      "namespace/name" of the policy behind a verdict, or ""
 * @param ctStatus    conntrack status (0 NEW, 1 ESTABLISHED, 2 REPLY, 3 RELATED), -1 when not looked up
 */
public record FlowEvent(long timeNs, String node, String type, String verdict, int dropCode, String dropReason,
                        String direction, int protocol, Peer source, Peer destination, String policy, int ctStatus) {

    /**
     * One side of the flow.
     *
     * @param address   text form of the address
     * @param port      L4 port (ICMP echo id)
     * @param identity  numeric security identity
     * @param identityName readable identity ("reserved:world", namespace and labels, a CIDR)
     * @param namespace the pod's namespace, or ""
     * @param pod       the pod's name, or ""
     */
    public record Peer(String address, int port, int identity, String identityName, String namespace, String pod) {
    }
}
