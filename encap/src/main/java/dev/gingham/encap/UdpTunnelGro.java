package dev.gingham.encap;

import dev.gingham.packet.FrameVector;
import dev.gingham.packet.NetworkOrder;
import dev.gingham.packet.Parser;
import dev.gingham.packet.TcpMerge;
import dev.gingham.packet.Verdict;
import dev.gingham.packet.checksum.TransportChecksum;
import dev.gingham.packet.header.EthernetHeader;
import dev.gingham.packet.header.Ipv4Header;
import dev.gingham.packet.header.TcpHeader;
import dev.gingham.packet.header.UdpHeader;

import java.lang.foreign.MemorySegment;

/**
 * The receiving half of {@link UdpTunnelGso}: a UDP GSO datagram whose pieces are tunnel packets
 * of consecutive segments of one TCP flow is turned back into one tunnel packet carrying the TCP
 * GSO frame they were cut from, before {@link TunnelDecap} validates and strips its outer headers.
 * The pod then gets the whole frame in one TAP write, and the programs in between run once for it,
 * as the kernel's GRO gives its stack one packet for a train of segments.
 *
 * <h2>Which datagrams merge</h2>
 * A frame the underlay's packet socket handed over as UDP GSO (virtio-net UDP_L4), with the
 * checksum partial (NEEDS_CSUM), which is how such a datagram arrives: it was built on this machine's
 * kernel or another over virtual links, never cut by a NIC and reassembled. The kernel trusts the
 * contents of a partial-checksum packet (it was never on a wire), and so does this class: the inner
 * TCP checksums are not verified. Outer IPv4 without options, untagged; every piece's 8-byte tunnel
 * header identical (so a Geneve header with options, whose pieces would not line up, never merges);
 * every piece's inner frame a plain IPv4 TCP frame continuing the first ({@link TcpMerge}: same flow,
 * contiguous sequence numbers, flags ACK with PSH allowed on the last piece, every piece but the last
 * exactly the first one's payload size). Anything else is returned unmerged and
 * {@link TunnelDecap} cuts the datagram into its pieces ({@link TcpSegmenter}) and decapsulates each.
 *
 * <h2>The merged frame</h2>
 * Outer headers and tunnel header of the first piece, the first piece's inner headers with the
 * last piece's PSH, and all payload, moved down over the later pieces' headers (one pass, lowest
 * first). Inner IPv4 length and header checksum rewritten; inner TCP checksum partial (the pseudo-header
 * sum), GSO TCPv4 with the pieces' payload size as the segment size; outer IPv4 and UDP lengths
 * rewritten, the outer UDP checksum 0 (its contents were trusted above). The frame is parsed again.
 *
 * <p>One instance per worker (inside {@link TunnelDecap}); allocates nothing per frame.
 */
public final class UdpTunnelGro {
    /** {@link #merge}: the frame is not a datagram this class merges; it is unchanged. */
    public static final int NOT_MERGED = Integer.MAX_VALUE;
    private static final int OUTER_UDP = EthernetHeader.LENGTH + Ipv4Header.MIN_LENGTH;
    private static final int TUNNEL_HEADER_BYTES = UdpTunnelGso.TUNNEL_HEADER_BYTES;

    private final Parser parser = new Parser();
    private long datagramsMergedCount;
    private long piecesMergedCount;

