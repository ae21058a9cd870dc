package dev.gingham.dataplane.fuzz;

import dev.gingham.packet.BufferPool;
import dev.gingham.packet.DropReason;
import dev.gingham.packet.FrameVector;
import dev.gingham.packet.NetworkOrder;
import dev.gingham.packet.Parser;
import dev.gingham.packet.Verdict;
import dev.gingham.packet.header.GeneveHeader;
import dev.gingham.packet.header.VxlanHeader;

import java.lang.foreign.MemorySegment;

/**
 * The invariants a frame must keep after any program ran over it, checked from the outside: every
 * method returns null when the invariant holds and a one-line description when it does not, never
 * throwing, so the fuzz loop can report it with the seed and write a reproducer.
 *
 * <ul>
 *   <li>{@link #checkInsideBuffer}: the frame lies inside its buffer (a program that prepends past
 *       the headroom or grows past the tail would corrupt the neighbouring buffer).</li>
 *   <li>{@link #checkVerdict}: the verdict is continue, an action Gingham knows (TX, PUNT), or the
 *       drop of a registered {@link DropReason}.</li>
 *   <li>{@link #checkParseResult}: what the parser recorded points inside the frame and is
 *       consistent (one L3, L4 inside L3, later fragments without L4).</li>
 *   <li>{@link #checkEmitted}: an emitted frame re-parses cleanly and, when its input's checksums
 *       were right, every checksum is right by full recompute ({@link ChecksumVerifier}), the
 *       frame inside a VXLAN or Geneve packet too (two levels deep).</li>
 *   <li>{@link #checkPoolBalance}: every buffer taken for a vector came back.</li>
 * </ul>
 *
 * <p>Frames are checked on a private copy (its own one-buffer pool), so checking never changes the
 * pipeline's frames or metadata. Allocates only descriptions of failures. One instance per thread.
 */
public final class InvariantChecker implements AutoCloseable {
    /** How deep {@link #checkEmitted} follows tunnels into inner frames. */
    public static final int MAX_TUNNEL_DEPTH = 2;

    private final BufferPool pool = BufferPool.allocate(1, BufferPool.TSO_BUFFER_SIZE);
    private final FrameVector copy = new FrameVector(pool);
    private final int copyBuffer = pool.acquire();
    private final Parser parser = new Parser();
    private final ChecksumVerifier checksums = new ChecksumVerifier();
    /** What {@link #checkCopy} returns for a failure it was asked not to describe. */
    private static final String INVALID = "invalid";

    /** Returns: null when frame {@code i} lies inside the buffer the vector says it is in. */
    public static String checkInsideBuffer(FrameVector v, int i) {
        BufferPool pool = v.pool();
        int buffer = v.buffer(i);
        if (buffer < 0 || buffer >= pool.bufferCount()) {
            return "buffer index " + buffer + " is not one of the pool's " + pool.bufferCount();
        }
        long base = pool.base(buffer);
        long start = v.start(i);
        int length = v.length(i);
        if (length < 0 || start < base || start + length > base + pool.bufferSize()) {
            return "frame [" + (start - base) + ", " + (start - base + length) + ") is outside its buffer [0, "
                    + pool.bufferSize() + ")";
        }
        if (!pool.inUse(buffer)) {
            return "buffer " + buffer + " holds a frame but is free in the pool (released too early?)";
        }
        return null;
    }

    /** Returns: null when {@code verdict} is continue, a known action or a registered drop reason's verdict. */
    public static String checkVerdict(int verdict) {
        if (verdict == Verdict.CONTINUE || Verdict.isTx(verdict) || Verdict.isPunt(verdict)) {
            return null;
        }
        if (verdict < 0) {
            return DropReason.ofCode(-verdict) != null ? null : "verdict " + verdict + " drops with an unregistered code";
        }
        return "verdict 0x" + Integer.toHexString(verdict) + " is no known action";
    }

