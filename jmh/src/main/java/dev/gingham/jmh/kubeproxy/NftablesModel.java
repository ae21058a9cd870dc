package dev.gingham.jmh.kubeproxy;

import dev.gingham.packet.FrameVector;

import java.util.Arrays;

/**
 * kube-proxy's nftables mode (KEP-3866): one verdict-map lookup by the concatenated key
 * {@code daddr . l4proto . dport} instead of a rule per service, then a random number picks the
 * endpoint chain.
 *
 * <h2>What is modelled</h2>
 * The rules kube-proxy writes into {@code table ip kube-proxy}:
 * <pre>
 *   chain services {
 *       ip daddr . meta l4proto . th dport vmap @service-ips
 *       ip daddr @nodeport-ips meta l4proto . th dport vmap @service-nodeports
 *   }
 *   chain service-s {          (the verdict of service-ips: goto)
 *       ip daddr VIP tcp dport 80 ip saddr != 10.128.0.0/9 jump mark-for-masquerade
 *       numgen random mod n vmap { 0 : goto endpoint-s-0, ..., n-1 : goto endpoint-s-(n-1) }
 *   }
 *   chain endpoint-s-e {
 *       ip saddr ENDPOINT jump mark-for-masquerade
 *       meta l4proto tcp dnat to ENDPOINT:8080
 *   }
 * </pre>
 * {@code service-ips} is a set without intervals, which the kernel backs with a resizable
 * hash table ({@code nft_set_rhash} over {@code rhashtable}): the model keeps the elements
 * in chained buckets, hashes the three key words with {@code jhash} and a per-set seed, indexes
 * by {@code hash & (size - 1)}, checks that the element is active in the current generation,
 * doubles the table when it is more than 75% full and halves it below 30%, as rhashtable's
 * automatic resizing does. {@code numgen random mod n} is {@code reciprocal_scale} of a random
 * 32-bit number. A service update is one element inserted into or removed from the map (with the
 * service's chains, which the model keeps beside the element).
 *
 * <h2>What is not modelled</h2>
 * The nftables interpreter itself (each rule is a sequence of expressions evaluated through
 * indirect calls with register loads and compares), conntrack and the NAT setup (as in
 * iptables, a connection's first packet only), the anonymous verdict map of the numgen rule (a
 * small hash lookup in the kernel; an array index here), the deferred resize worker and RCU
 * (resizing happens inline here), the netlink transaction and generation commit on update, and
 * per-CPU state (a xorshift64* stands in for the kernel's {@code prandom}).
 */
public final class NftablesModel implements ServiceDataplane {
    /** rhashtable's minimum size for a small hint. */
    static final int MIN_BUCKETS = 4;
    private static final int JHASH_INITVAL = 0xDEAD_BEEF;
    private static final int GENMASK_ACTIVE = 1;
    private static final int SEED = 0x5EED_1234;

    private int[] buckets = new int[MIN_BUCKETS];
    // Elements of service-ips, by slot (slot 0 is "end of chain"): key words, chain link,
    // generation mask, and the service chain the element's verdict goes to.
    private int[] next = new int[16];
    private int[] keyAddress = new int[16];
    private int[] keyProtocol = new int[16];
    private int[] keyPort = new int[16];
    private int[] genmask = new int[16];
    private int[] chainVip = new int[16];
    private int[] chainPort = new int[16];
    private int[] chainEndpoints = new int[16];
    private int[] endpointAddress = new int[16 * ServiceCatalog.BACKENDS];
    private int[] endpointPort = new int[16 * ServiceCatalog.BACKENDS];
    private int freeSlots;        // head of the free-slot list (linked through next), 0 when empty
    private int highestSlot;      // slots 1..highestSlot have been used
    private int elements;
    private final KernelRandom random = new KernelRandom(0xC2B2_AE3D_27D4_EB4FL);
    private int lastMark;

    @Override
    public long select(FrameVector v, int i) {
        int daddr = v.dstIp4(i);
        int protocol = v.protocol(i);
        int dport = v.dstPort(i);
        // services: ip daddr . meta l4proto . th dport vmap @service-ips
        int[] b = buckets;
        int e = b[jhash3(daddr, protocol, dport, SEED) & (b.length - 1)];
        while (e != 0 && !(keyAddress[e] == daddr && keyProtocol[e] == protocol && keyPort[e] == dport
                && (genmask[e] & GENMASK_ACTIVE) != 0)) {
            e = next[e];
        }
        if (e == 0) {
            lastMark = 0;
            return NO_SERVICE; // the nodeport rule's set lookup misses too: the catalog has no NodePorts
        }
        int saddr = v.srcIp4(i);
        int mark = 0;
        // service-s: masquerade traffic from outside the cluster to the ClusterIP
        if (daddr == chainVip[e] && dport == chainPort[e] && !ServiceCatalog.inCluster(saddr)) {
            mark |= IptablesModel.MASQ_MARK;
        }
        // numgen random mod n vmap { ... }: reciprocal_scale(random, n)
        int n = chainEndpoints[e];
        int pick = (int) ((Integer.toUnsignedLong(random.nextU32()) * n) >>> 32);
        int endpoint = e * ServiceCatalog.BACKENDS + pick;
        // endpoint-s-e: hairpin mark, then DNAT
        int address = endpointAddress[endpoint];
        if (saddr == address) {
            mark |= IptablesModel.MASQ_MARK;
        }
        lastMark = mark;
        return ServiceDataplane.backend(address, endpointPort[endpoint]);
    }

