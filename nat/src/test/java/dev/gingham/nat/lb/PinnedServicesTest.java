package dev.gingham.nat.lb;

import dev.gingham.nat.IpAddress;

import static dev.gingham.nat.lb.LbTestSupport.TCP;
import static dev.gingham.nat.lb.LbTestSupport.backends;
import static dev.gingham.nat.lb.LbTestSupport.ip;
import static dev.gingham.nat.lb.LbTestSupport.spec;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gingham.maps.MapErrors;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PinnedServicesTest {
    @TempDir
    Path dir;

    @Test
    void shouldKeepServicesWhenPinnedMapsAreReopened() {
        IpAddress vip = ip("10.96.0.10");
        IpAddress old = ip("10.96.0.50");
        int revNat;
        int[] ids = new int[8];
        try (LbMaps maps = LbMaps.pinned(dir, LbTestSupport.config())) {
            ServiceTable table = new ServiceTable(maps);
            table.upsert(spec().algorithm(Algorithm.MAGLEV).backends(backends(1, 3)).build());
            table.upsert(spec().name("gone").clusterIp("10.96.0.50").backends(backends(2, 1)).build());
            ServiceLookup lookup = new ServiceLookup(maps, 0);
            long f = lookup.frontend(vip.hi(), vip.lo(), 80, TCP, Scope.EXTERNAL);
            revNat = lookup.revNatIndex(f);
            assertEquals(3, lookup.backends(f, ids));
        }
        try (LbMaps maps = LbMaps.pinned(dir, LbTestSupport.config())) {
            ServiceLookup lookup = new ServiceLookup(maps, 0);
            long f = lookup.frontend(vip.hi(), vip.lo(), 80, TCP, Scope.EXTERNAL);
            assertTrue(f >= 0);
            assertEquals(revNat, lookup.revNatIndex(f));
            int id = lookup.selectBackend(f, 99, 0, 0, 0);
            assertTrue(id == ids[0] || id == ids[1] || id == ids[2]);
            assertEquals(8080, lookup.backendPort(lookup.backend(id)));

            // the restarted control plane adopts what it finds, then prunes what nobody claimed
            ServiceTable table = new ServiceTable(maps);
            table.upsert(spec().algorithm(Algorithm.MAGLEV).backends(backends(1, 4)).build());
            f = lookup.frontend(vip.hi(), vip.lo(), 80, TCP, Scope.EXTERNAL);
            assertEquals(revNat, lookup.revNatIndex(f)); // existing connections still reverse-translate
            assertTrue(lookup.frontend(old.hi(), old.lo(), 80, TCP, Scope.EXTERNAL) >= 0);
            assertEquals(1, table.pruneRestored());
            assertEquals(MapErrors.MISSING, lookup.frontend(old.hi(), old.lo(), 80, TCP, Scope.EXTERNAL));
            assertEquals(4, lookup.backends(f, new int[8]));
            assertEquals(4, maps.backends().count());
            assertTrue(table.delete("default", "web"));
            assertEquals(0, maps.frontends().count());
            assertEquals(0, maps.backends().count());
            assertEquals(maps.config().maxBackends(), table.freeBackendIds());
            assertEquals(maps.config().maxMaglevTables(), table.freeMaglevTables());
        }
    }

    @Test
    void shouldKeepBackendIdsAndAffinityWhenRestartedTableReplaysTheSameService() {
        IpAddress vip = ip("10.96.0.10");
        IpAddress client = ip("10.244.1.2");
        long nowNs = 1_000_000_000L;
        int chosen;
        int[] before = new int[8];
        try (LbMaps maps = LbMaps.pinned(dir, LbTestSupport.config())) {
            ServiceTable table = new ServiceTable(maps);
            table.upsert(spec().affinity(600).backends(backends(1, 3)).build());
            ServiceLookup lookup = new ServiceLookup(maps, 0);
            long f = lookup.frontend(vip.hi(), vip.lo(), 80, TCP, Scope.EXTERNAL);
            assertEquals(3, lookup.backends(f, before));
            chosen = lookup.selectBackend(f, 12345, client.hi(), client.lo(), nowNs); // remembered for the client
        }
        try (LbMaps maps = LbMaps.pinned(dir, LbTestSupport.config())) {
            ServiceTable table = new ServiceTable(maps);
            table.upsert(spec().affinity(600).backends(backends(1, 3)).build());
            assertEquals(0, table.pruneRestored());
            ServiceLookup lookup = new ServiceLookup(maps, 0);
            long f = lookup.frontend(vip.hi(), vip.lo(), 80, TCP, Scope.EXTERNAL);
            int[] after = new int[8];
            assertEquals(3, lookup.backends(f, after));
            assertEquals(java.util.Arrays.toString(java.util.Arrays.copyOf(before, 3)),
                    java.util.Arrays.toString(java.util.Arrays.copyOf(after, 3)), "the same backend ids (conntrack names them)");
            assertEquals(3, maps.backends().count(), "nothing left over from the first run");
            assertTrue(lookup.backend(chosen) >= 0, "an established flow's backend id still resolves after the prune");
            for (long hash = 0; hash < 16; hash++) {
                assertEquals(chosen, lookup.selectBackend(f, hash, client.hi(), client.lo(), nowNs + 1_000_000_000L),
                        "affinity kept across the restart");
            }
        }
        try (LbMaps maps = LbMaps.pinned(dir, LbTestSupport.config())) {
            ServiceTable table = new ServiceTable(maps); // a third start: ids do not pile up
            table.upsert(spec().affinity(600).backends(backends(1, 3)).build());
            table.pruneRestored();
            assertEquals(maps.config().maxBackends() - 3, table.freeBackendIds());
        }
    }
}
