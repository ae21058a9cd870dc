package dev.gingham.dataplane.k8s;

import dev.gingham.packet.Cidr;

import java.util.List;
import java.util.Optional;

/**
 * One entry of a rule's {@code from} or {@code to}: pods (by pod and namespace selector) or an
 * IP block. The API forbids combining ipBlock with selectors in one peer, so the two shapes are
 * two records.
 */
public sealed interface NetworkPolicyPeer {
    /**
     * Pods selected by labels. Both selectors present means pods matching {@code podSelector} in
     * namespaces matching {@code namespaceSelector} (AND, the classic trap: two list entries, one
     * with each selector, mean OR). Without a namespace selector only the policy's own namespace
     * counts; a namespace selector alone selects every pod of the matching namespaces.
     *
     * @param podSelector       pods to select ({@link LabelSelector#ALL} when the peer gave only a
     *                          namespace selector)
     * @param namespaceSelector namespaces to look in; empty means the policy's own namespace
     */
    record Pods(LabelSelector podSelector, Optional<LabelSelector> namespaceSelector) implements NetworkPolicyPeer {
        public Pods {
            if (podSelector == null || namespaceSelector == null) {
                throw new IllegalArgumentException("selectors must not be null (use ALL / Optional.empty())");
            }
        }
    }

    /**
     * Addresses in {@code cidr} but in none of {@code except}. Matched through CIDR identities:
     * pod addresses resolve to their pods' identities, so an IP block never selects pods (as in
     * Cilium; Kubernetes leaves that to the implementation).
     *
     * @param cidr   the block, host bits cleared
     * @param except sub-blocks of {@code cidr} to leave out
     */
    record IpBlock(Cidr cidr, List<Cidr> except) implements NetworkPolicyPeer {
        public IpBlock {
            except = List.copyOf(except);
        }
    }
}
