package dev.gingham.nat.lb;

import dev.gingham.nat.IpAddress;

import static dev.gingham.nat.lb.LbTestSupport.TCP;
import static dev.gingham.nat.lb.LbTestSupport.backend;
import static dev.gingham.nat.lb.LbTestSupport.backends;
import static dev.gingham.nat.lb.LbTestSupport.ip;
import static dev.gingham.nat.lb.LbTestSupport.spec;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gingham.packet.DropReason;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class SelectionTest {
    private static final long SEC = 1_000_000_000L;
    private final LbMaps maps = LbMaps.create(LbTestSupport.config(), 7L);
    private final ServiceTable table = new ServiceTable(maps);
    private final ServiceLookup lookup = new ServiceLookup(maps, 0);
    private final IpAddress vip = ip("10.96.0.10");

    @AfterEach
    void close() {
        maps.close();
    }

    private long frontend() {
        return lookup.frontend(vip.hi(), vip.lo(), 80, TCP, Scope.INTERNAL);
    }

    private int select(long flowHash, IpAddress client, long nowNs) {
        return lookup.selectBackend(frontend(), flowHash, client.hi(), client.lo(), nowNs);
    }

    private String address(int id) {
        long b = lookup.backend(id);
        return new IpAddress(lookup.backendAddrHi(b), lookup.backendAddrLo(b)).toString();
    }

    private Map<String, Integer> histogram(int flows) {
        Map<String, Integer> counts = new HashMap<>();
        for (int i = 0; i < flows; i++) {
            counts.merge(address(select(i, IpAddress.of4(0xAC10_0000 | i), 0)), 1, Integer::sum);
        }
        return counts;
    }

    @Test
    void shouldSpreadUniformlyWhenAlgorithmIsRandom() {
        table.upsert(spec().backends(backends(1, 4)).build());
        Map<String, Integer> counts = histogram(40_000);
        assertEquals(4, counts.size());
        counts.values().forEach(c -> assertEquals(10_000, c, 500, counts.toString()));
    }

    @ParameterizedTest
    @EnumSource(value = Algorithm.class, names = {"RANDOM", "MAGLEV"})
    void shouldFollowWeightsWhenAlgorithmIsRandomOrMaglev(Algorithm algorithm) {
        table.upsert(spec().algorithm(algorithm).backends(backend("http", "10.0.1.1", 8080, BackendState.ACTIVE, 1, false),
                backend("http", "10.0.1.2", 8080, BackendState.ACTIVE, 3, false)).build());
        Map<String, Integer> counts = histogram(40_000);
        assertEquals(10_000, counts.get("10.0.1.1"), 600, counts.toString());
        assertEquals(30_000, counts.get("10.0.1.2"), 600, counts.toString());
    }

    @Test
    void shouldCycleInOrderWhenAlgorithmIsRoundRobin() {
        table.upsert(spec().algorithm(Algorithm.ROUND_ROBIN).backends(backends(1, 3)).build());
        int[] ids = new int[3];
        assertEquals(3, lookup.backends(frontend(), ids));
        for (int i = 0; i < 9; i++) {
            assertEquals(ids[i % 3], select(12345, ip("172.16.0.1"), 0), "selection " + i);
        }
    }

    @Test
    void shouldKeepEachClientOnOneBackendWhenAlgorithmIsSourceHash() {
        table.upsert(spec().algorithm(Algorithm.SOURCE_HASH).backends(backends(1, 4)).build());
        Set<Integer> used = new HashSet<>();
        for (int c = 1; c <= 64; c++) {
            IpAddress client = ip("172.16.1." + c);
            int first = select(0, client, 0);
            for (long flow = 1; flow < 50; flow++) {
                assertEquals(first, select(flow * 7919, client, 0));
            }
            used.add(first);
        }
        assertEquals(4, used.size());
    }

    @Test
    void shouldKeepFlowsOfRemainingBackendsWhenMaglevLosesOne() {
        table.upsert(spec().algorithm(Algorithm.MAGLEV).backends(backends(1, 10)).build());
        int[] before = new int[5000];
        String[] beforeAddress = new String[before.length];
        for (int i = 0; i < before.length; i++) {
            before[i] = select(i, ip("172.16.0.1"), 0);
            beforeAddress[i] = address(before[i]);
            assertEquals(before[i], select(i, ip("172.16.0.2"), 0)); // the flow hash alone decides
        }
        String removed = "10.0.1.4";
        table.upsert(spec().algorithm(Algorithm.MAGLEV).backends(backends(1, 10).stream()
                .filter(b -> !b.address().toString().equals(removed)).toList()).build());
        int moved = 0;
        for (int i = 0; i < before.length; i++) {
            int now = select(i, ip("172.16.0.1"), 0);
            assertNotEquals(removed, address(now));
            if (!beforeAddress[i].equals(removed) && now != before[i]) {
                moved++;
            }
        }
        assertTrue(moved < before.length / 50, moved + " flows of remaining backends moved");
    }

    @Test
    void shouldChooseTheSameMaglevBackendOnTwoNodesThatListTheBackendsInDifferentOrders() {
        List<ServiceSpec.Backend> listed = backends(1, 10);
        List<ServiceSpec.Backend> reversed = listed.reversed();
        try (LbMaps otherMaps = LbMaps.create(LbTestSupport.config(), 7L)) {
            ServiceTable otherTable = new ServiceTable(otherMaps);
            ServiceLookup other = new ServiceLookup(otherMaps, 0);
            // another Service first, so the second node numbers its backends differently too
            otherTable.upsert(spec().name("first").clusterIp("10.96.0.99").backends(backends(2, 3)).build());
            table.upsert(spec().algorithm(Algorithm.MAGLEV).backends(listed).build());
            otherTable.upsert(spec().algorithm(Algorithm.MAGLEV).backends(reversed).build());
            long otherFrontend = other.frontend(vip.hi(), vip.lo(), 80, TCP, Scope.INTERNAL);
            IpAddress client = ip("172.16.0.1");
            for (int flow = 0; flow < 20_000; flow++) {
                long b = other.backend(other.selectBackend(otherFrontend, flow, client.hi(), client.lo(), 0));
                String there = new IpAddress(other.backendAddrHi(b), other.backendAddrLo(b)).toString();
                assertEquals(address(select(flow, client, 0)), there, "flow hash " + flow);
            }
        }
    }

    @Test
    void shouldMoveNoMaglevFlowWhenAnUpdateOnlyReordersTheBackends() {
        table.upsert(spec().algorithm(Algorithm.MAGLEV).backends(backends(1, 10)).build());
        IpAddress client = ip("172.16.0.1");
        String[] before = new String[20_000];
        for (int flow = 0; flow < before.length; flow++) {
            before[flow] = address(select(flow, client, 0));
        }
        table.upsert(spec().algorithm(Algorithm.MAGLEV).backends(backends(1, 10).reversed()).build());
        for (int flow = 0; flow < before.length; flow++) {
            assertEquals(before[flow], address(select(flow, client, 0)), "flow hash " + flow);
        }
    }

    @Test
    void shouldKeepAClientOnItsBackendUntilAffinityTimesOut() {
        table.upsert(spec().affinity(60).backends(backends(1, 8)).build());
        IpAddress client = ip("172.16.0.1");
        int bound = select(1, client, 0);
        for (long flow = 2; flow < 100; flow++) {
            assertEquals(bound, select(flow, client, flow * SEC / 10)); // refreshed up to t = 9.9 s
        }
        assertEquals(bound, select(500, client, 69 * SEC)); // 59.1 s after the last use
        // 60 s idle: expired, the flow hash decides again and the new choice sticks
        Set<Integer> after = new HashSet<>();
        long t = 200 * SEC;
        for (long flow = 0; flow < 20; flow++) {
            t += 61 * SEC;
            after.add(select(flow * 104_729, client, t));
        }
        assertTrue(after.size() > 1, "choices after each expiry: " + after);
        // a different client is independent
        assertTrue(select(77, ip("172.16.0.2"), 0) > 0);
    }

    @Test
    void shouldNotKeepAffinityToATerminatingBackend() {
        List<ServiceSpec.Backend> all = backends(1, 3);
        table.upsert(spec().affinity(10_800).backends(all).build());
        IpAddress client = ip("172.16.0.1");
        int bound = select(1, client, 0);
        String boundAddress = address(bound);
        table.upsert(spec().affinity(10_800).backends(all.stream().map(b -> b.address().toString().equals(boundAddress)
                ? new ServiceSpec.Backend("http", b.address(), 8080, BackendState.TERMINATING, 1, false, 0) : b).toList()).build());
        for (long flow = 0; flow < 200; flow++) {
            assertNotEquals(bound, select(flow, client, SEC));
        }
        long entry = lookup.backend(bound); // existing flows still resolve it
        assertEquals(BackendState.TERMINATING.code(), lookup.backendState(entry));
        assertEquals(boundAddress, address(bound));
    }

    @ParameterizedTest
    @EnumSource(Algorithm.class)
    void shouldChooseOnlyActiveBackendsWhenOthersTerminateOrAreQuarantined(Algorithm algorithm) {
        table.upsert(spec().algorithm(algorithm).backends(
                backend("http", "10.0.1.1", 8080, BackendState.TERMINATING, 1, false),
                backend("http", "10.0.1.2", 8080, BackendState.ACTIVE, 1, false),
                backend("http", "10.0.1.3", 8080, BackendState.QUARANTINED, 1, false),
                backend("http", "10.0.1.4", 8080, BackendState.ACTIVE, 0, false),
                backend("http", "10.0.1.5", 8080, BackendState.ACTIVE, 2, false)).build());
        Map<String, Integer> counts = histogram(2000);
        assertEquals(Set.of("10.0.1.2", "10.0.1.5"), counts.keySet());
    }

    @Test
    void shouldAnswerNoServiceWhenNoBackendIsUsable() {
        table.upsert(spec().backends(backend("http", "10.0.1.1", 8080, BackendState.TERMINATING, 1, false)).build());
        assertEquals(-DropReason.NO_SERVICE.code(), select(1, ip("172.16.0.1"), 0));
        assertTrue(lookup.rejectsWhenNoBackend(frontend()));
        table.upsert(spec().noBackend(ServiceSpec.NoBackendAction.DROP).backends(List.of()).build());
        assertEquals(-158, select(1, ip("172.16.0.1"), 0));
        assertFalse(lookup.rejectsWhenNoBackend(frontend()));
    }

    @Test
    void shouldAnswerNoLocalBackendForExternalScopeWhileInternalScopeStillWorks() {
        table.upsert(spec().type(ServiceSpec.Type.NODE_PORT).etp(ServiceSpec.TrafficPolicy.LOCAL)
                .ports(new ServiceSpec.Port("http", L4Protocol.TCP, 80, 30_080)).backends(backends(1, 3)).build());
        IpAddress node = LbTestSupport.NODE1;
        long external = lookup.frontend(node.hi(), node.lo(), 30_080, TCP, Scope.EXTERNAL);
        long internal = lookup.frontend(node.hi(), node.lo(), 30_080, TCP, Scope.INTERNAL);
        assertNotEquals(external, internal);
        assertEquals(-DropReason.NO_LOCAL_BACKEND.code(), lookup.selectBackend(external, 1, 0, 0, 0));
        assertTrue(lookup.selectBackend(internal, 1, 0, 0, 0) > 0);
        assertTrue(lookup.selectBackend(frontend(), 1, 0, 0, 0) > 0); // ClusterIP follows internalTrafficPolicy

        // with one local backend, external traffic goes only there
        table.upsert(spec().type(ServiceSpec.Type.NODE_PORT).etp(ServiceSpec.TrafficPolicy.LOCAL)
                .ports(new ServiceSpec.Port("http", L4Protocol.TCP, 80, 30_080))
                .backends(backend("http", "10.0.1.1", 8080, BackendState.ACTIVE, 1, false),
                        backend("http", "10.0.1.2", 8080, BackendState.ACTIVE, 1, true)).build());
        external = lookup.frontend(node.hi(), node.lo(), 30_080, TCP, Scope.EXTERNAL);
        for (int flow = 0; flow < 100; flow++) {
            assertEquals("10.0.1.2", address(lookup.selectBackend(external, flow, 0, 0, 0)));
        }
        // back to Cluster: one scope again
        table.upsert(spec().type(ServiceSpec.Type.NODE_PORT).ports(new ServiceSpec.Port("http", L4Protocol.TCP, 80, 30_080))
                .backends(backends(1, 3)).build());
        assertEquals(lookup.frontend(node.hi(), node.lo(), 30_080, TCP, Scope.EXTERNAL),
                lookup.frontend(node.hi(), node.lo(), 30_080, TCP, Scope.INTERNAL));
        assertEquals(3, maps.frontends().count());
    }

    @Test
    void shouldAnswerNoLocalBackendToPodsWhenInternalTrafficPolicyIsLocal() {
        table.upsert(spec().itp(ServiceSpec.TrafficPolicy.LOCAL).backends(backends(1, 2)).build());
        assertEquals(-1020, select(1, ip("10.0.9.9"), 0));
    }

    @Test
    void shouldPickTheSameBackendsWhenReplayedOnFreshMaps() {
        int[] first = new int[100];
        int[] second = new int[100];
        for (int[] out : new int[][] {first, second}) {
            try (LbMaps m = LbMaps.create(LbTestSupport.config(), 3L)) {
                ServiceTable t = new ServiceTable(m);
                ServiceLookup l = new ServiceLookup(m, 0);
                t.upsert(spec().algorithm(Algorithm.MAGLEV).backends(backends(1, 5)).build());
                long f = l.frontend(vip.hi(), vip.lo(), 80, TCP, Scope.EXTERNAL);
                for (int i = 0; i < out.length; i++) {
                    out[i] = l.selectBackend(f, i * 31L, 0, 0, 0);
                }
            }
        }
        assertArrayEquals(first, second);
    }
}
