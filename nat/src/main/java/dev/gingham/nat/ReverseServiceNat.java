package dev.gingham.nat;

import dev.gingham.conntrack.CtEntry;
import dev.gingham.conntrack.CtResult;
import dev.gingham.conntrack.CtStatus;
import dev.gingham.conntrack.CtTable;
import dev.gingham.maps.MapErrors;
import dev.gingham.nat.lb.ServiceLookup;
import dev.gingham.packet.DropReason;
import dev.gingham.packet.FrameMarks;
import dev.gingham.packet.FrameTrace;
import dev.gingham.packet.FrameVector;
import dev.gingham.packet.IcmpErrorPayload;
import dev.gingham.packet.Verdict;

/**
 * Reverse NAT for replies of service flows (Cilium's {@code lb4_rev_nat}): a packet whose
 * conntrack lookup says REPLY of an entry with a rev-NAT index gets its source put back to the
 * service's VIP and port, so the client only ever sees the address it connected to. A
 * hairpinned flow also gets its destination put back from the hairpin address to the pod.
 * ICMP errors about a service flow (RELATED) are translated with their quoted packet
 * ({@link IcmpErrorTranslator}), so path MTU discovery works through a Service.
 *
 * <p>Frames that are not replies of service flows are left as they are (verdict unchanged);
 * replies are accounted on their conntrack entry. One instance per worker; allocates nothing.
 */
public final class ReverseServiceNat {
    private final ServiceLookup services;
    private final CtTable conntrack;
    private final CtResult ct = new CtResult();
    /** Each frame's forward-tuple hash from the vector's prefetch pass. */
    private final long[] hashes = new long[FrameVector.MAX_FRAMES];

    public ReverseServiceNat(ServiceLookup services, CtTable conntrack) {
        this.services = services;
        this.conntrack = conntrack;
    }

    /**
     * Runs over every frame whose verdict is still {@link Verdict#CONTINUE}. For most frames this
     * is the chain's first conntrack lookup (service frames from a pod were already tracked by
     * {@code ServiceNat}: their memo holds the result, and the prefetch skips them), so it starts
     * with {@link CtTable#prefetch}: the vector's slots are touched together and their cache
     * misses overlap, instead of one miss per frame in turn (the later programs find the result
     * in the frame's memo).
     *
     * @return the number of frames translated back
     */
    public int process(FrameVector v, long nowNs) {
        int translated = 0;
        int n = v.count();
        conntrack.prefetch(v, 0, n, hashes, ct);
        for (int i = 0; i < n; i++) {
            if (v.verdict(i) != Verdict.CONTINUE) {
                continue;
            }
            int verdict = processFrame(v, i, hashes[i], nowNs);
            if (verdict == TRANSLATED) {
                v.mark(i, v.mark(i) | FrameMarks.REVERSE_NAT);
                translated++;
            } else {
                v.verdict(i, verdict);
            }
        }
        return translated;
    }

    private static final int TRANSLATED = Integer.MAX_VALUE;

    /** @param hash the frame's forward-tuple hash from the prefetch pass, or {@code NO_HASH} */
    private int processFrame(FrameVector v, int i, long hash, long nowNs) {
        if (!v.hasFlag(i, FrameVector.FLAG_IPV4) && !v.hasFlag(i, FrameVector.FLAG_IPV6)) {
            return Verdict.CONTINUE;
        }
        int status = conntrack.lookup(v, i, hash, ct);
        if (status < 0) {
            return status;
        }
        FrameTrace trace = v.trace(); // null outside replay
        if (trace != null) {
            trace.ctStatus(i, status);
        }
        if ((status != CtStatus.REPLY && status != CtStatus.RELATED) || ct.direction() != CtResult.REPLY) {
            return Verdict.CONTINUE;
        }
        CtEntry entry = ct.entry();
        int revNatIndex = entry.revNatIndex();
        if (revNatIndex == 0 || !entry.hasFlags(CtEntry.FLAG_SERVICE_DNAT)) {
            return Verdict.CONTINUE;
        }
        long revNat = services.revNat(revNatIndex);
        if (revNat == MapErrors.MISSING) {
            return DropReason.NO_SERVICE.verdict(); // the service was deleted under the flow
        }
        long vipHi = services.revNatAddrHi(revNat);
        long vipLo = services.revNatAddrLo(revNat);
        int vipPort = services.revNatPort(revNat);
        boolean hairpin = entry.hasFlags(CtEntry.FLAG_HAIRPIN);
        if (trace != null) {
            trace.service(i, revNatIndex, 0);
        }
        if (status == CtStatus.RELATED) {
            return translateError(v, i, vipHi, vipLo, vipPort);
        }
        long backendHi = v.srcHi(i);
        long backendLo = v.srcLo(i);
        conntrack.account(v, i, nowNs, ct);
        int verdict = NatRewriter.rewrite(v, i, NatRewriter.SOURCE, vipHi, vipLo, vipPort);
        if (verdict != Verdict.CONTINUE) {
            return verdict;
        }
        if (hairpin) {
            // The pod answered itself through the hairpin address: hand it back to the pod.
            verdict = NatRewriter.rewrite(v, i, NatRewriter.DESTINATION, backendHi, backendLo, NatRewriter.KEEP_PORT);
            if (verdict != Verdict.CONTINUE) {
                return verdict;
            }
        }
        return TRANSLATED;
    }

    /**
     * An error about a packet the client sent to the backend: the quoted destination (the
     * backend) goes back to the VIP, and the error's source too when the backend itself sent it.
     */
    private int translateError(FrameVector v, int i, long vipHi, long vipLo, int vipPort) {
        IcmpErrorPayload quote = ct.quote();
        int verdict = IcmpErrorTranslator.translate(v, i, NatRewriter.SOURCE, quote.l3Offset(), quote.l4Offset(),
                quote.quotedL4Bytes(), quote.protocol(), quote.dstHi(), quote.dstLo(), vipHi, vipLo, vipPort);
        return verdict == Verdict.CONTINUE ? TRANSLATED : verdict;
    }
}
