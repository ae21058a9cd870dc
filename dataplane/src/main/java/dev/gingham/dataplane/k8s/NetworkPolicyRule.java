package dev.gingham.dataplane.k8s;

import java.util.List;

/**
 * One ingress or egress rule: traffic from/to any of {@code peers} on any of {@code ports}.
 * An empty peer list means every peer (the rule had no {@code from}/{@code to}, or an empty
 * one); an empty port list means every port and protocol. A policy with no rules in a direction
 * it isolates allows nothing in that direction: "no rules" and "one rule with no peers" are the
 * opposite ends of NetworkPolicy.
 *
 * @param peers who the rule allows (OR of the entries; empty = everyone)
 * @param ports where the rule allows (OR of the entries; empty = everything)
 */
public record NetworkPolicyRule(List<NetworkPolicyPeer> peers, List<NetworkPolicyPort> ports) {
    public NetworkPolicyRule {
        peers = List.copyOf(peers);
        ports = List.copyOf(ports);
    }

    /** The rule {@code - {}}: everyone, everywhere. */
    public static NetworkPolicyRule allowAll() {
        return new NetworkPolicyRule(List.of(), List.of());
    }
}
