package dev.gingham.maps;

import static dev.gingham.maps.LpmTestSupport.LONG;
import static dev.gingham.maps.LpmTestSupport.LONG_BE;
import static dev.gingham.maps.LpmTestSupport.INT_BE;
import static dev.gingham.maps.LpmTestSupport.maskHi;
import static dev.gingham.maps.LpmTestSupport.maskLo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gingham.maps.LpmTestSupport.Reference;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Random prefixes, lookups, replacements and deletes against a list scanned for the longest
 * match. Fixed seeds: a failure names the seed and the operation and reproduces.
 */
class LpmTrieDifferentialTest {
    private static final int VALUE_SIZE = 16;

    @Test
    void shouldAgreeWithReferenceWhenIpv4PrefixesAreInsertedReplacedAndDeleted() {
        MapSpec spec = MapSpec.lpmTrie("diff-v4", 4, VALUE_SIZE, 4000);
        try (LpmTrie trie = LpmTrie.create(spec)) {
            new Run(trie, 32, 0x5EED_0004L).run(3000, 4000, 12000);
        }
    }

    @Test
    void shouldAgreeWithReferenceWhenIpv6PrefixesAreInsertedReplacedAndDeleted() {
        MapSpec spec = MapSpec.lpmTrie("diff-v6", 16, VALUE_SIZE, 2500);
        try (LpmTrie trie = LpmTrie.create(spec, (int) LpmTrie.worstCaseNodes(spec))) {
            new Run(trie, 128, 0x5EED_0006L).run(2000, 3000, 8000);
        }
    }

    /** One reproducible run over one trie. */
    private static final class Run {
        private final LpmTrie trie;
        private final int bits;
        private final long seed;
        private final SplittableRandom random;
        private final Reference reference = new Reference();
        private final long[][] clusters;
        private final MemorySegment scratch = Arena.ofAuto().allocate(64, 8);
        private long nextValue = 1;
        private int step;

        Run(LpmTrie trie, int bits, long seed) {
            this.trie = trie;
            this.bits = bits;
            this.seed = seed;
            this.random = new SplittableRandom(seed);
            // Addresses cluster around a few bases so prefixes overlap at every depth.
            clusters = new long[24][];
            for (int i = 0; i < clusters.length; i++) {
                clusters[i] = new long[] {random.nextLong(), bits == 32 ? 0 : random.nextLong()};
            }
        }

        void run(int initial, int operations, int lookupsPerCheck) {
            for (int i = 0; i < initial; i++) {
                insertRandom(UpdateFlags.ANY);
            }
            check(lookupsPerCheck);
            for (int op = 0; op < operations; op++) {
                step++;
                int dice = random.nextInt(10);
                if (dice < 4 && reference.size() > 0) {
                    deleteRandom();
                } else if (dice < 6 && reference.size() > 0) {
                    replaceRandom();
                } else {
                    insertRandom(random.nextBoolean() ? UpdateFlags.ANY : UpdateFlags.NOEXIST);
                }
                if (op % 500 == 499) {
                    trie.reclaim();
                    check(lookupsPerCheck / 4);
                }
            }
            trie.reclaim();
            check(lookupsPerCheck);
            checkExactAndDump();
            // Delete everything: no node may stay behind.
            while (reference.size() > 0) {
                deleteRandom();
            }
            trie.reclaim();
            assertEquals(0, trie.count());
            assertEquals(0, trie.nodesInUse(), "nodes left after deleting every prefix");
            assertEquals(MapErrors.MISSING, lookup(clusters[0][0], clusters[0][1]));
        }

        private int randomLength() {
            int dice = random.nextInt(10);
            if (bits == 32) {
                return dice == 0 ? random.nextInt(9) : dice < 4 ? 9 + random.nextInt(16) : 25 + random.nextInt(8);
            }
            return dice == 0 ? random.nextInt(17) : dice < 5 ? 17 + random.nextInt(48) : 65 + random.nextInt(64);
        }

        /** Returns: an address near a cluster, with the top {@code keep} bits of the cluster. */
        private long[] randomAddress() {
            long[] base = clusters[random.nextInt(clusters.length)];
            int keep = random.nextInt(bits + 1);
            long hi = random.nextLong();
            long lo = bits == 32 ? 0 : random.nextLong();
            if (bits == 32) {
                hi &= 0xFFFF_FFFF_0000_0000L;
            }
            long mhi = maskHi(-1L, keep);
            long mlo = maskLo(-1L, keep);
            return new long[] {(base[0] & mhi) | (hi & ~mhi), (base[1] & mlo) | (lo & ~mlo)};
        }

        private void insertRandom(int flags) {
            long[] a = randomAddress();
            int len = randomLength();
            long v = nextValue++;
            boolean exists = (bits == 32 ? trie.lookupExact4((int) (a[0] >>> 32), len)
                    : trie.lookupExact6(a[0], a[1], len)) != MapErrors.MISSING;
            int code = update(a[0], a[1], len, v, flags);
            if (exists && flags == UpdateFlags.NOEXIST) {
                assertEquals(MapErrors.EEXIST, code, this::where);
                return;
            }
            assertEquals(MapErrors.OK, code, () -> where() + ": " + MapErrors.name(code));
            reference.put(a[0], a[1], len, v);
        }

