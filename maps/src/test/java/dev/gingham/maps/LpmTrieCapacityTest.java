package dev.gingham.maps;

import static dev.gingham.maps.LpmTestSupport.LONG;
import static dev.gingham.maps.LpmTestSupport.ip4;
import static dev.gingham.maps.LpmTestSupport.value;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The node budget of an LPM trie: its default, running out of it, and getting nodes back. */
class LpmTrieCapacityTest {
    private static final int VALUE_SIZE = 8;

    @TempDir
    Path dir;

    private static int put(LpmTrie trie, int address, int len, long v) {
        return trie.update4(address, len, value(v, VALUE_SIZE), 0, UpdateFlags.ANY);
    }

    /** Returns: the value of the longest match, or -1. */
    private static long at(LpmTrie trie, int address) {
        long offset = trie.lookup4(address);
        return offset == MapErrors.MISSING ? -1 : trie.segment().get(LONG, offset);
    }

    /** A host route alone in its own /16: it needs a level-1 and a level-2 node of its own. */
    private static int scattered(int i) {
        return (11 + i) << 24 | (i & 0xFF) << 16 | 7 << 8 | 9;
    }

    @Test
    void shouldReturnEnospcAndKeepEveryStoredPrefixWhenTheNodeBudgetRunsOut() {
        try (LpmTrie trie = LpmTrie.create(MapSpec.lpmTrie("budget", 4, VALUE_SIZE, 1000), 8)) {
            assertEquals(MapErrors.OK, put(trie, ip4("10.0.0.0"), 8, 100));
            List<Integer> stored = new ArrayList<>();
            int code;
            while ((code = put(trie, scattered(stored.size()), 32, stored.size())) == MapErrors.OK) {
                stored.add(scattered(stored.size()));
            }
            assertEquals(MapErrors.ENOSPC, code, MapErrors.name(code));
            assertEquals(4, stored.size(), "two nodes per scattered host route, eight nodes");
            assertEquals(8, trie.nodesInUse());
            assertEquals(5, trie.count());

            // The refused prefix left nothing behind: its address matches nothing, exactly or not.
            int refused = scattered(stored.size());
            assertEquals(-1, at(trie, refused));
            assertEquals(MapErrors.MISSING, trie.lookupExact4(refused, 32));
            // Everything stored before still answers, and so do their neighbours.
            for (int i = 0; i < stored.size(); i++) {
                assertEquals(i, at(trie, stored.get(i)));
                assertEquals(-1, at(trie, stored.get(i) + 1));
            }
            assertEquals(100, at(trie, ip4("10.200.1.1")));
            assertEquals(5, trie.forEach((segment, key, v) -> { }));

            // What needs no new node still succeeds: replacing a stored prefix, a /16, a /20
            // under an existing level-1 node.
            assertEquals(MapErrors.OK, put(trie, stored.get(0), 32, 42));
            trie.reclaim();
            assertEquals(42, at(trie, stored.get(0)));
            assertEquals(MapErrors.OK, put(trie, ip4("10.1.0.0"), 16, 101));
            assertEquals(MapErrors.OK, put(trie, stored.get(1) & 0xFFFF_F000, 20, 102));
            assertEquals(102, at(trie, stored.get(1) + 0x100));
            assertEquals(1, at(trie, stored.get(1)));
            assertEquals(MapErrors.ENOSPC, put(trie, ip4("10.1.2.0"), 24, 103));
            assertEquals(8, trie.nodesInUse());
        }
    }

    @Test
    void shouldReuseNodesWhenDeletedPrefixesAreReclaimed() {
        try (LpmTrie trie = LpmTrie.create(MapSpec.lpmTrie("reuse", 4, VALUE_SIZE, 64), 6)) {
            for (int i = 0; i < 3; i++) {
                assertEquals(MapErrors.OK, put(trie, scattered(i), 32, i));
            }
            assertEquals(MapErrors.ENOSPC, put(trie, scattered(3), 32, 3));

            assertEquals(MapErrors.OK, trie.delete4(scattered(0), 32));
            assertEquals(4, trie.nodesInUse(), "the deleted route's two nodes are unlinked");
            assertEquals(MapErrors.EBUSY, put(trie, scattered(3), 32, 3), "its nodes wait for a grace period");
            trie.reclaim();
            assertEquals(MapErrors.OK, put(trie, scattered(3), 32, 3));
            assertEquals(6, trie.nodesInUse());

            // Sustained churn at the full budget: nothing leaks, every live route answers.
            int oldest = 1;
            for (int next = 4; next < 2000; next++, oldest++) {
                assertEquals(MapErrors.OK, trie.delete4(scattered(oldest), 32));
                trie.reclaim(trie.retiredMark());
                assertEquals(MapErrors.OK, put(trie, scattered(next), 32, next), "round " + next);
                assertEquals(6, trie.nodesInUse());
            }
            for (int i = oldest; i < oldest + 3; i++) {
                assertEquals(i, at(trie, scattered(i)));
            }
            assertEquals(-1, at(trie, scattered(oldest - 1)));
            assertEquals(3, trie.count());
        }
    }

