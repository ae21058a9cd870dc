package dev.gingham.dataplane.nodebench;

import dev.gingham.dataplane.config.IdleStrategyConfig;

import java.time.Duration;

/**
 * How long each measurement of {@code gingham bench-node} runs. The full plan is what the issue
 * asks for (ping n = 1000 at 10 ms, a 60 s steady run for the garbage collector); the quick plan
 * keeps every figure but shortens each window, for the test and a first look.
 *
 * @param rounds        alternating rounds per throughput figure (baseline, Gingham, baseline, ...): the machine
 *                      is shared, and a load change lands on both paths instead of on one; each path's
 *                      figure is the median of its rounds
 * @param throughput    iperf3 TCP time per round, after {@link #tcpOmitSeconds}
 * @param tcpOmitSeconds seconds iperf3 leaves out at the start (slow start, JIT of the pipeline)
 * @param udpWarmup     time the UDP sender runs before the counting window opens
 * @param udpRounds     alternating rounds of the packet-rate figure (ceiling, Gingham, ...)
 * @param udpWindow     the UDP counting window per round
 * @param pingCount     echo requests per path (at {@link #PING_INTERVAL})
 * @param roundTrips    TCP request/response exchanges per path (after {@link #roundTripWarmup})
 * @param roundTripWarmup exchanges before timing starts
 * @param steadyRun     the garbage-collection run (traffic through the daemon, MXBeans read around it)
 * @param idle          the idle strategy of the daemon's worker and of the raw TAP forwarder
 * @param tso           whether the client pods may hand their interface 64 KB TCP frames (TSO/GSO); off, every
 *                      path carries MSS-sized segments and per-frame costs show in the TCP figure
 * @param crossNodeOnly measure only the cross-node figure (two Gingham nodes vs two kernel VXLAN nodes), to repeat it
 *                      without the single-node figures' minutes
 */
public record BenchPlan(boolean quick, int rounds, Duration throughput, int tcpOmitSeconds, Duration udpWarmup, int udpRounds, Duration udpWindow,
                        int pingCount, int roundTrips, int roundTripWarmup, Duration steadyRun, IdleStrategyConfig idle,
                        boolean tso, boolean crossNodeOnly) {
    /** ping -i 0.01: the interval (root may go below 0.2 s). */
    public static final Duration PING_INTERVAL = Duration.ofMillis(10);
    public static final int FULL_STEADY_SECONDS = 60;
    public static final int QUICK_STEADY_SECONDS = 10;

    public BenchPlan {
        if (steadyRun.isNegative() || steadyRun.isZero()) {
            throw new IllegalArgumentException("--seconds: must be at least 1, got " + steadyRun.toSeconds());
        }
    }

    /** Returns: the plan for {@code --quick} or not, with {@code steadySeconds} (null: the default), the idle strategy and TSO. */
    public static BenchPlan of(boolean quick, Integer steadySeconds, IdleStrategyConfig idle, boolean tso) {
        return of(quick, steadySeconds, idle, tso, false);
    }

    /** As {@link #of(boolean, Integer, IdleStrategyConfig, boolean)}, with or without the single-node figures. */
    public static BenchPlan of(boolean quick, Integer steadySeconds, IdleStrategyConfig idle, boolean tso, boolean crossNodeOnly) {
        int steady = steadySeconds != null ? steadySeconds : quick ? QUICK_STEADY_SECONDS : FULL_STEADY_SECONDS;
        if (quick) {
            return new BenchPlan(true, 2, Duration.ofSeconds(1), 0, Duration.ofMillis(500), 2, Duration.ofSeconds(1), 100, 500, 100,
                    Duration.ofSeconds(steady), idle, tso, crossNodeOnly);
        }
        return new BenchPlan(false, 3, Duration.ofSeconds(8), 1, Duration.ofSeconds(1), 5, Duration.ofSeconds(3), 1000, 10_000,
                1000, Duration.ofSeconds(steady), idle, tso, crossNodeOnly);
    }
}
