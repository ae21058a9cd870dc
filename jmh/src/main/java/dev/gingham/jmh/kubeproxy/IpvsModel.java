package dev.gingham.jmh.kubeproxy;

import dev.gingham.packet.FrameVector;

/**
 * kube-proxy's IPVS mode: the kernel's IPVS service table, a hash keyed by (protocol, virtual
 * address, port) whose entry holds the virtual service's real servers, and the round-robin
 * scheduler ({@code rr}, kube-proxy's default).
 *
 * <h2>What is modelled</h2>
 * <ul>
 *   <li>The table as {@code net/netfilter/ipvs/ip_vs_ctl.c} has it: a fixed array of
 *       2^{@value #TABLE_BITS} buckets ({@code IP_VS_SVC_TAB_BITS}) of chained services,
 *       indexed by {@code ip_vs_svc_hashkey}: {@code (protocol ^ address ^ (port >> 8) ^ port)
 *       & 255} (host-order address and port; the per-namespace term is a constant and left
 *       out). The table does not grow, so at 100k services a lookup walks chains of about
 *       400 services; that is the real behaviour of this table, not a shortcut of the model.</li>
 *   <li>Each virtual service and real server is an object reached through a reference, as the
 *       kernel's {@code struct ip_vs_service} and {@code struct ip_vs_dest} are reached through
 *       list pointers; the chain walk compares address, port and protocol, as
 *       {@code __ip_vs_service_find} does.</li>
 *   <li>{@code ip_vs_rr_schedule}: from the last real server chosen, the next one that is not
 *       overloaded and has a weight above zero.</li>
 *   <li>A service update is one hash insert of a new virtual service with its real servers
 *       (kube-proxy: one {@code IPVS_CMD_NEW_SERVICE} and one {@code IPVS_CMD_NEW_DEST} per
 *       endpoint) or one unlink.</li>
 * </ul>
 *
 * <h2>What is not modelled</h2>
 * The connection-table lookup IPVS does first ({@code ip_vs_conn_in_get}, the equivalent of
 * conntrack; a miss for a new connection), the connection entry it creates after scheduling, the
 * ipset match ({@code KUBE-CLUSTER-IP}, one more hash lookup) that kube-proxy's remaining iptables
 * rules run, the scheduler's spinlock, netlink and system-call costs on update, and the
 * {@code kube-ipvs0} address kube-proxy adds per ClusterIP.
 */
public final class IpvsModel implements ServiceDataplane {
    /** {@code IP_VS_SVC_TAB_BITS}: the kernel's service table has 256 buckets. */
    static final int TABLE_BITS = 8;
    private static final int TABLE_MASK = (1 << TABLE_BITS) - 1;
    /** {@code IP_VS_DEST_F_OVERLOAD}. */
    static final int DEST_OVERLOAD = 0x0002;

    /** A virtual service ({@code struct ip_vs_service}): its key, its real servers, the scheduler's cursor. */
    static final class VirtualService {
        final int protocol;
        final int address;
        final int port;
        final RealServer[] destinations;
        VirtualService next;
        int lastScheduled;

        VirtualService(int protocol, int address, int port, RealServer[] destinations) {
            this.protocol = protocol;
            this.address = address;
            this.port = port;
            this.destinations = destinations;
            this.lastScheduled = destinations.length - 1;
        }
    }

    /** A real server ({@code struct ip_vs_dest}). */
    static final class RealServer {
        final int address;
        final int port;
        int weight = 1;
        int flags;

        RealServer(int address, int port) {
            this.address = address;
            this.port = port;
        }
    }

    private final VirtualService[] table = new VirtualService[1 << TABLE_BITS];
    private int services;

    /** Returns: the bucket of a service, as {@code ip_vs_svc_hashkey} computes it. */
    static int bucket(int protocol, int address, int port) {
        return (protocol ^ address ^ (port >>> TABLE_BITS) ^ port) & TABLE_MASK;
    }

    @Override
    public long select(FrameVector v, int i) {
        int protocol = v.protocol(i);
        int address = v.dstIp4(i);
        int port = v.dstPort(i);
        for (VirtualService svc = table[bucket(protocol, address, port)]; svc != null; svc = svc.next) {
            if (svc.address == address && svc.port == port && svc.protocol == protocol) {
                return schedule(svc);
            }
        }
        return NO_SERVICE;
    }

    /** {@code ip_vs_rr_schedule}: the next usable real server after the last one chosen. */
    private static long schedule(VirtualService svc) {
        RealServer[] dests = svc.destinations;
        int n = dests.length;
        int p = svc.lastScheduled;
        for (int k = 0; k < n; k++) {
            p = p + 1 == n ? 0 : p + 1;
            RealServer d = dests[p];
            if ((d.flags & DEST_OVERLOAD) == 0 && d.weight > 0) {
                svc.lastScheduled = p;
                return ServiceDataplane.backend(d.address, d.port);
            }
        }
        return NO_SERVICE; // every real server overloaded or drained: IPVS drops the new connection
    }

    @Override
    public void addService(int s) {
        RealServer[] dests = new RealServer[ServiceCatalog.BACKENDS];
        for (int e = 0; e < dests.length; e++) {
            dests[e] = new RealServer(ServiceCatalog.backend(s, e), ServiceCatalog.TARGET_PORT);
        }
        VirtualService svc = new VirtualService(ServiceCatalog.TCP, ServiceCatalog.vip(s), ServiceCatalog.SERVICE_PORT, dests);
        int b = bucket(svc.protocol, svc.address, svc.port);
        svc.next = table[b]; // hlist_add_head_rcu
        table[b] = svc;
        services++;
    }

    @Override
    public boolean removeService(int s) {
        int address = ServiceCatalog.vip(s);
        int b = bucket(ServiceCatalog.TCP, address, ServiceCatalog.SERVICE_PORT);
        VirtualService previous = null;
        for (VirtualService svc = table[b]; svc != null; previous = svc, svc = svc.next) {
            if (svc.address == address && svc.port == ServiceCatalog.SERVICE_PORT && svc.protocol == ServiceCatalog.TCP) {
                if (previous == null) {
                    table[b] = svc.next;
                } else {
                    previous.next = svc.next;
                }
                services--;
                return true;
            }
        }
        return false;
    }

    @Override
    public int services() {
        return services;
    }

    /** Returns: the length of the longest bucket chain (the worst-case walk). */
    int longestChain() {
        int longest = 0;
        for (VirtualService head : table) {
            int length = 0;
            for (VirtualService svc = head; svc != null; svc = svc.next) {
                length++;
            }
            longest = Math.max(longest, length);
        }
        return longest;
    }

    /** Marks real server {@code e} of service {@code s} overloaded or not (what IPVS sets for an upper connection threshold). */
    void overloaded(int s, int e, boolean overloaded) {
        int address = ServiceCatalog.vip(s);
        for (VirtualService svc = table[bucket(ServiceCatalog.TCP, address, ServiceCatalog.SERVICE_PORT)]; svc != null; svc = svc.next) {
            if (svc.address == address) {
                RealServer d = svc.destinations[e];
                d.flags = overloaded ? d.flags | DEST_OVERLOAD : d.flags & ~DEST_OVERLOAD;
            }
        }
    }
}
