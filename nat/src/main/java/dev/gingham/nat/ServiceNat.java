package dev.gingham.nat;

import dev.gingham.conntrack.CtEntry;
import dev.gingham.conntrack.CtKey;
import dev.gingham.conntrack.CtResult;
import dev.gingham.conntrack.CtStatus;
import dev.gingham.conntrack.CtTable;
import dev.gingham.maps.HashMap;
import dev.gingham.maps.MapErrors;
import dev.gingham.nat.lb.BackendState;
import dev.gingham.packet.FlowHash;
import dev.gingham.nat.lb.Scope;
import dev.gingham.nat.lb.ServiceLookup;
import dev.gingham.packet.DropReason;
import dev.gingham.packet.FrameMarks;
import dev.gingham.packet.FrameTrace;
import dev.gingham.packet.FrameVector;
import dev.gingham.packet.IcmpErrorWriter;
import dev.gingham.packet.MappedAddress;
import dev.gingham.packet.Verdict;

/**
 * The service program for packets travelling from a client towards a Service (Cilium's
 * {@code lb4_lookup_service} + {@code lb4_local} + DNAT): frontend lookup, the backend of an
 * existing flow or a new selection, the service conntrack entry, DNAT to the backend, and the
 * flow's own conntrack entry carrying the rev-NAT index its replies need.
 *
 * <p>Two conntrack entries per service flow, as Cilium keeps them: the service entry keyed by
 * the client's tuple to the VIP ({@link CtKey#FLAG_SERVICE}) remembers the chosen backend, so
 * every later packet of the flow goes to the same backend even while the service's backend set
 * changes (a terminating backend keeps its flows; a removed one is replaced); the flow entry keyed
 * by the translated tuple (client to backend) is what the backend's replies find, and its
 * rev-NAT index tells {@link ReverseServiceNat} which VIP to put back.
 *
 * <p>Hairpin: when a pod reaches a service and is chosen as its own backend, the source is
 * rewritten to {@link #hairpinAddress} (Cilium uses 169.254.42.1), or the pod's kernel would
 * answer itself directly and the connection would never see the VIP again.
 *
 * <p>No usable backend: the service's configuration says REJECT (an ICMP port unreachable from
 * the VIP written in place; the frame goes back out of its ingress port) or DROP. Both count as
 * {@link DropReason#NO_SERVICE} in {@link #noServiceCount()}. One instance per worker; not
 * thread-safe; allocates nothing per packet.
 */
public final class ServiceNat {
    /** {@link FrameMarks#SNAT_TO_NODE}: set on external-scope traffic DNATed to a backend on another node. */
    public static final int MARK_SNAT_TO_NODE = FrameMarks.SNAT_TO_NODE;
    /** {@link FrameMarks#CT_ACCOUNTED}. */
    public static final int MARK_CT_ACCOUNTED = FrameMarks.CT_ACCOUNTED;

    private static final int QUARANTINED = BackendState.QUARANTINED.code();

    private final ServiceLookup services;
    private final CtTable conntrack;
    private final CtResult ct = new CtResult();
    private final CtEntry serviceEntry = new CtEntry();
    private final long hairpinHi;
    private final long hairpinLo;
    /** Per frame, from the vector's first pass: the frontend found (or MISSING / UNSUPPORTED_PROTOCOL). */
    private final long[] frontends = new long[FrameVector.MAX_FRAMES];
    /** Per frame, from the first pass: the hash of its service conntrack key, or {@link CtTable#NO_HASH}. */
    private final long[] serviceHashes = new long[FrameVector.MAX_FRAMES];
    /** Frames translated in the second pass whose flow entry the third pass still tracks, and their state. */
    private final int[] pending = new int[FrameVector.MAX_FRAMES];
    private final int[] pendingRevNat = new int[FrameVector.MAX_FRAMES];
    private final int[] pendingBackend = new int[FrameVector.MAX_FRAMES];
    private final int[] pendingFlags = new int[FrameVector.MAX_FRAMES];
    private final long[] pendingServiceEntry = new long[FrameVector.MAX_FRAMES];
    /** The conntrack map the service entry is in (its family's). */
    private final HashMap[] pendingServiceMap = new HashMap[FrameVector.MAX_FRAMES];
    private final long[] pendingServiceVersion = new long[FrameVector.MAX_FRAMES];
    private final long[] flowHashes = new long[FrameVector.MAX_FRAMES];
    private int pendingCount;
    private long noServiceCount;
    private long rejectedCount;

