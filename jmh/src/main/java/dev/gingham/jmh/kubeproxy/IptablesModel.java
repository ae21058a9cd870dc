package dev.gingham.jmh.kubeproxy;

import dev.gingham.packet.FrameVector;

import java.util.Arrays;

/**
 * kube-proxy's iptables mode, evaluated the way netfilter walks a table: every rule in order,
 * linear in the number of rules. This is the design the Kubernetes networking literature
 * contrasts IPVS, nftables and eBPF dataplanes with.
 *
 * <h2>What is modelled</h2>
 * The nat-table rules kube-proxy writes for a ClusterIP service with n ready endpoints, one
 * {@value #STRIDE}-int (64-byte) record per rule, laid out chain after chain in one array as
 * iptables-restore lays them out in the kernel's table blob:
 * <pre>
 *   KUBE-SERVICES   one rule per service port:  -d VIP/32 -p tcp --dport 80 -j KUBE-SVC-s
 *                   -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS   (modelled as -d NODE_IP/32)
 *                   RETURN (end of chain)
 *   KUBE-NODEPORTS  RETURN                      (the catalog has no NodePort services)
 *   KUBE-SVC-s      ! -s 10.128.0.0/9 -d VIP/32 -p tcp --dport 80 -j KUBE-MARK-MASQ
 *                   -m statistic --mode random --probability 1/n     -j KUBE-SEP-s-0
 *                   -m statistic --mode random --probability 1/(n-1) -j KUBE-SEP-s-1
 *                   ...                                               -j KUBE-SEP-s-(n-1)
 *                   RETURN
 *   KUBE-SEP-s-e    -s ENDPOINT/32 -j KUBE-MARK-MASQ   (hairpin)
 *                   -p tcp -j DNAT --to-destination ENDPOINT:8080
 *                   RETURN
 * </pre>
 * Per packet, as {@code ipt_do_table} does: each rule's IP match (source and destination under
 * their masks, with inversion; protocol), then its matches in order ({@code --dport}, then
 * {@code statistic}, which draws a fresh 31-bit random number and compares it with
 * {@code probability * 2^31}, the value iptables stores, from kube-proxy's probability printed
 * with ten decimals), then on a match the rule's packet and byte counters are incremented and its
 * target runs: a jump pushes the return position, {@code KUBE-MARK-MASQ} (a jump to a chain that
 * ORs 0x4000 into the mark) is folded into a mark target that continues with the next rule,
 * DNAT ends the walk with the chosen endpoint, and the end of a chain returns. The service's
 * position in KUBE-SERVICES is its insertion order, so traffic spread evenly over N services
 * walks N/2 service rules on average, plus about n/2 statistic rules in KUBE-SVC.
 *
 * <p>A service update ({@link #addService}, {@link #removeService}) rebuilds the whole rule array,
 * as kube-proxy's sync rewrites the ruleset with {@code iptables-restore} and iptables-legacy
 * replaces the kernel's table as a whole ({@code xt_replace_table}) even for one changed rule.
 *
 * <h2>What is not modelled (so the model is a lower bound for the real cost)</h2>
 * <ul>
 *   <li>The per-packet costs around the walk: netfilter hooks, conntrack, the NAT setup.
 *       Netfilter consults the nat table only for a connection's first packet; later packets of
 *       the connection are translated by conntrack, so this is a per-new-connection cost.</li>
 *   <li>The size of real rule entries: an {@code ipt_entry} is 112 bytes before its matches and
 *       target, and kube-proxy's rules carry comment matches of up to 256 bytes; here a rule is
 *       64 bytes, so the real walk touches several times more memory.</li>
 *   <li>Interface-name matching, fragment flags, and the indirect call per match and target
 *       (retpolines on kernels with Spectre mitigations).</li>
 *   <li>On update: generating the ruleset text (kube-proxy), parsing it (iptables-restore), the
 *       system calls and the kernel's copy of the table; kube-proxy's partial syncs (which still
 *       make iptables-legacy replace the whole table). Only the rebuild of the array is timed.</li>
 *   <li>Per-CPU counters and random state (one thread here), and the kernel random generator:
 *       a xorshift64* stands in for {@code get_random_u32}.</li>
 * </ul>
 */
public final class IptablesModel implements ServiceDataplane {
    /** Ints per rule: 16, one 64-byte record. */
    static final int STRIDE = 16;
    static final int SRC = 0;
    static final int SRC_MASK = 1;
    static final int DST = 2;
    static final int DST_MASK = 3;
    static final int FLAGS = 4;
    static final int PROTOCOL = 5;
    static final int DPORT = 6;
    static final int PROBABILITY = 7;
    static final int TARGET = 8;
    static final int ARG = 9;
    static final int ARG2 = 10;
    static final int PACKETS = 11;
    static final int BYTES = 12;

