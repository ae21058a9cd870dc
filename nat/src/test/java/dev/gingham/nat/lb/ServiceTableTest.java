package dev.gingham.nat.lb;

import dev.gingham.nat.IpAddress;

import static dev.gingham.nat.lb.LbTestSupport.NODE1;
import static dev.gingham.nat.lb.LbTestSupport.NODE2;
import static dev.gingham.nat.lb.LbTestSupport.TCP;
import static dev.gingham.nat.lb.LbTestSupport.UDP;
import static dev.gingham.nat.lb.LbTestSupport.backend;
import static dev.gingham.nat.lb.LbTestSupport.backends;
import static dev.gingham.nat.lb.LbTestSupport.ip;
import static dev.gingham.nat.lb.LbTestSupport.spec;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gingham.maps.MapErrors;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ServiceTableTest {
    private final LbMaps maps = LbMaps.create(LbTestSupport.config(), 42L);
    private final ServiceTable table = new ServiceTable(maps);
    private final ServiceLookup lookup = new ServiceLookup(maps, 0);

    @AfterEach
    void close() {
        maps.close();
    }

    private long frontend(IpAddress a, int port, int protocol, int scope) {
        return lookup.frontend(a.hi(), a.lo(), port, protocol, scope);
    }

    private long frontend(String a, int port, int protocol) {
        return frontend(ip(a), port, protocol, Scope.EXTERNAL);
    }

    /** Returns: the "address:port" of the backend selected for a flow hash. */
    private String select(long frontend, long flowHash) {
        int id = lookup.selectBackend(frontend, flowHash, 0, 0, 0);
        assertTrue(id > 0, "verdict " + id);
        long b = lookup.backend(id);
        return new IpAddress(lookup.backendAddrHi(b), lookup.backendAddrLo(b)) + ":" + lookup.backendPort(b);
    }

    private Set<String> selectMany(long frontend) {
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < 200; i++) {
            seen.add(select(frontend, i));
        }
        return seen;
    }

    @Test
    void shouldFindEveryFrontendWhenServiceIsLoadBalancerWithExternalIp() {
        table.upsert(spec().type(ServiceSpec.Type.LOAD_BALANCER).externalIp("203.0.113.5").lbIp("198.51.100.7")
                .ports(new ServiceSpec.Port("http", L4Protocol.TCP, 80, 30_080))
                .backends(backend("10.0.1.1", 8080), backend("10.0.1.2", 8080)).build());

        Set<String> expected = Set.of("10.0.1.1:8080", "10.0.1.2:8080");
        record Case(IpAddress address, int port, FrontendKind kind) {
        }
        for (Case c : List.of(new Case(ip("10.96.0.10"), 80, FrontendKind.CLUSTER_IP),
                new Case(NODE1, 30_080, FrontendKind.NODE_PORT), new Case(NODE2, 30_080, FrontendKind.NODE_PORT),
                new Case(ip("198.51.100.7"), 80, FrontendKind.LOAD_BALANCER),
                new Case(ip("203.0.113.5"), 80, FrontendKind.EXTERNAL_IP))) {
            for (int scope : new int[] {Scope.EXTERNAL, Scope.INTERNAL}) {
                long f = frontend(c.address(), c.port(), TCP, scope);
                assertTrue(f >= 0, c + " not found");
                assertEquals(c.kind().code(), lookup.frontendKind(f));
                assertEquals(expected, selectMany(f));
                long rev = lookup.revNat(lookup.revNatIndex(f));
                assertEquals(c.address(), new IpAddress(lookup.revNatAddrHi(rev), lookup.revNatAddrLo(rev)));
                assertEquals(c.port(), lookup.revNatPort(rev));
            }
        }
        assertEquals(MapErrors.MISSING, frontend("10.96.0.10", 81, TCP));
        assertEquals(MapErrors.MISSING, frontend("10.96.0.10", 80, UDP));
        assertEquals(MapErrors.MISSING, frontend(NODE1, 80, TCP, Scope.EXTERNAL));
        // the IPv6 node address is not a frontend of an IPv4 service
        assertEquals(MapErrors.MISSING, frontend(LbTestSupport.NODE_V6, 30_080, TCP, Scope.EXTERNAL));
    }

    @Test
    void shouldGiveEachFrontendItsOwnRevNatIndexWhenNodePortIsOnTwoAddresses() {
        table.upsert(spec().type(ServiceSpec.Type.NODE_PORT).ports(new ServiceSpec.Port("http", L4Protocol.TCP, 80, 30_080))
                .backends(backends(1, 2)).build());
        int a = lookup.revNatIndex(frontend(NODE1, 30_080, TCP, Scope.EXTERNAL));
        int b = lookup.revNatIndex(frontend(NODE2, 30_080, TCP, Scope.EXTERNAL));
        assertTrue(a > 0 && b > 0 && a != b);
    }

    @Test
    void shouldServeEveryServiceWhenThereAreMoreThanSixteenBitsOfThem() {
        int services = 70_000; // list indexes up to 139,999 and rev-NAT indexes past 65,535
        LbConfig big = LbConfig.defaults(List.of()).withCapacity(services, services, services, 1, 2);
        try (LbMaps bigMaps = LbMaps.create(big, 3L)) {
            ServiceTable bigTable = new ServiceTable(bigMaps);
            ServiceLookup bigLookup = new ServiceLookup(bigMaps, 0);
            for (int s = 0; s < services; s++) {
                IpAddress vip = IpAddress.of4(0x0A60_0000 + s);
                bigTable.upsert(spec().name("svc-" + s).clusterIp(vip.toString())
                        .algorithm(s == services - 1 ? Algorithm.MAGLEV : Algorithm.RANDOM)
                        .backends(List.of(backend(IpAddress.of4(0x0A80_0000 + s).toString(), 8080))).build());
            }
            for (int s : new int[] {0, 65_535, 65_536, services - 1}) {
                IpAddress vip = IpAddress.of4(0x0A60_0000 + s);
                long f = bigLookup.frontend(vip.hi(), vip.lo(), 80, TCP, Scope.EXTERNAL);
                assertTrue(f >= 0, "service " + s);
                long revNat = bigLookup.revNat(bigLookup.revNatIndex(f));
                assertEquals(vip, new IpAddress(bigLookup.revNatAddrHi(revNat), bigLookup.revNatAddrLo(revNat)), "service " + s);
                long b = bigLookup.backend(bigLookup.selectBackend(f, s, 0, 0, 0));
                assertEquals(IpAddress.of4(0x0A80_0000 + s), new IpAddress(bigLookup.backendAddrHi(b), bigLookup.backendAddrLo(b)),
                        "service " + s);
            }
            assertTrue(bigLookup.revNatIndex(bigLookup.frontend(IpAddress.of4(0x0A60_0000 + services - 1).hi(),
                    IpAddress.of4(0x0A60_0000 + services - 1).lo(), 80, TCP, Scope.EXTERNAL)) > 65_535);
        }
        assertThrows(IllegalArgumentException.class,
                () -> LbConfig.defaults(List.of()).withCapacity(LbConfig.MAX_SERVICES + 1, 1, 1, 1, 1));
    }

    @Test
    void shouldFindTheSameFrontendAndBackendsWhenTheVectorPassesPrefetchFirst() {
        table.upsert(spec().type(ServiceSpec.Type.NODE_PORT).ports(new ServiceSpec.Port("http", L4Protocol.TCP, 80, 30_080))
                .etp(ServiceSpec.TrafficPolicy.LOCAL).backends(backends(1, 2)).build());
        IpAddress vip = ip("10.96.0.10");
        long[][] probes = {
                {vip.hi(), vip.lo(), 80, TCP, Scope.EXTERNAL},
                {vip.hi(), vip.lo(), 80, TCP, Scope.INTERNAL}, // two scopes: the INTERNAL sibling
                {NODE1.hi(), NODE1.lo(), 30_080, TCP, Scope.EXTERNAL},
                {vip.hi(), vip.lo(), 81, TCP, Scope.EXTERNAL},  // not a frontend
                {vip.hi(), vip.lo(), 80, UDP, Scope.EXTERNAL},  // not a frontend
                {vip.hi(), vip.lo(), 80, 132, Scope.EXTERNAL},  // SCTP to a TCP frontend
        };
        for (long[] p : probes) {
            long hash = lookup.prefetchFrontend(p[0], p[1], (int) p[2], (int) p[3]);
            long plain = lookup.frontend(p[0], p[1], (int) p[2], (int) p[3], (int) p[4]);
            long staged = lookup.frontend(p[0], p[1], (int) p[2], (int) p[3], (int) p[4], hash);
            assertEquals(plain, staged, java.util.Arrays.toString(p));
            lookup.prefetchBackends(new long[] {staged}, 0, 1);
            if (staged >= 0) {
                assertEquals(lookup.selectBackend(plain, 7, 0, 0, 0), lookup.selectBackend(staged, 7, 0, 0, 0));
            }
        }
        assertEquals(maps.frontends().hash(keyOf(vip, 80, TCP, Scope.EXTERNAL), 0),
                FrontendEntry.hash(maps.frontends().seed(), vip.hi(), vip.lo(), 80, TCP, Scope.EXTERNAL));
    }

    private static java.lang.foreign.MemorySegment keyOf(IpAddress a, int port, int protocol, int scope) {
        java.lang.foreign.MemorySegment key = java.lang.foreign.Arena.ofAuto().allocate(FrontendEntry.KEY_BYTES, 8);
        FrontendEntry.key(key, 0, a.hi(), a.lo(), port, protocol, scope);
        return key;
    }

    @Test
    void shouldTranslateEachPortToItsBackendsTargetPortWhenServiceHasSeveralPorts() {
        table.upsert(spec().ports(new ServiceSpec.Port("http", L4Protocol.TCP, 80, 0),
                        new ServiceSpec.Port("metrics", L4Protocol.TCP, 9090, 0))
                .backends(backend("http", "10.0.1.1", 8080, BackendState.ACTIVE, 1, false),
                        backend("http", "10.0.1.2", 8081, BackendState.ACTIVE, 1, false),
                        backend("metrics", "10.0.1.1", 9100, BackendState.ACTIVE, 1, false),
                        backend("metrics", "10.0.1.2", 9101, BackendState.ACTIVE, 1, false)).build());
        assertEquals(Set.of("10.0.1.1:8080", "10.0.1.2:8081"), selectMany(frontend("10.96.0.10", 80, TCP)));
        assertEquals(Set.of("10.0.1.1:9100", "10.0.1.2:9101"), selectMany(frontend("10.96.0.10", 9090, TCP)));
    }

    @Test
    void shouldKeepTcpAndUdpApartWhenBothUseOnePort() {
        table.upsert(spec().ports(new ServiceSpec.Port("dns", L4Protocol.UDP, 53, 0), new ServiceSpec.Port("dns-tcp", L4Protocol.TCP, 53, 0))
                .backends(backend("dns", "10.0.1.1", 5353, BackendState.ACTIVE, 1, false),
                        backend("dns-tcp", "10.0.1.1", 5354, BackendState.ACTIVE, 1, false)).build());
        assertEquals(Set.of("10.0.1.1:5353"), selectMany(frontend("10.96.0.10", 53, UDP)));
        assertEquals(Set.of("10.0.1.1:5354"), selectMany(frontend("10.96.0.10", 53, TCP)));
    }

    @Test
    void shouldRejectSctpAtUpsertAndDropItWhenItReachesAFrontend() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> table.upsert(
                spec().ports(new ServiceSpec.Port("s", L4Protocol.SCTP, 80, 0)).build()));
        assertTrue(e.getMessage().contains("ports[0].protocol SCTP"), e.getMessage());
        assertTrue(table.services().isEmpty());

        table.upsert(spec().backends(backends(1, 1)).build());
        assertEquals(ServiceLookup.UNSUPPORTED_PROTOCOL, frontend("10.96.0.10", 80, L4Protocol.SCTP_NUMBER));
        assertEquals(-1021, ServiceLookup.UNSUPPORTED_PROTOCOL);
        assertEquals(MapErrors.MISSING, frontend("10.96.0.11", 80, L4Protocol.SCTP_NUMBER));
        assertEquals(MapErrors.MISSING, frontend("10.96.0.10", 80, 1));
    }

    @Test
    void shouldNameTheFieldWhenSpecIsBad() {
        record Case(LbTestSupport.Spec spec, String field) {
        }
        for (Case c : List.of(
                new Case(spec().type(ServiceSpec.Type.NODE_PORT).ports(new ServiceSpec.Port("http", L4Protocol.TCP, 80, 80)), "ports[0].nodePort 80"),
                new Case(spec().ports(new ServiceSpec.Port("http", L4Protocol.TCP, 0, 0)), "ports[0].port 0"),
                new Case(spec().ports(new ServiceSpec.Port("a", L4Protocol.TCP, 80, 0), new ServiceSpec.Port("a", L4Protocol.UDP, 80, 0)), "ports[1].name 'a'"),
                new Case(spec().backends(backend("nope", "10.0.0.1", 80, BackendState.ACTIVE, 1, false)), "backends[0].portName 'nope'"),
                new Case(spec().backends(backend("http", "10.0.0.1", 80, BackendState.ACTIVE, -1, false)), "backends[0].weight -1"),
                new Case(spec().backends(backend("http", "fd00::1", 80, BackendState.ACTIVE, 1, false)), "backends[0].address fd00::1"),
                new Case(spec().backends(backend("10.0.0.1", 80), backend("10.0.0.1", 80)), "backends[1]: duplicate"),
                new Case(spec().lbIp("1.2.3.4"), "loadBalancerIPs"),
                new Case(spec().externalIp("fd00::5"), "externalIPs[0] fd00::5"),
                new Case(spec().affinity(90_000), "affinityTimeoutSec 90000"))) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> table.upsert(c.spec().build()));
            assertTrue(e.getMessage().startsWith("service default/web: " + c.field()), e.getMessage());
        }
        assertTrue(table.services().isEmpty());
        assertEquals(0, maps.frontends().count());
    }

    @Test
    void shouldRefuseAFrontendThatAnotherServiceOwns() {
        table.upsert(spec().backends(backends(1, 1)).build());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> table.upsert(spec().name("other").backends(backends(2, 1)).build()));
        assertTrue(e.getMessage().contains("10.96.0.10:80/TCP (CLUSTER_IP) already belongs to default/web"), e.getMessage());
        assertEquals(Set.of("10.0.1.1:8080"), selectMany(frontend("10.96.0.10", 80, TCP)));
    }

    @Test
    void shouldLeaveThePreviousStateWhenUpsertDoesNotFit() {
        try (LbMaps small = LbMaps.create(LbTestSupport.config().withCapacity(4, 8, 4, 4, 1), 1L)) {
            ServiceTable t = new ServiceTable(small);
            ServiceLookup l = new ServiceLookup(small, 0);
            t.upsert(spec().backends(backends(1, 3)).build());
            int free = t.freeBackendIds();
            int frontends = small.frontends().count();
            IpAddress vip = ip("10.96.0.10");
            long f = l.frontend(vip.hi(), vip.lo(), 80, TCP, Scope.EXTERNAL);
            int[] before = new int[8];
            int n = l.backends(f, before);

            // three new backends need three ids; only one is free
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> t.upsert(spec().externalIp("203.0.113.9").backends(backends(2, 3)).build()));
            assertTrue(e.getMessage().contains("lb-backends full: needs 3 more, 1 free; nothing changed"), e.getMessage());
            // a second Maglev table does not exist either
            t.upsert(spec().name("m").clusterIp("10.96.0.20").algorithm(Algorithm.MAGLEV).backends(List.of()).build());
            assertThrows(IllegalStateException.class,
                    () -> t.upsert(spec().name("m2").clusterIp("10.96.0.21").algorithm(Algorithm.MAGLEV).build()));

            assertEquals(free, t.freeBackendIds());
            assertEquals(frontends + 1, small.frontends().count());
            IpAddress eip = ip("203.0.113.9");
            assertEquals(MapErrors.MISSING, l.frontend(eip.hi(), eip.lo(), 80, TCP, Scope.EXTERNAL));
            int[] after = new int[8];
            assertEquals(n, l.backends(f, after));
            assertEquals(java.util.Arrays.toString(before), java.util.Arrays.toString(after));
            assertEquals(Set.of("default/web", "default/m"), t.services());
        }
    }

    @Test
    void shouldOrderTheTakerAfterTheGiverWhenABatchMovesAFrontendBetweenServices() {
        table.upsert(spec().name("old").backends(backends(1, 1)).build());
        ServiceSpec taker = spec().name("new").backends(backends(2, 1)).build();
        ServiceSpec giver = spec().name("old").clusterIp("10.96.0.11").backends(backends(1, 1)).build();
        assertEquals(List.of(giver, taker), table.checkBatch(List.of(taker, giver), List.of()));
        table.checkBatch(List.of(taker), List.of("default/old"));
        // without the giver in the batch the frontend is still taken
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> table.checkBatch(List.of(taker), List.of()));
        assertTrue(e.getMessage().contains("already belongs to default/old"), e.getMessage());
        for (ServiceSpec spec : table.checkBatch(List.of(taker, giver), List.of())) {
            table.upsert(spec);
        }
        assertEquals(Set.of("10.0.2.1:8080"), selectMany(frontend("10.96.0.10", 80, TCP)));
        assertEquals(Set.of("10.0.1.1:8080"), selectMany(frontend("10.96.0.11", 80, TCP)));
    }

    @Test
    void shouldRefuseABatchWhenTwoSpecsDeriveOneFrontendOrSwapThem() {
        IllegalArgumentException both = assertThrows(IllegalArgumentException.class, () -> table.checkBatch(
                List.of(spec().name("a").build(), spec().name("b").build()), List.of()));
        assertEquals("service default/b: frontend 10.96.0.10:80/TCP is also derived by service default/a", both.getMessage());
        table.upsert(spec().name("a").clusterIp("10.96.0.1").build());
        table.upsert(spec().name("b").clusterIp("10.96.0.2").build());
        IllegalArgumentException swap = assertThrows(IllegalArgumentException.class, () -> table.checkBatch(
                List.of(spec().name("a").clusterIp("10.96.0.2").build(), spec().name("b").clusterIp("10.96.0.1").build()), List.of()));
        assertTrue(swap.getMessage().contains("exchanges frontends with service default/"), swap.getMessage());
    }

    @Test
    void shouldCountTheWholeBatchAndWhatDeletesFreeWhenCheckingCapacity() {
        try (LbMaps small = LbMaps.create(LbTestSupport.config().withCapacity(4, 8, 4, 4, 1), 1L)) {
            ServiceTable t = new ServiceTable(small);
            t.upsert(spec().name("a").clusterIp("10.96.0.1").backends(backends(1, 2)).build());
            // two more services of one backend each fit one at a time, not together (2 + 1 + 1 > 4 backend ids)...
            List<ServiceSpec> two = List.of(spec().name("b").clusterIp("10.96.0.2").backends(backends(2, 2)).build(),
                    spec().name("c").clusterIp("10.96.0.3").backends(backends(3, 1)).build());
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> t.checkBatch(two, List.of()));
            assertEquals("the batch of 2 services: lb-backends full: needs 3 more, 2 free; nothing changed", e.getMessage());
            // ...but do when the batch also deletes "a"
            assertEquals(two, t.checkBatch(two, List.of("default/a")));
            assertEquals(Set.of("default/a"), t.services(), "a check writes nothing");
        }
    }

    @Test
    void shouldFreeIdsAndEntriesWhenServiceIsDeleted() {
        int freeIds = table.freeBackendIds();
        int freeRevNat = table.freeRevNatIndices();
        int freeServices = table.freeServiceIds();
        int freeMaglev = table.freeMaglevTables();
        table.upsert(spec().type(ServiceSpec.Type.NODE_PORT).algorithm(Algorithm.MAGLEV)
                .etp(ServiceSpec.TrafficPolicy.LOCAL).ports(new ServiceSpec.Port("http", L4Protocol.TCP, 80, 30_080))
                .backends(backends(1, 3)).build());
        table.upsert(spec().name("b").clusterIp("10.96.0.11").backends(backends(2, 2)).build());
        assertEquals(freeIds - 5, table.freeBackendIds());
        assertEquals(freeMaglev - 2, table.freeMaglevTables());
        // web: ClusterIP + 2 NodePorts with two scopes each = 5 entries; b: 1
        assertEquals(6, maps.frontends().count());

        assertTrue(table.delete("default", "web"));
        assertFalse(table.delete("default", "web"));
        assertEquals(MapErrors.MISSING, frontend("10.96.0.10", 80, TCP));
        assertEquals(MapErrors.MISSING, frontend(NODE1, 30_080, TCP, Scope.EXTERNAL));
        assertEquals(1, maps.frontends().count());
        assertEquals(2, maps.backends().count());
        assertEquals(Set.of("10.0.2.1:8080", "10.0.2.2:8080"), selectMany(frontend("10.96.0.11", 80, TCP)));

        assertTrue(table.delete("default", "b"));
        assertEquals(0, maps.frontends().count());
        assertEquals(0, maps.backends().count());
        assertEquals(freeIds, table.freeBackendIds());
        assertEquals(freeRevNat, table.freeRevNatIndices());
        assertEquals(freeServices, table.freeServiceIds());
        assertEquals(freeMaglev, table.freeMaglevTables());
    }

    @Test
    void shouldKeepBackendIdsAndMoveFrontendsWhenServiceIsUpdated() {
        table.upsert(spec().backends(backends(1, 2)).build());
        long f = frontend("10.96.0.10", 80, TCP);
        int[] ids = new int[4];
        assertEquals(2, lookup.backends(f, ids));
        table.upsert(spec().clusterIp("10.96.0.99").backends(backends(1, 3)).build());
        assertEquals(MapErrors.MISSING, frontend("10.96.0.10", 80, TCP));
        long g = frontend("10.96.0.99", 80, TCP);
        int[] ids2 = new int[4];
        assertEquals(3, lookup.backends(g, ids2));
        assertEquals(ids[0], ids2[0]);
        assertEquals(ids[1], ids2[1]);
        assertEquals(1, maps.frontends().count());
    }

    @Test
    void shouldBalanceIpv6WhenServiceIsIpv6() {
        table.upsert(spec().type(ServiceSpec.Type.NODE_PORT).clusterIp("fd00:96::10")
                .ports(new ServiceSpec.Port("http", L4Protocol.TCP, 80, 30_080))
                .backends(backend("fd00:1::1", 8080), backend("fd00:1::2", 8080)).build());
        long f = frontend("fd00:96::10", 80, TCP);
        assertEquals(Set.of("fd00:1::1:8080", "fd00:1::2:8080"), selectMany(f));
        long n = frontend(LbTestSupport.NODE_V6, 30_080, TCP, Scope.EXTERNAL);
        assertTrue(n >= 0);
        assertEquals(MapErrors.MISSING, frontend(NODE1, 30_080, TCP, Scope.EXTERNAL));
        long rev = lookup.revNat(lookup.revNatIndex(f));
        assertEquals(ip("fd00:96::10"), new IpAddress(lookup.revNatAddrHi(rev), lookup.revNatAddrLo(rev)));
    }
}