    /**
     * @param hairpinAddress the source address for hairpinned flows (IPv4-mapped for IPv4)
     */
    public ServiceNat(ServiceLookup services, CtTable conntrack, IpAddress hairpinAddress) {
        this.services = services;
        this.conntrack = conntrack;
        this.hairpinHi = hairpinAddress.hi();
        this.hairpinLo = hairpinAddress.lo();
    }

    /**
     * Runs the service program over every frame of the vector whose verdict is still
     * {@link Verdict#CONTINUE}, setting each frame's verdict.
     *
     * @param scope {@code Scope.INTERNAL} for traffic from pods, {@code Scope.EXTERNAL} for traffic
     *              that entered the node from outside (NodePort, LoadBalancer, ExternalIPs)
     * @return the number of frames translated
     */
    public int process(FrameVector v, int scope, long nowNs) {
        int n = v.count();
        // First pass: every frame's frontend, and for service frames the slot of their service
        // conntrack entry touched, so the misses of a vector overlap instead of one per frame.
        for (int i = 0; i < n; i++) {
            long frontend = MapErrors.MISSING;
            long serviceHash = CtTable.NO_HASH;
            if (v.verdict(i) == Verdict.CONTINUE && v.hasFlag(i, FrameVector.FLAG_L4)
                    && !v.hasFlag(i, FrameVector.FLAG_ICMP_ERROR)) {
                frontend = services.frontend(v.dstHi(i), v.dstLo(i), v.dstPort(i), v.protocol(i), scope);
                if (frontend >= 0 && !v.hasFlag(i, FrameVector.FLAG_LATER_FRAGMENT)) {
                    serviceHash = conntrack.prefetchKey(v.srcHi(i), v.srcLo(i), v.dstHi(i), v.dstLo(i),
                            v.srcPort(i), v.dstPort(i), v.protocol(i), CtKey.FLAG_SERVICE, ct);
                }
            }
            frontends[i] = frontend;
            serviceHashes[i] = serviceHash;
        }
        // Second pass: frame by frame, the service entry, the backend and DNAT. Frames translated
        // here wait in `pending` for their flow entry, whose slot is touched in between.
        pendingCount = 0;
        for (int i = 0; i < n; i++) {
            if (v.verdict(i) != Verdict.CONTINUE) {
                continue;
            }
            int verdict = processFrame(v, i, scope, nowNs, frontends[i], serviceHashes[i]);
            if (verdict != PENDING) {
                v.verdict(i, verdict);
            }
        }
        for (int p = 0; p < pendingCount; p++) {
            int i = pending[p];
            flowHashes[p] = conntrack.prefetch(v, i, ct);
        }
        // Third pass: the flow entry on the translated tuple of every pending frame.
        int translated = 0;
        for (int p = 0; p < pendingCount; p++) {
            if (trackPending(v, p, nowNs) == TRANSLATED) {
                translated++;
            }
        }
        return translated;
    }

    /** A private marker: the frame was a service frame and now goes to its backend. */
    private static final int TRANSLATED = Integer.MAX_VALUE;
    /** A private marker: the frame is translated and waits in {@code pending} for its flow entry. */
    private static final int PENDING = Integer.MAX_VALUE - 1;
    private static final int PENDING_HAIRPIN = 1;
    private static final int PENDING_SNAT_TO_NODE = 2;

