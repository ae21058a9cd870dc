package dev.gingham.dataplane.fuzz;

import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FuzzRandomTest {
    @Test
    void shouldRepeatTheSequenceWhenReseeded() {
        FuzzRandom a = new FuzzRandom(42);
        long[] first = new long[5];
        for (int i = 0; i < 5; i++) {
            first[i] = a.nextLong();
        }
        a.reseed(42);
        for (int i = 0; i < 5; i++) {
            assertEquals(first[i], a.nextLong());
        }
    }

    @Test
    void shouldMatchSplitMix64WhenSeededWithZero() {
        // SplitMix64 reference values for seed 0 (Vigna's splitmix64.c).
        FuzzRandom random = new FuzzRandom(0);
        assertEquals(0xE220A8397B1DCDAFL, random.nextLong());
        assertEquals(0x6E789E6AA1B965F4L, random.nextLong());
        assertEquals(0x06C45D188009454FL, random.nextLong());
    }

    @Test
    void shouldGiveEachFrameItsOwnStreamWhenSeedsOrIndexesDiffer() {
        Set<Long> seeds = new HashSet<>();
        for (long seed = 0; seed < 10; seed++) {
            for (long index = 0; index < 1000; index++) {
                seeds.add(FuzzRandom.frameSeed(seed, index));
            }
        }
        assertEquals(10_000, seeds.size());
        assertNotEquals(FuzzRandom.frameSeed(1, 2), FuzzRandom.frameSeed(2, 1));
    }

    @Test
    void shouldStayInBoundsAndCoverThemWhenDrawingInts() {
        FuzzRandom random = new FuzzRandom(7);
        int[] counts = new int[10];
        for (int i = 0; i < 100_000; i++) {
            int value = random.nextInt(10);
            counts[value]++;
            int between = random.between(-3, 3);
            assertTrue(between >= -3 && between <= 3);
        }
        for (int count : counts) {
            assertTrue(count > 9_500 && count < 10_500, "uniform within 5%: " + java.util.Arrays.toString(counts));
        }
    }
}
