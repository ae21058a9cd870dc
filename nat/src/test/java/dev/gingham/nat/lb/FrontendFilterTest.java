package dev.gingham.nat.lb;

import dev.gingham.maps.MapErrors;
import dev.gingham.nat.IpAddress;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.SplittableRandom;

import static dev.gingham.nat.lb.LbTestSupport.NODE1;
import static dev.gingham.nat.lb.LbTestSupport.TCP;
import static dev.gingham.nat.lb.LbTestSupport.backends;
import static dev.gingham.nat.lb.LbTestSupport.ip;
import static dev.gingham.nat.lb.LbTestSupport.spec;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FrontendFilterTest {
    @TempDir
    Path dir;

    @Test
    void shouldAnswerNoForEveryAddressAndPortWhenNothingWasAdded() {
        FrontendFilter filter = FrontendFilter.forFrontends(1000);
        SplittableRandom random = new SplittableRandom(1);
        for (int n = 0; n < 100_000; n++) {
            assertFalse(filter.mayContain(random.nextLong(), random.nextLong(), random.nextInt(65536)));
        }
    }

    @Test
    void shouldKeepTheBitWhileAnotherEntryOfTheSameAddressAndPortRemains() {
        FrontendFilter filter = FrontendFilter.forFrontends(16);
        IpAddress vip = ip("10.96.0.10");
        filter.add(vip.hi(), vip.lo(), 80); // EXTERNAL scope
        filter.add(vip.hi(), vip.lo(), 80); // its INTERNAL sibling
        filter.remove(vip.hi(), vip.lo(), 80);
        assertTrue(filter.mayContain(vip.hi(), vip.lo(), 80));
        filter.remove(vip.hi(), vip.lo(), 80);
        assertFalse(filter.mayContain(vip.hi(), vip.lo(), 80));
    }

    @Test
    void shouldLetAtMostAFifthOfOtherDestinationsThroughWhenFullToItsSizing() {
        int frontends = 1000;
        FrontendFilter filter = FrontendFilter.forFrontends(frontends);
        SplittableRandom random = new SplittableRandom(2);
        int base = 0x0A60_0000; // 10.96.0.0: VIPs counted upwards, ports 80 and 443
        for (int n = 0; n < frontends; n++) {
            IpAddress vip = IpAddress.of4(base + n / 2);
            filter.add(vip.hi(), vip.lo(), n % 2 == 0 ? 80 : 443);
        }
        for (int n = 0; n < frontends; n++) {
            IpAddress vip = IpAddress.of4(base + n / 2);
            assertTrue(filter.mayContain(vip.hi(), vip.lo(), n % 2 == 0 ? 80 : 443), "frontend " + n);
        }
        int through = 0;
        int tries = 100_000;
        for (int n = 0; n < tries; n++) {
            IpAddress pod = IpAddress.of4(0x0AF4_0000 + random.nextInt(1 << 16)); // 10.244.0.0/16
            if (filter.mayContain(pod.hi(), pod.lo(), 1024 + random.nextInt(64_000))) {
                through++;
            }
        }
        assertTrue(through < tries / 5, through + " of " + tries + " non-service destinations passed the filter");
    }

    @Test
    void shouldSizeBetweenTheSmallestAndLargestFilter() {
        assertEquals(1 << FrontendFilter.MIN_BITS_LOG2, FrontendFilter.forFrontends(1).bits());
        assertEquals(1 << 14, FrontendFilter.forFrontends(2000).bits());
        assertEquals(1 << FrontendFilter.MAX_BITS_LOG2, FrontendFilter.forFrontends(FrontendEntry.MAX_INDEX).bits());
    }

    @Test
    void shouldFollowEveryFrontendTheServiceTableInstallsAndDeletes() {
        try (LbMaps maps = LbMaps.create(LbTestSupport.config(), 3L)) {
            ServiceTable table = new ServiceTable(maps);
            IpAddress vip = ip("10.96.0.10");
            int nodePort = 30080;
            table.upsert(spec().type(ServiceSpec.Type.NODE_PORT)
                    .ports(new ServiceSpec.Port("http", L4Protocol.TCP, 80, nodePort)).backends(backends(1, 2)).build());
            FrontendFilter filter = maps.frontendFilter();
            assertTrue(filter.mayContain(vip.hi(), vip.lo(), 80));
            ServiceLookup lookup = new ServiceLookup(maps, 0);
            assertTrue(lookup.frontend(vip.hi(), vip.lo(), 80, TCP, Scope.INTERNAL) >= 0);
            assertTrue(lookup.frontend(NODE1.hi(), NODE1.lo(), nodePort, TCP, Scope.EXTERNAL) >= 0);
            assertTrue(filter.mayContain(NODE1.hi(), NODE1.lo(), nodePort));

            assertTrue(table.delete("default", "web"));
            assertEquals(0, maps.frontends().count());
            assertFalse(filter.mayContain(vip.hi(), vip.lo(), 80));
            assertFalse(filter.mayContain(NODE1.hi(), NODE1.lo(), nodePort));
            assertEquals(MapErrors.MISSING, lookup.frontend(vip.hi(), vip.lo(), 80, TCP, Scope.INTERNAL));
        }
    }

    @Test
    void shouldRebuildTheFilterWhenPinnedMapsAreReopened() {
        IpAddress vip = ip("10.96.0.10");
        try (LbMaps maps = LbMaps.pinned(dir, LbTestSupport.config())) {
            new ServiceTable(maps).upsert(spec().backends(backends(1, 2)).build());
        }
        try (LbMaps maps = LbMaps.pinned(dir, LbTestSupport.config())) {
            assertTrue(maps.frontendFilter().mayContain(vip.hi(), vip.lo(), 80));
            assertFalse(maps.frontendFilter().mayContain(vip.hi(), vip.lo(), 81));
            assertTrue(new ServiceLookup(maps, 0).frontend(vip.hi(), vip.lo(), 80, TCP, Scope.EXTERNAL) >= 0);
        }
    }
}