    static final int F_INVERT_SRC = 1;
    static final int F_PROTOCOL = 2;
    static final int F_DPORT = 4;
    static final int F_STATISTIC = 8;

    static final int T_JUMP = 1;
    static final int T_DNAT = 2;
    static final int T_MARK = 3;
    static final int T_RETURN = 4;

    /** kube-proxy's masquerade mark (KUBE-MARK-MASQ: {@code MARK --or-mark 0x4000}). */
    static final int MASQ_MARK = 0x4000;
    /** Rules in a KUBE-SVC chain: the masquerade rule, one per endpoint, the end of chain. */
    static final int SVC_CHAIN_RULES = 1 + ServiceCatalog.BACKENDS + 1;
    /** Rules in a KUBE-SEP chain: hairpin mark, DNAT, end of chain. */
    static final int SEP_CHAIN_RULES = 3;
    static final int RULES_PER_SERVICE = SVC_CHAIN_RULES + ServiceCatalog.BACKENDS * SEP_CHAIN_RULES;
    private static final int MAX_DEPTH = 8;

    private int[] serviceOrder = new int[16];
    private int serviceCount;
    private int[] rules = new int[0];
    private int ruleCount;
    private final int[] returnStack = new int[MAX_DEPTH];
    private final KernelRandom random = new KernelRandom(0x9E37_79B9_7F4A_7C15L);
    private int lastMark;

    @Override
    public long select(FrameVector v, int i) {
        int src = v.srcIp4(i);
        int dst = v.dstIp4(i);
        int protocol = v.protocol(i);
        int dport = v.dstPort(i);
        int bytes = v.l3Length(i);
        int[] r = rules;
        int[] stack = returnStack;
        int depth = 0;
        int mark = 0;
        int pc = 0; // KUBE-SERVICES is the first chain
        while (true) {
            int b = pc * STRIDE;
            if (!matches(r, b, src, dst, protocol, dport)) {
                pc++;
                continue;
            }
            r[b + PACKETS]++;
            r[b + BYTES] += bytes;
            int target = r[b + TARGET];
            if (target == T_JUMP) {
                stack[depth++] = pc + 1;
                pc = r[b + ARG];
            } else if (target == T_MARK) {
                mark |= r[b + ARG];
                pc++;
            } else if (target == T_DNAT) {
                lastMark = mark;
                return ServiceDataplane.backend(r[b + ARG], r[b + ARG2]);
            } else { // end of a chain
                if (depth == 0) {
                    lastMark = mark;
                    return NO_SERVICE;
                }
                pc = stack[--depth];
            }
        }
    }

    private boolean matches(int[] r, int b, int src, int dst, int protocol, int dport) {
        int flags = r[b + FLAGS];
        if (((src & r[b + SRC_MASK]) == r[b + SRC]) == ((flags & F_INVERT_SRC) != 0)) {
            return false;
        }
        if ((dst & r[b + DST_MASK]) != r[b + DST]) {
            return false;
        }
        if ((flags & F_PROTOCOL) != 0 && protocol != r[b + PROTOCOL]) {
            return false;
        }
        if ((flags & F_DPORT) != 0 && dport != r[b + DPORT]) {
            return false;
        }
        return (flags & F_STATISTIC) == 0 || (random.nextU32() & 0x7FFF_FFFF) < r[b + PROBABILITY];
    }

    /** One rebuild for all of them, as kube-proxy's first sync writes one ruleset. */
    @Override
    public void load(int count) {
        for (int s = 0; s < count; s++) {
            append(s);
        }
        rebuild();
    }

    @Override
    public void addService(int s) {
        append(s);
        rebuild();
    }

    @Override
    public boolean removeService(int s) {
        for (int k = 0; k < serviceCount; k++) {
            if (serviceOrder[k] == s) {
                System.arraycopy(serviceOrder, k + 1, serviceOrder, k, serviceCount - k - 1);
                serviceCount--;
                rebuild();
                return true;
            }
        }
        return false;
    }

    @Override
    public int services() {
        return serviceCount;
    }

    /** Returns: the rules in the table (all chains). */
    int ruleCount() {
        return ruleCount;
    }

    /** Returns: the mark the last packet left with (0x4000 when marked for masquerade). */
    int lastMark() {
        return lastMark;
    }