    @Test
    void shouldSizeTheDefaultFarBelowTheWorstCaseWhenTheTrieHoldsAMillionPrefixes() {
        MapSpec spec = MapSpec.lpmTrie("ipcache4", 4, VALUE_SIZE, 1_000_000);
        int nodes = LpmTrie.defaultNodeCapacity(spec);
        long worst = LpmTrie.worstCaseNodes(spec);
        long bytes = LpmTrie.memoryBytes(spec, nodes);
        long worstBytes = LpmTrie.memoryBytes(spec, (int) worst);
        System.out.printf("1M IPv4 prefixes: default %d nodes, %d bytes; worst case %d nodes, %d bytes%n",
                nodes, bytes, worst, worstBytes);
        assertEquals(250_000, nodes);
        assertEquals(1_065_536, worst);
        assertEquals((worst - nodes) * LpmTrie.NODE_BYTES, worstBytes - bytes);
        assertTrue(bytes < worstBytes / 3, bytes + " bytes by default, " + worstBytes + " for the worst case");
    }

    @Test
    void shouldKeepTheWorstCaseAsDefaultWhenTheTrieIsSmall() {
        MapSpec small = MapSpec.lpmTrie("small", 4, VALUE_SIZE, 8192);
        assertEquals(LpmTrie.worstCaseNodes(small), LpmTrie.defaultNodeCapacity(small));
        MapSpec medium = MapSpec.lpmTrie("medium", 4, VALUE_SIZE, 20_000);
        assertEquals(LpmTrie.SMALL_TRIE_NODES, LpmTrie.defaultNodeCapacity(medium));
        MapSpec v6 = MapSpec.lpmTrie("v6", 16, VALUE_SIZE, 100);
        assertEquals(456, LpmTrie.defaultNodeCapacity(v6));
    }

    @Test
    void shouldFitAClusteredIpcacheWhenTheDefaultIsBelowTheWorstCase() {
        MapSpec spec = MapSpec.lpmTrie("ipcache4", 4, VALUE_SIZE, 100_000);
        try (LpmTrie trie = LpmTrie.create(spec)) {
            assertEquals(25_000, trie.nodeCapacity());
            int stored = 0;
            // 85,000 pods: 110 per node in each node's /24 of 10.0.0.0/8 (773 level-2 nodes).
            for (int node = 0; stored < 85_000; node++) {
                for (int pod = 1; pod <= 110 && stored < 85_000; pod++) {
                    assertEquals(MapErrors.OK, put(trie, 10 << 24 | node << 8 | pod, 32, stored++));
                }
            }
            // 5,000 world host routes, each alone in its /16 (two nodes each).
            for (int i = 0; i < 5_000; i++) {
                assertEquals(MapErrors.OK, put(trie, (100 + i % 100) << 24 | (i / 100) << 16 | 1 << 8 | 1, 32, stored++));
            }
            // 10,000 CIDRs from /16 to /24, each in its own /16 (one node each when longer than /16).
            for (int i = 0; i < 10_000; i++) {
                assertEquals(MapErrors.OK, put(trie, (20 + i % 50) << 24 | (i / 50) << 16, 16 + i % 9, stored++));
            }
            assertEquals(100_000, trie.count());
            assertTrue(trie.nodesInUse() < trie.nodeCapacity(), trie.toString());
            assertEquals(0, at(trie, 10 << 24 | 1));
            assertEquals(110, at(trie, 10 << 24 | 1 << 8 | 1));
        }
    }

    @Test
    void shouldKeepItsNodeCapacityWhenAPinnedTrieIsReopenedWithTheDefault() {
        MapSpec spec = MapSpec.lpmTrie("pinned", 4, VALUE_SIZE, 1000);
        Path file = dir.resolve("lpm.map");
        try (LpmTrie trie = LpmTrie.pinned(spec, file, 50)) {
            assertEquals(MapErrors.OK, put(trie, ip4("10.0.0.7"), 32, 7));
        }
        try (LpmTrie trie = LpmTrie.pinned(spec, file)) {
            assertEquals(50, trie.nodeCapacity());
            assertEquals(7, at(trie, ip4("10.0.0.7")));
            assertEquals(LpmTrie.memoryBytes(spec, 50), trie.memory().segment().byteSize());
        }
    }
}
