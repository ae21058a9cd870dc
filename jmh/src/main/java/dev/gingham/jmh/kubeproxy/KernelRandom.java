package dev.gingham.jmh.kubeproxy;

/**
 * The random numbers the kernel draws per packet for kube-proxy's backend choice (iptables'
 * {@code statistic --mode random}, nftables' {@code numgen random}): a xorshift64* generator
 * stands in for the kernel's per-CPU {@code get_random_u32} / {@code prandom}. It is cheaper
 * than the kernel's generator, so the models' figures stay lower bounds. Allocates nothing.
 */
final class KernelRandom {
    private long state;

    KernelRandom(long seed) {
        this.state = seed == 0 ? 1 : seed;
    }

    /** Returns: the next 32 random bits. */
    int nextU32() {
        long x = state;
        x ^= x >>> 12;
        x ^= x << 25;
        x ^= x >>> 27;
        state = x;
        return (int) ((x * 0x2545_F491_4F6C_DD1DL) >>> 32);
    }
}