    /** jhash of three 32-bit words (the kernel's {@code jhash}/{@code jhash2} for a 12-byte key). */
    static int jhash3(int k0, int k1, int k2, int initval) {
        int a = JHASH_INITVAL + (3 << 2) + initval;
        int b = a;
        int c = a;
        c += k2;
        b += k1;
        a += k0;
        c ^= b;
        c -= Integer.rotateLeft(b, 14);
        a ^= c;
        a -= Integer.rotateLeft(c, 11);
        b ^= a;
        b -= Integer.rotateLeft(a, 25);
        c ^= b;
        c -= Integer.rotateLeft(b, 16);
        a ^= c;
        a -= Integer.rotateLeft(c, 4);
        b ^= a;
        b -= Integer.rotateLeft(a, 14);
        c ^= b;
        c -= Integer.rotateLeft(b, 24);
        return c;
    }

    @Override
    public void addService(int s) {
        int slot = allocateSlot();
        int vip = ServiceCatalog.vip(s);
        keyAddress[slot] = vip;
        keyProtocol[slot] = ServiceCatalog.TCP;
        keyPort[slot] = ServiceCatalog.SERVICE_PORT;
        genmask[slot] = GENMASK_ACTIVE;
        chainVip[slot] = vip;
        chainPort[slot] = ServiceCatalog.SERVICE_PORT;
        chainEndpoints[slot] = ServiceCatalog.BACKENDS;
        for (int e = 0; e < ServiceCatalog.BACKENDS; e++) {
            endpointAddress[slot * ServiceCatalog.BACKENDS + e] = ServiceCatalog.backend(s, e);
            endpointPort[slot * ServiceCatalog.BACKENDS + e] = ServiceCatalog.TARGET_PORT;
        }
        link(buckets, slot);
        elements++;
        if (elements * 4L > buckets.length * 3L) { // rht_grow_above_75
            resize(buckets.length * 2);
        }
    }

    @Override
    public boolean removeService(int s) {
        int vip = ServiceCatalog.vip(s);
        int bucket = jhash3(vip, ServiceCatalog.TCP, ServiceCatalog.SERVICE_PORT, SEED) & (buckets.length - 1);
        int previous = 0;
        for (int e = buckets[bucket]; e != 0; previous = e, e = next[e]) {
            if (keyAddress[e] == vip && keyProtocol[e] == ServiceCatalog.TCP && keyPort[e] == ServiceCatalog.SERVICE_PORT) {
                if (previous == 0) {
                    buckets[bucket] = next[e];
                } else {
                    next[previous] = next[e];
                }
                genmask[e] = 0;
                next[e] = freeSlots;
                freeSlots = e;
                elements--;
                if (buckets.length > MIN_BUCKETS && elements * 10L < buckets.length * 3L) { // rht_shrink_below_30
                    resize(buckets.length / 2);
                }
                return true;
            }
        }
        return false;
    }

    @Override
    public int services() {
        return elements;
    }

    /** Returns: the number of hash buckets of service-ips. */
    int buckets() {
        return buckets.length;
    }

    /** Returns: the mark the last packet left with (0x4000 when marked for masquerade). */
    int lastMark() {
        return lastMark;
    }

    private int allocateSlot() {
        if (freeSlots != 0) {
            int slot = freeSlots;
            freeSlots = next[slot];
            return slot;
        }
        int slot = ++highestSlot;
        if (slot == next.length) {
            int capacity = next.length * 2;
            next = Arrays.copyOf(next, capacity);
            keyAddress = Arrays.copyOf(keyAddress, capacity);
            keyProtocol = Arrays.copyOf(keyProtocol, capacity);
            keyPort = Arrays.copyOf(keyPort, capacity);
            genmask = Arrays.copyOf(genmask, capacity);
            chainVip = Arrays.copyOf(chainVip, capacity);
            chainPort = Arrays.copyOf(chainPort, capacity);
            chainEndpoints = Arrays.copyOf(chainEndpoints, capacity);
            endpointAddress = Arrays.copyOf(endpointAddress, capacity * ServiceCatalog.BACKENDS);
            endpointPort = Arrays.copyOf(endpointPort, capacity * ServiceCatalog.BACKENDS);
        }
        return slot;
    }

    private void link(int[] table, int slot) {
        int bucket = jhash3(keyAddress[slot], keyProtocol[slot], keyPort[slot], SEED) & (table.length - 1);
        next[slot] = table[bucket];
        table[bucket] = slot;
    }

    /** Rehashes every element into a table of {@code size} buckets (rhashtable's resize worker, inline). */
    private void resize(int size) {
        int[] old = buckets;
        int[] table = new int[size];
        for (int head : old) {
            for (int e = head; e != 0; ) {
                int following = next[e];
                link(table, e);
                e = following;
            }
        }
        buckets = table;
    }
}
