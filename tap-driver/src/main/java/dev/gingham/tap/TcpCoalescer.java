package dev.gingham.tap;

import dev.gingham.packet.FrameVector;
import dev.gingham.packet.checksum.InternetChecksum;
import dev.gingham.packet.checksum.TransportChecksum;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Receive coalescing on the way into a TAP (what GRO does on a NIC): consecutive in-order TCP
 * segments of one IPv4 flow in one burst are merged into the first one's buffer and written as one
 * TCP GSO frame ({@code GSO_TCPV4}, checksum partial), so the pod's kernel runs its receive path
 * once per up-to-64 KB instead of once per segment. Segments arrive MSS-sized when a flow crossed
 * a tunnel (TSO frames are cut before encapsulation: the underlay carries no UDP-tunnel GSO), and
 * the pod's TCP processing inside each TAP {@code write(2)} is then the largest per-segment cost
 * of the receiving node.
 *
 * <p>What is merged follows the rules of Linux's {@code tcp_gro_receive}: frames whose TCP checksum
 * is partial (the kernel that handed them over vouches the payload never crossed a wire) or
 * complete and correct (verified here, as GRO verifies before merging: segments cut by a remote
 * node's {@code TcpSegmenter} arrive so; a corrupted one stops the run and reaches the pod as it
 * came, for its kernel to drop), IPv4 without options and not fragmented, Ethernet addresses, TOS, TTL, DF, addresses,
 * ports, acknowledgement number, window-independent header bytes and TCP options all equal, flags
 * ACK (PSH allowed on the last segment, which ends the run), sequence numbers contiguous, every
 * segment but the last exactly the first one's size (the GSO size), at most 64 KB of IP packet and
 * what the first buffer's tailroom holds. The merged frame keeps the first segment's headers
 * (window, IP ID) with the last one's PSH, its IP length and header checksum rewritten and the TCP
 * checksum field set to the pseudo-header sum the partial convention wants.
 *
 * <p>No allocation, no exceptions; single-threaded, like the queue that owns it.
 */
