package dev.gingham.nat.snat;

import static dev.gingham.nat.snat.SnatTableTest.NODE;
import static dev.gingham.nat.snat.SnatTableTest.POD;
import static dev.gingham.nat.snat.SnatTableTest.REMOTE;
import static dev.gingham.nat.snat.SnatTableTest.TCP;
import static dev.gingham.nat.snat.SnatTableTest.map;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gingham.maps.MapPinException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SnatTablePinnedTest {
    @TempDir
    Path dir;

    @Test
    void shouldRestoreMappingsAndBitmapWhenPinnedMapsAreReopened() {
        int[] natPorts = new int[5];
        try (SnatTable table = SnatTable.pinned(dir, SnatTableTest.config())) {
            SnatResult out = new SnatResult();
            for (int i = 0; i < 5; i++) {
                map(table, POD, 50000 + i, REMOTE, 443, TCP, i, out);
                natPorts[i] = out.natPort;
            }
            table.release(POD.hi(), POD.lo(), 50002, REMOTE.hi(), REMOTE.lo(), 443, TCP, out);
        }
        try (SnatTable table = SnatTable.pinned(dir, SnatTableTest.config())) {
            assertEquals(new RecoveryReport(4, 0, 0, 0, 0, 0), table.recovery());
            SnatResult out = new SnatResult();
            for (int i = 0; i < 5; i++) {
                if (i == 2) {
                    continue;
                }
                assertEquals(SnatTable.EXISTING, map(table, POD, 50000 + i, REMOTE, 443, TCP, 99, out));
                assertEquals(natPorts[i], out.natPort);
                assertEquals(i, out.createdNs);
                assertEquals(0, table.lookupReverse(REMOTE.hi(), REMOTE.lo(), 443, NODE.hi(), NODE.lo(), natPorts[i], TCP, out));
                assertEquals(50000 + i, out.origPort);
            }
            PortAllocator pool = table.ports(NODE.hi(), NODE.lo(), TCP);
            assertEquals(4, pool.usedCount());
            for (int i = 0; i < 5; i++) {
                assertEquals(i != 2, pool.inUse(natPorts[i]));
            }
            // new flows never collide with restored ones: the range fills up exactly
            for (int i = 0; i < 12; i++) {
                assertEquals(SnatTable.CREATED, map(table, POD, 60000 + i, REMOTE, 443, TCP, 100, out));
            }
            assertEquals(-167, map(table, POD, 61000, REMOTE, 443, TCP, 100, out));
        }
    }

    @Test
    void shouldFreeLeakedPortAndDropOrphanReverseEntryWhenOwnerDiedMidInsert() {
        int leaked;
        try (SnatTable table = SnatTable.pinned(dir, SnatTableTest.config())) {
            SnatResult out = new SnatResult();
            map(table, POD, 50000, REMOTE, 443, TCP, 1, out);
            // a crash between allocation and insert: a port marked used that no mapping owns
            leaked = table.ports(NODE.hi(), NODE.lo(), TCP).allocate();
            // a crash between the reverse and the forward insert: delete the forward entry only
            map(table, POD, 50001, REMOTE, 443, TCP, 1, out);
            table.forward().delete(keyOf(50001), 0);
        }
        try (SnatTable table = SnatTable.pinned(dir, SnatTableTest.config())) {
            RecoveryReport report = table.recovery();
            assertEquals(1, report.mappings());
            assertEquals(1, report.reverseOrphans());
            assertEquals(2, report.portsLeaked());
            PortAllocator pool = table.ports(NODE.hi(), NODE.lo(), TCP);
            assertEquals(1, pool.usedCount());
            assertTrue(!pool.inUse(leaked));
            assertEquals(1, table.reverseCount());
        }
    }

    private static java.lang.foreign.MemorySegment keyOf(int srcPort) {
        java.lang.foreign.MemorySegment key = java.lang.foreign.Arena.ofAuto().allocate(SnatTable.KEY_BYTES, 8);
        SnatTable.writeKey(key, 0, POD.hi(), POD.lo(), REMOTE.hi(), REMOTE.lo(), srcPort, 443, TCP);
        return key;
    }

    @Test
    void shouldRefuseToReopenWhenPortRangeChanged() {
        try (SnatTable table = SnatTable.pinned(dir, SnatTableTest.config())) {
            assertEquals(0, table.count());
        }
        MapPinException e = assertThrows(MapPinException.class,
                () -> SnatTable.pinned(dir, SnatTableTest.config().withPortRange(40000, 40200)));
        assertTrue(e.getMessage().contains("value size"), e.getMessage());
    }
}