    /**
     * Returns: null when a parse of frame {@code i} that returned {@code verdict} left consistent
     * metadata: a known verdict, offsets inside the frame and inside each other, flags that agree.
     */
    public static String checkParseResult(FrameVector v, int i, int verdict) {
        String bad = checkVerdict(verdict);
        if (bad != null || verdict != Verdict.CONTINUE) {
            return bad != null ? bad : verdict > 0 ? "the parser returned an action" : null;
        }
        long start = v.start(i);
        long end = v.end(i);
        long l3 = v.l3Offset(i);
        long l4 = v.l4Offset(i);
        long payload = v.payloadOffset(i);
        int families = (v.hasFlag(i, FrameVector.FLAG_IPV4) ? 1 : 0) + (v.hasFlag(i, FrameVector.FLAG_IPV6) ? 1 : 0)
                + (v.hasFlag(i, FrameVector.FLAG_ARP) ? 1 : 0);
        if (families > 1) {
            return "more than one of IPv4, IPv6, ARP flagged (flags 0x" + Integer.toHexString(v.flags(i)) + ")";
        }
        if (l3 != FrameVector.NO_OFFSET && (l3 < start || l3 > end)) {
            return "L3 offset " + (l3 - start) + " is outside the frame of " + v.length(i) + " bytes";
        }
        if (families == 1 && (l3 == FrameVector.NO_OFFSET || v.l3Length(i) <= 0 || l3 + v.l3Length(i) > end)) {
            return "L3 [" + (l3 - start) + " + " + v.l3Length(i) + ") does not fit the frame of " + v.length(i) + " bytes";
        }
        long l3End = l3 + v.l3Length(i);
        if (l4 != FrameVector.NO_OFFSET && (l3 == FrameVector.NO_OFFSET || l4 < l3 || l4 > l3End)) {
            return "L4 offset " + (l4 - start) + " is outside L3 [" + (l3 - start) + ", " + (l3End - start) + ")";
        }
        if (payload != FrameVector.NO_OFFSET && (l4 == FrameVector.NO_OFFSET || payload < l4 || payload > l3End)) {
            return "payload offset " + (payload - start) + " is outside [L4 " + (l4 - start) + ", L3 end " + (l3End - start) + "]";
        }
        if (v.hasFlag(i, FrameVector.FLAG_L4) && (l4 == FrameVector.NO_OFFSET || payload == FrameVector.NO_OFFSET)) {
            return "L4 flagged without L4 and payload offsets";
        }
        if (v.hasFlag(i, FrameVector.FLAG_LATER_FRAGMENT)
                && (!v.hasFlag(i, FrameVector.FLAG_FRAGMENT) || v.hasFlag(i, FrameVector.FLAG_L4))) {
            return "a later fragment flagged without FRAGMENT or with L4";
        }
        return null;
    }

    /**
     * Returns: null when frame {@code i}, about to leave the pipeline, lies in its buffer, parses
     * and (when {@code requireChecksums}) has every checksum right, inner tunnel frames included.
     *
     * @param requireChecksums false when the input frame's checksums were already wrong: the
     *                         pipeline does not verify checksums (a NIC would), so it forwards
     *                         them wrong, incrementally updated
     */
    public String checkEmitted(FrameVector v, int i, boolean requireChecksums) {
        String bad = checkInsideBuffer(v, i);
        if (bad != null) {
            return bad;
        }
        if (!load(v, i)) {
            return "frame of " + v.length(i) + " bytes is too long to check";
        }
        return checkCopy(requireChecksums, 0, true);
    }

    /** Returns: true when frame {@code i} parses and all its checksums (inner frames' too) are right. */
    public boolean checksumsValid(FrameVector v, int i) {
        return checkInsideBuffer(v, i) == null && load(v, i) && checkCopy(true, 0, false) == null;
    }

    /** Returns: null when {@code pool} has as many free buffers as before the vector ran. */
    public static String checkPoolBalance(BufferPool pool, int availableBefore) {
        int now = pool.available();
        return now == availableBefore ? null
                : "buffer pool unbalanced: " + availableBefore + " free before, " + now + " after ("
                + (availableBefore - now > 0 ? (availableBefore - now) + " leaked" : (now - availableBefore) + " released twice") + ")";
    }

