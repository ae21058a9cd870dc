package dev.gingham.dataplane.agent;

import org.agrona.concurrent.IdleStrategy;

/**
 * Poll while frames come, sleep on the ports' descriptors when they stop (VPP's adaptive receive
 * mode): after {@code maxSpins} empty duty cycles the worker blocks in {@link FrameWaiter#awaitFrames}
 * until a frame arrives on any of its ports, or at most {@code timeoutMs} so that what it does
 * besides frames (picking up a new port table, marking its cycles for the control agent) still
 * happens. A worker that cannot wait (a port without a descriptor) parks as backoff would.
 *
 * <p>Why not backoff: a parked worker sleeps its whole period whatever arrives (at least the
 * kernel's 50 us timer slack, up to the longest period of 1 ms), and a spinning or yielding one
 * makes a failed read on every port each cycle, system calls that compete on a small machine with
 * the pods for the same cores. Measured in docs/benchmarks-notes.md ("Waiting for frames").
 */
public final class AdaptiveIdleStrategy implements IdleStrategy {
    private final int maxSpins;
    private final int timeoutMs;
    private final FrameWaiter waiter;
    private final IdleStrategy fallback;
    private int spins;

    /**
     * @param maxSpins  empty cycles before sleeping (0: sleep at the first empty cycle)
     * @param timeoutMs longest sleep, at least 1
     * @param fallback  what to do instead when the waiter cannot wait
     */
    public AdaptiveIdleStrategy(int maxSpins, int timeoutMs, FrameWaiter waiter, IdleStrategy fallback) {
        if (maxSpins < 0 || timeoutMs < 1) {
            throw new IllegalArgumentException("maxSpins must be >= 0 and timeoutMs >= 1, got " + maxSpins + ", " + timeoutMs);
        }
        this.maxSpins = maxSpins;
        this.timeoutMs = timeoutMs;
        this.waiter = waiter;
        this.fallback = fallback;
    }

    @Override
    public void idle(int workCount) {
        if (workCount > 0) {
            reset();
        } else {
            idle();
        }
    }

    @Override
    public void idle() {
        if (spins < maxSpins) {
            spins++;
            Thread.onSpinWait();
        } else if (!waiter.awaitFrames(timeoutMs)) {
            fallback.idle();
        }
    }

    @Override
    public void reset() {
        spins = 0;
        fallback.reset();
    }

    @Override
    public String alias() {
        return "adaptive";
    }
}
