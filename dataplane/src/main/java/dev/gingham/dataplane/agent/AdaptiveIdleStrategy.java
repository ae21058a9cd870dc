package dev.gingham.dataplane.agent;

import org.agrona.concurrent.IdleStrategy;

/**
 * Backoff whose park a frame ends (VPP's adaptive receive mode, DPDK's receive interrupts): after
 * {@code maxSpins} empty duty cycles spinning and {@code maxYields} yielding, the worker blocks in
 * {@link FrameWaiter#awaitFrames} until a frame arrives on any of its ports, or at most
 * {@code timeoutMs} so that what it does besides frames (picking up a new port table, marking its
 * cycles for the control agent) still happens. A worker that cannot wait (a port without a
 * descriptor) parks as backoff would, and so does one whose ports woke it but had nothing to read,
 * until a cycle finds work again: a descriptor in an error state (a TAP whose device went away
 * with its pod's namespace, a packet socket whose link went down) polls ready forever, and
 * sleeping on it would be spinning.
 *
 * <p>Why not backoff: a parked worker sleeps its whole period whatever arrives (at least the
 * kernel's 50 us timer slack, up to the longest period of 1 ms), so the first frame after a lull
 * waits for the park to end. The spin and yield phases are kept: a request/response exchange
 * whose answer comes within them is picked up without a wake-up (a sleeping thread's wake-up
 * costs tens of microseconds on a VM). Measured in docs/benchmarks-notes.md ("Waiting for frames").
 */
public final class AdaptiveIdleStrategy implements IdleStrategy {
    private final int maxSpins;
    private final int maxYields;
    private final int timeoutMs;
    private final FrameWaiter waiter;
    private final IdleStrategy fallback;
    private int spins;
    private int yields;
    /** The last sleep was ended by a port: if the cycles after it find nothing, back off until work. */
    private boolean wokenByPort;

    /**
     * @param maxSpins  empty cycles spinning, then
     * @param maxYields empty cycles yielding, before sleeping (both 0: sleep at the first empty cycle)
     * @param timeoutMs longest sleep, at least 1
     * @param fallback  what to do instead of sleeping when the waiter cannot wait
     */
    public AdaptiveIdleStrategy(int maxSpins, int maxYields, int timeoutMs, FrameWaiter waiter, IdleStrategy fallback) {
        if (maxSpins < 0 || maxYields < 0 || timeoutMs < 1) {
            throw new IllegalArgumentException("maxSpins and maxYields must be >= 0 and timeoutMs >= 1, got "
                    + maxSpins + ", " + maxYields + ", " + timeoutMs);
        }
        this.maxSpins = maxSpins;
        this.maxYields = maxYields;
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
        } else if (yields < maxYields) {
            yields++;
            Thread.yield();
        } else if (wokenByPort) {
            fallback.idle(); // a port woke the worker and the cycle after found nothing: an error state
        } else {
            int ready = waiter.awaitFrames(timeoutMs);
            if (ready == FrameWaiter.CANNOT_WAIT) {
                fallback.idle();
            }
            wokenByPort = ready > 0;
        }
    }

    @Override
    public void reset() {
        spins = 0;
        yields = 0;
        wokenByPort = false;
        fallback.reset();
    }

    @Override
    public String alias() {
        return "adaptive";
    }
}