    /** Copies frame {@code i} and its offload metadata into the private vector. */
    private boolean load(FrameVector v, int i) {
        if (v.length(i) > pool.maxFrameBytes()) {
            return false;
        }
        copy.clear();
        append(v, i, copy, copyBuffer);
        return true;
    }

    /**
     * Appends a copy of frame {@code i} of {@code from} (its bytes, ingress port and offload
     * metadata, nothing the parser sets) to {@code to}, in {@code buffer} of {@code to}'s pool,
     * which must hold the frame.
     *
     * @return the copy's slot in {@code to}
     */
    static int append(FrameVector from, int i, FrameVector to, int buffer) {
        int length = from.length(i);
        int c = to.add(buffer, from.ingressPort(i), length);
        MemorySegment.copy(from.segment(), from.start(i), to.segment(), to.start(c), length);
        to.flags(c, from.flags(i) & (FrameVector.FLAG_CSUM_PARTIAL | FrameVector.FLAG_GSO));
        to.offload(c, from.gsoType(i), from.gsoSize(i), from.csumStart(i), from.csumOffset(i));
        return c;
    }

    /**
     * Checks the private copy; with {@code describe} false returns {@link #INVALID} instead of a
     * description, so that classifying every input of a fuzz run allocates nothing.
     */
    private String checkCopy(boolean requireChecksums, int depth, boolean describe) {
        int verdict = parser.parse(copy, 0);
        if (verdict != Verdict.CONTINUE) {
            if (!describe) {
                return INVALID;
            }
            DropReason reason = DropReason.ofCode(-verdict);
            return (depth == 0 ? "" : "inner frame (tunnel level " + depth + "): ") + "does not re-parse: "
                    + (reason == null ? verdict : reason.name());
        }
        String bad = checkParseResult(copy, 0, verdict);
        if (bad == null && requireChecksums && !checksums.verifies(copy, 0)) {
            bad = describe ? checksums.verify(copy, 0) : INVALID;
        }
        if (bad != null) {
            return !describe ? INVALID : (depth == 0 ? "" : "inner frame (tunnel level " + depth + "): ") + bad;
        }
        // Inner frames are held to the same standard only when the input was sound throughout.
        return requireChecksums && depth < MAX_TUNNEL_DEPTH && enterTunnel() ? checkCopy(true, depth + 1, describe) : null;
    }

    /**
     * Moves the private frame's start to the Ethernet frame a VXLAN or Geneve packet carries.
     *
     * @return false (nothing moved) when the frame is no whole tunnel packet
     */
    private boolean enterTunnel() {
        if (!copy.hasFlag(0, FrameVector.FLAG_IPV4) || copy.hasFlag(0, FrameVector.FLAG_FRAGMENT)
                || !copy.hasFlag(0, FrameVector.FLAG_L4) || copy.protocol(0) != 17) {
            return false;
        }
        MemorySegment s = copy.segment();
        int port = copy.dstPort(0);
        long header = copy.payloadOffset(0);
        long end = copy.l3Offset(0) + copy.l3Length(0);
        long inner;
        if (port == VxlanHeader.PORT_LINUX || port == VxlanHeader.PORT_IANA) {
            inner = header + VxlanHeader.LENGTH;
        } else if (port == GeneveHeader.PORT && end - header >= GeneveHeader.LENGTH
                && NetworkOrder.u16(s, header + GeneveHeader.PROTOCOL_TYPE_OFFSET) == GeneveHeader.PROTOCOL_TRANS_ETHER_BRIDGING) {
            inner = header + GeneveHeader.LENGTH + (NetworkOrder.u8(s, header) & 0x3F) * 4L;
        } else {
            return false;
        }
        if (end - inner < 14) {
            return false;
        }
        copy.length(0, (int) (end - copy.start(0)));
        copy.trimFront(0, (int) (inner - copy.start(0)));
        copy.flags(0, 0); // offload metadata describes the outer frame
        return true;
    }

    @Override
    public void close() {
        pool.close();
    }
}
