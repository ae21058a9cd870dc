package dev.gingham.dataplane.program;

import dev.gingham.dataplane.flow.DropEvents;
import dev.gingham.dataplane.flow.FlowEvents;
import dev.gingham.dataplane.identity.ReservedIdentity;
import dev.gingham.dataplane.policy.Direction;
import dev.gingham.dataplane.policy.PolicyEnforcer;
import dev.gingham.dataplane.policy.PolicyLookup;
import dev.gingham.encap.LocalDelivery;
import dev.gingham.encap.TcpSegmenter;
import dev.gingham.encap.TunnelDecap;
import dev.gingham.encap.TunnelEncap;
import dev.gingham.encap.TunnelMode;
import dev.gingham.nat.Masquerade;
import dev.gingham.nat.ReverseServiceNat;
import dev.gingham.nat.ReverseSnat;
import dev.gingham.nat.ServiceNat;
import dev.gingham.nat.lb.Scope;
import dev.gingham.nat.lb.ServiceLookup;
import dev.gingham.packet.FrameTrace;
import dev.gingham.packet.FrameVector;
import dev.gingham.packet.Parser;
import dev.gingham.packet.Verdict;

/**
 * One worker's data path: every frame of a vector runs through the chain of programs that fits
 * the port it came in on, as Cilium attaches bpf_lxc, bpf_host and bpf_overlay to different
 * devices. The daemon's workers, replay and the fuzzer all call {@link #run}, so they share every
 * decision.
 *
 * <pre>
 * from a pod     parse, SourceGuard, ARP, ND, ServiceNat(internal), ReverseServiceNat, RouteLookup,
 *                egress policy, ingress policy (local destinations), local | host delivery,
 *                Masquerade, segment, TunnelEncap, world delivery
 * from underlay  parse (TunnelDecap.receive: tunnel packets decapsulated on the way), ARP and ND
 *                (node addresses), TunnelDecap (the rest), ReverseSnat, ReverseServiceNat,
 *                ServiceNat(external), RouteLookup, ingress policy, local | host delivery,
 *                Masquerade (NodePort to another node), segment, TunnelEncap, world delivery (replies)
 * from the host  parse, ARP, ND, identity HOST, ServiceNat(internal), ReverseServiceNat, RouteLookup,
 *                ingress policy, local | host delivery, segment, TunnelEncap, world delivery
 * </pre>
 * "segment" cuts GSO frames routed into a tunnel into real segments ({@link TcpSegmenter}) before
 * encapsulation, unless the tunnel sends them whole: with {@code underlay.udpGso} (the default)
 * a VXLAN or Geneve TCP GSO frame leaves as one UDP GSO datagram of encapsulated segments
 * ({@code TunnelEncap.sendsWhole}); IPIP, {@code udpGso: false} and frames that sender refuses are
 * cut, because a packet socket's virtio-net header cannot ask for TCP segmentation inside outer
 * tunnel headers. The MTU check and encapsulation then see each segment. GSO frames routed
 * anywhere else (a local pod, the host, the world, native routing) stay whole: the port they leave
 * by (a vnet-header TAP, the underlay's AF_PACKET socket) has the kernel segment them.
 * Every chain ends with {@link RouteDelivery#finish} (no frame leaves undecided), the drop
 * counters and drop events. Afterwards each frame's verdict is TX on a port or a drop; the caller
 * transmits and releases the buffers.
 *
 * <p>Contract: all frames of one call entered through the same port (the worker polls one port
 * at a time; replay groups consecutive frames of a port). {@code nowNs} is the worker's cached
 * clock for the vector, or the capture's timestamp in replay. One instance per worker, used by
 * that worker's thread only; allocates nothing per frame.
 */
public final class NodePipeline {
    private final PipelineConfig config;
    private final int worker;
    private final Parser parser = new Parser();
    private final SourceGuard sourceGuard;
    private final ArpResponder arp;
    private final NdpResponder ndp;
    private final ServiceNat serviceNat;
    private final ReverseServiceNat reverseServiceNat;
    private final ReverseSnat reverseSnat;
    private final Masquerade masquerade;
    private final RouteLookup routeLookup;
    private final PolicyEnforcer egressPolicy;
    private final PolicyEnforcer ingressPolicy;
    private final RouteDelivery delivery;
    private final TunnelEncap tunnelEncap;
    private final TunnelDecap tunnelDecap;
    private final TcpSegmenter segmenter = new TcpSegmenter();
    /** Native routing sends a pod's frame as it is: the underlay can segment it, so nothing is cut here. */
    private final boolean segmentForTunnel;
    private final DropCounters drops;
    private final DropEvents dropEvents;

