package dev.gingham.dataplane.policy;

import dev.gingham.conntrack.CtResult;
import dev.gingham.conntrack.CtStatus;
import dev.gingham.conntrack.CtTable;
import dev.gingham.dataplane.flow.FlowEvents;
import dev.gingham.dataplane.flow.FlowFilter;
import dev.gingham.dataplane.flow.FlowRecord;
import dev.gingham.nat.ServiceNat;
import dev.gingham.packet.DropReason;
import dev.gingham.packet.FrameMarks;
import dev.gingham.packet.FrameTrace;
import dev.gingham.packet.FrameVector;
import dev.gingham.packet.Verdict;

/**
 * The NetworkPolicy program for one direction (Cilium's policy step in bpf_lxc): egress runs on
 * frames leaving a local pod, ingress on frames about to be delivered to one, whether they come
 * from a pod on this node or from the overlay after decapsulation.
 *
 * <p>Inputs per frame: the local endpoint's slot ({@code endpointSlots[i]}, filled by the
 * endpoint lookup: the source pod's port for egress, the destination address for ingress) and
 * the peer's identity, already resolved on the frame: for egress {@code dstIdentity} (ipcache
 * lookup of the destination), for ingress {@code srcIdentity} (ipcache lookup of the source on
 * this node; after decap, the identity the tunnel carried in its VNI, or the ipcache).
 *
 * <p>Per frame, following conntrack as Cilium does:
 * <ul>
 *   <li>REPLY and RELATED (replies of an allowed connection, ICMP errors about it) pass without
 *       a policy lookup, so an allowed connection always gets its answers, whatever the reverse
 *       direction's policy says. A frame reverse NAT already translated ({@link FrameMarks#REVERSE_NAT}:
 *       a service reply with the VIP put back, a reply through the masquerade) is such a reply: its
 *       translated tuple is no longer the one conntrack knows, so it passes on the mark;</li>
 *   <li>NEW and ESTABLISHED are looked up on every packet. A connection the current policy no
 *       longer allows is cut at its next packet, not when its conntrack entry expires (6 h for
 *       TCP): removing a rule must take effect for long-lived connections too, and the lookup is
 *       a fixed handful of probes whatever the state;</li>
 *   <li>a NEW packet that is allowed creates its conntrack entry here, after the decision, never
 *       before: a denied packet leaves no entry that a forged "reply" could later match.</li>
 * </ul>
 * Denied: {@code DropReason.POLICY} (133). Audit mode: passes, counted, reported as AUDIT.
 * Policy verdict events: every drop, and allowed or audited NEW connections (not every packet
 * of them). No allocation, no lock, no exception per packet; one instance per worker and
 * direction.
 */
public final class PolicyEnforcer {
    /**
     * Frame mark bit: this pass through the pipeline created the frame's conntrack entry (the
     * source pod's egress check allowed a new connection). The destination pod's ingress check,
     * when the destination is on this node, then still treats the packet as NEW: it reports the
     * verdict, and if it denies, it deletes the entry, so a connection one side refused leaves
     * nothing behind for forged replies to match. (All mark bits: {@link FrameMarks}.)
     */
    public static final int MARK_CT_CREATED = FrameMarks.CT_CREATED;
    /**
     * Endpoint slot meaning "no local endpoint on this side": the frame is not this direction's
     * business (an ingress check skips frames routed off the node) and keeps its verdict.
     */
    public static final int NOT_LOCAL = -1;

    /**
     * Decision recorded in a {@link FrameTrace} for a reply or related frame that passed on its
     * conntrack state without a policy lookup (beside {@link PolicyLookup}'s decisions).
     */
    public static final int TRACE_REPLY = 100;

    private final int direction;
    private final int traceSlot;
    private final PolicyLookup lookup;
    private final CtTable conntrack;
    private final FlowEvents events;
    private final CtResult ct = new CtResult();
    private long allowed;
    private long denied;
    private long audited;
    private long replies;

    /**
     * @param direction {@link Direction#INGRESS} or {@link Direction#EGRESS}
     */
    public PolicyEnforcer(int direction, PolicyLookup lookup, CtTable conntrack, FlowEvents events) {
        if (direction != Direction.INGRESS && direction != Direction.EGRESS) {
            throw new IllegalArgumentException("direction must be INGRESS or EGRESS, not " + direction);
        }
        this.direction = direction;
        this.traceSlot = traceSlot(direction);
        this.lookup = lookup;
        this.conntrack = conntrack;
        this.events = events;
    }

    /**
     * Decides every frame whose verdict is still {@link Verdict#CONTINUE}; non-IP frames (ARP)
     * are not policy's business and stay CONTINUE.
     *
     * @param endpointSlots the local endpoint's slot per frame (parallel to the vector), or
     *                      {@link #NOT_LOCAL} for frames this direction does not check
     * @return the number of frames dropped
     */
    public int process(FrameVector v, int[] endpointSlots, long nowNs) {
        int dropped = 0;
        for (int i = 0, n = v.count(); i < n; i++) {
            if (v.verdict(i) != Verdict.CONTINUE || endpointSlots[i] == NOT_LOCAL
                    || !v.hasFlag(i, FrameVector.FLAG_IPV4) && !v.hasFlag(i, FrameVector.FLAG_IPV6)) {
                continue;
            }
            int verdict = decide(v, i, endpointSlots[i], nowNs);
            if (verdict != Verdict.CONTINUE) {
                v.verdict(i, verdict);
                if (direction == Direction.INGRESS) {
                    v.mark(i, v.mark(i) | FrameMarks.INGRESS_DROP); // counted as ingress even in the source pod's chain
                }
                dropped++;
            }
        }
        return dropped;
    }