final class TcpCoalescer {
    private static final int ETHERNET_BYTES = 14;
    private static final int IP = ETHERNET_BYTES;
    private static final int TCP = IP + 20;
    private static final int TCP_MIN_BYTES = 20;
    private static final int MAX_IP_BYTES = 65535;
    private static final int FLAG_PSH = 0x08;
    private static final int FLAG_ACK = 0x10;
    private static final ValueLayout.OfShort BE16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(java.nio.ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfInt BE32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(java.nio.ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfLong BE64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(java.nio.ByteOrder.BIG_ENDIAN);

    private TcpCoalescer() {
    }

    /**
     * Merges {@code frames[k+1..count)} into {@code frames[k]} for as long as each continues it.
     *
     * @return how many frames after {@code k} were merged into it (0: none; the frame is untouched)
     */
    static int merge(FrameVector v, int[] frames, int k, int count) {
        int head = frames[k];
        if (k + 1 >= count || !candidate(v, head)) {
            return 0;
        }
        MemorySegment s = v.segment();
        long h = v.start(head);
        int headerBytes = TCP + tcpHeaderBytes(s, h);
        int mss = v.length(head) - headerBytes;
        if (mss <= 0 || (s.get(ValueLayout.JAVA_BYTE, h + TCP + 13) & 0xFF) != FLAG_ACK) {
            return 0;
        }
        int payloadBytes = mss;
        int nextSeq = s.get(BE32, h + TCP + 4) + mss;
        int merged = 0;
        for (int j = k + 1; j < count; j++) {
            int c = frames[j];
            if (!candidate(v, c)) {
                break;
            }
            long at = v.start(c);
            int segment = v.length(c) - headerBytes;
            int flags = s.get(ValueLayout.JAVA_BYTE, at + TCP + 13) & 0xFF;
            if (segment <= 0 || segment > mss || (flags != FLAG_ACK && flags != (FLAG_ACK | FLAG_PSH))
                    || s.get(BE32, at + TCP + 4) != nextSeq || !sameFlow(s, h, at, headerBytes)
                    || headerBytes - ETHERNET_BYTES + payloadBytes + segment > MAX_IP_BYTES || v.tailroom(head) < segment) {
                break;
            }
            copy(s, at + headerBytes, h + v.length(head), segment);
            v.length(head, v.length(head) + segment);
            payloadBytes += segment;
            nextSeq += segment;
            merged++;
            if (flags != FLAG_ACK || segment < mss) {
                s.set(ValueLayout.JAVA_BYTE, h + TCP + 13, (byte) flags); // PSH of the last segment
                break;
            }
        }
        if (merged > 0) {
            finish(v, head, headerBytes, mss);
        }
        return merged;
    }

    /**
     * Copies {@code bytes} bytes within the pool segment, eight at a time. Not
     * {@code MemorySegment.copy}, which makes two slices per call that are gone only where the JIT
     * inlines the whole copy into the caller: while chasing a worker allocation (which turned out to
     * be the errno-capture slice of a downcall, see Libc) this was the other candidate, and a plain
     * loop of segment reads and writes allocates nothing however it is compiled.
     */
    private static void copy(MemorySegment s, long from, long to, int bytes) {
        int k = 0;
        for (; k + Long.BYTES <= bytes; k += Long.BYTES) {
            s.set(ValueLayout.JAVA_LONG_UNALIGNED, to + k, s.get(ValueLayout.JAVA_LONG_UNALIGNED, from + k));
        }
        for (; k < bytes; k++) {
            s.set(ValueLayout.JAVA_BYTE, to + k, s.get(ValueLayout.JAVA_BYTE, from + k));
        }
    }

    /**
     * IPv4 TCP without IP options, not a fragment, not GSO, length as the IP header says, and a TCP
     * checksum that is partial (at the TCP header's field) or complete and correct.
     */
    private static boolean candidate(FrameVector v, int i) {
        if (v.hasFlag(i, FrameVector.FLAG_GSO) || v.length(i) < TCP + TCP_MIN_BYTES) {
            return false;
        }
        MemorySegment s = v.segment();
        long f = v.start(i);
        if (s.get(BE16, f + 12) != 0x0800
                || s.get(ValueLayout.JAVA_BYTE, f + IP) != 0x45
                || s.get(ValueLayout.JAVA_BYTE, f + IP + 9) != 6
                || (s.get(BE16, f + IP + 6) & 0x3FFF) != 0
                || (s.get(BE16, f + IP + 2) & 0xFFFF) != v.length(i) - ETHERNET_BYTES
                || TCP + tcpHeaderBytes(s, f) > v.length(i)) {
            return false;
        }
        if (v.hasFlag(i, FrameVector.FLAG_CSUM_PARTIAL)) {
            return v.csumStart(i) == TCP && v.csumOffset(i) == 16;
        }
        int tcpBytes = v.length(i) - TCP;
        long pseudo = TransportChecksum.pseudoHeader4(s.get(BE32, f + IP + 12), s.get(BE32, f + IP + 16), TransportChecksum.TCP, tcpBytes);
        return InternetChecksum.fold(InternetChecksum.add(s, f + TCP, tcpBytes, pseudo)) == 0xFFFF;
    }

    private static int tcpHeaderBytes(MemorySegment s, long frame) {
        return ((s.get(ValueLayout.JAVA_BYTE, frame + TCP + 12) & 0xFF) >>> 4) * 4;
    }

    /**
     * Same Ethernet addresses, TOS, DF, TTL, IP addresses, ports, acknowledgement number, data
     * offset and TCP options (bytes 12 and 20 onwards of the TCP header; sequence, flags, window,
     * checksum and urgent pointer may differ or were checked apart).
     */
    private static boolean sameFlow(MemorySegment s, long a, long b, int headerBytes) {
        if (s.get(BE64, a) != s.get(BE64, b) || s.get(BE32, a + 8) != s.get(BE32, b + 8)
                || s.get(ValueLayout.JAVA_BYTE, a + IP + 1) != s.get(ValueLayout.JAVA_BYTE, b + IP + 1)
                || s.get(BE16, a + IP + 6) != s.get(BE16, b + IP + 6)
                || s.get(ValueLayout.JAVA_BYTE, a + IP + 8) != s.get(ValueLayout.JAVA_BYTE, b + IP + 8)
                || s.get(BE64, a + IP + 12) != s.get(BE64, b + IP + 12)
                || s.get(BE32, a + TCP) != s.get(BE32, b + TCP)
                || s.get(BE32, a + TCP + 8) != s.get(BE32, b + TCP + 8)
                || s.get(ValueLayout.JAVA_BYTE, a + TCP + 12) != s.get(ValueLayout.JAVA_BYTE, b + TCP + 12)) {
            return false;
        }
        for (long o = TCP + TCP_MIN_BYTES; o < headerBytes; o += 4) {
            if (s.get(BE32, a + o) != s.get(BE32, b + o)) {
                return false;
            }
        }
        return true;
    }

    /** The merged frame's IP length and header checksum, its partial TCP checksum, and the GSO request. */
    private static void finish(FrameVector v, int head, int headerBytes, int mss) {
        MemorySegment s = v.segment();
        long h = v.start(head);
        int ipBytes = v.length(head) - ETHERNET_BYTES;
        s.set(BE16, h + IP + 2, (short) ipBytes);
        s.set(BE16, h + IP + 10, (short) 0);
        s.set(BE16, h + IP + 10, (short) InternetChecksum.compute(s, h + IP, 20));
        int tcpBytes = ipBytes - 20;
        long pseudo = TransportChecksum.pseudoHeader4(s.get(BE32, h + IP + 12), s.get(BE32, h + IP + 16), TransportChecksum.TCP, tcpBytes);
        s.set(BE16, h + TCP + 16, (short) InternetChecksum.fold(pseudo));
        v.addFlags(head, FrameVector.FLAG_GSO | FrameVector.FLAG_CSUM_PARTIAL);
        v.offload(head, FrameVector.GSO_TCPV4, mss, TCP, 16);
    }
}
