package dev.gingham.dataplane.k8s;

import dev.gingham.packet.Cidr;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NetworkPolicyYamlTest {

    /** The Kubernetes documentation's "test-network-policy" shape, as users write it. */
    private static final String DOCS_EXAMPLE = """
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata:
              name: test-network-policy
              namespace: default
              labels:
                owner: platform
            spec:
              podSelector:
                matchLabels:
                  role: db
              policyTypes:
                - Ingress
                - Egress
              ingress:
                - from:
                    - ipBlock:
                        cidr: 172.17.0.0/16
                        except:
                          - 172.17.1.0/24
                    - namespaceSelector:
                        matchLabels:
                          project: myproject
                    - podSelector:
                        matchLabels:
                          role: frontend
                  ports:
                    - protocol: TCP
                      port: 6379
              egress:
                - to:
                    - ipBlock:
                        cidr: 10.0.0.0/24
                  ports:
                    - protocol: TCP
                      port: 32000
                      endPort: 32768
            """;

    @Test
    void shouldMapEveryFieldWhenReadingTheDocsExample() {
        List<NetworkPolicy> policies = NetworkPolicyYaml.parse(DOCS_EXAMPLE, "example.yaml");
        assertEquals(1, policies.size());
        NetworkPolicy p = policies.get(0);
        assertEquals("default", p.namespace());
        assertEquals("test-network-policy", p.name());
        assertEquals(LabelSelector.of(Map.of("role", "db")), p.podSelector());
        assertEquals(Set.of(PolicyType.INGRESS, PolicyType.EGRESS), p.policyTypes());
        NetworkPolicyRule in = p.ingress().get(0);
        assertEquals(new NetworkPolicyPeer.IpBlock(Cidr.parse("172.17.0.0/16"), List.of(Cidr.parse("172.17.1.0/24"))), in.peers().get(0));
        assertEquals(new NetworkPolicyPeer.Pods(LabelSelector.ALL, Optional.of(LabelSelector.of(Map.of("project", "myproject")))), in.peers().get(1));
        assertEquals(new NetworkPolicyPeer.Pods(LabelSelector.of(Map.of("role", "frontend")), Optional.empty()), in.peers().get(2));
        assertEquals(List.of(NetworkPolicyPort.number(Protocol.TCP, 6379)), in.ports());
        assertEquals(List.of(NetworkPolicyPort.range(Protocol.TCP, 32000, 32768)), p.egress().get(0).ports());
    }

    @Test
    void shouldKeepBothSelectorsInOnePeerWhenTheyShareAListEntry() {
        String yaml = """
                apiVersion: networking.k8s.io/v1
                kind: NetworkPolicy
                metadata: {name: and-peer, namespace: shop}
                spec:
                  podSelector: {}
                  ingress:
                    - from:
                        - namespaceSelector:
                            matchLabels: {team: a}
                          podSelector:
                            matchExpressions:
                              - {key: tier, operator: In, values: [web, api]}
                              - {key: canary, operator: DoesNotExist}
                """;
        NetworkPolicy p = NetworkPolicyYaml.parse(yaml, "and.yaml").get(0);
        NetworkPolicyPeer.Pods peer = (NetworkPolicyPeer.Pods) p.ingress().get(0).peers().get(0);
        assertEquals(Optional.of(LabelSelector.of(Map.of("team", "a"))), peer.namespaceSelector());
        assertEquals(List.of(
                new LabelSelectorRequirement("tier", LabelSelectorRequirement.Operator.IN, List.of("web", "api")),
                new LabelSelectorRequirement("canary", LabelSelectorRequirement.Operator.DOES_NOT_EXIST, List.of())),
                peer.podSelector().matchExpressions());
        assertEquals(1, p.ingress().get(0).peers().size());
    }

    @Test
    void shouldApplyTheApiDefaultsWhenPolicyTypesAndNamespaceAreLeftOut() {
        String yaml = """
                apiVersion: networking.k8s.io/v1
                kind: NetworkPolicy
                metadata:
                  name: defaults
                spec:
                  podSelector: {}
                  egress:
                    - {}
                ---
                apiVersion: networking.k8s.io/v1
                kind: NetworkPolicy
                metadata:
                  name: deny-ingress
                spec:
                  podSelector: {}
                  egress: []
                  ingress:
                    - ports:
                        - port: http
                        - protocol: UDP
                ---
                """;
        List<NetworkPolicy> policies = NetworkPolicyYaml.parse(yaml, "defaults.yaml");
        assertEquals(2, policies.size());
        assertEquals("default", policies.get(0).namespace());
        assertEquals(Set.of(PolicyType.INGRESS, PolicyType.EGRESS), policies.get(0).policyTypes());
        assertEquals(List.of(NetworkPolicyRule.allowAll()), policies.get(0).egress());
        assertEquals(Set.of(PolicyType.INGRESS), policies.get(1).policyTypes(), "egress: [] has no rules, so no Egress by default");
        assertEquals(List.of(NetworkPolicyPort.named(Protocol.TCP, "http"), NetworkPolicyPort.all(Protocol.UDP)),
                policies.get(1).ingress().get(0).ports());
        assertTrue(policies.get(1).ingress().get(0).peers().isEmpty());
    }

    @Test
    void shouldClearHostBitsWhenACidrHasThem() {
        String yaml = """
                apiVersion: networking.k8s.io/v1
                kind: NetworkPolicy
                metadata: {name: hostbits}
                spec:
                  podSelector: {}
                  ingress:
                    - from:
                        - ipBlock: {cidr: 10.1.2.3/8}
                """;
        NetworkPolicyPeer.IpBlock block = (NetworkPolicyPeer.IpBlock) NetworkPolicyYaml.parse(yaml, "x").get(0).ingress().get(0).peers().get(0);
        assertEquals("10.0.0.0/8", block.cidr().toString());
    }

    private static final String HEADER = """
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: {name: bad, namespace: shop}
            """;

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "spec: {podSelector: {}, ingres: []}|spec.ingres|unknown field",
            "spec: {ingress: [{from: [{ipBlock: {cidr: 10.0.0.0/33}}]}]}|spec.ingress[0].from[0].ipBlock.cidr|prefix length 33",
            "spec: {ingress: [{from: [{ipBlock: {cidr: 10.0.0.0/8, except: [11.0.0.0/16]}}]}]}|spec.ingress[0].from[0].ipBlock.except[0]|not inside cidr",
            "spec: {ingress: [{from: [{ipBlock: {cidr: 10.0.0.0/8}, podSelector: {}}]}]}|spec.ingress[0].from[0]|cannot be combined",
            "spec: {ingress: [{from: [{}]}]}|spec.ingress[0].from[0]|must set podSelector",
            "spec: {ingress: [{ports: [{port: 80, endPort: 79}]}]}|spec.ingress[0].ports[0].endPort|79 is below port 80",
            "spec: {ingress: [{ports: [{port: http, endPort: 90}]}]}|spec.ingress[0].ports[0].endPort|named port",
            "spec: {ingress: [{ports: [{port: 70000}]}]}|spec.ingress[0].ports[0].port|70000 is not a port",
            "spec: {ingress: [{ports: [{protocol: tcp, port: 80}]}]}|spec.ingress[0].ports[0].protocol|'tcp' is not TCP",
            "spec: {ingress: [{ports: [{port: Http_Port}]}]}|spec.ingress[0].ports[0].port|not a valid port name",
            "spec: {egress: [{from: []}]}|spec.egress[0].from|unknown field",
            "spec: {policyTypes: [Ingress, Egres]}|spec.policyTypes[1]|'Egres' is not Ingress or Egress",
            "spec: {podSelector: {matchLabels: {app: 1}}}|spec.podSelector.matchLabels[app]|quote it",
            "spec: {podSelector: {matchExpressions: [{key: a, operator: In}]}}|spec.podSelector.matchExpressions[0].values|must not be empty",
            "spec: {podSelector: {matchExpressions: [{key: a, operator: Exists, values: [x]}]}}|spec.podSelector.matchExpressions[0].values|must be empty",
            "spec: {podSelector: {matchExpressions: [{key: a, operator: Contains, values: [x]}]}}|spec.podSelector.matchExpressions[0].operator|not In, NotIn",
            "spec: {ingress: {from: []}}|spec.ingress|must be a list",
    })
    void shouldNameTheFieldWhenAPolicyIsInvalid(String body, String field, String reason) {
        PolicyParseException e = assertThrows(PolicyParseException.class, () -> NetworkPolicyYaml.parse(HEADER + body, "bad.yaml"));
        assertEquals(field, e.fieldPath(), e.getMessage());
        assertTrue(e.getMessage().contains(reason), e.getMessage());
        assertTrue(e.getMessage().startsWith("bad.yaml: document 1 (NetworkPolicy shop/bad): " + field + ": "), e.getMessage());
    }

    @Test
    void shouldRejectTheWholeFileWhenOneDocumentIsBad() {
        String yaml = DOCS_EXAMPLE + "---\n" + HEADER + "spec: {policyTypes: []}\n";
        PolicyParseException e = assertThrows(PolicyParseException.class, () -> NetworkPolicyYaml.parse(yaml, "two.yaml"));
        assertTrue(e.getMessage().startsWith("two.yaml: document 2 "), e.getMessage());
        assertEquals("spec.policyTypes", e.fieldPath());
    }

    @Test
    void shouldRejectOtherKindsAndVersionsWhenTheyAreNotNetworkPolicyV1() {
        PolicyParseException kind = assertThrows(PolicyParseException.class, () -> NetworkPolicyYaml.parse(
                "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\n", "pod.yaml"));
        assertEquals("kind", kind.fieldPath());
        PolicyParseException version = assertThrows(PolicyParseException.class, () -> NetworkPolicyYaml.parse(
                "apiVersion: extensions/v1beta1\nkind: NetworkPolicy\nmetadata: {name: p}\n", "old.yaml"));
        assertEquals("apiVersion", version.fieldPath());
        PolicyParseException name = assertThrows(PolicyParseException.class, () -> NetworkPolicyYaml.parse(
                "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {namespace: x}\n", "noname.yaml"));
        assertEquals("metadata.name", name.fieldPath());
    }

    @Test
    void shouldReportTheLineWhenTheYamlItselfIsBroken() {
        PolicyParseException e = assertThrows(PolicyParseException.class, () -> NetworkPolicyYaml.parse(
                "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p\n", "broken.yaml"));
        assertTrue(e.getMessage().startsWith("broken.yaml: document 1: not valid YAML"), e.getMessage());
        assertTrue(e.getMessage().contains("line "), e.getMessage());
    }

    @Test
    void shouldRejectDuplicateKeysWhenAMappingRepeatsOne() {
        PolicyParseException e = assertThrows(PolicyParseException.class, () -> NetworkPolicyYaml.parse(
                HEADER + "spec:\n  podSelector: {}\n  podSelector: {matchLabels: {a: b}}\n", "dup.yaml"));
        assertTrue(e.getMessage().contains("podSelector"), e.getMessage());
    }
}
