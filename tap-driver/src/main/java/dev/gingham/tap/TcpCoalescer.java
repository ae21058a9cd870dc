package dev.gingham.tap;

import dev.gingham.packet.FrameVector;
import dev.gingham.packet.TcpMerge;
import dev.gingham.packet.header.TcpHeader;

import java.lang.foreign.MemorySegment;

/**
 * Receive coalescing on the way into a TAP (what GRO does on a NIC): consecutive in-order TCP
 * segments of one IPv4 flow in one burst are merged into the first one's buffer and written as one
 * TCP GSO frame ({@code GSO_TCPV4}, checksum partial), so the pod's kernel runs its receive path
 * once per up-to-64 KB instead of once per segment. Segments arrive MSS-sized when a flow crossed
 * a tunnel from a node that cut its TSO frames (a Linux VXLAN node over a NIC, IPIP, or a Gingham
 * node with {@code underlay.udpGso} off; UDP GSO datagrams are merged before they get here), and
 * the pod's TCP processing inside each TAP {@code write(2)} is then the largest per-segment cost
 * of the receiving node.
 *
 * <p>What is merged follows the rules of Linux's {@code tcp_gro_receive} ({@link TcpMerge}, shared with
 * the tunnel's receive side): frames whose TCP checksum
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
    private static final int ETHERNET_BYTES = TcpMerge.ETHERNET_BYTES;
    private static final int TCP = TcpMerge.TCP;

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
        int headerBytes = TCP + TcpMerge.tcpHeaderBytes(s, h);
        int mss = v.length(head) - headerBytes;
        int flags = TcpMerge.tcpFlags(s, h);
        if (mss <= 0 || flags != TcpHeader.ACK) {
            return 0;
        }
        int payloadBytes = mss;
        int nextSeq = TcpMerge.sequence(s, h) + mss;
        int merged = 0;
        for (int j = k + 1; j < count; j++) {
            int c = frames[j];
            if (!candidate(v, c)) {
                break;
            }
            long at = v.start(c);
            int segment = v.length(c) - headerBytes;
            if (!TcpMerge.continues(s, h, at, v.length(c), headerBytes, mss, nextSeq)
                    || headerBytes - ETHERNET_BYTES + payloadBytes + segment > TcpMerge.MAX_IP_BYTES
                    || v.tailroom(head) < segment) {
                break;
            }
            int segmentFlags = TcpMerge.tcpFlags(s, at);
            TcpMerge.copyDown(s, at + headerBytes, h + v.length(head), segment);
            v.length(head, v.length(head) + segment);
            payloadBytes += segment;
            nextSeq += segment;
            merged++;
            if (segmentFlags != TcpHeader.ACK || segment < mss) {
                flags = segmentFlags; // PSH of the last segment
                break;
            }
        }
        if (merged > 0) {
            TcpMerge.finish(s, h, v.length(head), flags);
            v.addFlags(head, FrameVector.FLAG_GSO | FrameVector.FLAG_CSUM_PARTIAL);
            v.offload(head, FrameVector.GSO_TCPV4, mss, TCP, 16);
        }
        return merged;
    }

    /**
     * A plain IPv4 TCP frame ({@link TcpMerge#plainIpv4Tcp}), not GSO, with a TCP checksum that is
     * partial (at the TCP header's field) or complete and correct.
     */
    private static boolean candidate(FrameVector v, int i) {
        if (v.hasFlag(i, FrameVector.FLAG_GSO)) {
            return false;
        }
        MemorySegment s = v.segment();
        long f = v.start(i);
        if (!TcpMerge.plainIpv4Tcp(s, f, v.length(i))) {
            return false;
        }
        if (v.hasFlag(i, FrameVector.FLAG_CSUM_PARTIAL)) {
            return v.csumStart(i) == TCP && v.csumOffset(i) == 16;
        }
        return TcpMerge.checksumCorrect(s, f, v.length(i));
    }
}
