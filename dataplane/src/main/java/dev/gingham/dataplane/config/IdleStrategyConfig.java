package dev.gingham.dataplane.config;

import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.BusySpinIdleStrategy;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.SleepingIdleStrategy;
import org.agrona.concurrent.YieldingIdleStrategy;

import java.util.concurrent.TimeUnit;

/**
 * What an agent does when a duty cycle found no work (Agrona's idle strategies). Busy-spin has
 * the lowest latency and burns a core; backoff (the default) spins, yields, then parks for
 * growing periods, so an idle node costs almost nothing and a busy one never parks.
 *
 * @param kind       the strategy
 * @param maxSpins   backoff: empty cycles spent spinning before yielding
 * @param maxYields  backoff: empty cycles spent yielding before parking
 * @param minParkNs  backoff: first park period
 * @param maxParkNs  backoff: longest park period (the worst added latency for the first frame after a lull)
 * @param sleepNs    sleep: the fixed sleep period
 */
public record IdleStrategyConfig(Kind kind, int maxSpins, int maxYields, long minParkNs, long maxParkNs, long sleepNs) {
    /** Agrona's BackoffIdleStrategy defaults: 10 spins, 5 yields, park 1 us growing to 1 ms. */
    public static final int DEFAULT_MAX_SPINS = 10;
    public static final int DEFAULT_MAX_YIELDS = 5;
    public static final long DEFAULT_MIN_PARK_NS = TimeUnit.MICROSECONDS.toNanos(1);
    public static final long DEFAULT_MAX_PARK_NS = TimeUnit.MILLISECONDS.toNanos(1);
    /** A 100 us sleep keeps a sleeping worker's added latency well under a millisecond. */
    public static final long DEFAULT_SLEEP_NS = TimeUnit.MICROSECONDS.toNanos(100);

    /** The strategies, with the configuration file's spellings. */
    public enum Kind {
        BUSY_SPIN("busy-spin"), YIELD("yield"), BACKOFF("backoff"), SLEEP("sleep");

        private final String spelling;

        Kind(String spelling) {
            this.spelling = spelling;
        }

        public String spelling() {
            return spelling;
        }
    }

    /** Returns: {@code kind} with the default parameters. */
    public static IdleStrategyConfig of(Kind kind) {
        return new IdleStrategyConfig(kind, DEFAULT_MAX_SPINS, DEFAULT_MAX_YIELDS, DEFAULT_MIN_PARK_NS, DEFAULT_MAX_PARK_NS,
                DEFAULT_SLEEP_NS);
    }

    /** Returns: backoff with Agrona's defaults (DESIGN.md §4: an idle node does not burn a core). */
    public static IdleStrategyConfig defaults() {
        return of(Kind.BACKOFF);
    }

    /**
     * Returns: a new Agrona idle strategy of this configuration (one per agent thread: backoff keeps
     * per-thread state). The daemon's agents and the benchmark's raw TAP forwarder both use it, so
     * the two idle alike.
     */
    public IdleStrategy newIdleStrategy() {
        return switch (kind) {
            case BUSY_SPIN -> new BusySpinIdleStrategy();
            case YIELD -> new YieldingIdleStrategy();
            case BACKOFF -> new BackoffIdleStrategy(maxSpins, maxYields, minParkNs, maxParkNs);
            case SLEEP -> new SleepingIdleStrategy(sleepNs, TimeUnit.NANOSECONDS);
        };
    }
}
