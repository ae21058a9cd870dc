package dev.gingham.dataplane.cluster;

import dev.gingham.dataplane.config.NodeConfig;
import dev.gingham.dataplane.identity.CidrIdentityAllocator;
import dev.gingham.dataplane.identity.IdentityAllocator;
import dev.gingham.dataplane.identity.LpmPrefixSink;
import dev.gingham.dataplane.k8s.ManifestException;
import dev.gingham.dataplane.policy.Direction;
import dev.gingham.dataplane.policy.PolicyEngine;
import dev.gingham.dataplane.policy.PolicyLookup;
import dev.gingham.dataplane.policy.PolicyMaps;
import dev.gingham.dataplane.policy.PolicyPublisher;
import dev.gingham.encap.IpCache;
import dev.gingham.encap.NodeRoutes;
import dev.gingham.encap.TunnelPeers;
import dev.gingham.maps.MapErrors;
import dev.gingham.nat.IpAddress;
import dev.gingham.nat.lb.L4Protocol;
import dev.gingham.nat.lb.LbMaps;
import dev.gingham.nat.lb.Scope;
import dev.gingham.nat.lb.ServiceLookup;
import dev.gingham.nat.lb.ServiceTable;
import dev.gingham.nat.snat.EgressGateway;
import dev.gingham.nat.snat.SnatTable;
import dev.gingham.packet.Cidr;
import dev.gingham.packet.header.Addresses;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The applier over real maps: every assertion is a lookup the data path would make. */
class ClusterApplierTest {
    private static final int TCP = L4Protocol.TCP_NUMBER;

    private NodeConfig config = node(12);
    private LbMaps lbMaps;
    private ServiceTable services;
    private ServiceLookup serviceLookup;
    private IpCache ipCache;
    private NodeRoutes nodeRoutes;
    private TunnelPeers peers;
    private EgressGateway egress;
    private SnatTable snat;
    private PolicyMaps policyMaps;
    private LpmPrefixSink cidrSink;
    private PolicyEngine policy;
    private PolicyLookup policyLookup;
    private final InMemoryPodListener listener = new InMemoryPodListener();
    private ClusterApplier applier;

    /** node-a with a next hop for node-c and room for {@code backends} service backends. */
    private static NodeConfig node(int backends) {
        NodeConfig base = ShopCluster.config();
        NodeConfig.Services s = base.services();
        return base.toBuilder()
                .underlay(new NodeConfig.Underlay("eth0", null, 0, Addresses.parseMac("52:54:00:00:00:0c"), 1500))
                .services(new NodeConfig.Services(s.nodePortMin(), s.nodePortMax(), s.defaultAlgorithm(), 251, s.noBackendAction(),
                        s.hairpinAddress(), 16, 64, backends, 16, 8, 1024))
                .build();
    }

    private void wire(NodeConfig nodeConfig, int ipcacheCapacity) {
        config = nodeConfig;
        lbMaps = LbMaps.create(config.lbConfig(), 1L);
        services = new ServiceTable(lbMaps);
        serviceLookup = new ServiceLookup(lbMaps, 0);
        ipCache = IpCache.create(ipcacheCapacity);
        peers = TunnelPeers.create(16);
        nodeRoutes = new NodeRoutes(ipCache, peers);
        egress = EgressGateway.create(64, 64);
        snat = SnatTable.create(config.snatConfig(), 1L);
        policyMaps = PolicyMaps.create(config.maps().endpoints(), 4096, 64);
        cidrSink = new LpmPrefixSink(64);
        policy = new PolicyEngine(new IdentityAllocator(), new CidrIdentityAllocator(cidrSink), new PolicyPublisher(policyMaps));
        policyLookup = new PolicyLookup(policyMaps);
        applier = new ClusterApplier(config, new ClusterApplier.Targets(services, nodeRoutes, ipCache, egress, snat, policy), listener);
    }

    @AfterEach
    void close() {
        if (lbMaps != null) {
            lbMaps.close();
            ipCache.close();
            peers.close();
            egress.close();
            snat.close();
            policyMaps.close();
            cidrSink.close();
        }
    }

    // ---- lookups --------------------------------------------------------------------------------------