        private void replaceRandom() {
            Reference.Prefix p = pick();
            long v = nextValue++;
            // Host bits set on purpose: they must be ignored.
            long hostHi = random.nextLong() & ~maskHi(-1L, p.len());
            long hostLo = bits == 32 ? 0 : random.nextLong() & ~maskLo(-1L, p.len());
            if (bits == 32) {
                hostHi &= 0xFFFF_FFFF_0000_0000L;
            }
            int code = update(p.hi() | hostHi, p.lo() | hostLo, p.len(), v, UpdateFlags.EXIST);
            assertEquals(MapErrors.OK, code, () -> where() + ": " + MapErrors.name(code));
            reference.put(p.hi(), p.lo(), p.len(), v);
        }

        private void deleteRandom() {
            Reference.Prefix p = pick();
            int code = bits == 32 ? trie.delete4((int) (p.hi() >>> 32), p.len()) : trie.delete6(p.hi(), p.lo(), p.len());
            assertEquals(MapErrors.OK, code, () -> where() + ": delete " + MapErrors.name(code));
            assertTrue(reference.remove(p.hi(), p.lo(), p.len()));
            int again = bits == 32 ? trie.delete4((int) (p.hi() >>> 32), p.len()) : trie.delete6(p.hi(), p.lo(), p.len());
            assertEquals(MapErrors.ENOENT, again, this::where);
        }

        private Reference.Prefix pick() {
            List<Reference.Prefix> all = reference.prefixes();
            return all.get(random.nextInt(all.size()));
        }

        private int update(long hi, long lo, int len, long v, int flags) {
            MemorySegment value = scratch.asSlice(32, VALUE_SIZE);
            value.set(LONG, 0, v);
            value.set(LONG, 8, ~v);
            if (random.nextInt(4) == 0) {
                // Through an address segment, as the control plane would pass a parsed key.
                writeAddress(hi, lo);
                return trie.update(scratch, 1, len, value, 0, flags);
            }
            return bits == 32 ? trie.update4((int) (hi >>> 32), len, value, 0, flags) : trie.update6(hi, lo, len, value, 0, flags);
        }

        private void writeAddress(long hi, long lo) {
            if (bits == 32) {
                scratch.set(INT_BE, 1, (int) (hi >>> 32));
            } else {
                scratch.set(LONG_BE, 1, hi);
                scratch.set(LONG_BE, 9, lo);
            }
        }

        private long lookup(long hi, long lo) {
            if (random.nextInt(8) == 0) {
                writeAddress(hi, lo);
                return trie.lookup(scratch, 1);
            }
            return bits == 32 ? trie.lookup4((int) (hi >>> 32)) : trie.lookup6(hi, lo);
        }

        private void check(int lookups) {
            List<Reference.Prefix> all = reference.prefixes();
            for (int i = 0; i < lookups; i++) {
                long hi;
                long lo;
                int kind = random.nextInt(4);
                if (kind < 2 && !all.isEmpty()) {
                    // First, last or any address of a stored prefix.
                    Reference.Prefix p = all.get(random.nextInt(all.size()));
                    long hostHi = ~maskHi(-1L, p.len());
                    long hostLo = bits == 32 ? 0 : ~maskLo(-1L, p.len());
                    if (bits == 32) {
                        hostHi &= 0xFFFF_FFFF_0000_0000L;
                    }
                    if (kind == 0) {
                        boolean last = random.nextBoolean();
                        hi = last ? p.hi() | hostHi : p.hi();
                        lo = last ? p.lo() | hostLo : p.lo();
                    } else {
                        hi = p.hi() | (random.nextLong() & hostHi);
                        lo = p.lo() | (random.nextLong() & hostLo);
                    }
                } else {
                    long[] a = randomAddress();
                    hi = a[0];
                    lo = a[1];
                }
                long expected = reference.longest(hi, lo);
                long offset = lookup(hi, lo);
                long actual = offset == MapErrors.MISSING ? -1 : trie.segment().get(LONG, offset);
                if (offset != MapErrors.MISSING) {
                    assertEquals(~actual, trie.segment().get(LONG, offset + 8), this::where);
                }
                long h = hi;
                long l = lo;
                assertEquals(expected, actual, () -> where() + ": lookup " + Long.toHexString(h) + ":" + Long.toHexString(l));
            }
            assertEquals(reference.size(), trie.count(), this::where);
        }

        private void checkExactAndDump() {
            for (Reference.Prefix p : reference.prefixes()) {
                long offset = bits == 32 ? trie.lookupExact4((int) (p.hi() >>> 32), p.len()) : trie.lookupExact6(p.hi(), p.lo(), p.len());
                assertTrue(offset >= 0, this::where);
                assertEquals(p.value(), trie.segment().get(LONG, offset), this::where);
            }
            Map<String, Long> dumped = new HashMap<>();
            int visited = trie.forEach((segment, keyOffset, valueOffset) -> {
                int len = segment.get(ValueLayout.JAVA_INT, keyOffset);
                long hi = bits == 32 ? (segment.get(INT_BE, keyOffset + 4) & 0xFFFF_FFFFL) << 32 : segment.get(LONG_BE, keyOffset + 4);
                long lo = bits == 32 ? 0 : segment.get(LONG_BE, keyOffset + 12);
                dumped.put(hi + "/" + lo + "/" + len, segment.get(LONG, valueOffset));
            });
            assertEquals(reference.size(), visited, this::where);
            for (Reference.Prefix p : reference.prefixes()) {
                assertEquals(p.value(), dumped.get(p.hi() + "/" + p.lo() + "/" + p.len()), this::where);
            }
        }

        private String where() {
            return "seed " + Long.toHexString(seed) + " step " + step;
        }
    }
}