    private final int[] sourceSlots = new int[FrameVector.MAX_FRAMES];
    private final int[] destSlots = new int[FrameVector.MAX_FRAMES];
    private final int[] routes = new int[FrameVector.MAX_FRAMES];
    private final long[] endpoints = new long[FrameVector.MAX_FRAMES];

    /**
     * @param events flow events of this worker (policy verdicts and drops), or null for none
     * @param drops  the node's drop counters (this pipeline writes region {@code worker})
     */
    public NodePipeline(PipelineConfig config, PipelineMaps maps, int worker, FlowEvents events, DropCounters drops) {
        this.config = config;
        this.worker = worker;
        this.drops = drops;
        ServiceLookup services = new ServiceLookup(maps.services(), worker);
        LocalDelivery local = new LocalDelivery(maps.endpoints(), config.tunnel().routerMac());
        this.sourceGuard = new SourceGuard(maps.endpoints());
        this.arp = new ArpResponder(config.tunnel().routerMac(), config.tunnel().underlayMac(),
                config.nodeIpv4Addresses(), maps.neighbours());
        this.ndp = new NdpResponder(config.tunnel().routerMac(), config.tunnel().underlayMac(), config.nodeIpv6Addresses());
        this.serviceNat = new ServiceNat(services, maps.conntrack(), config.hairpinAddress());
        this.reverseServiceNat = new ReverseServiceNat(services, maps.conntrack());
        this.reverseSnat = new ReverseSnat(maps.snat());
        this.masquerade = new Masquerade(maps.snat(), maps.masquerade(), maps.egressGateway(), maps.conntrack());
        this.routeLookup = new RouteLookup(config, maps.endpoints(), local, maps.ipCache());
        this.egressPolicy = new PolicyEnforcer(Direction.EGRESS, new PolicyLookup(maps.policy()), maps.conntrack(), events);
        this.ingressPolicy = new PolicyEnforcer(Direction.INGRESS, new PolicyLookup(maps.policy()), maps.conntrack(), events);
        this.delivery = new RouteDelivery(config, local, maps.peers());
        this.tunnelEncap = new TunnelEncap(config.tunnel(), maps.ipCache(), maps.peers());
        this.tunnelDecap = new TunnelDecap(config.tunnel(), maps.ipCache(), maps.peers());
        this.segmentForTunnel = config.tunnel().mode() != TunnelMode.NATIVE;
        this.dropEvents = events == null ? null : new DropEvents(events);
    }

    /**
     * Runs the chain of the vector's ingress port over every frame. Frames must be freshly read
     * (verdict {@link Verdict#CONTINUE}, not parsed yet); afterwards every verdict is final.
     *
     * @return the number of frames dropped
     */
    public int run(FrameVector v, long nowNs) {
        if (v.count() == 0) {
            return 0;
        }
        FrameTrace trace = v.trace();
        if (trace != null) {
            trace.reset(v.count());
        }
        int direction;
        switch (config.role(v.ingressPort(0))) {
            case POD -> {
                fromPod(v, nowNs);
                direction = Direction.EGRESS;
            }
            case UNDERLAY -> {
                fromUnderlay(v, nowNs);
                direction = Direction.INGRESS;
            }
            default -> {
                fromHost(v, nowNs);
                direction = Direction.INGRESS;
            }
        }
        delivery.finish(v);
        if (dropEvents != null) {
            dropEvents.process(v, direction, nowNs);
        }
        return drops.count(worker, v, direction);
    }

    private void fromPod(FrameVector v, long nowNs) {
        parser.parseAll(v);
        sourceGuard.process(v, sourceSlots);
        arp.processFromLink(v);
        ndp.processFromLink(v);
        serviceNat.process(v, Scope.INTERNAL, nowNs);
        reverseServiceNat.process(v, nowNs);
        int routed = v.count();
        routeLookup.process(v, routes, destSlots, endpoints, false, nowNs);
        egressPolicy.process(v, sourceSlots, nowNs);
        ingressPolicy.process(v, destSlots, nowNs);
        deliver(v, routed, true, nowNs);
    }

