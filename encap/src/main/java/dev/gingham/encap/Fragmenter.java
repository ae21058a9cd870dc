package dev.gingham.encap;

import dev.gingham.packet.BufferPool;
import dev.gingham.packet.DropReason;
import dev.gingham.packet.FrameVector;
import dev.gingham.packet.NetworkOrder;
import dev.gingham.packet.Parser;
import dev.gingham.packet.Verdict;
import dev.gingham.packet.checksum.TransportChecksum;
import dev.gingham.packet.header.Ipv4Header;

import java.lang.foreign.MemorySegment;

/**
 * Cuts an IPv4 packet that is larger than the tunnel's pod MTU and allows fragmentation (DF
 * clear) into fragments that fit (RFC 791 §3.2, "fragmentation"), as a router on the path would.
 *
 * <h2>Where the extra frames go</h2>
 * A program normally rewrites frames in place; fragmenting makes more frames than it got. The
 * original frame keeps the first fragment (its buffer, no copy: only the header changes and the
 * frame is shortened). Every later fragment gets a buffer from the vector's own
 * {@link BufferPool} and is <em>appended</em> to the same {@link FrameVector}
 * ({@link AppendedFrames}), carrying the original's ingress port, mark and identities, parsed,
 * verdict {@link Verdict#CONTINUE} (a fragment that would not parse, which construction rules
 * out, carries the parser's drop verdict instead). The caller (the tunnel encapsulation) then treats those
 * frames like the first, in the same pass: programs iterate to the count they saw when they
 * started, so appended frames are left to whoever appended them. The vector's owner releases
 * every buffer of the vector after TX, appended ones included. Before writing anything the
 * fragment count is computed and room is checked: when the vector or the pool cannot take all
 * of them, nothing changes and the packet is dropped with
 * {@link DropReason#BUFFER_POOL_EXHAUSTED}.
 *
 * <h2>RFC 791 rules applied</h2>
 * Data of every fragment but the last is a multiple of 8 bytes; offsets count 8-byte units from
 * the original's own offset (a fragment may be fragmented again); MF is set on all but the last,
 * which keeps the original's MF; identification, TOS, TTL, protocol and addresses are copied;
 * the first fragment keeps every option, later fragments only those whose copied flag (0x80) is
 * set, padded with end-of-options to a 4-byte boundary; every header checksum is recomputed.
 */
public final class Fragmenter {
    private static final int OPTION_END = 0;
    private static final int OPTION_NOP = 1;
    private static final int OPTION_COPIED = 0x80;
    private static final long NO_COPY = -1;

    private final Parser parser = new Parser();

