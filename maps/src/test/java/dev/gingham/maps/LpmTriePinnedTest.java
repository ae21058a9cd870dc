package dev.gingham.maps;

import static dev.gingham.maps.LpmTestSupport.LONG;
import static dev.gingham.maps.LpmTestSupport.ip4;
import static dev.gingham.maps.LpmTestSupport.value;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LpmTriePinnedTest {
    private static final MapSpec SPEC = MapSpec.lpmTrie("ipcache4", 4, 8, 2048);

    @TempDir
    Path dir;

    /** Probe addresses and the value (or -1) each had: the map's observable content. */
    private static long[] snapshot(LpmTrie trie, int[] probes) {
        long[] values = new long[probes.length];
        for (int i = 0; i < probes.length; i++) {
            long offset = trie.lookup4(probes[i]);
            values[i] = offset == MapErrors.MISSING ? -1 : trie.segment().get(LONG, offset);
        }
        return values;
    }

    private static int[] fill(LpmTrie trie, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        int[] probes = new int[4000];
        int[] lengths = new int[1500];
        for (int i = 0; i < 1500; i++) {
            int address = ip4("10.0.0.0") | random.nextInt(1 << 20);
            lengths[i] = 8 + random.nextInt(25);
            assertEquals(MapErrors.OK, trie.update4(address, lengths[i], value(i, 8), 0, UpdateFlags.ANY));
            probes[i] = address;
        }
        for (int i = 0; i < 300; i++) {
            // A later duplicate may have deleted it already; either way the prefix goes.
            int code = trie.delete4(probes[i * 5], lengths[i * 5]);
            assertTrue(code == MapErrors.OK || code == MapErrors.ENOENT, MapErrors.name(code));
        }
        for (int i = 1500; i < probes.length; i++) {
            probes[i] = random.nextBoolean() ? random.nextInt() : ip4("10.0.0.0") | random.nextInt(1 << 20);
        }
        return probes;
    }

    @Test
    void shouldKeepEveryLookupWhenReopenedAfterClose() {
        Path file = dir.resolve("ipcache4.map");
        int[] probes;
        long[] before;
        int count;
        try (LpmTrie trie = LpmTrie.pinned(SPEC, file)) {
            probes = fill(trie, 7);
            // Some churn, so that the stored records have holes and retired slots.
            assertEquals(MapErrors.OK, trie.update4(ip4("10.0.0.0"), 8, value(-8, 8), 0, UpdateFlags.ANY));
            assertEquals(MapErrors.OK, trie.update4(ip4("10.0.0.0"), 8, value(-9, 8), 0, UpdateFlags.ANY));
            assertEquals(MapErrors.OK, trie.update4(ip4("192.168.0.0"), 16, value(-16, 8), 0, UpdateFlags.ANY));
            assertEquals(MapErrors.OK, trie.delete4(ip4("192.168.0.0"), 16));
            before = snapshot(trie, probes);
            count = trie.count();
        }
        try (LpmTrie trie = LpmTrie.pinned(SPEC, file)) {
            assertEquals(count, trie.count());
            assertEquals(-1, trie.lookup4(ip4("192.168.1.1")));
            long[] after = snapshot(trie, probes);
            for (int i = 0; i < probes.length; i++) {
                assertEquals(before[i], after[i], "probe " + LpmTestSupport.dotted(probes[i]));
            }
            assertEquals(count, trie.forEach((s, k, v) -> { }));
            // The reopened map keeps working: updates, deletes, full map.
            assertEquals(MapErrors.OK, trie.update4(ip4("172.16.0.0"), 12, value(12, 8), 0, UpdateFlags.NOEXIST));
            assertEquals(12, trie.segment().get(LONG, trie.lookup4(ip4("172.20.1.1"))));
            assertEquals(MapErrors.EEXIST, trie.update4(ip4("172.16.0.0"), 12, value(12, 8), 0, UpdateFlags.NOEXIST));
        }
    }

    @Test
    void shouldRebuildTheTrieFromStoredPrefixesWhenTheRootWasLost() throws IOException {
        Path file = dir.resolve("rebuilt.map");
        int[] probes;
        long[] before;
        int nodes;
        try (LpmTrie trie = LpmTrie.pinned(SPEC, file)) {
            probes = fill(trie, 11);
            before = snapshot(trie, probes);
            nodes = trie.nodesInUse();
        }
        // An owner that died mid-update: zero the root as if its writes never reached the file.
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
            channel.write(ByteBuffer.allocate(LpmTrie.ROOT_ENTRIES * 4), MapMemory.BODY_OFFSET);
        }
        try (LpmTrie trie = LpmTrie.pinned(SPEC, file)) {
            long[] after = snapshot(trie, probes);
            for (int i = 0; i < probes.length; i++) {
                assertEquals(before[i], after[i], "probe " + LpmTestSupport.dotted(probes[i]));
            }
            assertEquals(nodes, trie.nodesInUse());
        }
    }

    @Test
    void shouldNameTheFieldWhenTheSpecDoesNotMatchThePinnedFile() {
        Path file = dir.resolve("spec.map");
        try (LpmTrie trie = LpmTrie.pinned(SPEC, file)) {
            assertEquals(MapErrors.OK, trie.update4(ip4("10.0.0.0"), 8, value(1, 8), 0, UpdateFlags.ANY));
        }
        MapPinException e = assertThrows(MapPinException.class,
                () -> LpmTrie.pinned(MapSpec.lpmTrie("ipcache4", 4, 16, 2048), file));
        assertTrue(e.getMessage().contains("value size"), e.getMessage());
        e = assertThrows(MapPinException.class, () -> LpmTrie.pinned(MapSpec.lpmTrie("ipcache4", 4, 8, 4096), file));
        assertTrue(e.getMessage().contains("max entries"), e.getMessage());
        e = assertThrows(MapPinException.class, () -> LpmTrie.pinned(MapSpec.lpmTrie("ipcache4", 16, 8, 2048), file));
        assertTrue(e.getMessage().contains("key size"), e.getMessage());
        e = assertThrows(MapPinException.class, () -> LpmTrie.pinned(SPEC, file, 100));
        assertTrue(e.getMessage().contains("node capacity is 4096 in the file but 100"), e.getMessage());
        // The file is untouched by the refusals.
        try (LpmTrie trie = LpmTrie.pinned(SPEC, file)) {
            assertEquals(1, trie.segment().get(LONG, trie.lookup4(ip4("10.1.2.3"))));
        }
    }

    @Test
    void shouldSeeTheOwnersEntriesWhenOpenedReadOnly() {
        Path file = dir.resolve("shared.map");
        try (LpmTrie owner = LpmTrie.pinned(SPEC, file)) {
            int[] probes = fill(owner, 13);
            try (LpmTrie reader = LpmTrie.openReadOnly(file)) {
                assertTrue(reader.readOnly());
                assertEquals(SPEC, reader.spec());
                assertEquals(owner.count(), reader.count());
                assertEquals(owner.nodesInUse(), reader.nodesInUse());
                long[] mine = snapshot(owner, probes);
                long[] theirs = snapshot(reader, probes);
                for (int i = 0; i < probes.length; i++) {
                    assertEquals(mine[i], theirs[i], "probe " + LpmTestSupport.dotted(probes[i]));
                }
                assertEquals(owner.count(), reader.forEach((s, k, v) -> { }));
                // Changes the owner makes afterwards show through the shared mapping.
                assertEquals(MapErrors.OK, owner.update4(ip4("203.0.113.0"), 24, value(24, 8), 0, UpdateFlags.ANY));
                assertEquals(24, reader.segment().get(LONG, reader.lookup4(ip4("203.0.113.77"))));
                assertTrue(reader.lookupExact4(ip4("203.0.113.0"), 24) >= 0);
                // A read-only map refuses to write.
                assertEquals(MapErrors.EPERM, reader.update4(ip4("198.51.100.0"), 24, value(1, 8), 0, UpdateFlags.ANY));
                assertEquals(MapErrors.EPERM, reader.delete4(ip4("203.0.113.0"), 24));
                assertEquals(MapErrors.EPERM, reader.update4(ip4("1.2.3.4"), 99, value(1, 8), 0, 42));
                assertEquals(24, reader.segment().get(LONG, reader.lookup4(ip4("203.0.113.1"))));
            }
            // One writer per pinned map.
            MapPinException e = assertThrows(MapPinException.class, () -> LpmTrie.pinned(SPEC, file));
            assertTrue(e.getMessage().contains("already opened"), e.getMessage());
            assertFalse(owner.readOnly());
        }
    }

    @Test
    void shouldRefuseReadOnlyOpenWhenTheFileIsAnotherMapType() {
        Path file = dir.resolve("other.map");
        MapMemory.pinned(file, MapSpec.hash("h", 4, 8, 16), 1, 4096, 0).close();
        MapPinException e = assertThrows(MapPinException.class, () -> LpmTrie.openReadOnly(file));
        assertTrue(e.getMessage().contains("HASH"), e.getMessage());
    }
}
