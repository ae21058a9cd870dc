package dev.gingham.packet;

/**
 * The decisions programs took for each frame of a vector, recorded only when a trace is attached
 * to the vector ({@link FrameVector#trace(FrameTrace)}): replay attaches one to explain every
 * frame in {@code verdicts.jsonl}; the daemon never does.
 *
 * <p>Why a separate object and not more frame metadata: the daemon's workers must not pay for an
 * explanation nobody reads. A program reads {@link FrameVector#trace()} where it decides (a field
 * of the vector it already holds) and, when it is null (always, in the daemon), records nothing:
 * one load and one always-taken branch, no stores, no extra cache lines. What a trace records is what
 * only the program knows at the moment it decides: the conntrack state it saw, the service
 * frontend and backend it chose, the tuple before and after each address rewrite, the policy
 * verdict and the rule that decided it. Everything the frame carries anyway (verdict, marks,
 * identities, final tuple) stays in the vector.
 *
 * <p>First-wins for conntrack and the tuple before NAT (the state of the flow as the frame
 * arrived: a later program sees the entry an earlier one just created), last-wins for the tuple
 * after NAT. Entries are indexed like the vector; {@link #reset(int)} clears the first
 * {@code count} before a run. One trace per vector, used by the vector's thread; no allocation.
 */
public final class FrameTrace {
    /** No value recorded (conntrack not consulted, no policy check in that direction). */
    public static final int NONE = -1;
    /** {@link #natSides(int)} bit: the source address or port was rewritten. */
    public static final int NAT_SOURCE = 1;
    /** {@link #natSides(int)} bit: the destination address or port was rewritten. */
    public static final int NAT_DESTINATION = 2;
    /** Policy slots: index 0 for ingress, 1 for egress (callers map their direction constants). */
    public static final int POLICY_SLOTS = 2;

    private static final int N = FrameVector.MAX_FRAMES;

    private final int[] ctStatus = new int[N];
    private final int[] revNatIndex = new int[N];
    private final int[] backendId = new int[N];
    private final int[] natSides = new int[N];
    private final long[] beforeSrcHi = new long[N];
    private final long[] beforeSrcLo = new long[N];
    private final long[] beforeDstHi = new long[N];
    private final long[] beforeDstLo = new long[N];
    private final int[] beforeSrcPort = new int[N];
    private final int[] beforeDstPort = new int[N];
    private final long[] afterSrcHi = new long[N];
    private final long[] afterSrcLo = new long[N];
    private final long[] afterDstHi = new long[N];
    private final long[] afterDstLo = new long[N];
    private final int[] afterSrcPort = new int[N];
    private final int[] afterDstPort = new int[N];
    private final int[][] policyDecision = new int[POLICY_SLOTS][N];
    private final int[][] policyId = new int[POLICY_SLOTS][N];
    private final int[][] policyPeer = new int[POLICY_SLOTS][N];

    /** Forgets what was recorded for frames {@code 0 .. count-1}. */
    public void reset(int count) {
        for (int i = 0; i < count; i++) {
            ctStatus[i] = NONE;
            revNatIndex[i] = 0;
            backendId[i] = 0;
            natSides[i] = 0;
            for (int s = 0; s < POLICY_SLOTS; s++) {
                policyDecision[s][i] = NONE;
                policyId[s][i] = 0;
                policyPeer[s][i] = 0;
            }
        }
    }

    // ---- conntrack -------------------------------------------------------------------------------

    /** Records the conntrack status a program saw for frame i, unless an earlier program already did. */
    public void ctStatus(int i, int status) {
        if (ctStatus[i] == NONE && status >= 0) {
            ctStatus[i] = status;
        }
    }

    /** Returns: the first conntrack status recorded for frame i (conntrack's own constants), or {@link #NONE}. */
    public int ctStatus(int i) {
        return ctStatus[i];
    }

    // ---- service ---------------------------------------------------------------------------------

    /**
     * Records the service frontend (its rev-NAT index) a frame was translated for, and the
     * backend chosen (0 for a reply, whose backend is its source).
     */
    public void service(int i, int revNat, int backend) {
        revNatIndex[i] = revNat;
        backendId[i] = backend;
    }

    /** Returns: the rev-NAT index of the service frame i was translated for, or 0. */
    public int revNatIndex(int i) {
        return revNatIndex[i];
    }

    /** Returns: the backend id chosen for frame i, or 0 (no selection: not a service frame, or a reply). */
    public int backendId(int i) {
        return backendId[i];
    }

    // ---- NAT -------------------------------------------------------------------------------------

    /** Called by the rewriter before it changes frame i's tuple: keeps the first tuple seen. */
    public void beforeRewrite(FrameVector v, int i) {
        if (natSides[i] != 0) {
            return;
        }
        beforeSrcHi[i] = v.srcHi(i);
        beforeSrcLo[i] = v.srcLo(i);
        beforeDstHi[i] = v.dstHi(i);
        beforeDstLo[i] = v.dstLo(i);
        beforeSrcPort[i] = v.srcPort(i);
        beforeDstPort[i] = v.dstPort(i);
    }

    /** Called by the rewriter after it changed one side of frame i's tuple: keeps the latest tuple. */
    public void afterRewrite(FrameVector v, int i, int side) {
        natSides[i] |= side;
        afterSrcHi[i] = v.srcHi(i);
        afterSrcLo[i] = v.srcLo(i);
        afterDstHi[i] = v.dstHi(i);
        afterDstLo[i] = v.dstLo(i);
        afterSrcPort[i] = v.srcPort(i);
        afterDstPort[i] = v.dstPort(i);
    }

    /** Returns: {@link #NAT_SOURCE} | {@link #NAT_DESTINATION} bits of what NAT rewrote in frame i, 0 for nothing. */
    public int natSides(int i) {
        return natSides[i];
    }

    public long beforeSrcHi(int i) {
        return beforeSrcHi[i];
    }

    public long beforeSrcLo(int i) {
        return beforeSrcLo[i];
    }

    public long beforeDstHi(int i) {
        return beforeDstHi[i];
    }

    public long beforeDstLo(int i) {
        return beforeDstLo[i];
    }

    public int beforeSrcPort(int i) {
        return beforeSrcPort[i];
    }

    public int beforeDstPort(int i) {
        return beforeDstPort[i];
    }

    public long afterSrcHi(int i) {
        return afterSrcHi[i];
    }

    public long afterSrcLo(int i) {
        return afterSrcLo[i];
    }

    public long afterDstHi(int i) {
        return afterDstHi[i];
    }

    public long afterDstLo(int i) {
        return afterDstLo[i];
    }

    public int afterSrcPort(int i) {
        return afterSrcPort[i];
    }

    public int afterDstPort(int i) {
        return afterDstPort[i];
    }

    // ---- policy ----------------------------------------------------------------------------------

    /**
     * Records a policy check of frame i.
     *
     * @param slot     0 ingress, 1 egress
     * @param decision the policy program's decision constant
     * @param policy   the id of the policy whose rule decided (0: none, a default)
     * @param peer     the peer identity the check used
     */
    public void policy(int i, int slot, int decision, int policy, int peer) {
        policyDecision[slot][i] = decision;
        policyId[slot][i] = policy;
        policyPeer[slot][i] = peer;
    }

    /** Returns: the decision recorded for frame i in {@code slot}, or {@link #NONE}. */
    public int policyDecision(int i, int slot) {
        return policyDecision[slot][i];
    }

    public int policyId(int i, int slot) {
        return policyId[slot][i];
    }

    public int policyPeer(int i, int slot) {
        return policyPeer[slot][i];
    }
}
