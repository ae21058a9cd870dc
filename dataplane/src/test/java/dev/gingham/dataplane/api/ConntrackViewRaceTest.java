package dev.gingham.dataplane.api;

import dev.gingham.conntrack.CtConfig;
import dev.gingham.conntrack.CtEntry;
import dev.gingham.conntrack.CtKey;
import dev.gingham.conntrack.CtTable;
import dev.gingham.maps.HashMap;
import dev.gingham.maps.UpdateFlags;
import dev.gingham.nat.IpAddress;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A conntrack dump while a writer inserts, rewrites and deletes entries: every row the dump
 * returns is one whole value of its key (never half of two writes), and nothing throws.
 */
class ConntrackViewRaceTest {
    private static final IpAddress SRC = IpAddress.parse("10.0.0.1");
    private static final IpAddress DST = IpAddress.parse("10.0.0.2");
    private static final int FLOWS = 256;

    @Test
    @Timeout(30)
    void shouldReturnOnlyWholeEntriesWhenWritersRaceTheDump() throws Exception {
        try (CtTable table = CtTable.create(new CtConfig(1024, 1024, CtConfig.defaults().lifetimes()), 1)) {
            HashMap map = table.mapFor(IpProtocols.UDP, true);
            AtomicBoolean stop = new AtomicBoolean();
            AtomicLong writes = new AtomicLong();
            Thread writer = Thread.ofPlatform().start(() -> {
                try (Arena arena = Arena.ofConfined()) {
                    MemorySegment key = arena.allocate(CtKey.LENGTH, 8);
                    MemorySegment stored = arena.allocate(CtKey.LENGTH4, 8); // the IPv4 map's form of the key
                    MemorySegment value = arena.allocate(CtEntry.LENGTH, 8);
                    CtKey k = new CtKey().wrap(key, 0);
                    for (long round = 1; !stop.get(); round++) {
                        for (int port = 1; port <= FLOWS; port++) {
                            k.set(SRC.hi(), SRC.lo(), DST.hi(), DST.lo(), port, 53, IpProtocols.UDP, 0);
                            CtKey.storeIpv4(key, 0, stored, 0);
                            if ((port + round) % 3 == 0) {
                                map.delete(stored, 0);
                                continue;
                            }
                            long packets = round * 1000 + port; // the value names its key and its write
                            value.set(ValueLayout.JAVA_LONG, CtEntry.PACKETS_OFFSET, packets);
                            value.set(ValueLayout.JAVA_LONG, CtEntry.BYTES_OFFSET, packets * 7);
                            value.set(ValueLayout.JAVA_INT, CtEntry.BACKEND_ID_OFFSET, (int) (packets * 11));
                            map.update(stored, 0, value, 0, UpdateFlags.ANY);
                            writes.incrementAndGet();
                        }
                    }
                }
            });
            long dumps = 0;
            long rows = 0;
            long deadline = System.nanoTime() + 500_000_000L;
            ConntrackView.Filter all = new ConntrackView.Filter(null, null, null, null, null, null, ConntrackView.MAX_LIMIT);
            try {
                while (System.nanoTime() < deadline || dumps < 20) {
                    for (ConntrackView.Entry e : ConntrackView.of(table, all, 0).entries()) {
                        assertEquals(e.packets() * 7, e.bytes(), "one write's value: " + e);
                        assertEquals((int) (e.packets() * 11), e.backendId(), "one write's value: " + e);
                        assertEquals(e.sourcePort(), e.packets() % 1000, "the value of this key: " + e);
                        assertEquals("ipv4", e.family());
                        assertEquals("10.0.0.1", e.source());
                        rows++;
                    }
                    dumps++;
                }
            } finally {
                stop.set(true);
                writer.join();
            }
            assertTrue(rows > dumps, "the dumps saw entries: " + rows + " rows in " + dumps + " dumps");
            assertTrue(writes.get() > FLOWS, "the writer ran alongside");
        }
    }
}