    /** Returns: "address:port" of every backend new flows to the frontend may get (empty when there is no frontend). */
    private Set<String> backends(String address, int port) {
        IpAddress a = IpAddress.parse(address);
        long frontend = serviceLookup.frontend(a.hi(), a.lo(), port, TCP, Scope.EXTERNAL);
        Set<String> found = new TreeSet<>();
        if (frontend == MapErrors.MISSING) {
            return found;
        }
        int[] ids = new int[64];
        int n = serviceLookup.backends(frontend, ids);
        for (int i = 0; i < n; i++) {
            long b = serviceLookup.backend(ids[i]);
            found.add(new IpAddress(serviceLookup.backendAddrHi(b), serviceLookup.backendAddrLo(b)) + ":" + serviceLookup.backendPort(b));
        }
        return found;
    }

    private boolean hasFrontend(String address, int port) {
        IpAddress a = IpAddress.parse(address);
        return serviceLookup.frontend(a.hi(), a.lo(), port, TCP, Scope.EXTERNAL) != MapErrors.MISSING;
    }

    /** Returns: "identity tunnel nodeId flags" of an exact ipcache prefix, or "missing". */
    private String ipcache(String prefix) {
        long slot = ipCache.lookupExact(Cidr.parse(prefix));
        if (slot == IpCache.MISSING) {
            return "missing";
        }
        int tunnel = ipCache.tunnelEndpoint(slot);
        return ipCache.identity(slot) + " " + (tunnel == 0 ? "-" : Addresses.formatIpv4(tunnel)) + " " + ipCache.nodeId(slot) + " "
                + ipCache.flags(slot);
    }

    private int egressIp(String src, String dst) {
        return egress.egressIp4(Addresses.parseIpv4(src), Addresses.parseIpv4(dst));
    }

    private int dbAllows(String fromPod) {
        int slot = applier.localPods().get("shop/db-1").slot();
        return policyLookup.check(slot, Direction.INGRESS, policy.identityOf(fromPod), TCP, 5432, false);
    }

    /** Returns: a Service "shop/api" at {@code clusterIp}:80 and its EndpointSlice of ready endpoints on port 8080. */
    private static String api(String clusterIp, String... endpoints) {
        return """
                apiVersion: v1
                kind: Service
                metadata: {name: api, namespace: shop}
                spec: {clusterIP: %s, ports: [{port: 80}]}
                ---
                apiVersion: discovery.k8s.io/v1
                kind: EndpointSlice
                metadata: {name: api-1, namespace: shop, labels: {kubernetes.io/service-name: api}}
                addressType: IPv4
                ports: [{port: 8080}]
                endpoints: [%s]
                """.formatted(clusterIp, String.join(", ", java.util.Arrays.stream(endpoints).map(e -> "{addresses: [" + e + "]}").toList()));
    }

    // ---- tests ------------------------------------------------------------------------------------------