    /**
     * Runs the program on one frame.
     *
     * @param frontend    the frame's frontend from the first pass (MISSING: not service traffic)
     * @param serviceHash the hash of its service conntrack key from the first pass, or {@code NO_HASH}
     * @return {@link Verdict#CONTINUE} (not service traffic: untouched), a drop verdict, a TX
     *         verdict (REJECT answered in place), or, internally, {@code PENDING} (translated; its
     *         flow entry is tracked by {@link #trackPending})
     */
    private int processFrame(FrameVector v, int i, int scope, long nowNs, long frontend, long serviceHash) {
        if (frontend == MapErrors.MISSING) {
            return Verdict.CONTINUE; // also every frame the first pass did not look up (not L4, ICMP errors)
        }
        if (frontend == ServiceLookup.UNSUPPORTED_PROTOCOL) {
            return DropReason.SERVICE_UNSUPPORTED_PROTOCOL.verdict();
        }
        if (v.hasFlag(i, FrameVector.FLAG_LATER_FRAGMENT)) {
            return DropReason.FRAG_NOT_SUPPORTED.verdict(); // no ports: the backend cannot be known
        }
        int protocol = v.protocol(i);
        long clientHi = v.srcHi(i);
        long clientLo = v.srcLo(i);
        int revNatIndex = services.revNatIndex(frontend);

        // The service entry: client -> VIP, remembers the backend.
        CtKey key = ct.key();
        key.set(clientHi, clientLo, v.dstHi(i), v.dstLo(i), v.srcPort(i), v.dstPort(i), protocol, CtKey.FLAG_SERVICE);
        int backendId = 0;
        long backend = MapErrors.MISSING;
        if (conntrack.lookup(ct.scratch(), ct.keyOffset(), CtResult.ORIGINAL, serviceHash, ct) == CtStatus.ESTABLISHED) {
            backendId = ct.entry().backendId();
            backend = services.backend(backendId);
            if (backend != MapErrors.MISSING && services.backendState(backend) == QUARANTINED) {
                backend = MapErrors.MISSING; // quarantined backends lose even their existing flows
            }
        }
        if (backend == MapErrors.MISSING) {
            long flowHash = FlowHash.of(clientHi, clientLo, v.dstHi(i), v.dstLo(i), v.srcPort(i), v.dstPort(i), protocol);
            int selected = services.selectBackend(frontend, flowHash, clientHi, clientLo, nowNs);
            if (selected < 0) {
                return noBackend(v, i, frontend, selected);
            }
            backendId = selected;
            backend = services.backend(backendId);
            if (backend == MapErrors.MISSING) {
                return noBackend(v, i, frontend, -DropReason.NO_SERVICE.code());
            }
            // The scratch key still holds the service key: the explicit-key lookup left it as it was.
            CtEntry entry = ct.newEntry();
            entry.init(nowNs, serviceLifetimeNs(protocol));
            entry.backendId(backendId);
            entry.revNatIndex(revNatIndex);
            entry.addFlags(CtEntry.FLAG_SERVICE_DNAT);
            long created = conntrack.insert(ct.scratch(), ct.keyOffset(), ct.scratch(), ct.newEntryOffset(), serviceHash, ct);
            if (created < 0) {
                return (int) created;
            }
            if (!ct.created()) {
                backendId = ct.entry().backendId(); // another worker chose first: follow it
                backend = services.backend(backendId);
                if (backend == MapErrors.MISSING) {
                    return DropReason.NO_SERVICE.verdict();
                }
            }
        }
        long serviceEntryOffset = ct.entryOffset();
        long serviceEntryVersion = ct.map().entryVersion(serviceEntryOffset);

        long backendHi = services.backendAddrHi(backend);
        long backendLo = services.backendAddrLo(backend);
        int rewritten = NatRewriter.rewrite(v, i, NatRewriter.DESTINATION, backendHi, backendLo, services.backendPort(backend));
        if (rewritten != Verdict.CONTINUE) {
            return rewritten;
        }
        // NodePort / LoadBalancer / ExternalIP traffic to a backend on another node: the client
        // is outside the cluster, so the source must become this node or the backend's replies
        // would go straight to the client, bypassing the reverse NAT.
        boolean snatToNode = scope == Scope.EXTERNAL && !services.backendIsLocal(backend);
        boolean hairpin = backendHi == clientHi && backendLo == clientLo;
        if (hairpin) {
            boolean ipv4 = MappedAddress.isIpv4(clientHi, clientLo);
            if (ipv4 != MappedAddress.isIpv4(hairpinHi, hairpinLo)) {
                return DropReason.INVALID.verdict();
            }
            NatRewriter.rewrite(v, i, NatRewriter.SOURCE, hairpinHi, hairpinLo, NatRewriter.KEEP_PORT);
        }
        int p = pendingCount++;
        pending[p] = i;
        pendingRevNat[p] = revNatIndex;
        pendingBackend[p] = backendId;
        pendingFlags[p] = (hairpin ? PENDING_HAIRPIN : 0) | (snatToNode ? PENDING_SNAT_TO_NODE : 0);
        pendingServiceEntry[p] = serviceEntryOffset;
        pendingServiceMap[p] = ct.map();
        pendingServiceVersion[p] = serviceEntryVersion;
        return PENDING;
    }

