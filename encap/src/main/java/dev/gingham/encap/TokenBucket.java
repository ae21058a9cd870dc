package dev.gingham.encap;

/**
 * A token bucket on the caller's clock, for rate-limiting ICMP errors as Linux does
 * ({@code net.ipv4.icmp_msgs_per_sec}, {@code icmp_msgs_burst}): a flood of oversized packets
 * must not become a flood of errors.
 *
 * <p>The level is kept in nanoseconds of accumulated credit, so refilling is one subtraction and
 * no division runs per packet. Time comes from {@code nowNs} (the worker's cached clock, or a
 * virtual clock in replay and tests), never from {@link System#nanoTime()}: every decision is
 * reproducible. One per worker; not thread-safe.
 */
public final class TokenBucket {
    private static final long NS_PER_SECOND = 1_000_000_000L;

    private final long nsPerToken;
    private final long capacityNs;
    private long levelNs;
    private long lastNs;
    private boolean started;

    /**
     * @param tokensPerSecond refill rate; 0 never grants a token
     * @param burst           tokens the bucket holds when full (it starts full)
     */
    public TokenBucket(int tokensPerSecond, int burst) {
        if (tokensPerSecond < 0 || burst < 1) {
            throw new IllegalArgumentException("token bucket: tokensPerSecond " + tokensPerSecond
                    + " must be >= 0 and burst " + burst + " >= 1");
        }
        this.nsPerToken = tokensPerSecond == 0 ? Long.MAX_VALUE : NS_PER_SECOND / tokensPerSecond;
        this.capacityNs = tokensPerSecond == 0 ? 0 : nsPerToken * burst;
        this.levelNs = capacityNs;
    }

    /** Returns: true and takes a token when one is available at {@code nowNs}. */
    public boolean tryTake(long nowNs) {
        if (started) {
            long elapsedNs = nowNs - lastNs;
            if (elapsedNs > 0) {
                levelNs = elapsedNs >= capacityNs - levelNs ? capacityNs : levelNs + elapsedNs;
            }
        }
        started = true;
        lastNs = nowNs;
        if (levelNs >= nsPerToken) {
            levelNs -= nsPerToken;
            return true;
        }
        return false;
    }
}