    @Test
    void shouldWriteEveryMapWhenTheFirstSetIsApplied() {
        wire(config, 1024);
        ApplyReport report = applier.apply(ShopCluster.set());

        assertEquals(Set.of("10.244.1.10:8080", "10.244.2.10:8080"), backends("10.96.0.50", 80), "ClusterIP: ready endpoints");
        assertEquals(Set.of("10.244.1.10:9100", "10.244.2.10:9100"), backends("10.96.0.50", 9100));
        assertEquals(Set.of("10.244.1.10:8080", "10.244.2.10:8080"), backends("192.168.50.10", 30080), "NodePort on the node address");
        assertEquals(Set.of("10.244.1.10:8080", "10.244.2.10:8080"), backends("203.0.113.7", 80), "externalIP");
        assertTrue(hasFrontend("10.96.0.10", 53), "kube-dns over TCP");

        assertEquals("0 192.168.50.11 1 1", ipcache("10.244.2.0/24"), "node-b's pod CIDR through its tunnel");
        assertEquals("0 192.168.50.12 2 1", ipcache("10.244.3.0/24"), "node-c (flannel) at its public-ip");
        assertEquals(policy.identityOf("shop/web-3") + " 192.168.50.11 1 1", ipcache("10.244.2.10/32"), "a remote pod: identity and tunnel");
        assertEquals(policy.identityOf("shop/web-1") + " - 0 0", ipcache("10.244.1.10/32"), "a local pod: identity only");
        assertTrue(peers.isPeer(Addresses.parseIpv4("192.168.50.12")));

        assertEquals(Addresses.parseIpv4("192.168.50.100"), egressIp("10.244.1.10", "198.51.100.5"));
        assertEquals(EgressGateway.NONE, egressIp("10.244.1.10", "198.51.100.130"), "excluded CIDR");
        assertEquals(EgressGateway.NONE, egressIp("10.244.1.20", "198.51.100.5"), "db is not selected");

        assertEquals(PolicyLookup.ALLOWED, dbAllows("shop/web-1"));
        assertEquals(PolicyLookup.ALLOWED, dbAllows("shop/web-3"), "a remote web pod has the same identity");
        assertEquals(PolicyLookup.DENIED, policyLookup.check(applier.localPods().get("shop/db-1").slot(), Direction.INGRESS,
                policy.identityOf("shop/db-1"), TCP, 5432, false));

        assertEquals(List.of("added shop/web-1", "added shop/web-2", "added shop/db-1"), listener.takeCalls());
        LocalPod web1 = listener.pods().get("shop/web-1");
        assertEquals(0, web1.slot());
        assertEquals(Addresses.parseMac("0a:58:0a:f4:01:0a"), web1.mac(), "derived from 10.244.1.10");
        assertEquals("shop-web-1", web1.pod().netns());
        assertEquals(policy.identityOf("shop/web-1"), web1.identity());
        assertEquals(Addresses.parseMac("0a:58:0a:f4:01:0b"), listener.pods().get("shop/web-2").mac(), "from the annotation");
        assertEquals("services +2 -0, nodes +2 -0, pods +3 ~0 -0", report.summary());
        assertEquals(2, report.warnings().size(), report.warnings().toString());
    }

    @Test
    void shouldChangeNothingWhenTheSameSetIsAppliedAgain() {
        wire(config, 1024);
        applier.apply(ShopCluster.set());
        listener.takeCalls();
        ApplyReport again = applier.apply(ShopCluster.set());
        assertFalse(again.changedAnything(), again.summary());
        assertEquals(List.of(), listener.takeCalls());
    }

    @Test
    void shouldLeaveEveryMapAsItWasWhenTheNextSetContradictsTheNodeConfiguration() {
        wire(config, 1024);
        applier.apply(ShopCluster.set());
        listener.takeCalls();
        // One reload changing everything at once, with one bad service among the changes.
        Map<String, String> files = ShopCluster.with("policy.yaml", null);
        files.put("nodes.yaml", ShopCluster.files().get("nodes.yaml").split("\n---\n# Another")[0]);
        files.put("pods.yaml", ShopCluster.files().get("pods.yaml").replace("app: web, tier: front}\n      annotations:\n        gingham.dev/netns",
                "app: api}\n      annotations:\n        gingham.dev/netns"));
        files.put("egress.yaml", ShopCluster.files().get("egress.yaml").replace("egressIP: 192.168.50.100", "egressIP: 192.168.50.101"));
        files.put("zz.yaml", """
                apiVersion: v1
                kind: Service
                metadata: {name: outside, namespace: shop}
                spec: {clusterIP: 10.200.0.1, ports: [{port: 80}]}
                """);
        ManifestSet bad = ManifestSet.of("shop", files);
        ManifestException e = assertThrows(ManifestException.class, () -> applier.apply(bad));
        assertEquals("zz.yaml: document 1 (line 1): Service shop/outside: spec.clusterIP: 10.200.0.1 is not inside the node's "
                + "serviceCIDRs [10.96.0.0/12]", e.getMessage());

        assertEquals(Set.of("10.244.1.10:8080", "10.244.2.10:8080"), backends("10.96.0.50", 80));
        assertEquals("0 192.168.50.11 1 1", ipcache("10.244.2.0/24"), "node-b still routed");
        assertEquals(Addresses.parseIpv4("192.168.50.100"), egressIp("10.244.1.10", "198.51.100.5"), "old egress IP");
        assertEquals(PolicyLookup.ALLOWED, dbAllows("shop/web-1"), "old policy, old labels");
        assertEquals(List.of(), listener.takeCalls());
        assertEquals(ShopCluster.set().fingerprint(), applier.current().fingerprint());

        // The same reload without the bad service goes through.
        files.remove("zz.yaml");
        applier.apply(ManifestSet.of("shop", files));
        assertEquals("missing", ipcache("10.244.2.0/24"));
        assertEquals(Addresses.parseIpv4("192.168.50.101"), egressIp("10.244.1.11", "198.51.100.5"));
        assertEquals(PolicyLookup.NOT_ENFORCED, dbAllows("shop/web-1"), "no policy selects db any more");
        assertEquals(List.of("changed shop/web-1"), listener.takeCalls(), "relabelled: new identity");
    }