    /**
     * Merges frame {@code i} (parsed, IPv4 UDP to the tunnel port, carrying {@link FrameVector#FLAG_GSO})
     * when it qualifies.
     *
     * @return {@link Verdict#CONTINUE} when merged (and parsed again), {@link #NOT_MERGED} when left
     *         as it was, or the parser's drop verdict should the merged frame not parse
     */
    public int merge(FrameVector v, int i) {
        MemorySegment s = v.segment();
        long start = v.start(i);
        long udp = v.l4Offset(i);
        if ((v.gsoType(i) & ~FrameVector.GSO_ECN) != FrameVector.GSO_UDP_L4 || !v.hasFlag(i, FrameVector.FLAG_CSUM_PARTIAL)
                || udp != start + OUTER_UDP) {
            return NOT_MERGED;
        }
        int payloadBytes = NetworkOrder.u16(s, udp + UdpHeader.LENGTH_OFFSET) - UdpHeader.LENGTH;
        int pieceBytes = v.gsoSize(i);
        long first = udp + UdpHeader.LENGTH;
        if (pieceBytes <= TUNNEL_HEADER_BYTES || payloadBytes <= pieceBytes || first + payloadBytes > v.end(i)) {
            return NOT_MERGED;
        }
        int pieces = (payloadBytes + pieceBytes - 1) / pieceBytes;
        long inner = first + TUNNEL_HEADER_BYTES;
        if (!TcpMerge.plainIpv4Tcp(s, inner, pieceBytes - TUNNEL_HEADER_BYTES)
                || TcpMerge.tcpFlags(s, inner) != TcpHeader.ACK) {
            return NOT_MERGED;
        }
        int headerBytes = TcpMerge.TCP + TcpMerge.tcpHeaderBytes(s, inner);
        int mss = pieceBytes - TUNNEL_HEADER_BYTES - headerBytes;
        int flags = continuation(s, first, pieces, pieceBytes, payloadBytes, headerBytes, mss);
        if (flags < 0) {
            return NOT_MERGED;
        }
        long to = inner + headerBytes + mss;
        for (int k = 1; k < pieces; k++) {
            int chunk = Math.min(pieceBytes, payloadBytes - k * pieceBytes) - TUNNEL_HEADER_BYTES - headerBytes;
            MemorySegment.copy(s, first + (long) k * pieceBytes + TUNNEL_HEADER_BYTES + headerBytes, s, to, chunk);
            to += chunk;
        }
        int innerBytes = (int) (to - inner);
        TcpMerge.finish(s, inner, innerBytes, flags);
        int udpBytes = UdpHeader.LENGTH + TUNNEL_HEADER_BYTES + innerBytes;
        NetworkOrder.u16(s, udp + UdpHeader.LENGTH_OFFSET, udpBytes);
        NetworkOrder.u16(s, udp + UdpHeader.CHECKSUM_OFFSET, 0);
        long ip = start + EthernetHeader.LENGTH;
        NetworkOrder.u16(s, ip + Ipv4Header.TOTAL_LENGTH_OFFSET, Ipv4Header.MIN_LENGTH + udpBytes);
        NetworkOrder.u16(s, ip + Ipv4Header.CHECKSUM_OFFSET, TransportChecksum.ipv4Header(s, ip, Ipv4Header.MIN_LENGTH));
        v.length(i, OUTER_UDP + udpBytes);
        v.offload(i, FrameVector.GSO_TCPV4, mss, (int) (inner - start) + TcpMerge.TCP, TcpMerge.TCP_CHECKSUM - TcpMerge.TCP);
        datagramsMergedCount++;
        piecesMergedCount += pieces;
        return parser.parse(v, i);
    }

    /**
     * Checks that pieces 1.. continue piece 0 (see the class comment).
     *
     * @return the merged frame's TCP flags (ACK, or ACK|PSH from the last piece), or -1 when a piece does not continue
     */
    private static int continuation(MemorySegment s, long first, int pieces, int pieceBytes, int payloadBytes,
                                    int headerBytes, int mss) {
        long inner = first + TUNNEL_HEADER_BYTES;
        long tunnelHeader = NetworkOrder.u64(s, first);
        int nextSequence = TcpMerge.sequence(s, inner) + mss;
        int flags = TcpHeader.ACK;
        for (int k = 1; k < pieces; k++) {
            long piece = first + (long) k * pieceBytes;
            int frameBytes = Math.min(pieceBytes, payloadBytes - k * pieceBytes) - TUNNEL_HEADER_BYTES;
            long frame = piece + TUNNEL_HEADER_BYTES;
            if (NetworkOrder.u64(s, piece) != tunnelHeader || !TcpMerge.plainIpv4Tcp(s, frame, frameBytes)) {
                return -1;
            }
            if (!TcpMerge.continues(s, inner, frame, frameBytes, headerBytes, mss, nextSequence)) {
                return -1;
            }
            int chunk = frameBytes - headerBytes;
            int pieceFlags = TcpMerge.tcpFlags(s, frame);
            if (k < pieces - 1 && (chunk != mss || pieceFlags != TcpHeader.ACK)) {
                return -1; // only the last piece may be short or carry PSH
            }
            flags = pieceFlags;
            nextSequence += chunk;
        }
        return flags;
    }

    /** Returns: UDP GSO datagrams merged into one TCP GSO frame. */
    public long datagramsMergedCount() {
        return datagramsMergedCount;
    }

    /** Returns: pieces (TCP segments) those datagrams carried. */
    public long piecesMergedCount() {
        return piecesMergedCount;
    }
}
