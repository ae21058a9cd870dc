package dev.gingham.dataplane.flow;

import dev.gingham.packet.FrameVector;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * One worker's flow event writer: filters, samples and writes {@link FlowRecord}s of frames into
 * the worker's {@link FlowRing}. Allocation-free and lock-free; a full ring costs one counted
 * overflow, never a wait. One instance per worker (single producer).
 */
public final class FlowEvents {
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED;
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED;
    private static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED;

    private final FlowRing ring;
    private final MemorySegment segment;
    private volatile FlowFilter filter;
    private long sampleCounter;
    private long written;
    private long sampledOut;

    public FlowEvents(FlowRing ring, FlowFilter filter) {
        this.ring = ring;
        this.segment = ring.segment();
        this.filter = filter;
    }

    /** Replaces the filter (any thread); the worker uses it from its next event on. */
    public void filter(FlowFilter next) {
        this.filter = next;
    }

    public FlowFilter filter() {
        return filter;
    }

    /**
     * Reports frame {@code i}: its tuple and identities from the vector, the rest as given.
     *
     * @param kind      the filter kind ({@link FlowFilter#POLICY_ALLOWED}, ... {@link FlowFilter#DROPS})
     * @param type      {@link FlowRecord#TYPE_POLICY_VERDICT} or {@link FlowRecord#TYPE_DROP}
     * @param verdict   {@link FlowRecord#VERDICT_FORWARDED}, {@code _DROPPED} or {@code _AUDIT}
     * @param dropCode  the drop reason code (0 when forwarded)
     * @param direction {@code policy.Direction} constant
     * @param ctStatus  the conntrack status, or {@link FlowRecord#CT_NONE}
     * @param policyId  the policy behind a verdict (0: none)
     * @return true when written; false when filtered, sampled out or the ring was full
     */
    public boolean report(FrameVector v, int i, int kind, int type, int verdict, int dropCode, int direction,
                          int ctStatus, int policyId, long nowNs) {
        FlowFilter f = filter;
        int src = v.srcIdentity(i);
        int dst = v.dstIdentity(i);
        if (!f.accepts(kind, src, dst)) {
            return false;
        }
        if (f.sampleEvery() > 1 && ++sampleCounter % f.sampleEvery() != 0) {
            sampledOut++;
            return false;
        }
        long at = ring.claim();
        if (at < 0) {
            return false;
        }
        MemorySegment s = segment;
        s.set(LONG, at + FlowRecord.TIME_NS, nowNs);
        s.set(LONG, at + FlowRecord.SRC_HI, v.srcHi(i));
        s.set(LONG, at + FlowRecord.SRC_LO, v.srcLo(i));
        s.set(LONG, at + FlowRecord.DST_HI, v.dstHi(i));
        s.set(LONG, at + FlowRecord.DST_LO, v.dstLo(i));
        s.set(SHORT, at + FlowRecord.SRC_PORT, (short) v.srcPort(i));
        s.set(SHORT, at + FlowRecord.DST_PORT, (short) v.dstPort(i));
        s.set(ValueLayout.JAVA_BYTE, at + FlowRecord.PROTOCOL, (byte) v.protocol(i));
        s.set(ValueLayout.JAVA_BYTE, at + FlowRecord.TYPE, (byte) type);
        s.set(ValueLayout.JAVA_BYTE, at + FlowRecord.VERDICT, (byte) verdict);
        s.set(ValueLayout.JAVA_BYTE, at + FlowRecord.DIRECTION, (byte) direction);
        s.set(SHORT, at + FlowRecord.DROP_CODE, (short) dropCode);
        s.set(ValueLayout.JAVA_BYTE, at + FlowRecord.CT_STATUS, (byte) ctStatus);
        s.set(ValueLayout.JAVA_BYTE, at + FlowRecord.FLAGS, (byte) 0);
        s.set(INT, at + FlowRecord.SRC_IDENTITY, src);
        s.set(INT, at + FlowRecord.DST_IDENTITY, dst);
        s.set(INT, at + FlowRecord.POLICY_ID, policyId);
        ring.commit();
        written++;
        return true;
    }

    /** Returns: records written by this worker. */
    public long written() {
        return written;
    }

    /** Returns: events the filter accepted but sampling left out. */
    public long sampledOut() {
        return sampledOut;
    }

    /** Returns: events lost to a full ring. */
    public long overflows() {
        return ring.overflows();
    }
}