    /** Returns: the packet counter of rule {@code index} (as {@code iptables -L -v} shows it). */
    int packets(int index) {
        return rules[index * STRIDE + PACKETS];
    }

    private void append(int s) {
        if (serviceCount == serviceOrder.length) {
            serviceOrder = Arrays.copyOf(serviceOrder, serviceCount * 2);
        }
        serviceOrder[serviceCount++] = s;
    }

    /**
     * Writes the whole table anew (iptables-restore): KUBE-SERVICES, KUBE-NODEPORTS, then each
     * service's KUBE-SVC chain followed by its KUBE-SEP chains. Counters start at zero, as after
     * a restore without {@code --counters}.
     */
    private void rebuild() {
        int n = serviceCount;
        int servicesChain = n + 2;
        int nodePorts = servicesChain;
        int firstService = nodePorts + 1;
        int total = firstService + n * RULES_PER_SERVICE;
        int[] r = new int[total * STRIDE];
        for (int k = 0; k < n; k++) {
            int s = serviceOrder[k];
            int vip = ServiceCatalog.vip(s);
            int svcChain = firstService + k * RULES_PER_SERVICE;
            rule(r, k, 0, 0, vip, -1, F_PROTOCOL | F_DPORT, ServiceCatalog.SERVICE_PORT, 0, T_JUMP, svcChain, 0);
            writeServiceChains(r, s, vip, svcChain);
        }
        rule(r, n, 0, 0, ServiceCatalog.NODE_IP, -1, 0, 0, 0, T_JUMP, nodePorts, 0);
        rule(r, n + 1, 0, 0, 0, 0, 0, 0, 0, T_RETURN, 0, 0);
        rule(r, nodePorts, 0, 0, 0, 0, 0, 0, 0, T_RETURN, 0, 0);
        rules = r;
        ruleCount = total;
    }

    private static void writeServiceChains(int[] r, int s, int vip, int svcChain) {
        int endpoints = ServiceCatalog.BACKENDS;
        rule(r, svcChain, ServiceCatalog.CLUSTER_CIDR, ServiceCatalog.CLUSTER_CIDR_MASK, vip, -1,
                F_INVERT_SRC | F_PROTOCOL | F_DPORT, ServiceCatalog.SERVICE_PORT, 0, T_MARK, MASQ_MARK, 0);
        for (int e = 0; e < endpoints; e++) {
            int sepChain = svcChain + SVC_CHAIN_RULES + e * SEP_CHAIN_RULES;
            boolean last = e == endpoints - 1;
            rule(r, svcChain + 1 + e, 0, 0, 0, 0, last ? 0 : F_STATISTIC, 0,
                    last ? 0 : probability(endpoints - e), T_JUMP, sepChain, 0);
            int endpoint = ServiceCatalog.backend(s, e);
            rule(r, sepChain, endpoint, -1, 0, 0, 0, 0, 0, T_MARK, MASQ_MARK, 0);
            rule(r, sepChain + 1, 0, 0, 0, 0, F_PROTOCOL, 0, 0, T_DNAT, endpoint, ServiceCatalog.TARGET_PORT);
            rule(r, sepChain + 2, 0, 0, 0, 0, 0, 0, 0, T_RETURN, 0, 0);
        }
        rule(r, svcChain + SVC_CHAIN_RULES - 1, 0, 0, 0, 0, 0, 0, 0, T_RETURN, 0, 0);
    }

    /**
     * Returns: the threshold iptables stores for kube-proxy's {@code --probability 1/remaining}:
     * kube-proxy prints the probability with ten decimals, iptables stores
     * {@code lround(2^31 * p)}, and the kernel matches when {@code random & 0x7FFFFFFF} is below it.
     */
    static int probability(int remaining) {
        double printed = Math.round(1e10 / remaining) / 1e10;
        return (int) Math.round(0x8000_0000L * printed);
    }

    private static void rule(int[] r, int index, int src, int srcMask, int dst, int dstMask, int flags, int dport,
                             int probability, int target, int arg, int arg2) {
        int b = index * STRIDE;
        r[b + SRC] = src & srcMask;
        r[b + SRC_MASK] = srcMask;
        r[b + DST] = dst & dstMask;
        r[b + DST_MASK] = dstMask;
        r[b + FLAGS] = flags;
        r[b + PROTOCOL] = (flags & F_PROTOCOL) != 0 ? ServiceCatalog.TCP : 0;
        r[b + DPORT] = dport;
        r[b + PROBABILITY] = probability;
        r[b + TARGET] = target;
        r[b + ARG] = arg;
        r[b + ARG2] = arg2;
    }
}
