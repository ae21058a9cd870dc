package dev.gingham.dataplane.policy;

import dev.gingham.dataplane.k8s.Protocol;
import dev.gingham.packet.DropReason;
import dev.gingham.packet.Verdict;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Conformance-style truth table: (policies, source, destination, protocol/port) &rarr; allowed or
 * dropped with POLICY, on real frames through the egress program of the source pod and the
 * ingress program of the destination pod. Policies are YAML as users write it; the cluster is
 * the Kubernetes e2e model (namespaces x, y, z; pods a, b, c; see {@link PolicyHarness}).
 */
class NetworkPolicyTruthTableTest {
    private static final boolean ALLOW = true;
    private static final boolean DENY = false;

    private static String policy(String namespace, String name, String spec) {
        return PolicyHarness.policy(namespace, name, spec);
    }

    private static final String DENY_INGRESS_X = policy("x", "deny-ingress", """
            podSelector: {}
            policyTypes: [Ingress]
            """);
    private static final String DENY_EGRESS_X = policy("x", "deny-egress", """
            podSelector: {}
            policyTypes: [Egress]
            """);
    private static final String FROM_NAMESPACE_Y = policy("x", "from-y", """
            podSelector: {matchLabels: {pod: a}}
            ingress:
              - from:
                  - namespaceSelector: {matchLabels: {ns: y}}
            """);
    private static final String FROM_POD_B_IN_Y = policy("x", "from-y-b", """
            podSelector: {matchLabels: {pod: a}}
            ingress:
              - from:
                  - namespaceSelector: {matchLabels: {ns: y}}
                    podSelector: {matchLabels: {pod: b}}
            """);
    private static final String OR_TRAP = policy("x", "y-or-b", """
            podSelector: {matchLabels: {pod: a}}
            ingress:
              - from:
                  - namespaceSelector: {matchLabels: {ns: y}}
                  - podSelector: {matchLabels: {pod: b}}
            """);
    private static final String IPBLOCK_EXCEPT = policy("x", "from-block", """
            podSelector: {matchLabels: {pod: a}}
            ingress:
              - from:
                  - ipBlock: {cidr: 192.168.0.0/16, except: [192.168.5.0/24]}
            """);
    private static final String WORLD_EXCEPT = policy("x", "from-world", """
            podSelector: {matchLabels: {pod: a}}
            ingress:
              - from:
                  - ipBlock: {cidr: 0.0.0.0/0, except: [172.16.0.0/12]}
            """);
    private static final String NAMED_PORT = policy("x", "web", """
            podSelector: {}
            ingress:
              - ports: [{port: web}]
            """);
    private static final String END_PORT = policy("x", "range", """
            podSelector: {matchLabels: {pod: a}}
            ingress:
              - ports: [{protocol: TCP, port: 80, endPort: 85}]
            """);
    private static final String EGRESS_TO_CIDR = policy("x", "dns-out", """
            podSelector: {matchLabels: {pod: a}}
            policyTypes: [Egress]
            egress:
              - to: [{ipBlock: {cidr: 8.8.8.0/24}}]
                ports: [{protocol: UDP, port: 53}]
            """);
    private static final String DENY_ALL_Y = policy("y", "deny-all", """
            podSelector: {}
            policyTypes: [Ingress, Egress]
            """);
    private static final String EGRESS_RULES_DEFAULT_TYPES = policy("x", "implicit-egress", """
            podSelector: {matchLabels: {pod: a}}
            egress:
              - to: [{podSelector: {matchLabels: {pod: b}}}]
            """);
    private static final String EMPTY_EGRESS_LIST = policy("x", "no-egress-rules", """
            podSelector: {matchLabels: {pod: a}}
            egress: []
            ingress: [{}]
            """);
    private static final String EMPTY_RULE = policy("x", "allow-all", """
            podSelector: {}
            ingress:
              - {}
            """);
    private static final String NO_PORTS_FROM_Z = policy("x", "from-z-any-port", """
            podSelector: {}
            ingress:
              - from: [{namespaceSelector: {matchLabels: {ns: z}}}]
            """);
    private static final String SCTP_ONLY = policy("x", "sctp", """
            podSelector: {}
            ingress:
              - ports: [{protocol: SCTP, port: 80}]
            """);
    private static final String NOT_IN_Y = policy("x", "not-y", """
            podSelector: {}
            ingress:
              - from:
                  - namespaceSelector:
                      matchExpressions: [{key: ns, operator: NotIn, values: [y]}]
            """);
    private static final String UNION = policy("x", "y-80", """
            podSelector: {matchLabels: {pod: a}}
            ingress:
              - from: [{namespaceSelector: {matchLabels: {ns: y}}}]
                ports: [{port: 80}]
            """) + policy("x", "z-81", """
            podSelector: {matchLabels: {pod: a}}
            ingress:
              - from: [{namespaceSelector: {matchLabels: {ns: z}}}]
                ports: [{port: 81}]
            """);
    private static final String EGRESS_DNS_ONLY = policy("x", "dns-only", """
            podSelector: {}
            policyTypes: [Egress]
            egress:
              - ports: [{protocol: UDP, port: 53}]
            """);
    private static final String EGRESS_NAMED_PORT = policy("x", "egress-web", """
            podSelector: {matchLabels: {pod: a}}
            policyTypes: [Egress]
            egress:
              - to: [{namespaceSelector: {}}]
                ports: [{port: web}]
            """);
    private static final String BOTH_SIDES = policy("x", "a-to-y-b", """
            podSelector: {matchLabels: {pod: a}}
            policyTypes: [Egress]
            egress:
              - to: [{namespaceSelector: {matchLabels: {ns: y}}, podSelector: {matchLabels: {pod: b}}}]
            """) + policy("y", "b-from-x", """
            podSelector: {matchLabels: {pod: b}}
            ingress:
              - from: [{namespaceSelector: {matchLabels: {ns: x}}}]
                ports: [{port: 80}]
            """);

