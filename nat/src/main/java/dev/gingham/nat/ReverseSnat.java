package dev.gingham.nat;

import dev.gingham.nat.snat.SnatResult;
import dev.gingham.nat.snat.SnatTable;
import dev.gingham.packet.FrameMarks;
import dev.gingham.packet.FrameVector;
import dev.gingham.packet.IcmpErrorPayload;
import dev.gingham.packet.Verdict;

/**
 * Reverse SNAT for packets arriving at a NAT address (the node's, or an egress gateway IP):
 * the reverse map gives the flow's original source, and the destination is put back to the
 * pod's address and port before conntrack sees the packet (so conntrack finds the REPLY of the
 * pod's flow). ICMP errors addressed to the NAT address are translated with their quoted
 * packet, whose source is the NAT address and port (path MTU discovery for masqueraded pods).
 *
 * <p>A packet no mapping claims is left alone: it is for the node itself. One instance per
 * worker; allocates nothing per packet.
 */
public final class ReverseSnat {
    private final SnatTable snat;
    private final SnatResult mapping = new SnatResult();
    private final IcmpErrorPayload quote = new IcmpErrorPayload();

    /** Each frame's reverse-map key hash from the first pass (set for the frames {@link #translate} looks up). */
    private final long[] reverseHashes = new long[FrameVector.MAX_FRAMES];

    public ReverseSnat(SnatTable snat) {
        this.snat = snat;
    }

    /**
     * Runs over every frame whose verdict is still {@link Verdict#CONTINUE}.
     *
     * @return the number of frames translated
     */
    public int process(FrameVector v) {
        int n = v.count();
        // First pass: touch every frame's reverse-map slot, so the misses of the vector overlap.
        for (int i = 0; i < n; i++) {
            if (v.verdict(i) == Verdict.CONTINUE && v.hasFlag(i, FrameVector.FLAG_L4)
                    && !v.hasFlag(i, FrameVector.FLAG_ICMP_ERROR)) {
                reverseHashes[i] = snat.prefetchReverse(v.srcHi(i), v.srcLo(i), v.srcPort(i), v.dstHi(i), v.dstLo(i),
                        v.dstPort(i), v.protocol(i), mapping);
            }
        }
        int translated = 0;
        for (int i = 0; i < n; i++) {
            if (v.verdict(i) != Verdict.CONTINUE || !v.hasFlag(i, FrameVector.FLAG_L4)) {
                continue;
            }
            int verdict = v.hasFlag(i, FrameVector.FLAG_ICMP_ERROR) ? translateError(v, i) : translate(v, i, reverseHashes[i]);
            if (verdict == TRANSLATED) {
                v.mark(i, v.mark(i) | FrameMarks.REVERSE_NAT);
                translated++;
            } else if (verdict != Verdict.CONTINUE) {
                v.verdict(i, verdict);
            }
        }
        return translated;
    }

    private static final int TRANSLATED = Integer.MAX_VALUE;

    /** @param hash the frame's reverse-map key hash from the first pass */
    private int translate(FrameVector v, int i, long hash) {
        if (snat.lookupReverse(v.srcHi(i), v.srcLo(i), v.srcPort(i), v.dstHi(i), v.dstLo(i), v.dstPort(i),
                v.protocol(i), hash, mapping) != 0) {
            return Verdict.CONTINUE;
        }
        int verdict = NatRewriter.rewrite(v, i, NatRewriter.DESTINATION, mapping.origHi, mapping.origLo, mapping.origPort);
        return verdict == Verdict.CONTINUE ? TRANSLATED : verdict;
    }

    /** The quoted packet left through the NAT: its source is (NAT address, NAT port). */
    private int translateError(FrameVector v, int i) {
        if (quote.parse(v, i) != Verdict.CONTINUE) {
            return Verdict.CONTINUE; // conntrack gives the bogus quote its drop reason
        }
        if (snat.lookupReverse(quote.dstHi(), quote.dstLo(), quote.dstPort(), quote.srcHi(), quote.srcLo(),
                quote.srcPort(), quote.protocol(), mapping) != 0) {
            return Verdict.CONTINUE;
        }
        int verdict = IcmpErrorTranslator.translate(v, i, NatRewriter.DESTINATION, quote.l3Offset(), quote.l4Offset(),
                quote.quotedL4Bytes(), quote.protocol(), quote.srcHi(), quote.srcLo(),
                mapping.origHi, mapping.origLo, mapping.origPort);
        return verdict == Verdict.CONTINUE ? TRANSLATED : verdict;
    }
}