    private int decide(FrameVector v, int i, int endpoint, long nowNs) {
        FrameTrace trace = v.trace(); // null outside replay
        int peer = direction == Direction.EGRESS ? v.dstIdentity(i) : v.srcIdentity(i);
        if ((v.mark(i) & FrameMarks.REVERSE_NAT) != 0) {
            replies++; // reverse NAT matched it as a reply (and accounted it) before translating it
            if (trace != null) {
                trace.policy(i, traceSlot, TRACE_REPLY, 0, peer);
            }
            return Verdict.CONTINUE;
        }
        int status = conntrack.lookup(v, i, ct);
        if (status < 0) {
            return status;
        }
        if (trace != null) {
            trace.ctStatus(i, status);
        }
        if (status == CtStatus.REPLY || status == CtStatus.RELATED) {
            replies++;
            account(v, i, nowNs);
            if (trace != null) {
                trace.policy(i, traceSlot, TRACE_REPLY, 0, peer);
            }
            return Verdict.CONTINUE;
        }
        boolean createdThisPass = (v.mark(i) & MARK_CT_CREATED) != 0;
        if (createdThisPass) {
            status = CtStatus.NEW; // created by the egress check a moment ago: still a new connection here
        }
        int decision = lookup.check(endpoint, direction, peer, v.protocol(i), v.dstPort(i),
                v.hasFlag(i, FrameVector.FLAG_LATER_FRAGMENT));
        if (trace != null) {
            trace.policy(i, traceSlot, decision, lookup.policyId(), peer);
        }
        switch (decision) {
            case PolicyLookup.ALLOWED, PolicyLookup.NOT_ENFORCED, PolicyLookup.AUDITED -> {
                boolean audit = decision == PolicyLookup.AUDITED;
                if (audit) {
                    audited++;
                } else {
                    allowed++;
                }
                if (status == CtStatus.NEW) {
                    if (!createdThisPass) {
                        long created = conntrack.create(v, i, nowNs, ct);
                        if (created < 0) {
                            return (int) created;
                        }
                        if (ct.created()) {
                            v.mark(i, v.mark(i) | ServiceNat.MARK_CT_ACCOUNTED | MARK_CT_CREATED);
                        } else {
                            v.mark(i, v.mark(i) | ServiceNat.MARK_CT_ACCOUNTED);
                        }
                    }
                    if (decision != PolicyLookup.NOT_ENFORCED) {
                        report(v, i, audit ? FlowFilter.POLICY_AUDITED : FlowFilter.POLICY_ALLOWED,
                                audit ? FlowRecord.VERDICT_AUDIT : FlowRecord.VERDICT_FORWARDED,
                                audit ? DropReason.POLICY.code() : 0, status, nowNs);
                    }
                } else {
                    account(v, i, nowNs);
                }
                return Verdict.CONTINUE;
            }
            case PolicyLookup.DENIED, PolicyLookup.FRAGMENT_DENIED -> {
                denied++;
                if (createdThisPass) {
                    conntrack.delete(ct.scratch(), ct.keyOffset(), ct); // the frame's own tuple: the entry this pass created
                }
                DropReason reason = decision == PolicyLookup.DENIED ? DropReason.POLICY : DropReason.FRAG_NOT_SUPPORTED;
                report(v, i, FlowFilter.POLICY_DENIED, FlowRecord.VERDICT_DROPPED, reason.code(), status, nowNs);
                return reason.verdict();
            }
            case PolicyLookup.NO_POLICY -> {
                return DropReason.NO_CONFIG.verdict();
            }
            default -> {
                return DropReason.NO_LOCAL_ENDPOINT.verdict();
            }
        }
    }

    /** Returns: the {@link FrameTrace} policy slot of a direction (0 ingress, 1 egress). */
    public static int traceSlot(int direction) {
        return direction == Direction.EGRESS ? 1 : 0;
    }

    private void account(FrameVector v, int i, long nowNs) {
        if ((v.mark(i) & ServiceNat.MARK_CT_ACCOUNTED) == 0) {
            conntrack.account(v, i, nowNs, ct);
            v.mark(i, v.mark(i) | ServiceNat.MARK_CT_ACCOUNTED);
        }
    }

    private void report(FrameVector v, int i, int kind, int verdict, int dropCode, int status, long nowNs) {
        if (events != null) {
            events.report(v, i, kind, FlowRecord.TYPE_POLICY_VERDICT, verdict, dropCode, direction, status,
                    lookup.policyId(), nowNs);
        }
    }

    /** Returns: packets allowed (including unenforced directions). */
    public long allowedCount() {
        return allowed;
    }

    /** Returns: packets dropped by policy. */
    public long deniedCount() {
        return denied;
    }

    /** Returns: packets policy would have dropped, passed in audit mode. */
    public long auditedCount() {
        return audited;
    }

    /** Returns: replies and related packets passed through conntrack without a lookup. */
    public long replyCount() {
        return replies;
    }
}
