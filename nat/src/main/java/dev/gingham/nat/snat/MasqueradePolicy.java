package dev.gingham.nat.snat;

import dev.gingham.packet.MappedAddress;
import dev.gingham.packet.Cidr;

import dev.gingham.maps.LpmTrie;
import dev.gingham.maps.MapErrors;
import dev.gingham.maps.MapSpec;
import dev.gingham.maps.UpdateFlags;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;

/**
 * Whether pod traffic to a destination leaves with the node's address: the question Cilium's
 * {@code snat_v4_needs_masquerade} answers. Cilium's rule is taken, not ip-masq-agent's
 * RFC 1918 default: everything is masqueraded except destinations in the cluster's pod CIDRs
 * (the native-routing CIDR), the service CIDRs and configured extra non-masquerade CIDRs.
 *
 * <p>The exclusions are one LPM trie per family whose value says why a prefix is excluded, so
 * the per-packet answer is one lookup (at most three loads for IPv4) and dumps can show the
 * reason. Built once from the configuration and read-only afterwards: the tries have no
 * concurrent writer.
 *
 * <pre>
 * value (4 bytes, native): reason  1 pod CIDR | 2 service CIDR | 3 configured non-masquerade CIDR
 * </pre>
 */
public final class MasqueradePolicy implements AutoCloseable {
    /** {@link #exclusion} result: the destination is masqueraded. */
    public static final int MASQUERADE = 0;
    public static final int EXCLUDED_POD_CIDR = 1;
    public static final int EXCLUDED_SERVICE_CIDR = 2;
    public static final int EXCLUDED_CONFIGURED_CIDR = 3;

    private final LpmTrie v4;
    private final LpmTrie v6;

    private MasqueradePolicy(LpmTrie v4, LpmTrie v6) {
        this.v4 = v4;
        this.v6 = v6;
    }

    /**
     * Builds the exclusion tries from {@code config}. A prefix listed under two kinds keeps the
     * first (pod, then service, then configured).
     */
    public static MasqueradePolicy create(SnatConfig config) {
        List<Cidr> pods = config.podCidrs();
        List<Cidr> services = config.serviceCidrs();
        List<Cidr> extra = config.nonMasqueradeCidrs();
        int total = pods.size() + services.size() + extra.size();
        LpmTrie v4 = LpmTrie.create(MapSpec.lpmTrie("snat_masq_v4", 4, 4, Math.max(1, total)));
        LpmTrie v6 = LpmTrie.create(MapSpec.lpmTrie("snat_masq_v6", 16, 4, Math.max(1, total)));
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment value = arena.allocate(4);
            insert(v4, v6, pods, EXCLUDED_POD_CIDR, value);
            insert(v4, v6, services, EXCLUDED_SERVICE_CIDR, value);
            insert(v4, v6, extra, EXCLUDED_CONFIGURED_CIDR, value);
        } catch (RuntimeException e) {
            v4.close();
            v6.close();
            throw e;
        }
        return new MasqueradePolicy(v4, v6);
    }

    private static void insert(LpmTrie v4, LpmTrie v6, List<Cidr> cidrs, int reason, MemorySegment value) {
        value.set(ValueLayout.JAVA_INT, 0, reason);
        for (Cidr cidr : cidrs) {
            int rc = cidr.ipv4()
                    ? v4.update4(cidr.v4(), cidr.prefixLength(), value, 0, UpdateFlags.NOEXIST)
                    : v6.update6(cidr.hi(), cidr.lo(), cidr.prefixLength(), value, 0, UpdateFlags.NOEXIST);
            if (rc != MapErrors.OK && rc != MapErrors.EEXIST) {
                throw new IllegalStateException("masquerade exclusion " + cidr + ": " + MapErrors.name(rc));
            }
        }
    }

    /** Returns: true when traffic from a pod to the IPv4 destination {@code dst} (big-endian) is masqueraded. */
    public boolean masquerade4(int dst) {
        return v4.lookup4(dst) == MapErrors.MISSING;
    }

    /**
     * Returns: true when traffic from a pod to {@code (dstHi, dstLo)} is masqueraded; IPv4
     * destinations arrive IPv4-mapped.
     */
    public boolean masquerade(long dstHi, long dstLo) {
        if (MappedAddress.isIpv4(dstHi, dstLo)) {
            return v4.lookup4((int) dstLo) == MapErrors.MISSING;
        }
        return v6.lookup6(dstHi, dstLo) == MapErrors.MISSING;
    }

    /** Returns: {@link #MASQUERADE} or the EXCLUDED_* reason of the longest matching exclusion (for dumps and tests). */
    public int exclusion(long dstHi, long dstLo) {
        boolean ipv4 = MappedAddress.isIpv4(dstHi, dstLo);
        LpmTrie trie = ipv4 ? v4 : v6;
        long offset = ipv4 ? v4.lookup4((int) dstLo) : v6.lookup6(dstHi, dstLo);
        return offset == MapErrors.MISSING ? MASQUERADE : trie.segment().get(ValueLayout.JAVA_INT_UNALIGNED, offset);
    }

    @Override
    public void close() {
        v4.close();
        v6.close();
    }
}
