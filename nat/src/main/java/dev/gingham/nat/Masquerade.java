package dev.gingham.nat;

import dev.gingham.conntrack.CtEntry;
import dev.gingham.conntrack.CtResult;
import dev.gingham.conntrack.CtStatus;
import dev.gingham.conntrack.CtTable;
import dev.gingham.nat.snat.EgressGateway;
import dev.gingham.nat.snat.MasqueradePolicy;
import dev.gingham.nat.snat.SnatResult;
import dev.gingham.nat.snat.SnatTable;
import dev.gingham.packet.DropReason;
import dev.gingham.packet.FrameMarks;
import dev.gingham.packet.FrameTrace;
import dev.gingham.packet.FrameVector;
import dev.gingham.packet.Verdict;

/**
 * Source NAT for traffic leaving the node (Cilium's {@code snat_v4_nat} in bpf_host): a pod's
 * packet to a destination outside the cluster leaves with the node's address (masquerade), or
 * with its egress gateway policy's fixed egress IP, and a port from the deterministic allocator.
 *
 * <p>Order of work per frame: conntrack on the original (pod) tuple, which is what replies find
 * after {@link ReverseSnat} has put the pod back; the mapping (existing, or new for a new flow);
 * then the rewrite. The conntrack entry is marked {@link CtEntry#FLAG_SNAT}, so when conntrack
 * expires the flow, {@link SnatExpiry} releases the mapping and its port: ports come back as
 * flows close, not on a timer of their own.
 *
 * <p>Which frames: the caller runs this on frames routed out of the node. Frames whose
 * destination needs no masquerade (pod CIDRs, service CIDR, configured non-masquerade CIDRs)
 * and that no egress policy selects are left alone. NodePort traffic DNATed to a backend on
 * another node is source-NATed whatever its destination: its source is a client outside the
 * cluster and must become this node so the backend's replies come back here; {@link ServiceNat} marks such
 * frames with {@link ServiceNat#MARK_SNAT_TO_NODE} and {@link #process} honours the mark.
 *
 * <p>Replies that a reverse NAT program translated ({@link FrameMarks#REVERSE_NAT}: a local
 * backend answering a NodePort client, a reply coming back through the NAT) are never
 * source-NATed: their source is already what the peer expects.
 *
 * <p>Exhaustion drops the new flow with {@link DropReason#NAT_NO_MAPPING}; existing flows keep
 * their mappings. One instance per worker; allocates nothing per packet.
 */
public final class Masquerade {
    private final SnatTable snat;
    private final MasqueradePolicy policy;
    private final EgressGateway egressGateway;
    private final CtTable conntrack;
    private final CtResult ct = new CtResult();
    private final SnatResult mapping = new SnatResult();

    public Masquerade(SnatTable snat, MasqueradePolicy policy, EgressGateway egressGateway, CtTable conntrack) {
        this.snat = snat;
        this.policy = policy;
        this.egressGateway = egressGateway;
        this.conntrack = conntrack;
    }

    /**
     * Runs over every frame whose verdict is still {@link Verdict#CONTINUE}.
     *
     * @return the number of frames translated
     */
    public int process(FrameVector v, long nowNs) {
        int translated = 0;
        for (int i = 0, n = v.count(); i < n; i++) {
            int mark = v.mark(i);
            if (v.verdict(i) != Verdict.CONTINUE || (mark & FrameMarks.REVERSE_NAT) != 0) {
                continue; // a reply put back by reverse NAT already carries the addresses the peer knows
            }
            int verdict = (mark & FrameMarks.SNAT_TO_NODE) != 0
                    ? translateToNode(v, i, nowNs)
                    : translate(v, i, nowNs);
            if (verdict == TRANSLATED) {
                translated++;
            } else {
                v.verdict(i, verdict);
            }
        }
        return translated;
    }

    private static final int TRANSLATED = Integer.MAX_VALUE;

    /**
     * NodePort traffic to a backend on another node, already DNATed and tracked by
     * {@link ServiceNat}, whose conntrack entry carries the SNAT flag: only the mapping and the
     * rewrite are left.
     */
    private int translateToNode(FrameVector v, int i, long nowNs) {
        int mapped = snat.mapEgress(v.srcHi(i), v.srcLo(i), v.srcPort(i), v.dstHi(i), v.dstLo(i), v.dstPort(i),
                v.protocol(i), nowNs, mapping);
        if (mapped < 0) {
            return mapped;
        }
        int verdict = NatRewriter.rewrite(v, i, NatRewriter.SOURCE, mapping.natHi, mapping.natLo, mapping.natPort);
        return verdict == Verdict.CONTINUE ? TRANSLATED : verdict;
    }

    private int translate(FrameVector v, int i, long nowNs) {
        if (!v.hasFlag(i, FrameVector.FLAG_L4) || v.hasFlag(i, FrameVector.FLAG_ICMP_ERROR)) {
            return Verdict.CONTINUE;
        }
        long srcHi = v.srcHi(i);
        long srcLo = v.srcLo(i);
        long dstHi = v.dstHi(i);
        long dstLo = v.dstLo(i);
        boolean viaGateway = egressGateway != null && egressGateway.egress(srcHi, srcLo, dstHi, dstLo, mapping);
        if (!viaGateway && !policy.masquerade(dstHi, dstLo)) {
            return Verdict.CONTINUE;
        }
        int status = conntrack.lookup(v, i, ct);
        if (status < 0) {
            return status;
        }
        FrameTrace trace = v.trace(); // null outside replay
        if (trace != null) {
            trace.ctStatus(i, status);
        }
        if (status == CtStatus.REPLY) {
            return Verdict.CONTINUE; // a reply of a flow that came in: its addresses are already right
        }
        int protocol = v.protocol(i);
        int mapped = viaGateway
                ? snat.mapEgress(srcHi, srcLo, v.srcPort(i), dstHi, dstLo, v.dstPort(i), protocol,
                mapping.natHi, mapping.natLo, nowNs, mapping)
                : snat.mapEgress(srcHi, srcLo, v.srcPort(i), dstHi, dstLo, v.dstPort(i), protocol, nowNs, mapping);
        if (mapped < 0) {
            return mapped;
        }
        if (status == CtStatus.NEW) {
            long created = conntrack.create(v, i, nowNs, ct);
            if (created < 0) {
                if (mapped == SnatTable.CREATED) {
                    snat.release(srcHi, srcLo, v.srcPort(i), dstHi, dstLo, v.dstPort(i), protocol, mapping);
                }
                return (int) created;
            }
        } else if ((v.mark(i) & ServiceNat.MARK_CT_ACCOUNTED) == 0) {
            conntrack.account(v, i, nowNs, ct);
        }
        ct.entry().addFlags(CtEntry.FLAG_SNAT);
        int verdict = NatRewriter.rewrite(v, i, NatRewriter.SOURCE, mapping.natHi, mapping.natLo, mapping.natPort);
        return verdict == Verdict.CONTINUE ? TRANSLATED : verdict;
    }
}
