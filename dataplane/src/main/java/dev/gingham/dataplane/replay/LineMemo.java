package dev.gingham.dataplane.replay;

import dev.gingham.packet.FrameTrace;
import dev.gingham.packet.FrameVector;

import java.io.IOException;
import java.util.Arrays;

/**
 * The tails of recent verdict lines (everything after the frame number, time and head: tuple,
 * identities, conntrack, service, NAT, policy, decisions), kept per flow so that a frame whose
 * decisions are those of an earlier frame of the same flow copies that frame's bytes instead of
 * formatting them again. Most frames of a capture belong to established flows whose every frame
 * is decided alike, so most lines become two numbers and two copies.
 *
 * <p>Correctness does not rest on the flow: the key is every value the tail is written from (the
 * frame's flags, protocol and tuple, its identities, its marks, and every decision the trace
 * recorded, values that are not written counted as 0), and a hit needs the whole key equal. Equal
 * keys give equal tails, because {@link VerdictLines} writes the tail from those values and from
 * names that do not change during a replay. The flow (tuple) only picks the slot: a direct-mapped
 * table of {@link #ENTRIES}, so flows that interleave keep their own entries and a collision
 * costs one formatted line, never a wrong one.
 *
 * <p>Tails longer than {@link #MAX_TAIL_BYTES}, and a tail the line buffer flushed in the middle
 * of, are not kept (they are formatted every time). Allocates nothing after construction.
 */
final class LineMemo {
    /** Slots of the direct-mapped table (a power of two). */
    static final int ENTRIES = 256;
    /** Longest tail kept; lines with NAT of both sides and long names stay under it. */
    static final int MAX_TAIL_BYTES = 1024;
    private static final int KEY_LONGS = 21;

    private final long[] key = new long[KEY_LONGS];
    private final long[] keys = new long[ENTRIES * KEY_LONGS];
    private final byte[] tails = new byte[ENTRIES * MAX_TAIL_BYTES];
    private final int[] lengths = new int[ENTRIES];
    private int slot;
    private long hits;

    /**
     * Builds the key of frame {@code i}'s tail and looks it up.
     *
     * @param decisions the line's decision bits (which marks it lists)
     * @return true when the slot holds the tail of an equal key: {@link #write} it
     */
    boolean find(FrameVector v, int i, FrameTrace trace, int decisions, int egressSlot, int ingressSlot) {
        long[] k = key;
        boolean l3 = v.hasFlag(i, FrameVector.FLAG_IPV4 | FrameVector.FLAG_IPV6);
        if (!l3) {
            Arrays.fill(k, 0L);
            k[0] = (long) decisions << 2;
        } else {
            boolean ports = v.hasFlag(i, FrameVector.FLAG_L4);
            int sides = trace.natSides(i);
            int revNat = trace.revNatIndex(i);
            k[0] = 1 | (ports ? 2 : 0) | (long) decisions << 2 | (long) v.protocol(i) << 8 | (long) sides << 16
                    | (long) trace.ctStatus(i) << 32;
            k[1] = v.srcHi(i);
            k[2] = v.srcLo(i);
            k[3] = v.dstHi(i);
            k[4] = v.dstLo(i);
            k[5] = ports ? (long) v.srcPort(i) << 16 | v.dstPort(i) : 0;
            k[6] = (long) v.srcIdentity(i) << 32 | (v.dstIdentity(i) & 0xFFFF_FFFFL);
            k[7] = revNat == 0 ? 0 : (long) revNat << 32 | (trace.backendId(i) & 0xFFFF_FFFFL);
            if (sides == 0) {
                for (int f = 8; f <= 16; f++) {
                    k[f] = 0;
                }
            } else {
                k[8] = trace.beforeSrcHi(i);
                k[9] = trace.beforeSrcLo(i);
                k[10] = trace.beforeDstHi(i);
                k[11] = trace.beforeDstLo(i);
                k[12] = trace.afterSrcHi(i);
                k[13] = trace.afterSrcLo(i);
                k[14] = trace.afterDstHi(i);
                k[15] = trace.afterDstLo(i);
                k[16] = ports ? (long) trace.beforeSrcPort(i) << 48 | (long) trace.beforeDstPort(i) << 32
                        | (long) trace.afterSrcPort(i) << 16 | trace.afterDstPort(i) : 0;
            }
            policyKey(k, 17, trace, i, egressSlot);
            policyKey(k, 19, trace, i, ingressSlot);
        }
        long h = k[0] * 0x9E3779B97F4A7C15L;
        for (int f = 1; f <= 6; f++) {
            h = (h ^ k[f]) * 0x9E3779B97F4A7C15L;
        }
        slot = (int) (h >>> 40) & (ENTRIES - 1);
        if (lengths[slot] == 0) {
            return false;
        }
        int base = slot * KEY_LONGS;
        for (int f = 0; f < KEY_LONGS; f++) {
            if (keys[base + f] != k[f]) {
                return false;
            }
        }
        hits++;
        return true;
    }

    private static void policyKey(long[] k, int at, FrameTrace trace, int i, int slot) {
        int decision = trace.policyDecision(i, slot);
        if (decision == FrameTrace.NONE) {
            k[at] = (long) FrameTrace.NONE << 32;
            k[at + 1] = 0;
        } else {
            k[at] = (long) decision << 32 | (trace.policyId(i, slot) & 0xFFFF_FFFFL);
            k[at + 1] = trace.policyPeer(i, slot);
        }
    }

    /** Writes the tail {@link #find} found. */
    void write(LineBuffer out) throws IOException {
        out.bytes(tails, slot * MAX_TAIL_BYTES, lengths[slot]);
    }

    /**
     * Keeps the tail just written for the key of the last {@link #find} (which missed).
     *
     * @param startBytes {@link LineBuffer#written()} before the tail was written
     */
    void store(LineBuffer out, long startBytes) {
        int length = (int) Math.min(out.written() - startBytes, Integer.MAX_VALUE);
        if (length > MAX_TAIL_BYTES || !out.copyLast(length, tails, slot * MAX_TAIL_BYTES)) {
            lengths[slot] = 0;
            return;
        }
        System.arraycopy(key, 0, keys, slot * KEY_LONGS, KEY_LONGS);
        lengths[slot] = length;
    }

    /** Returns: tails copied instead of formatted (tests: the memo is exercised). */
    long hits() {
        return hits;
    }
}