    private void fromUnderlay(FrameVector v, long nowNs) {
        tunnelDecap.receive(v);
        arp.processFromUnderlay(v);
        ndp.processFromUnderlay(v);
        tunnelDecap.process(v, nowNs);
        reverseSnat.process(v);
        reverseServiceNat.process(v, nowNs);
        serviceNat.process(v, Scope.EXTERNAL, nowNs);
        int routed = v.count();
        routeLookup.process(v, routes, destSlots, endpoints, true, nowNs);
        ingressPolicy.process(v, destSlots, nowNs);
        deliver(v, routed, true, nowNs);
    }

    private void fromHost(FrameVector v, long nowNs) {
        parser.parseAll(v);
        arp.processFromLink(v);
        ndp.processFromLink(v);
        for (int i = 0, n = v.count(); i < n; i++) {
            v.srcIdentity(i, ReservedIdentity.HOST);
        }
        serviceNat.process(v, Scope.INTERNAL, nowNs);
        reverseServiceNat.process(v, nowNs);
        int routed = v.count();
        routeLookup.process(v, routes, destSlots, endpoints, false, nowNs);
        ingressPolicy.process(v, destSlots, nowNs);
        deliver(v, routed, false, nowNs);
    }

    /**
     * The end every chain shares once frames are routed: local pods and the host first, then
     * masquerade for what leaves the node ({@code masqueradeLeaving}: not for the host's own
     * traffic, which already has a node address), segmentation and encapsulation for other nodes,
     * and the world.
     */
    private void deliver(FrameVector v, int routed, boolean masqueradeLeaving, long nowNs) {
        delivery.deliverLocal(v, routes, endpoints, routed);
        delivery.deliverHost(v, routes, routed);
        if (masqueradeLeaving) {
            masquerade.process(v, nowNs);
        }
        segmentTunnelled(v, routed);
        tunnelEncap.process(v, nowNs);
        delivery.deliverWorld(v, routes, routed);
    }

    /**
     * Cuts the GSO frames routed TUNNEL that the tunnel does not send whole (see the class
     * comment) into segments, appended to the vector for encapsulation in the same pass. A GSO frame whose segments would not fit the pod MTU stays whole, so
     * encapsulation refuses it with one ICMP error rather than one per segment.
     */
    private void segmentTunnelled(FrameVector v, int routed) {
        if (!segmentForTunnel) {
            return;
        }
        for (int i = 0; i < routed; i++) {
            // a GSO size of 0 is no size to measure against the MTU: the segmenter refuses it
            if (routes[i] == RouteLookup.TUNNEL && v.verdict(i) == Verdict.CONTINUE && v.hasFlag(i, FrameVector.FLAG_GSO)
                    && (v.gsoSize(i) <= 0 || tunnelEncap.fitsPodMtu(v, i)) && !tunnelEncap.sendsWhole(v, i)) {
                int appended = segmenter.segment(v, i);
                if (appended < 0) {
                    v.verdict(i, appended);
                }
            }
        }
    }

    /** Replaces the addresses whose ARP requests the underlay side answers (node, egress and LoadBalancer IPs). */
    public void announcedAddresses(int[] ipv4Addresses) {
        arp.nodeAddresses(ipv4Addresses);
    }

    public ServiceNat serviceNat() {
        return serviceNat;
    }

    public TunnelEncap tunnelEncap() {
        return tunnelEncap;
    }

    public TunnelDecap tunnelDecap() {
        return tunnelDecap;
    }

    public TcpSegmenter segmenter() {
        return segmenter;
    }

    public RouteLookup routeLookup() {
        return routeLookup;
    }

    public PolicyEnforcer egressPolicy() {
        return egressPolicy;
    }

    public PolicyEnforcer ingressPolicy() {
        return ingressPolicy;
    }

    /**
     * Counts frame {@code i}'s drop verdict, set after {@link #run} (a port could not send it), in
     * the direction of the chain the vector ran, as {@link #run} counts its own drops.
     */
    public void countLateDrop(FrameVector v, int i) {
        int verdict = v.verdict(i);
        if (verdict < 0) {
            int direction = config.role(v.ingressPort(0)) == PortRole.POD ? Direction.EGRESS : Direction.INGRESS;
            drops.countOne(worker, -verdict, Direction.ofDrop(v, i, direction));
        }
    }
}