    /**
     * Finishes pending frame {@code p}: its flow entry, its trace, its marks, and the service
     * entry's expiry, which follows the flow entry's (it closes when the flow's TCP state closes
     * and is refreshed by each forward packet, as the flow entry is). The service entry is
     * written only while its slot still holds the entry the second pass found.
     *
     * @return {@code TRANSLATED} or the frame's drop verdict (also set on the frame)
     */
    private int trackPending(FrameVector v, int p, long nowNs) {
        int i = pending[p];
        int flags = pendingFlags[p];
        boolean snatToNode = (flags & PENDING_SNAT_TO_NODE) != 0;
        int verdict = trackTranslatedFlow(v, i, pendingRevNat[p], (flags & PENDING_HAIRPIN) != 0, snatToNode,
                flowHashes[p], nowNs);
        FrameTrace trace = v.trace();
        if (trace != null) {
            trace.service(i, pendingRevNat[p], pendingBackend[p]);
        }
        if (verdict == TRANSLATED) {
            v.mark(i, v.mark(i) | MARK_CT_ACCOUNTED | (snatToNode ? MARK_SNAT_TO_NODE : 0));
            HashMap map = pendingServiceMap[p];
            long offset = pendingServiceEntry[p];
            if (map.entryVersion(offset) == pendingServiceVersion[p]) {
                serviceEntry.wrap(map.segment(), offset).expiresAtNs(ct.entry().expiresAtNs());
            }
            v.verdict(i, Verdict.CONTINUE);
        } else {
            v.verdict(i, verdict);
        }
        return verdict;
    }

    /** The lifetime a new service entry starts with, before its first packet is accounted. */
    private long serviceLifetimeNs(int protocol) {
        return protocol == 6 ? conntrack.lifetimes().tcpSynNs() : conntrack.lifetimes().nonTcpNs();
    }

    /**
     * The flow entry on the translated tuple: created with the rev-NAT index (and, for a flow
     * {@link Masquerade} will SNAT to the node, the SNAT flag, so that program needs no conntrack
     * lookup of its own), or accounted.
     */
    private int trackTranslatedFlow(FrameVector v, int i, int revNatIndex, boolean hairpin, boolean snatToNode,
                                    long flowHash, long nowNs) {
        int status = conntrack.lookup(v, i, flowHash, ct);
        if (status < 0) {
            return status;
        }
        FrameTrace trace = v.trace();
        if (trace != null) {
            trace.ctStatus(i, status);
        }
        if (status == CtStatus.NEW) {
            long created = conntrack.create(v, i, nowNs, flowHash, ct);
            if (created < 0) {
                return (int) created;
            }
            if (ct.created()) {
                CtEntry entry = ct.entry();
                entry.revNatIndex(revNatIndex);
                entry.addFlags(CtEntry.FLAG_SERVICE_DNAT | (hairpin ? CtEntry.FLAG_HAIRPIN : 0)
                        | (snatToNode ? CtEntry.FLAG_SNAT | CtEntry.FLAG_NODEPORT : 0));
            }
        } else {
            conntrack.account(v, i, nowNs, ct);
            if (snatToNode) {
                // The translated tuple may already be tracked without the flag (another way in made
                // the same tuple first): Masquerade is about to map it, and only a flagged entry
                // releases the mapping when it expires.
                ct.entry().addFlags(CtEntry.FLAG_SNAT | CtEntry.FLAG_NODEPORT);
            }
        }
        return TRANSLATED;
    }

    private int noBackend(FrameVector v, int i, long frontend, int reason) {
        if (reason != -DropReason.NO_SERVICE.code()) {
            return reason; // NO_LOCAL_BACKEND and anything else the selector names
        }
        noServiceCount++;
        if (services.rejectsWhenNoBackend(frontend)) {
            int port = v.ingressPort(i);
            long vipHi = v.dstHi(i);
            long vipLo = v.dstLo(i);
            boolean written = v.hasFlag(i, FrameVector.FLAG_IPV4)
                    ? IcmpErrorWriter.toIcmp4Error(v, i, IcmpErrorWriter.ICMP4_DEST_UNREACHABLE,
                    IcmpErrorWriter.ICMP4_CODE_PORT_UNREACHABLE, 0, MappedAddress.ip4(vipLo))
                    : IcmpErrorWriter.toIcmp6Error(v, i, IcmpErrorWriter.ICMP6_DEST_UNREACHABLE,
                    IcmpErrorWriter.ICMP6_CODE_PORT_UNREACHABLE, 0, vipHi, vipLo);
            if (written) {
                rejectedCount++;
                return Verdict.tx(port);
            }
        }
        return DropReason.NO_SERVICE.verdict();
    }

    /** Returns: new flows that found no usable backend (rejected or dropped), counted as NO_SERVICE. */
    public long noServiceCount() {
        return noServiceCount;
    }

    /** Returns: of {@link #noServiceCount()}, those answered with ICMP port unreachable. */
    public long rejectedCount() {
        return rejectedCount;
    }
}