    static Stream<Arguments> cases() {
        List<Arguments> c = new ArrayList<>();
        // name, policies, from, to, protocol, port, expected
        c.add(Arguments.of("no policy: everything allowed", "", "x/a", "x/b", Protocol.TCP, 80, ALLOW));
        c.add(Arguments.of("no policy: UDP too", "", "y/a", "x/b", Protocol.UDP, 81, ALLOW));
        c.add(Arguments.of("default deny ingress: other namespace", DENY_INGRESS_X, "y/a", "x/a", Protocol.TCP, 80, DENY));
        c.add(Arguments.of("default deny ingress: same namespace", DENY_INGRESS_X, "x/b", "x/a", Protocol.TCP, 80, DENY));
        c.add(Arguments.of("default deny ingress: egress still open", DENY_INGRESS_X, "x/a", "y/a", Protocol.TCP, 80, ALLOW));
        c.add(Arguments.of("default deny egress: to other namespace", DENY_EGRESS_X, "x/a", "y/a", Protocol.TCP, 80, DENY));
        c.add(Arguments.of("default deny egress: to the world", DENY_EGRESS_X, "x/a", "1.1.1.1", Protocol.UDP, 53, DENY));
        c.add(Arguments.of("default deny egress: ingress still open", DENY_EGRESS_X, "y/a", "x/a", Protocol.TCP, 80, ALLOW));
        c.add(Arguments.of("from namespace y: y/b allowed", FROM_NAMESPACE_Y, "y/b", "x/a", Protocol.TCP, 80, ALLOW));
        c.add(Arguments.of("from namespace y: z/b denied", FROM_NAMESPACE_Y, "z/b", "x/a", Protocol.TCP, 80, DENY));
        c.add(Arguments.of("from namespace y: own namespace denied", FROM_NAMESPACE_Y, "x/b", "x/a", Protocol.TCP, 80, DENY));
        c.add(Arguments.of("from namespace y: unselected x/b open", FROM_NAMESPACE_Y, "z/b", "x/b", Protocol.TCP, 80, ALLOW));
        c.add(Arguments.of("pod b in y (AND): y/b allowed", FROM_POD_B_IN_Y, "y/b", "x/a", Protocol.TCP, 80, ALLOW));
        c.add(Arguments.of("pod b in y (AND): y/c denied", FROM_POD_B_IN_Y, "y/c", "x/a", Protocol.TCP, 80, DENY));
        c.add(Arguments.of("pod b in y (AND): z/b denied", FROM_POD_B_IN_Y, "z/b", "x/a", Protocol.TCP, 80, DENY));
        c.add(Arguments.of("pod b in y (AND): x/b denied", FROM_POD_B_IN_Y, "x/b", "x/a", Protocol.TCP, 80, DENY));
        c.add(Arguments.of("OR trap: any pod of y", OR_TRAP, "y/c", "x/a", Protocol.TCP, 80, ALLOW));
        c.add(Arguments.of("OR trap: pod b of the policy's namespace", OR_TRAP, "x/b", "x/a", Protocol.TCP, 80, ALLOW));
        c.add(Arguments.of("OR trap: pod b of z is neither", OR_TRAP, "z/b", "x/a", Protocol.TCP, 80, DENY));
        c.add(Arguments.of("ipBlock: inside cidr", IPBLOCK_EXCEPT, "192.168.7.7", "x/a", Protocol.TCP, 80, ALLOW));
        c.add(Arguments.of("ipBlock: inside except", IPBLOCK_EXCEPT, "192.168.5.5", "x/a", Protocol.TCP, 80, DENY));
        c.add(Arguments.of("ipBlock: outside cidr", IPBLOCK_EXCEPT, "10.9.9.9", "x/a", Protocol.TCP, 80, DENY));
        c.add(Arguments.of("ipBlock: never selects pods", IPBLOCK_EXCEPT, "y/a", "x/a", Protocol.TCP, 80, DENY));
        c.add(Arguments.of("ipBlock 0/0: the world", WORLD_EXCEPT, "1.2.3.4", "x/a", Protocol.TCP, 80, ALLOW));
        c.add(Arguments.of("ipBlock 0/0: except", WORLD_EXCEPT, "172.20.1.1", "x/a", Protocol.TCP, 80, DENY));
        c.add(Arguments.of("named port: web is 80 on x/a", NAMED_PORT, "y/a", "x/a", Protocol.TCP, 80, ALLOW));
        c.add(Arguments.of("named port: 8080 is not web on x/a", NAMED_PORT, "y/a", "x/a", Protocol.TCP, 8080, DENY));
        c.add(Arguments.of("named port: web is 8080 on x/c", NAMED_PORT, "y/a", "x/c", Protocol.TCP, 8080, ALLOW));
        c.add(Arguments.of("named port: 80 is not web on x/c", NAMED_PORT, "y/a", "x/c", Protocol.TCP, 80, DENY));
        c.add(Arguments.of("named port: protocol must match", NAMED_PORT, "y/a", "x/a", Protocol.UDP, 80, DENY));
        c.add(Arguments.of("endPort: first", END_PORT, "y/a", "x/a", Protocol.TCP, 80, ALLOW));
        c.add(Arguments.of("endPort: inside", END_PORT, "y/a", "x/a", Protocol.TCP, 84, ALLOW));
        c.add(Arguments.of("endPort: last", END_PORT, "y/a", "x/a", Protocol.TCP, 85, ALLOW));
        c.add(Arguments.of("endPort: past the end", END_PORT, "y/a", "x/a", Protocol.TCP, 86, DENY));
        c.add(Arguments.of("endPort: below", END_PORT, "y/a", "x/a", Protocol.TCP, 79, DENY));
        c.add(Arguments.of("endPort: TCP only", END_PORT, "y/a", "x/a", Protocol.UDP, 82, DENY));
        c.add(Arguments.of("egress to CIDR: allowed", EGRESS_TO_CIDR, "x/a", "8.8.8.8", Protocol.UDP, 53, ALLOW));
        c.add(Arguments.of("egress to CIDR: other address", EGRESS_TO_CIDR, "x/a", "8.8.4.4", Protocol.UDP, 53, DENY));
        c.add(Arguments.of("egress to CIDR: other protocol", EGRESS_TO_CIDR, "x/a", "8.8.8.8", Protocol.TCP, 53, DENY));
        c.add(Arguments.of("egress to CIDR: pods not included", EGRESS_TO_CIDR, "x/a", "y/a", Protocol.UDP, 53, DENY));
        c.add(Arguments.of("other namespace's policy: x unaffected", DENY_ALL_Y, "x/a", "x/b", Protocol.TCP, 80, ALLOW));
        c.add(Arguments.of("other namespace's policy: z to x unaffected", DENY_ALL_Y, "z/a", "x/b", Protocol.TCP, 80, ALLOW));
        c.add(Arguments.of("other namespace's policy: into y denied", DENY_ALL_Y, "x/a", "y/b", Protocol.TCP, 80, DENY));
        c.add(Arguments.of("default policyTypes: egress rules isolate egress", EGRESS_RULES_DEFAULT_TYPES, "x/a", "x/c", Protocol.TCP, 80, DENY));
        c.add(Arguments.of("default policyTypes: egress rule allows", EGRESS_RULES_DEFAULT_TYPES, "x/a", "x/b", Protocol.TCP, 80, ALLOW));
        c.add(Arguments.of("default policyTypes: ingress isolated too", EGRESS_RULES_DEFAULT_TYPES, "x/b", "x/a", Protocol.TCP, 80, DENY));
        c.add(Arguments.of("egress: [] does not isolate egress", EMPTY_EGRESS_LIST, "x/a", "y/c", Protocol.TCP, 80, ALLOW));
        c.add(Arguments.of("ingress: [{}] allows everyone", EMPTY_EGRESS_LIST, "z/c", "x/a", Protocol.UDP, 81, ALLOW));
        c.add(Arguments.of("empty rule: all peers all ports", EMPTY_RULE, "1.2.3.4", "x/b", Protocol.SCTP, 80, ALLOW));
        c.add(Arguments.of("absent ports: any protocol", NO_PORTS_FROM_Z, "z/c", "x/a", Protocol.UDP, 81, ALLOW));
        c.add(Arguments.of("absent ports: SCTP too", NO_PORTS_FROM_Z, "z/c", "x/a", Protocol.SCTP, 80, ALLOW));
        c.add(Arguments.of("absent ports: still only z", NO_PORTS_FROM_Z, "y/c", "x/a", Protocol.TCP, 80, DENY));
        c.add(Arguments.of("SCTP rule: SCTP 80", SCTP_ONLY, "y/a", "x/a", Protocol.SCTP, 80, ALLOW));
        c.add(Arguments.of("SCTP rule: TCP 80", SCTP_ONLY, "y/a", "x/a", Protocol.TCP, 80, DENY));
        c.add(Arguments.of("NotIn: z allowed", NOT_IN_Y, "z/a", "x/a", Protocol.TCP, 80, ALLOW));
        c.add(Arguments.of("NotIn: own namespace allowed", NOT_IN_Y, "x/b", "x/a", Protocol.TCP, 80, ALLOW));
        c.add(Arguments.of("NotIn: y denied", NOT_IN_Y, "y/a", "x/a", Protocol.TCP, 80, DENY));
        c.add(Arguments.of("NotIn: world is no namespace", NOT_IN_Y, "1.2.3.4", "x/a", Protocol.TCP, 80, DENY));
        c.add(Arguments.of("union: y on 80", UNION, "y/a", "x/a", Protocol.TCP, 80, ALLOW));
        c.add(Arguments.of("union: y not on 81", UNION, "y/a", "x/a", Protocol.TCP, 81, DENY));
        c.add(Arguments.of("union: z on 81", UNION, "z/a", "x/a", Protocol.TCP, 81, ALLOW));
        c.add(Arguments.of("union: z not on 80", UNION, "z/a", "x/a", Protocol.TCP, 80, DENY));
        c.add(Arguments.of("egress DNS only: DNS anywhere", EGRESS_DNS_ONLY, "x/a", "9.9.9.9", Protocol.UDP, 53, ALLOW));
        c.add(Arguments.of("egress DNS only: DNS to a pod", EGRESS_DNS_ONLY, "x/a", "z/a", Protocol.UDP, 53, ALLOW));
        c.add(Arguments.of("egress DNS only: HTTP denied", EGRESS_DNS_ONLY, "x/a", "y/a", Protocol.TCP, 80, DENY));
        c.add(Arguments.of("egress named port: web on y/b is 80", EGRESS_NAMED_PORT, "x/a", "y/b", Protocol.TCP, 80, ALLOW));
        c.add(Arguments.of("egress named port: web on z/c is 8080", EGRESS_NAMED_PORT, "x/a", "z/c", Protocol.TCP, 8080, ALLOW));
        c.add(Arguments.of("egress named port: 81 is not web", EGRESS_NAMED_PORT, "x/a", "y/b", Protocol.TCP, 81, DENY));
        c.add(Arguments.of("egress named port: never to the world", EGRESS_NAMED_PORT, "x/a", "1.1.1.1", Protocol.TCP, 80, DENY));
        c.add(Arguments.of("both sides allow", BOTH_SIDES, "x/a", "y/b", Protocol.TCP, 80, ALLOW));
        c.add(Arguments.of("egress allows, ingress port denies", BOTH_SIDES, "x/a", "y/b", Protocol.TCP, 81, DENY));
        c.add(Arguments.of("egress denies, ingress would allow", BOTH_SIDES, "x/a", "y/c", Protocol.TCP, 80, DENY));
        return c.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void shouldGiveTheKubernetesVerdictWhenPoliciesApply(String name, String policies, String from, String to,
                                                         Protocol protocol, int port, boolean allowed) {
        try (PolicyHarness h = new PolicyHarness()) {
            h.policies(policies);
            int verdict = h.send(from, to, protocol, port);
            assertEquals(allowed ? Verdict.CONTINUE : DropReason.POLICY.verdict(), verdict,
                    name + ": " + from + " -> " + to + " " + protocol + "/" + port + " gave " + Verdict.toString(verdict));
        }
    }
}