    @Test
    void shouldLeaveEveryMapAsItWasWhenTheServicesDoNotFit() {
        wire(node(12), 1024);
        applier.apply(ShopCluster.set());
        listener.takeCalls();
        Map<String, String> files = ShopCluster.with("policy.yaml", null);
        files.put("api.yaml", api("10.96.0.60", "10.244.1.60", "10.244.1.61", "10.244.1.62"));
        ManifestException e = assertThrows(ManifestException.class, () -> applier.apply(ManifestSet.of("shop", files)));
        assertEquals("shop: the batch of 1 services: lb-backends full: needs 3 more, 2 free; nothing changed (raise the services "
                + "capacities in the node configuration)", e.getMessage());
        assertFalse(hasFrontend("10.96.0.60", 80));
        assertEquals(PolicyLookup.ALLOWED, dbAllows("shop/web-3"), "the policy the reload removes is still in force");
        assertEquals(List.of(), listener.takeCalls());
    }

    @Test
    void shouldRestoreThePreviousStateWhenAWriteFailsAfterTheChecks() {
        // The configuration promises more ipcache entries than the map was created with: the
        // check passes, the ipcache write fails, and everything written before it is undone.
        wire(node(32), 7);
        applier.apply(ShopCluster.set());
        listener.takeCalls();
        int web1 = policy.identityOf("shop/web-1");
        Map<String, String> files = ShopCluster.with("extra.yaml", """
                apiVersion: v1
                kind: Pod
                metadata: {name: new-1, namespace: shop, labels: {app: new}}
                spec: {nodeName: node-a}
                status: {podIP: 10.244.1.31}
                ---
                apiVersion: v1
                kind: Pod
                metadata: {name: new-2, namespace: shop, labels: {app: new}}
                spec: {nodeName: node-a}
                status: {podIP: 10.244.1.32}
                ---
                apiVersion: v1
                kind: Service
                metadata: {name: api, namespace: shop}
                spec: {clusterIP: 10.96.0.60, ports: [{port: 80}]}
                """);
        files.put("egress.yaml", ShopCluster.files().get("egress.yaml").replace("egressIP: 192.168.50.100", "egressIP: 192.168.50.101"));
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> applier.apply(ManifestSet.of("shop", files)));
        assertEquals("manifests shop: applying failed after the checks: ipcache entry 10.244.1.32/32: E2BIG (map full) (raise "
                + "maps.ipcacheEntries); the previous state was restored", e.getMessage());
        assertFalse(hasFrontend("10.96.0.60", 80), "the new service was deleted again");
        assertEquals(Set.of("10.244.1.10:8080", "10.244.2.10:8080"), backends("10.96.0.50", 80));
        assertEquals(0, policy.identityOf("shop/new-1"), "the policy engine has the old pods");
        assertEquals(web1, policy.identityOf("shop/web-1"));
        assertEquals(PolicyLookup.ALLOWED, dbAllows("shop/web-1"));
        assertEquals(Addresses.parseIpv4("192.168.50.100"), egressIp("10.244.1.10", "198.51.100.5"), "the old egress IP again");
        assertEquals("missing", ipcache("10.244.1.31/32"), "the entry written before the failure was removed");
        assertEquals(web1 + " - 0 0", ipcache("10.244.1.10/32"));
        assertEquals(List.of(), listener.takeCalls());
        assertEquals(ShopCluster.set().fingerprint(), applier.current().fingerprint());
    }

    @Test
    void shouldReportOnlyWhatChangedWhenTheNextSetDiffers() {
        wire(config, 1024);
        applier.apply(ShopCluster.set());
        listener.takeCalls();
        Map<String, Integer> slots = Map.of("shop/web-1", applier.localPods().get("shop/web-1").slot(),
                "shop/db-1", applier.localPods().get("shop/db-1").slot());
        String pods = ShopCluster.files().get("pods.yaml")
                .replace("    metadata:\n      name: web-2\n      namespace: shop\n      labels: {app: web, tier: front}",
                        "    metadata:\n      name: web-2\n      namespace: shop\n      labels: {app: web, tier: back}")
                + "  - {apiVersion: v1, kind: Pod, metadata: {name: web-4, namespace: shop, labels: {app: web}},"
                + " spec: {nodeName: node-a}, status: {podIP: 10.244.1.12}}\n";
        String web = ShopCluster.files().get("web.yaml").replace("conditions: {ready: false, serving: true, terminating: true}",
                "conditions: {ready: true}");
        Map<String, String> files = ShopCluster.with("pods.yaml", pods);
        files.put("web.yaml", web);
        ApplyReport report = applier.apply(ManifestSet.of("shop", files));
        assertEquals("services +1 -0, nodes +0 -0, pods +1 ~1 -0", report.summary());
        assertEquals(List.of("changed shop/web-2", "added shop/web-4"), listener.takeCalls());
        assertEquals(Set.of("10.244.1.10:8080", "10.244.1.11:8080", "10.244.2.10:8080"), backends("10.96.0.50", 80),
                "the endpoint that became ready takes new flows");
        assertEquals(slots.get("shop/web-1"), applier.localPods().get("shop/web-1").slot(), "slots stay");
        assertEquals(slots.get("shop/db-1"), applier.localPods().get("shop/db-1").slot());
        assertEquals(3, applier.localPods().get("shop/web-4").slot(), "a new pod takes the next slot");
        assertNotEquals(policy.identityOf("shop/web-1"), applier.localPods().get("shop/web-2").identity(), "relabelled");

        ApplyReport removal = applier.apply(ManifestSet.of("shop", ShopCluster.with("web.yaml", null)));
        assertEquals("services +0 -1, nodes +0 -0, pods +0 ~1 -1", removal.summary());
        assertEquals(List.of("removed shop/web-4", "changed shop/web-2"), listener.takeCalls());
        assertFalse(hasFrontend("10.96.0.50", 80));
        assertFalse(hasFrontend("192.168.50.10", 30080));
    }

    @Test
    void shouldOfferAPodAgainWhenTheListenerFailedToSetItUp() {
        wire(config, 1024);
        listener.failOn(Set.of("shop/web-1"));
        ApplyReport report = applier.apply(ShopCluster.set());
        assertEquals(List.of("shop/web-1: podAdded: cannot set up shop/web-1 (test failure)"), report.listenerFailures());
        assertEquals(Set.of("10.244.1.10:8080", "10.244.2.10:8080"), backends("10.96.0.50", 80), "the maps are written anyway");
        assertEquals(Set.of("shop/web-2", "shop/db-1"), listener.pods().keySet());
        listener.takeCalls();
        listener.failOn(Set.of());
        ApplyReport retry = applier.apply(ShopCluster.set());
        assertEquals(List.of("added shop/web-1"), listener.takeCalls());
        assertEquals(List.of(), retry.listenerFailures());
    }

    @Test
    void shouldMoveAClusterIpBetweenServicesWhenOneReloadDoesBoth() {
        wire(config, 1024);
        applier.apply(ShopCluster.set());
        String web = ShopCluster.files().get("web.yaml").replace("clusterIP: 10.96.0.50\n  clusterIPs: [10.96.0.50]",
                "clusterIP: 10.96.0.51\n  clusterIPs: [10.96.0.51]");
        Map<String, String> files = ShopCluster.with("web.yaml", web);
        files.put("api.yaml", api("10.96.0.50", "10.244.1.60"));
        applier.apply(ManifestSet.of("shop", files));
        assertEquals(Set.of("10.244.1.60:8080"), backends("10.96.0.50", 80), "api took web's old address");
        assertEquals(Set.of("10.244.1.10:8080", "10.244.2.10:8080"), backends("10.96.0.51", 80));
    }

    /** The daemon's loop in miniature: scan, take the new set, apply it. */
    @Test
    void shouldKeepEveryMapWhenAReloadedFileIsBadAndApplyItOnceFixed(@TempDir Path dir)
            throws Exception {
        wire(config, 1024);
        for (Map.Entry<String, String> file : ShopCluster.files().entrySet()) {
            Files.writeString(dir.resolve(file.getKey()), file.getValue());
        }
        List<String> rejected = new ArrayList<>();
        ManifestWatcher watcher = new ManifestWatcher(dir, ManifestWatcher.DEFAULT_DEBOUNCE, ManifestWatcher.DEFAULT_RESCAN_PERIOD,
                new ManifestWatcher.Listener() {
                    @Override
                    public void loaded(ManifestSet set) {
                    }

                    @Override
                    public void rejected(ManifestException problems) {
                        rejected.add(problems.getMessage());
                    }
                }, null);
        assertTrue(watcher.scanNow());
        applier.apply(watcher.poll());
        listener.takeCalls();

        // web.yaml turns bad (a misspelt field) in the same save that moves the service's address
        String web = ShopCluster.files().get("web.yaml");
        Files.writeString(dir.resolve("web.yaml"), web.replace("clusterIP: 10.96.0.50\n  clusterIPs: [10.96.0.50]",
                "clusterIP: 10.96.0.51\n  clusterIPs: [10.96.0.51]").replace("sessionAffinity: ClientIP", "sessionAfinity: ClientIP"));
        Files.delete(dir.resolve("policy.yaml"));
        assertFalse(watcher.scanNow());
        assertEquals(List.of("web.yaml: document 2 (line 27): Service shop/web: spec.sessionAfinity: unknown field (did you mean "
                + "sessionAffinity?); expected one of allocateLoadBalancerNodePorts, clusterIP, clusterIPs, externalIPs, externalName, "
                + "externalTrafficPolicy, healthCheckNodePort, internalTrafficPolicy, ipFamilies, ipFamilyPolicy, loadBalancerClass, "
                + "loadBalancerIP, loadBalancerSourceRanges, ports, publishNotReadyAddresses, selector, sessionAffinity, "
                + "sessionAffinityConfig, trafficDistribution, type"), rejected);
        assertEquals(null, watcher.poll(), "nothing to apply");
        assertEquals(Set.of("10.244.1.10:8080", "10.244.2.10:8080"), backends("10.96.0.50", 80), "the previous service stays");
        assertFalse(hasFrontend("10.96.0.51", 80));
        assertEquals(PolicyLookup.ALLOWED, dbAllows("shop/web-1"), "the deleted policy's file is part of the rejected reload");

        Files.writeString(dir.resolve("web.yaml"), web.replace("clusterIP: 10.96.0.50\n  clusterIPs: [10.96.0.50]",
                "clusterIP: 10.96.0.51\n  clusterIPs: [10.96.0.51]"));
        assertTrue(watcher.scanNow());
        applier.apply(watcher.poll());
        assertFalse(hasFrontend("10.96.0.50", 80));
        assertEquals(Set.of("10.244.1.10:8080", "10.244.2.10:8080"), backends("10.96.0.51", 80));
        assertEquals(PolicyLookup.NOT_ENFORCED, dbAllows("shop/web-1"));
    }

    @Test
    void shouldTranslateWithoutWritingWhenNoTargetsAreWired() {
        ClusterApplier dry = new ClusterApplier(config, ClusterApplier.Targets.none(), listener);
        ApplyReport report = dry.apply(ShopCluster.set());
        assertEquals(Set.of("kube-system/kube-dns", "shop/web"), dry.serviceSpecs().keySet());
        assertEquals(Set.of("node-b", "node-c"), dry.nodeRoutes().keySet());
        assertEquals(1, dry.egressPolicies().size());
        assertEquals(0, dry.localPods().get("shop/web-1").identity(), "no policy engine, no identity");
        assertEquals(3, report.podsAdded());
    }
}
