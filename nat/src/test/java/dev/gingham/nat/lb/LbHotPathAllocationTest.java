package dev.gingham.nat.lb;

import dev.gingham.nat.IpAddress;

import static dev.gingham.nat.lb.LbTestSupport.TCP;
import static dev.gingham.nat.lb.LbTestSupport.backends;
import static dev.gingham.nat.lb.LbTestSupport.ip;
import static dev.gingham.nat.lb.LbTestSupport.spec;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import org.junit.jupiter.api.Test;

/**
 * frontend + selectBackend allocate nothing (DESIGN.md §3), for every algorithm, with affinity
 * hits, misses and LRU inserts, two-scope lookups, misses and the SCTP answer; measured with the
 * JVM's per-thread allocation counter as the maps module's HotPathAllocationTest does.
 */
class LbHotPathAllocationTest {
    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    private long sink;

    @Test
    void shouldAllocateNothingWhenFrontendAndSelectBackendRun() {
        try (LbMaps maps = LbMaps.create(LbTestSupport.config(), 5L)) {
            ServiceTable table = new ServiceTable(maps);
            Algorithm[] algorithms = Algorithm.values();
            for (int s = 0; s < algorithms.length; s++) {
                table.upsert(spec().name("s" + s).clusterIp("10.96.0." + (10 + s)).algorithm(algorithms[s]).affinity(s == 0 ? 60 : 0)
                        .type(ServiceSpec.Type.NODE_PORT).etp(ServiceSpec.TrafficPolicy.LOCAL)
                        .ports(new ServiceSpec.Port("http", L4Protocol.TCP, 80, 30_080 + s)).backends(backends(s, 5)).build());
            }
            ServiceLookup lookup = new ServiceLookup(maps, 0);
            IpAddress base = ip("10.96.0.10");
            IpAddress node = LbTestSupport.NODE1;
            Runnable loop = () -> {
                for (int i = 0; i < 20_000; i++) {
                    int s = i & 3;
                    long f = lookup.frontend(base.hi(), base.lo() + s, 80, TCP, Scope.INTERNAL);
                    sink += lookup.selectBackend(f, i * 0x9E3779B97F4A7C15L, 0, 0xFFFF_AC10_0000L | (i & 1023), i * 1_000_000L);
                    long n = lookup.frontend(node.hi(), node.lo(), 30_080 + s, TCP, (i & 4) == 0 ? Scope.EXTERNAL : Scope.INTERNAL);
                    sink += lookup.selectBackend(n, i, 0, 0, i);
                    sink += lookup.frontend(base.hi(), base.lo() + 9, 80, TCP, Scope.EXTERNAL); // miss
                    sink += lookup.frontend(base.hi(), base.lo(), 80, L4Protocol.SCTP_NUMBER, Scope.EXTERNAL);
                    long b = lookup.backend(1 + (i & 7));
                    if (b >= 0) {
                        sink += lookup.backendAddrLo(b) + lookup.backendPort(b);
                    }
                    sink += lookup.revNatPort(lookup.revNat(lookup.revNatIndex(f)));
                    sink += lookup.rejectsWhenNoBackend(f) ? 1 : 0;
                }
            };
            for (int warm = 0; warm < 30; warm++) {
                loop.run();
            }
            long thread = Thread.currentThread().threadId();
            long before = THREADS.getThreadAllocatedBytes(thread);
            loop.run();
            loop.run();
            long allocated = THREADS.getThreadAllocatedBytes(thread) - before;
            assertTrue(allocated < 1024, "hot path allocated " + allocated + " bytes over 40,000 rounds");
            assertTrue(sink != 0);
        }
    }
}
