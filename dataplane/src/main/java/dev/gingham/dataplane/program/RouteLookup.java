package dev.gingham.dataplane.program;

import dev.gingham.dataplane.identity.ReservedIdentity;
import dev.gingham.dataplane.policy.PolicyEnforcer;
import dev.gingham.encap.EndpointMap;
import dev.gingham.encap.IpCache;
import dev.gingham.encap.LocalDelivery;
import dev.gingham.encap.TokenBucket;
import dev.gingham.packet.DropReason;
import dev.gingham.packet.FrameMarks;
import dev.gingham.packet.FrameVector;
import dev.gingham.packet.IcmpErrorWriter;
import dev.gingham.packet.NetworkOrder;
import dev.gingham.packet.Verdict;
import dev.gingham.packet.checksum.IncrementalChecksum;
import dev.gingham.packet.header.Ipv4Header;
import dev.gingham.packet.header.Ipv6Header;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * The routing decision of the node (Cilium's ipcache / endpoint lookups and {@code ipv4_l3}):
 * after the service and reverse-NAT programs have settled the destination address, each IP frame
 * gets its route class, the identities policy needs, and its TTL decremented.
 *
 * <pre>
 *  LOCAL   a pod on this node (endpoint map)       -> ingress policy, then delivery to its port
 *  HOST    the node itself (node or gateway address)-> the host port, TTL untouched (delivered, not forwarded)
 *  TUNNEL  a pod on another node (ipcache, tunnel)  -> encapsulation (or native next hop)
 *  WORLD   anything else                            -> masquerade, then the underlay's next hop
 * </pre>
 *
 * <p>Identities: the destination's from the endpoint map or the ipcache (world when neither knows
 * it); the source's, when no earlier program set it (anti-spoofing sets the pod's, decapsulation
 * the tunnel's), from the ipcache. Frames that entered from the underlay may only leave again
 * (to another node or the world) when they belong to a translated flow (NodePort DNAT+SNAT, or a
 * reply that reverse NAT put back): the node is not a transit router ({@link DropReason#UNROUTABLE}).
 *
 * <p>TTL: a forwarded IPv4 packet's TTL (IPv6 hop limit) is decremented with an RFC 1624 update of
 * the header checksum; one that would reach zero becomes an ICMP time exceeded from the gateway
 * address, sent back out of its ingress port (rate-limited like Linux, the rest dropped as
 * {@link DropReason#TTL_EXCEEDED}), so traceroute through the node works. Multicast and broadcast
 * destinations are not routed ({@link DropReason#MULTICAST_NOT_ROUTED}), nor IPv6 packets with a
 * link-local or unspecified source or a link-local destination ({@link DropReason#LINK_SCOPE_NOT_ROUTED},
 * RFC 4291 §2.5.2 and §2.5.6: a router never forwards them off their link; the neighbor discovery
 * among them was answered or dropped by {@link NdpResponder} before). One instance per worker;
 * allocates nothing.
 */
public final class RouteLookup {
    /** Route class: not decided (non-IP, or already final). */
    public static final int NONE = 0;
    public static final int LOCAL = 1;
    public static final int HOST = 2;
    public static final int TUNNEL = 3;
    public static final int WORLD = 4;

    private static final int MAY_LEAVE_FROM_UNDERLAY = FrameMarks.SNAT_TO_NODE | FrameMarks.REVERSE_NAT;

    private final EndpointMap endpointMap;
    private final LocalDelivery local;
    private final IpCache ipCache;
    private final int[] hostAddresses4;
    private final long[] hostAddresses6;
    private final long routerIpv6Hi;
    private final long routerIpv6Lo;
    private final boolean hasRouterIpv6;
    private final int routerIpv4;
    private final TokenBucket icmpErrors;
    private long timeExceededCount;

    public RouteLookup(PipelineConfig config, EndpointMap endpointMap, LocalDelivery local, IpCache ipCache) {
        this.endpointMap = endpointMap;
        this.local = local;
        this.ipCache = ipCache;
        this.routerIpv4 = config.tunnel().routerIpv4();
        this.hasRouterIpv6 = config.tunnel().hasRouterIpv6();
        this.routerIpv6Hi = config.tunnel().routerIpv6Hi();
        this.routerIpv6Lo = config.tunnel().routerIpv6Lo();
        int[] addresses = config.nodeIpv4Addresses();
        this.hostAddresses4 = Arrays.copyOf(addresses, addresses.length + 1);
        this.hostAddresses4[addresses.length] = routerIpv4;
        long[] addresses6 = config.nodeIpv6Addresses();
        this.hostAddresses6 = hasRouterIpv6 ? Arrays.copyOf(addresses6, addresses6.length + 2) : addresses6;
        if (hasRouterIpv6) {
            hostAddresses6[addresses6.length] = routerIpv6Hi;
            hostAddresses6[addresses6.length + 1] = routerIpv6Lo;
        }
        this.icmpErrors = new TokenBucket(config.tunnel().icmpErrorsPerSecond(), config.tunnel().icmpErrorBurst());
    }

    /**
     * Routes every IP frame whose verdict is {@link Verdict#CONTINUE}.
     *
     * @param routes       out: the route class per frame ({@link #NONE} for frames not routed here)
     * @param destSlots    out: the destination pod's slot (its port) for LOCAL, else {@link PolicyEnforcer#NOT_LOCAL}
     * @param endpoints    out: the destination endpoint for LOCAL (for delivery)
     * @param fromUnderlay the vector entered from the underlay
     */
    public void process(FrameVector v, int[] routes, int[] destSlots, long[] endpoints, boolean fromUnderlay, long nowNs) {
        MemorySegment s = v.segment();
        for (int i = 0, n = v.count(); i < n; i++) {
            routes[i] = NONE;
            destSlots[i] = PolicyEnforcer.NOT_LOCAL;
            if (v.verdict(i) != Verdict.CONTINUE) {
                continue;
            }
            boolean ipv4 = v.hasFlag(i, FrameVector.FLAG_IPV4);
            if (!ipv4 && !v.hasFlag(i, FrameVector.FLAG_IPV6)) {
                continue;
            }
            if (ipv4 ? isMulticast4(v.dstIp4(i)) : Ipv6Header.isMulticast(v.dstHi(i))) {
                v.drop(i, DropReason.MULTICAST_NOT_ROUTED);
                continue;
            }
            if (!ipv4 && (Ipv6Header.isLinkLocal(v.srcHi(i)) || Ipv6Header.isUnspecified(v.srcHi(i), v.srcLo(i))
                    || Ipv6Header.isLinkLocal(v.dstHi(i)))) {
                v.drop(i, DropReason.LINK_SCOPE_NOT_ROUTED);
                continue;
            }
            if (v.srcIdentity(i) == ReservedIdentity.UNKNOWN) {
                v.srcIdentity(i, identityOf(v.srcHi(i), v.srcLo(i)));
            }
            int route = classify(v, i, ipv4, endpoints);
            if (fromUnderlay && route >= TUNNEL && (v.mark(i) & MAY_LEAVE_FROM_UNDERLAY) == 0) {
                v.drop(i, DropReason.UNROUTABLE);
                continue;
            }
            if (route != HOST && !decrementTtl(v, s, i, ipv4, nowNs)) {
                continue; // answered with time exceeded, or dropped
            }
            routes[i] = route;
            if (route == LOCAL) {
                destSlots[i] = endpointMap.port(endpoints[i]);
            }
        }
    }

    private int classify(FrameVector v, int i, boolean ipv4, long[] endpoints) {
        long endpoint = local.lookup(v, i);
        if (endpoint != EndpointMap.MISSING) {
            endpoints[i] = endpoint;
            v.dstIdentity(i, endpointMap.identity(endpoint));
            return LOCAL;
        }
        if (ipv4 ? PipelineConfig.contains(hostAddresses4, v.dstIp4(i))
                : PipelineConfig.contains(hostAddresses6, v.dstHi(i), v.dstLo(i))) {
            v.dstIdentity(i, ReservedIdentity.HOST);
            return HOST;
        }
        long route = ipCache.lookup(v.dstHi(i), v.dstLo(i));
        if (route == IpCache.MISSING) {
            v.dstIdentity(i, ReservedIdentity.WORLD);
            return WORLD;
        }
        int identity = ipCache.identity(route);
        v.dstIdentity(i, identity == ReservedIdentity.UNKNOWN ? ReservedIdentity.WORLD : identity);
        return (ipCache.flags(route) & IpCache.FLAG_TUNNEL) != 0 ? TUNNEL : WORLD;
    }

    private int identityOf(long hi, long lo) {
        long route = ipCache.lookup(hi, lo);
        if (route == IpCache.MISSING) {
            return ReservedIdentity.WORLD;
        }
        int identity = ipCache.identity(route);
        return identity == ReservedIdentity.UNKNOWN ? ReservedIdentity.WORLD : identity;
    }

    /** Returns: false when the frame's TTL ran out (it now carries a time exceeded, or a drop). */
    private boolean decrementTtl(FrameVector v, MemorySegment s, int i, boolean ipv4, long nowNs) {
        long l3 = v.l3Offset(i);
        int ttl = ipv4 ? NetworkOrder.u8(s, l3 + Ipv4Header.TTL_OFFSET) : NetworkOrder.u8(s, l3 + Ipv6Header.HOP_LIMIT_OFFSET);
        if (ttl <= 1) {
            timeExceeded(v, i, ipv4, nowNs);
            return false;
        }
        if (ipv4) {
            int oldWord = NetworkOrder.u16(s, l3 + Ipv4Header.TTL_OFFSET);
            int newWord = oldWord - 0x100;
            NetworkOrder.u16(s, l3 + Ipv4Header.TTL_OFFSET, newWord);
            int checksum = NetworkOrder.u16(s, l3 + Ipv4Header.CHECKSUM_OFFSET);
            NetworkOrder.u16(s, l3 + Ipv4Header.CHECKSUM_OFFSET, IncrementalChecksum.replace16(checksum, oldWord, newWord));
        } else {
            NetworkOrder.u8(s, l3 + Ipv6Header.HOP_LIMIT_OFFSET, ttl - 1);
        }
        return true;
    }

    private void timeExceeded(FrameVector v, int i, boolean ipv4, long nowNs) {
        timeExceededCount++;
        int port = v.ingressPort(i);
        boolean written = icmpErrors.tryTake(nowNs) && (ipv4
                ? IcmpErrorWriter.toIcmp4Error(v, i, IcmpErrorWriter.ICMP4_TIME_EXCEEDED, 0, 0, routerIpv4)
                : hasRouterIpv6 && IcmpErrorWriter.toIcmp6Error(v, i, IcmpErrorWriter.ICMP6_TIME_EXCEEDED, 0, 0,
                routerIpv6Hi, routerIpv6Lo));
        v.verdict(i, written ? Verdict.tx(port) : DropReason.TTL_EXCEEDED.verdict());
    }

    private static boolean isMulticast4(int address) {
        return (address >>> 28) == 0xE || address == -1;
    }

    /** Returns: packets whose TTL ran out here (answered with time exceeded or dropped). */
    public long timeExceededCount() {
        return timeExceededCount;
    }
}
