package dev.gingham.encap;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TokenBucketTest {
    private static final long MS = 1_000_000L;

    @Test
    void shouldGrantBurstThenOneTokenPerIntervalWhenClockAdvances() {
        TokenBucket bucket = new TokenBucket(100, 3); // a token every 10 ms
        long t = 5_000 * MS;
        assertTrue(bucket.tryTake(t));
        assertTrue(bucket.tryTake(t));
        assertTrue(bucket.tryTake(t));
        assertFalse(bucket.tryTake(t));
        assertFalse(bucket.tryTake(t + 9 * MS));
        assertTrue(bucket.tryTake(t + 10 * MS));
        assertFalse(bucket.tryTake(t + 10 * MS));
        int granted = 0;
        for (long now = t + 11 * MS; now < t + 1_011 * MS; now += MS) {
            granted += bucket.tryTake(now) ? 1 : 0;
        }
        assertEquals(100, granted, "100 per second over one second");
    }

    @Test
    void shouldNeverExceedBurstWhenIdleForLong() {
        TokenBucket bucket = new TokenBucket(1000, 2);
        assertTrue(bucket.tryTake(0));
        long later = Long.MAX_VALUE / 2;
        assertTrue(bucket.tryTake(later));
        assertTrue(bucket.tryTake(later));
        assertFalse(bucket.tryTake(later));
        assertFalse(bucket.tryTake(later - 1), "a clock going backwards adds nothing");
    }

    @Test
    void shouldGrantNothingWhenRateIsZero() {
        TokenBucket bucket = new TokenBucket(0, 5);
        assertFalse(bucket.tryTake(0));
        assertFalse(bucket.tryTake(1_000_000_000_000L));
        assertThrows(IllegalArgumentException.class, () -> new TokenBucket(-1, 1));
        assertThrows(IllegalArgumentException.class, () -> new TokenBucket(1, 0));
    }
}
