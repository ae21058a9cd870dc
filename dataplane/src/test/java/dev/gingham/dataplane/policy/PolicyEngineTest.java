package dev.gingham.dataplane.policy;

import dev.gingham.dataplane.identity.CidrIdentityAllocator;
import dev.gingham.dataplane.identity.IdentityAllocator;
import dev.gingham.dataplane.identity.LpmPrefixSink;
import dev.gingham.dataplane.k8s.Namespace;
import dev.gingham.dataplane.k8s.NetworkPolicyYaml;
import dev.gingham.dataplane.k8s.Pod;
import dev.gingham.nat.IpAddress;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Engine changes are all or nothing: a change that does not fit leaves policy, identities and ipcache as they were. */
class PolicyEngineTest {

    @Test
    void shouldKeepPolicyIdentitiesAndIpcacheWhenAChangeDoesNotFit() {
        try (PolicyMaps maps = PolicyMaps.create(4, 8, 16); LpmPrefixSink ipcache = new LpmPrefixSink(64)) {
            IdentityAllocator identities = new IdentityAllocator();
            PolicyEngine engine = new PolicyEngine(identities, new CidrIdentityAllocator(ipcache), new PolicyPublisher(maps));
            engine.upsertNamespace(Namespace.of("shop", Map.of()));
            for (int p = 0; p < 12; p++) {
                engine.upsertPod(new Pod("shop", "p" + p, Map.of("app", "a" + p), IpAddress.parse("10.0.0." + (p + 1)), List.of()), p < 2 ? p : -1);
            }
            engine.replacePolicies(NetworkPolicyYaml.parse(PolicyHarness.policy("shop", "from-a1", """
                    podSelector: {matchLabels: {app: a0}}
                    ingress: [{from: [{podSelector: {matchLabels: {app: a1}}}]}]
                    """), "ok.yaml"));
            PolicyLookup lookup = new PolicyLookup(maps);
            int a1 = engine.identityOf("shop/p1");
            int a5 = engine.identityOf("shop/p5");
            assertEquals(PolicyLookup.ALLOWED, lookup.check(0, Direction.INGRESS, a1, 6, 80, false));
            assertEquals(PolicyLookup.DENIED, lookup.check(0, Direction.INGRESS, a5, 6, 80, false));

            // Allowing every pod of the namespace plus two CIDRs needs more rows than the map holds.
            String tooBig = PolicyHarness.policy("shop", "from-all", """
                    podSelector: {}
                    ingress: [{from: [{podSelector: {}}, {ipBlock: {cidr: 192.168.0.0/16, except: [192.168.1.0/24]}}]}]
                    """);
            assertThrows(PolicyCapacityException.class, () -> engine.replacePolicies(NetworkPolicyYaml.parse(tooBig, "big.yaml")));
            assertEquals(PolicyLookup.ALLOWED, lookup.check(0, Direction.INGRESS, a1, 6, 80, false), "old policy in force");
            assertEquals(PolicyLookup.DENIED, lookup.check(0, Direction.INGRESS, a5, 6, 80, false));
            assertEquals(PolicyLookup.NOT_ENFORCED, lookup.check(1, Direction.INGRESS, a5, 6, 80, false), "p1 still unselected");
            assertEquals(0, ipcache.count(), "the CIDR identities the failed change took are gone from the ipcache");
            assertEquals(1, identities.references(a1), "identities hold exactly the old state's references");
            assertEquals("shop/from-a1", engine.policyName(engine.policyId("shop", "from-a1")));
            assertEquals(0, engine.policyId("shop", "from-all"));
        }
    }

    @Test
    void shouldPublishEverythingInOneChangeWhenReplacingAllAndKeepItWhenTheReplacementIsBad() {
        try (PolicyMaps maps = PolicyMaps.create(4, 64, 16); LpmPrefixSink ipcache = new LpmPrefixSink(64)) {
            PolicyEngine engine = new PolicyEngine(new IdentityAllocator(), new CidrIdentityAllocator(ipcache), new PolicyPublisher(maps));
            Pod db = new Pod("shop", "db", Map.of("app", "db"), IpAddress.parse("10.0.0.1"), List.of());
            Pod web = new Pod("shop", "web", Map.of("app", "web"), IpAddress.parse("10.0.0.2"), List.of());
            Pod other = new Pod("shop", "other", Map.of("app", "other"), IpAddress.parse("10.0.0.3"), List.of());
            engine.replaceAll(List.of(Namespace.of("shop", Map.of())), List.of(db, web, other), Map.of("shop/db", 2),
                    NetworkPolicyYaml.parse(PolicyHarness.policy("shop", "db-from-web", """
                            podSelector: {matchLabels: {app: db}}
                            ingress: [{from: [{podSelector: {matchLabels: {app: web}}}]}]
                            """), "p.yaml"));
            PolicyLookup lookup = new PolicyLookup(maps);
            int webId = engine.identityOf("shop/web");
            int otherId = engine.identityOf("shop/other");
            assertEquals(PolicyLookup.ALLOWED, lookup.check(2, Direction.INGRESS, webId, 6, 5432, false));
            assertEquals(PolicyLookup.DENIED, lookup.check(2, Direction.INGRESS, otherId, 6, 5432, false));

            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> engine.replaceAll(List.of(),
                    List.of(db, web), Map.of("shop/db", 1, "shop/web", 1), List.of()));
            assertTrue(e.getMessage().equals("endpoint slot 1 is given to both shop/db and shop/web")
                    || e.getMessage().equals("endpoint slot 1 is given to both shop/web and shop/db"), e.getMessage());
            assertEquals(PolicyLookup.DENIED, lookup.check(2, Direction.INGRESS, otherId, 6, 5432, false), "old state in force");
            assertEquals(otherId, engine.identityOf("shop/other"));

            engine.replaceAll(List.of(Namespace.of("shop", Map.of())), List.of(db, web), Map.of("shop/db", 1), List.of());
            assertEquals(PolicyLookup.NOT_ENFORCED, lookup.check(1, Direction.INGRESS, webId, 6, 5432, false), "no policy any more");
            assertEquals(0, engine.identityOf("shop/other"), "the removed pod lost its identity");
        }
    }
}
