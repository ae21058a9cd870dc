package dev.gingham.maps;

import static dev.gingham.maps.LpmTestSupport.LONG;
import static dev.gingham.maps.LpmTestSupport.INT_BE;
import static dev.gingham.maps.LpmTestSupport.LONG_BE;
import static dev.gingham.maps.LpmTestSupport.ip4;
import static dev.gingham.maps.LpmTestSupport.ip6;
import static dev.gingham.maps.LpmTestSupport.value;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class LpmTrieTest {
    private static final int VALUE_SIZE = 8;
    private final List<LpmTrie> opened = new ArrayList<>();

    @AfterEach
    void closeAll() {
        opened.forEach(LpmTrie::close);
    }

    private LpmTrie v4(int maxEntries) {
        return track(LpmTrie.create(MapSpec.lpmTrie("test-v4", 4, VALUE_SIZE, maxEntries)));
    }

    private LpmTrie v4(int maxEntries, int nodeCapacity) {
        return track(LpmTrie.create(MapSpec.lpmTrie("test-v4", 4, VALUE_SIZE, maxEntries), nodeCapacity));
    }

    private LpmTrie v6(int maxEntries) {
        return track(LpmTrie.create(MapSpec.lpmTrie("test-v6", 16, VALUE_SIZE, maxEntries)));
    }

    private LpmTrie track(LpmTrie trie) {
        opened.add(trie);
        return trie;
    }

    private static int put(LpmTrie trie, String address, int len, long v) {
        return trie.update4(ip4(address), len, value(v, VALUE_SIZE), 0, UpdateFlags.ANY);
    }

    /** Returns: the value of the longest match, or -1. */
    private static long at(LpmTrie trie, String address) {
        long offset = trie.lookup4(ip4(address));
        return offset == MapErrors.MISSING ? -1 : trie.segment().get(LONG, offset);
    }

    private static long at6(LpmTrie trie, String address) {
        long[] a = ip6(address);
        long offset = trie.lookup6(a[0], a[1]);
        return offset == MapErrors.MISSING ? -1 : trie.segment().get(LONG, offset);
    }

    private static void assertOk(int code) {
        assertEquals(MapErrors.OK, code, () -> MapErrors.name(code));
    }

    private LpmTrie overlapping() {
        LpmTrie trie = v4(64);
        assertOk(put(trie, "0.0.0.0", 0, 1));
        assertOk(put(trie, "10.0.0.0", 8, 8));
        assertOk(put(trie, "10.1.0.0", 16, 16));
        assertOk(put(trie, "10.1.2.0", 24, 24));
        assertOk(put(trie, "10.1.2.3", 32, 32));
        assertOk(put(trie, "10.1.2.128", 25, 25));
        return trie;
    }

    @Test
    void shouldReturnLongestMatchWhenPrefixesOverlap() {
        LpmTrie trie = overlapping();
        assertEquals(6, trie.count());
        assertEquals(1, at(trie, "9.255.255.255"));
        assertEquals(8, at(trie, "10.0.0.0"));
        assertEquals(8, at(trie, "10.255.255.255"));
        assertEquals(8, at(trie, "10.0.255.255"));
        assertEquals(8, at(trie, "10.2.0.0"));
        assertEquals(16, at(trie, "10.1.0.0"));
        assertEquals(16, at(trie, "10.1.255.255"));
        assertEquals(16, at(trie, "10.1.1.255"));
        assertEquals(16, at(trie, "10.1.3.0"));
        assertEquals(24, at(trie, "10.1.2.0"));
        assertEquals(24, at(trie, "10.1.2.2"));
        assertEquals(32, at(trie, "10.1.2.3"));
        assertEquals(24, at(trie, "10.1.2.4"));
        assertEquals(24, at(trie, "10.1.2.127"));
        assertEquals(25, at(trie, "10.1.2.128"));
        assertEquals(25, at(trie, "10.1.2.255"));
        assertEquals(1, at(trie, "11.0.0.0"));
        assertEquals(1, at(trie, "255.255.255.255"));
        assertEquals(1, at(trie, "0.0.0.0"));
    }

    @Test
    void shouldFallBackToNextLongestWhenMiddlePrefixesAreDeleted() {
        LpmTrie trie = overlapping();
        assertOk(trie.delete4(ip4("10.1.0.0"), 16));
        assertEquals(8, at(trie, "10.1.0.0"));
        assertEquals(8, at(trie, "10.1.255.255"));
        assertEquals(24, at(trie, "10.1.2.0"));
        assertEquals(32, at(trie, "10.1.2.3"));
        assertEquals(25, at(trie, "10.1.2.200"));

        assertOk(trie.delete4(ip4("10.1.2.0"), 24));
        assertEquals(8, at(trie, "10.1.2.0"));
        assertEquals(8, at(trie, "10.1.2.127"));
        assertEquals(32, at(trie, "10.1.2.3"));
        assertEquals(25, at(trie, "10.1.2.128"));

        assertOk(trie.delete4(ip4("10.0.0.0"), 8));
        assertEquals(1, at(trie, "10.1.2.0"));
        assertEquals(1, at(trie, "10.200.0.1"));
        assertEquals(32, at(trie, "10.1.2.3"));
        assertEquals(25, at(trie, "10.1.2.255"));
        assertEquals(3, trie.count());

        // Re-adding the middle prefixes restores them under the longer ones.
        assertOk(put(trie, "10.1.0.0", 16, 160));
        assertEquals(160, at(trie, "10.1.2.0"));
        assertEquals(32, at(trie, "10.1.2.3"));
        assertEquals(25, at(trie, "10.1.2.129"));
    }

    @Test
    void shouldAnswerDefaultRouteWhenOnlySlashZeroExistsAndMissWhenItIsDeleted() {
        LpmTrie trie = v4(8);
        assertEquals(MapErrors.MISSING, trie.lookup4(ip4("1.2.3.4")));
        assertOk(put(trie, "0.0.0.0", 0, 7));
        assertEquals(7, at(trie, "1.2.3.4"));
        assertEquals(7, at(trie, "255.255.255.255"));
        assertOk(put(trie, "192.168.1.1", 32, 9));
        assertEquals(9, at(trie, "192.168.1.1"));
        assertEquals(7, at(trie, "192.168.1.2"));
        assertOk(trie.delete4(0, 0));
        assertEquals(MapErrors.MISSING, trie.lookup4(ip4("1.2.3.4")));
        assertEquals(MapErrors.MISSING, trie.lookup4(ip4("192.168.1.2")));
        assertEquals(9, at(trie, "192.168.1.1"));
    }

    @Test
    void shouldMatchExactRangeWhenPrefixLengthIsNotAMultipleOfTheStride() {
        int[] lengths = {1, 7, 9, 15, 17, 23, 31};
        for (int len : lengths) {
            LpmTrie trie = v4(4);
            int base = ip4("170.170.170.170"); // 10101010...
            assertOk(trie.update4(base, len, value(len, VALUE_SIZE), 0, UpdateFlags.ANY));
            int mask = -1 << (32 - len);
            int first = base & mask;
            int last = first | ~mask;
            assertEquals(len, valueAt(trie, first), "first address of /" + len);
            assertEquals(len, valueAt(trie, last), "last address of /" + len);
            assertEquals(len, valueAt(trie, first + ((last - first) >>> 1)), "middle of /" + len);
            assertEquals(-1, valueAt(trie, first - 1), "address before /" + len);
            assertEquals(-1, valueAt(trie, last + 1), "address after /" + len);
            assertEquals(1, trie.count());
        }
    }

    @Test
    void shouldIgnoreHostBitsWhenInsertingLookingUpExactlyAndDeleting() {
        LpmTrie trie = v4(8);
        assertOk(put(trie, "10.1.2.3", 9, 99)); // stored as 10.0.0.0/9
        assertEquals(99, at(trie, "10.0.0.0"));
        assertEquals(99, at(trie, "10.127.255.255"));
        assertEquals(-1, at(trie, "10.128.0.0"));
        long exact = trie.lookupExact4(ip4("10.0.0.0"), 9);
        assertTrue(exact >= 0);
        assertEquals(exact, trie.lookupExact4(ip4("10.99.1.1"), 9));
        assertEquals(MapErrors.EEXIST, trie.update4(ip4("10.5.5.5"), 9, value(1, VALUE_SIZE), 0, UpdateFlags.NOEXIST));

        List<String> keys = new ArrayList<>();
        trie.forEach((segment, keyOffset, valueOffset) -> keys.add(segment.get(ValueLayout.JAVA_INT, keyOffset) + " "
                + LpmTestSupport.dotted(segment.get(INT_BE, keyOffset + 4)) + " " + segment.get(LONG, valueOffset)));
        assertEquals(List.of("9 10.0.0.0 99"), keys);

        assertOk(trie.delete4(ip4("10.64.0.1"), 9));
        assertEquals(0, trie.count());
        assertEquals(-1, at(trie, "10.0.0.0"));
    }

    @Test
    void shouldReturnErrorCodesWhenFlagsOrLengthsAreWrong() {
        LpmTrie trie = v4(8);
        MemorySegment v = value(5, VALUE_SIZE);
        int a = ip4("10.0.0.0");
        assertEquals(MapErrors.ENOENT, trie.update4(a, 8, v, 0, UpdateFlags.EXIST));
        assertOk(trie.update4(a, 8, v, 0, UpdateFlags.NOEXIST));
        assertEquals(MapErrors.EEXIST, trie.update4(a, 8, v, 0, UpdateFlags.NOEXIST));
        assertOk(trie.update4(a, 8, value(6, VALUE_SIZE), 0, UpdateFlags.EXIST));
        assertEquals(6, at(trie, "10.9.9.9"));
        assertOk(trie.update4(a, 8, value(7, VALUE_SIZE), 0, UpdateFlags.ANY));
        assertEquals(7, at(trie, "10.9.9.9"));
        assertEquals(MapErrors.EINVAL, trie.update4(a, 8, v, 0, 3));
        assertEquals(MapErrors.EINVAL, trie.update4(a, 8, v, 0, -1));
        assertEquals(MapErrors.EINVAL, trie.update4(a, -1, v, 0, UpdateFlags.ANY));
        assertEquals(MapErrors.EINVAL, trie.update4(a, 33, v, 0, UpdateFlags.ANY));
        assertEquals(MapErrors.EINVAL, trie.delete4(a, 33));
        assertEquals(MapErrors.EINVAL, trie.delete4(a, -1));
        assertEquals(MapErrors.ENOENT, trie.delete4(a, 9));
        assertEquals(MapErrors.ENOENT, trie.delete4(ip4("11.0.0.0"), 8));
        assertEquals(MapErrors.MISSING, trie.lookupExact4(a, 9));
        assertEquals(MapErrors.MISSING, trie.lookupExact4(a, 40));
        assertEquals(1, trie.count());
        // Address-family mismatches.
        assertEquals(MapErrors.EINVAL, trie.update6(0, 0, 8, v, 0, UpdateFlags.ANY));
        assertEquals(MapErrors.EINVAL, trie.delete6(0, 0, 8));
        assertEquals(MapErrors.MISSING, trie.lookup6(0, 0));
        LpmTrie six = v6(4);
        assertEquals(MapErrors.EINVAL, six.update4(a, 8, v, 0, UpdateFlags.ANY));
        assertEquals(MapErrors.EINVAL, six.update6(0, 0, 129, v, 0, UpdateFlags.ANY));
        assertEquals(MapErrors.MISSING, six.lookup4(a));
        assertThrows(IllegalArgumentException.class, () -> LpmTrie.create(MapSpec.hash("h", 4, 8, 8)));
    }

    @Test
    void shouldReturnE2bigWhenMaxEntriesPrefixesExist() {
        LpmTrie trie = v4(4);
        for (int i = 0; i < 4; i++) {
            assertOk(put(trie, "10." + i + ".0.0", 16, i));
        }
        assertEquals(MapErrors.E2BIG, put(trie, "10.9.0.0", 16, 9));
        assertEquals(MapErrors.E2BIG, put(trie, "10.0.0.0", 17, 9));
        // Replacing an existing prefix needs no new entry.
        assertOk(put(trie, "10.2.0.0", 16, 22));
        assertEquals(22, at(trie, "10.2.3.4"));
        assertOk(trie.delete4(ip4("10.1.0.0"), 16));
        assertOk(put(trie, "10.9.0.0", 16, 9));
        assertEquals(9, at(trie, "10.9.0.1"));
        assertEquals(4, trie.count());
    }

    @Test
    void shouldReturnEnospcWhenNodeCapacityIsExhausted() {
        LpmTrie trie = v4(16, 2);
        assertOk(put(trie, "10.0.0.0", 24, 1));   // one level-1 node
        assertOk(put(trie, "10.0.0.7", 32, 2));   // plus one level-2 node
        assertEquals(2, trie.nodesInUse());
        assertOk(put(trie, "10.0.0.8", 31, 3));   // same nodes
        assertOk(put(trie, "10.0.0.0", 16, 4));   // root only
        assertEquals(MapErrors.ENOSPC, put(trie, "10.1.0.0", 17, 5));
        assertEquals(MapErrors.ENOSPC, put(trie, "10.0.1.0", 25, 5));
        assertEquals(4, trie.count());
        // A refused prefix leaves no trace.
        assertEquals(-1, at(trie, "10.1.0.0"));
        assertEquals(4, at(trie, "10.0.1.0"));
        assertEquals(2, trie.nodesInUse());
    }

    @Test
    void shouldReturnEnospcWhenScatteredIpv6HostRoutesExhaustTheDefaultBudget() {
        LpmTrie trie = v6(100);
        assertEquals(456, trie.nodeCapacity());
        SplittableRandom random = new SplittableRandom(6);
        int inserted = 0;
        int code;
        while ((code = trie.update6(random.nextLong(), random.nextLong(), 128, value(inserted, VALUE_SIZE), 0,
                UpdateFlags.ANY)) == MapErrors.OK) {
            inserted++;
        }
        assertEquals(MapErrors.ENOSPC, code, () -> MapErrors.name(trie.update6(1, 1, 128, value(0, VALUE_SIZE), 0, 0)));
        assertTrue(inserted >= 456 / 14 && inserted < 100, "inserted " + inserted);
        assertEquals(inserted, trie.count());
        // Shorter prefixes still fit.
        assertOk(trie.update6(ip6("2001:db8::")[0], 0, 32, value(1, VALUE_SIZE), 0, UpdateFlags.ANY));
    }

    @Test
    void shouldReturnEbusyUntilReclaimWhenRetiredMemoryIsNeeded() {
        LpmTrie trie = v4(1, 1);
        assertOk(put(trie, "10.0.0.0", 24, 1));
        // Slots: 2 per entry. A replacement retires one; the next finds none free.
        assertOk(put(trie, "10.0.0.0", 24, 2));
        assertEquals(MapErrors.EBUSY, put(trie, "10.0.0.0", 24, 3));
        assertEquals(2, at(trie, "10.0.0.1"));
        trie.reclaim();
        assertOk(put(trie, "10.0.0.0", 24, 3));
        assertEquals(3, at(trie, "10.0.0.1"));
        // Nodes: the only node is retired by the delete and needed again by the next insert.
        assertOk(trie.delete4(ip4("10.0.0.0"), 24));
        assertEquals(0, trie.nodesInUse());
        assertEquals(MapErrors.EBUSY, put(trie, "11.0.0.0", 24, 4));
        long mark = trie.retiredMark();
        trie.reclaim(mark);
        assertEquals(0, trie.retiredCount());
        assertOk(put(trie, "11.0.0.0", 24, 4));
        assertEquals(4, at(trie, "11.0.0.255"));
    }

    @Test
    void shouldKeepRetiredValueIntactUntilReclaim() {
        LpmTrie trie = v4(4);
        assertOk(put(trie, "10.0.0.0", 8, 1));
        long before = trie.lookup4(ip4("10.1.1.1"));
        assertOk(put(trie, "10.0.0.0", 8, 2));
        long after = trie.lookup4(ip4("10.1.1.1"));
        assertTrue(before != after, "a replacement is published in a new slot");
        assertEquals(1, trie.segment().get(LONG, before), "a reader still holding the old offset reads the old value");
        assertEquals(2, trie.segment().get(LONG, after));
        assertOk(trie.delete4(ip4("10.0.0.0"), 8));
        assertEquals(2, trie.segment().get(LONG, after));
        assertEquals(2, trie.retiredCount());
        trie.reclaim();
        assertEquals(0, trie.retiredCount());
    }

    @Test
    void shouldReturnNodeUsageToBaselineWhenPrefixesChurn() {
        LpmTrie trie = v4(1024);
        assertOk(put(trie, "10.0.0.0", 8, 1));
        assertOk(put(trie, "10.1.2.0", 24, 2));
        assertOk(put(trie, "10.1.2.3", 32, 3));
        int baseline = trie.nodesInUse();
        assertEquals(2, baseline);
        SplittableRandom random = new SplittableRandom(42);
        int[] addresses = new int[200];
        int[] lengths = new int[200];
        for (int round = 0; round < 50; round++) {
            int n = 0;
            for (int i = 0; i < addresses.length; i++) {
                int address = (random.nextBoolean() ? ip4("10.1.0.0") : random.nextInt()) | random.nextInt(1 << 16);
                int len = 17 + random.nextInt(16);
                if (trie.update4(address, len, value(100 + i, VALUE_SIZE), 0, UpdateFlags.NOEXIST) == MapErrors.OK) {
                    addresses[n] = address;
                    lengths[n++] = len;
                }
            }
            assertTrue(trie.nodesInUse() > baseline);
            for (int i = 0; i < n; i++) {
                assertOk(trie.delete4(addresses[i], lengths[i]));
            }
            if (round % 7 == 0) {
                trie.reclaim();
            }
            assertEquals(baseline, trie.nodesInUse(), "round " + round);
        }
        trie.reclaim();
        assertEquals(0, trie.retiredCount());
        assertEquals(3, trie.count());
        assertEquals(1, at(trie, "10.200.0.0"));
        assertEquals(2, at(trie, "10.1.2.200"));
        assertEquals(3, at(trie, "10.1.2.3"));
        assertOk(trie.delete4(ip4("10.1.2.3"), 32));
        assertOk(trie.delete4(ip4("10.1.2.0"), 24));
        assertEquals(0, trie.nodesInUse());
        assertEquals(1, at(trie, "10.1.2.3"));
    }

    @Test
    void shouldLookUpThroughSegmentsWhenAddressesSitInAPacket() {
        LpmTrie four = v4(8);
        LpmTrie six = v6(8);
        MemorySegment packet = Arena.ofAuto().allocate(64);
        packet.set(INT_BE, 3, ip4("192.168.7.9"));
        long[] a = ip6("2001:db8:1:2::42");
        packet.set(LONG_BE, 17, a[0]);
        packet.set(LONG_BE, 25, a[1]);
        assertOk(four.update(packet, 3, 20, value(20, VALUE_SIZE), 0, UpdateFlags.ANY));
        assertOk(six.update(packet, 17, 64, value(64, VALUE_SIZE), 0, UpdateFlags.ANY));
        assertOk(six.update(packet, 17, 127, value(127, VALUE_SIZE), 0, UpdateFlags.ANY));
        assertEquals(20, four.segment().get(LONG, four.lookup(packet, 3)));
        assertEquals(127, six.segment().get(LONG, six.lookup(packet, 17)));
        assertEquals(64, at6(six, "2001:db8:1:2::44"));
        assertEquals(127, at6(six, "2001:db8:1:2::43"));
        assertEquals(-1, at6(six, "2001:db8:1:3::42"));
        assertTrue(six.lookupExact(packet, 17, 64) >= 0);
        assertEquals(MapErrors.MISSING, six.lookupExact(packet, 17, 65));
        assertOk(six.delete(packet, 17, 127));
        assertEquals(64, six.segment().get(LONG, six.lookup(packet, 17)));
        assertOk(four.delete(packet, 3, 20));
        assertEquals(MapErrors.MISSING, four.lookup(packet, 3));
    }

    @Test
    void shouldHandleIpv6BoundariesWhenPrefixesSpanBothHalves() {
        LpmTrie trie = v6(32);
        long[] base = ip6("2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff");
        int[] lengths = {0, 1, 15, 16, 17, 48, 63, 64, 65, 96, 120, 121, 127, 128};
        for (int len : lengths) {
            assertOk(trie.update6(base[0], base[1], len, value(len, VALUE_SIZE), 0, UpdateFlags.NOEXIST));
        }
        assertEquals(128, at6(trie, "2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff"));
        assertEquals(127, at6(trie, "2001:db8:aaaa:bbbb:cccc:dddd:eeee:fffe"));
        assertEquals(121, at6(trie, "2001:db8:aaaa:bbbb:cccc:dddd:eeee:ff80"));
        assertEquals(120, at6(trie, "2001:db8:aaaa:bbbb:cccc:dddd:eeee:ff00"));
        assertEquals(96, at6(trie, "2001:db8:aaaa:bbbb:cccc:dddd::"));
        assertEquals(65, at6(trie, "2001:db8:aaaa:bbbb:8000::"));
        assertEquals(64, at6(trie, "2001:db8:aaaa:bbbb::"));
        assertEquals(63, at6(trie, "2001:db8:aaaa:bbba::"));
        assertEquals(48, at6(trie, "2001:db8:aaaa:0::1"));
        assertEquals(17, at6(trie, "2001:db8:8000::"));
        assertEquals(16, at6(trie, "2001:8000::"));
        assertEquals(15, at6(trie, "2000::"));
        assertEquals(1, at6(trie, "::"));
        assertEquals(0, at6(trie, "8000::"));
        for (int len : lengths) {
            assertOk(trie.delete6(base[0], base[1], len));
        }
        assertEquals(0, trie.count());
        assertEquals(0, trie.nodesInUse());
        assertEquals(-1, at6(trie, "2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff"));
    }

    @Test
    void shouldDumpEveryPrefixWithItsValueWhenVisited() {
        LpmTrie trie = overlapping();
        List<String> dump = new ArrayList<>();
        int visited = trie.forEach((segment, keyOffset, valueOffset) -> {
            byte[] address = segment.asSlice(keyOffset + 4, 4).toArray(ValueLayout.JAVA_BYTE);
            dump.add((address[0] & 0xFF) + "." + (address[1] & 0xFF) + "." + (address[2] & 0xFF) + "."
                    + (address[3] & 0xFF) + "/" + segment.get(ValueLayout.JAVA_INT, keyOffset)
                    + "=" + segment.get(LONG, valueOffset));
        });
        assertEquals(6, visited);
        dump.sort(null);
        assertArrayEquals(new String[] {"0.0.0.0/0=1", "10.0.0.0/8=8", "10.1.0.0/16=16", "10.1.2.0/24=24",
                "10.1.2.128/25=25", "10.1.2.3/32=32"}, dump.toArray());
    }

    private static long valueAt(LpmTrie trie, int address) {
        long offset = trie.lookup4(address);
        return offset == MapErrors.MISSING ? -1 : trie.segment().get(LONG, offset);
    }
}