    /**
     * Fragments IPv4 frame {@code i} so that no IP packet exceeds {@code mtuBytes}.
     *
     * @return the number of frames appended to {@code v} (at least 1; they are at indexes
     *         {@code count - n .. count - 1}), or a negative drop verdict with nothing changed
     */
    public int fragment(FrameVector v, int i, int mtuBytes) {
        MemorySegment s = v.segment();
        long start = v.start(i);
        long l3 = v.l3Offset(i);
        int l2Bytes = (int) (l3 - start);
        int headerBytes = (NetworkOrder.u8(s, l3) & 0x0F) << 2;
        int dataBytes = v.l3Length(i) - headerBytes;
        int laterHeaderBytes = Ipv4Header.MIN_LENGTH + ((copiedOptions(s, l3, headerBytes, NO_COPY) + 3) & ~3);
        int firstChunk = (mtuBytes - headerBytes) & ~7;
        int laterChunk = (mtuBytes - laterHeaderBytes) & ~7;
        if (firstChunk <= 0 || laterChunk <= 0 || dataBytes <= firstChunk) {
            return DropReason.FRAG_NEEDED.verdict();
        }
        int later = (dataBytes - firstChunk + laterChunk - 1) / laterChunk;
        BufferPool pool = v.pool();
        if (v.count() + later > FrameVector.MAX_FRAMES || pool.available() < later
                || l2Bytes + laterHeaderBytes + laterChunk > pool.maxFrameBytes()) {
            return DropReason.BUFFER_POOL_EXHAUSTED.verdict();
        }
        int flagsWord = NetworkOrder.u16(s, l3 + Ipv4Header.FLAGS_OFFSET);
        int baseUnits = flagsWord & Ipv4Header.FRAGMENT_OFFSET_MASK;
        int keptFlags = flagsWord & ~(Ipv4Header.FRAGMENT_OFFSET_MASK | Ipv4Header.FLAG_MF);
        boolean originalMore = (flagsWord & Ipv4Header.FLAG_MF) != 0;
        long data = l3 + headerBytes;
        for (int k = 0, taken = firstChunk; k < later; k++) {
            int chunk = Math.min(laterChunk, dataBytes - taken);
            boolean more = k < later - 1 || originalMore;
            int buffer = pool.acquire();
            long to = pool.dataStart(buffer);
            MemorySegment.copy(s, start, s, to, l2Bytes);
            long toL3 = to + l2Bytes;
            writeLaterHeader(s, l3, headerBytes, toL3, laterHeaderBytes);
            finishHeader(s, toL3, laterHeaderBytes, laterHeaderBytes + chunk,
                    keptFlags | (more ? Ipv4Header.FLAG_MF : 0) | (baseUnits + (taken >>> 3)));
            MemorySegment.copy(s, data + taken, s, toL3 + laterHeaderBytes, chunk);
            AppendedFrames.append(v, i, buffer, l2Bytes + laterHeaderBytes + chunk, parser);
            taken += chunk;
        }
        finishHeader(s, l3, headerBytes, headerBytes + firstChunk, keptFlags | Ipv4Header.FLAG_MF | baseUnits);
        v.length(i, l2Bytes + headerBytes + firstChunk);
        AppendedFrames.parseOwn(v, i, parser);
        return later;
    }

    /**
     * Walks the options of the header at {@code l3} and returns the bytes of those whose copied
     * flag is set (they go into every fragment); when {@code to} is not -1, also copies them
     * there, one after another.
     */
    private static int copiedOptions(MemorySegment s, long l3, int headerBytes, long to) {
        int copied = 0;
        for (long p = l3 + Ipv4Header.MIN_LENGTH, end = l3 + headerBytes; p < end; ) {
            int type = NetworkOrder.u8(s, p);
            if (type == OPTION_END) {
                break;
            }
            if (type == OPTION_NOP) {
                p++;
                continue;
            }
            int length = NetworkOrder.u8(s, p + 1); // the parser checked 2 <= length <= what is left
            if ((type & OPTION_COPIED) != 0) {
                if (to != NO_COPY) {
                    MemorySegment.copy(s, p, s, to + copied, length);
                }
                copied += length;
            }
            p += length;
        }
        return copied;
    }

    /** Writes the fixed 20 bytes, the copied options and the end-of-options padding of a later fragment. */
    private static void writeLaterHeader(MemorySegment s, long from, int headerBytes, long to, int laterHeaderBytes) {
        MemorySegment.copy(s, from, s, to, Ipv4Header.MIN_LENGTH);
        int copied = copiedOptions(s, from, headerBytes, to + Ipv4Header.MIN_LENGTH);
        for (int p = Ipv4Header.MIN_LENGTH + copied; p < laterHeaderBytes; p++) {
            NetworkOrder.u8(s, to + p, OPTION_END);
        }
        NetworkOrder.u8(s, to, (Ipv4Header.VERSION << 4) | (laterHeaderBytes >>> 2));
    }

    private static void finishHeader(MemorySegment s, long l3, int headerBytes, int totalLength, int flagsWord) {
        NetworkOrder.u16(s, l3 + Ipv4Header.TOTAL_LENGTH_OFFSET, totalLength);
        NetworkOrder.u16(s, l3 + Ipv4Header.FLAGS_OFFSET, flagsWord);
        NetworkOrder.u16(s, l3 + Ipv4Header.CHECKSUM_OFFSET, TransportChecksum.ipv4Header(s, l3, headerBytes));
    }
}
