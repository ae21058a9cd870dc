package dev.gingham.dataplane.config;

import dev.gingham.dataplane.agent.AdaptiveIdleStrategy;
import dev.gingham.dataplane.agent.FrameWaiter;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.BusySpinIdleStrategy;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.SleepingIdleStrategy;
import org.agrona.concurrent.YieldingIdleStrategy;

import java.util.concurrent.TimeUnit;

/**
 * What an agent does when a duty cycle found no work (Agrona's idle strategies, and adaptive).
 * Busy-spin has the lowest latency and burns a core; backoff spins, yields, then parks for
 * growing periods, so an idle node costs almost nothing and a busy one never parks; adaptive (the
 * default) spins and yields as backoff does, then sleeps on its ports' descriptors until a frame arrives
 * ({@link AdaptiveIdleStrategy}), so an idle node costs as little and the first frame after a
 * lull is not held for a park period.
 *
 * @param kind       the strategy
 * @param maxSpins   backoff: empty cycles spent spinning before yielding; adaptive: before sleeping
 * @param maxYields  backoff: empty cycles spent yielding before parking; adaptive: before sleeping
 * @param minParkNs  backoff: first park period
 * @param maxParkNs  backoff: longest park period (the worst added latency for the first frame after a lull);
 *                   adaptive: longest sleep (a frame ends it at once), rounded up to whole milliseconds
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
        BUSY_SPIN("busy-spin"), YIELD("yield"), BACKOFF("backoff"), SLEEP("sleep"), ADAPTIVE("adaptive");

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

    /**
     * Returns: adaptive, with Agrona's backoff defaults for where it backs off (DESIGN.md §4: an
     * idle node does not burn a core). Adaptive rather than backoff since 2026-11-23: the first
     * frame after a lull waits for a wake-up, not for the rest of a park period (ping through a
     * node, p50: 142-161 us against 754 with backoff; docs/benchmarks-notes.md, "Waiting for frames").
     */
    public static IdleStrategyConfig defaults() {
        return of(Kind.ADAPTIVE);
    }

    /**
     * Returns: a new Agrona idle strategy of this configuration (one per agent thread: backoff keeps
     * per-thread state). The daemon's agents and the benchmark's raw TAP forwarder both use it, so
     * the two idle alike.
     */
    public IdleStrategy newIdleStrategy() {
        return newIdleStrategy(null);
    }

    /**
     * Returns: a new idle strategy. Adaptive sleeps on {@code waiter} after {@code maxSpins +
     * maxYields} empty cycles, at most {@code maxParkNs} (rounded up to whole milliseconds, epoll's
     * unit); without a waiter, or while the waiter cannot wait, it backs off.
     *
     * @param waiter the agent's ports to sleep on (a worker), or null for an agent without (backs off)
     */
    public IdleStrategy newIdleStrategy(FrameWaiter waiter) {
        return switch (kind) {
            case BUSY_SPIN -> new BusySpinIdleStrategy();
            case YIELD -> new YieldingIdleStrategy();
            case BACKOFF -> backoff();
            case SLEEP -> new SleepingIdleStrategy(sleepNs, TimeUnit.NANOSECONDS);
            case ADAPTIVE -> waiter == null ? backoff()
                    : new AdaptiveIdleStrategy(maxSpins, maxYields, (int) Math.min(Integer.MAX_VALUE, (maxParkNs + 999_999) / 1_000_000),
                    waiter, backoff());
        };
    }

    private IdleStrategy backoff() {
        return new BackoffIdleStrategy(maxSpins, maxYields, minParkNs, maxParkNs);
    }
}
