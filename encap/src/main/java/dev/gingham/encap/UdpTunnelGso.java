package dev.gingham.encap;

import dev.gingham.packet.BufferPool;
import dev.gingham.packet.DropReason;
import dev.gingham.packet.FrameVector;
import dev.gingham.packet.NetworkOrder;
import dev.gingham.packet.Parser;
import dev.gingham.packet.Verdict;
import dev.gingham.packet.checksum.InternetChecksum;
import dev.gingham.packet.checksum.TransportChecksum;
import dev.gingham.packet.header.EthernetHeader;
import dev.gingham.packet.header.Ipv4Header;
import dev.gingham.packet.header.UdpHeader;
import dev.gingham.packet.header.VxlanHeader;

import java.lang.foreign.MemorySegment;

/**
 * Sends a pod's TCP GSO frame (up to 64 KB, from a vnet-header TAP with TSO) into a UDP tunnel
 * (VXLAN, Geneve) as UDP GSO datagrams, so the underlay moves it as one packet instead of ~45.
 *
 * <h2>Why</h2>
 * A packet socket's virtio-net header cannot ask the kernel to segment TCP inside tunnel headers
 * (Linux refuses {@code UDP_TUNNEL | TCPV4} there with EINVAL), but it can ask for UDP
 * segmentation ({@code VIRTIO_NET_HDR_GSO_UDP_L4}, Linux 6.2 and later): one datagram whose payload
 * is cut every {@code gso_size} bytes, each piece sent with a copy of the outer Ethernet, IPv4 and
 * UDP headers. This class makes each piece a complete tunnel packet: tunnel header, the inner
 * headers of that TCP segment and its slice of the payload. The datagram then crosses the
 * sending node's kernel, veths and bridges, and the receiving node's packet socket as one skb (it
 * is cut only where it meets a device that cannot carry it, a NIC without UDP segmentation, in the
 * kernel's software GSO); a Linux VXLAN device receiving it gets the pieces one by one, each a
 * normal VXLAN packet. The receiving Gingham node turns it back into the TCP GSO frame
 * ({@link UdpTunnelGro}), so a bulk flow costs both nodes per 64 KB, not per segment, as the
 * kernel's own VXLAN does.
 *
 * <h2>The datagram</h2>
 * <pre>
 *   outer Ethernet, IPv4, UDP (42)  | tunnel(8) inner headers(H) payload[0]  | tunnel(8) H payload[1] | ...
 *                                     &lt;------------ gso_size ------------&gt;
 * </pre>
 * Each piece's inner headers are what {@link TcpSegmenter} gives the segment (IP length,
 * identification + k, header checksum; sequence number, FIN/PSH only on the last, CWR only on the
 * first, complete TCP checksum), so the pieces are byte for byte the tunnel packets the
 * segment-then-encapsulate path sends. The outer IPv4 total length covers the whole datagram and
 * its identification is the first piece's (the kernel numbers the pieces on); the outer UDP
 * checksum is partial (virtio-net NEEDS_CSUM at the UDP header: required for UDP segmentation, and
 * finished per piece by whoever cuts it). An IPv4 packet holds at most 65,535 bytes, so a frame
 * whose pieces do not fit one datagram is spread evenly over several (at most
 * {@link #MAX_SEGMENTS_PER_DATAGRAM} pieces each); a datagram of one piece is a plain frame.
 *
 * <h2>Where the bytes go</h2>
 * The first datagram is built in the frame's own buffer: the payload slices move towards the end,
 * last one first, so no slice is overwritten before it moved (piece k starts k × (8 + H) bytes
 * after where its slice was, and pieces before it are still in place). Later datagrams are copied
 * into buffers of the vector's pool first and appended to the vector ({@link AppendedFrames}), TX on
 * the underlay like the first. Room is checked before anything is written: when the vector or the
 * pool cannot take the extra datagrams, nothing changes and the frame is dropped
 * ({@link DropReason#GSO_TOO_MANY_SEGMENTS}, {@link DropReason#BUFFER_POOL_EXHAUSTED}).
 *
 * <p>One instance per worker (inside {@link TunnelEncap}); allocates nothing per frame.
 */
public final class UdpTunnelGso {
    /** Most pieces one datagram carries: the kernel's UDP_MAX_SEGMENTS for UDP_SEGMENT sockets is 64 on older kernels. */
    public static final int MAX_SEGMENTS_PER_DATAGRAM = 64;
    /** Outer Ethernet, IPv4 (no options) and UDP headers. */
    static final int OUTER_HEADERS_BYTES = EthernetHeader.LENGTH + Ipv4Header.MIN_LENGTH + UdpHeader.LENGTH;
    /** Bytes of the VXLAN header, and of a Geneve header without options. */
    static final int TUNNEL_HEADER_BYTES = VxlanHeader.LENGTH;
    private static final int MAX_UDP_PAYLOAD_BYTES = 65535 - Ipv4Header.MIN_LENGTH - UdpHeader.LENGTH;
    private static final int OUTER_UDP_CHECKSUM_START = EthernetHeader.LENGTH + Ipv4Header.MIN_LENGTH;

    private final int underlayPort;
    private final Parser parser = new Parser();
    private long framesSentCount;
    private long datagramsSentCount;

    UdpTunnelGso(int underlayPort) {
        this.underlayPort = underlayPort;
    }

    /**
     * Returns: true when parsed frame {@code i}, not encapsulated yet, is one this class sends
     * whole: a TCP GSO frame (IPv4 or IPv6 inside) the segmenter would accept, with more payload
     * than one segment, and segments small enough that two pieces fit one datagram. Anything else
     * routed into the tunnel is segmented first as before.
     */
    public static boolean takes(FrameVector v, int i) {
        if (!v.hasFlag(i, FrameVector.FLAG_GSO)) {
            return false;
        }
        int type = v.gsoType(i) & ~FrameVector.GSO_ECN;
        if ((type != FrameVector.GSO_TCPV4 && type != FrameVector.GSO_TCPV6) || TcpSegmenter.refusal(v, i) != Verdict.CONTINUE) {
            return false;
        }
        long payload = v.payloadOffset(i);
        int payloadBytes = (int) (v.l3Offset(i) + v.l3Length(i) - payload);
        int pieceBytes = TUNNEL_HEADER_BYTES + (int) (payload - v.start(i)) + v.gsoSize(i);
        return payloadBytes > v.gsoSize(i) && 2 * pieceBytes <= MAX_UDP_PAYLOAD_BYTES;
    }

    /**
     * Turns frame {@code i} into UDP GSO datagrams. The frame must be one {@link #takes} accepted,
     * just encapsulated by {@link TunnelEncap}: outer Ethernet, IPv4 (identification
     * {@code identification}) and UDP headers and an 8-byte tunnel header in front of the inner
     * frame, whose parse the vector still holds.
     *
     * @return the number of pieces (TCP segments) sent, or a negative drop verdict with nothing changed
     */
    int send(FrameVector v, int i, int identification) {
        MemorySegment s = v.segment();
        long start = v.start(i);
        long inner = start + OUTER_HEADERS_BYTES + TUNNEL_HEADER_BYTES;
        long l3 = v.l3Offset(i);
        long payload = v.payloadOffset(i);
        int innerHeaderBytes = (int) (payload - inner);
        int payloadBytes = (int) (l3 + v.l3Length(i) - payload);
        int mss = v.gsoSize(i);
        int pieceBytes = TUNNEL_HEADER_BYTES + innerHeaderBytes + mss;
        int segments = (payloadBytes + mss - 1) / mss;
        int perDatagramMax = Math.min(MAX_SEGMENTS_PER_DATAGRAM, MAX_UDP_PAYLOAD_BYTES / pieceBytes);
        int datagrams = (segments + perDatagramMax - 1) / perDatagramMax;
        int perDatagram = (segments + datagrams - 1) / datagrams;
        int later = datagrams - 1;
        if (later > FrameVector.MAX_FRAMES - v.count()) {
            return DropReason.GSO_TOO_MANY_SEGMENTS.verdict();
        }
        BufferPool pool = v.pool();
        if (pool.available() < later) {
            return DropReason.BUFFER_POOL_EXHAUSTED.verdict();
        }
        // Later datagrams first: they read their slices before the first one's are moved over them.
        for (int d = 1; d < datagrams; d++) {
            int first = d * perDatagram;
            int end = Math.min(segments, first + perDatagram);
            int buffer = pool.acquire();
            long to = pool.dataStart(buffer);
            MemorySegment.copy(s, start, s, to, OUTER_HEADERS_BYTES);
            long at = to + OUTER_HEADERS_BYTES;
            for (int k = first; k < end; k++) {
                int chunk = Math.min(mss, payloadBytes - k * mss);
                MemorySegment.copy(s, inner - TUNNEL_HEADER_BYTES, s, at, TUNNEL_HEADER_BYTES + innerHeaderBytes);
                MemorySegment.copy(s, payload + (long) k * mss, s, at + TUNNEL_HEADER_BYTES + innerHeaderBytes, chunk);
                TcpSegmenter.rewriteHeaders(v, i, at + TUNNEL_HEADER_BYTES + (l3 - inner), k, chunk, k == segments - 1);
                at += TUNNEL_HEADER_BYTES + innerHeaderBytes + chunk;
            }
            int frameBytes = (int) (at - to);
            finishOuter(s, to, frameBytes, identification + first);
            int index = AppendedFrames.append(v, i, buffer, frameBytes, parser);
            if (v.verdict(index) == Verdict.CONTINUE) {
                markOffload(v, index, end - first, pieceBytes);
                v.verdict(index, Verdict.tx(underlayPort));
            }
        }
        // The first datagram in place, last piece first.
        int count = Math.min(perDatagram, segments);
        for (int k = count - 1; k >= 1; k--) {
            long at = start + OUTER_HEADERS_BYTES + (long) k * pieceBytes;
            int chunk = Math.min(mss, payloadBytes - k * mss);
            MemorySegment.copy(s, payload + (long) k * mss, s, at + TUNNEL_HEADER_BYTES + innerHeaderBytes, chunk);
            MemorySegment.copy(s, inner - TUNNEL_HEADER_BYTES, s, at, TUNNEL_HEADER_BYTES + innerHeaderBytes);
            TcpSegmenter.rewriteHeaders(v, i, at + TUNNEL_HEADER_BYTES + (l3 - inner), k, chunk, k == segments - 1);
        }
        TcpSegmenter.rewriteHeaders(v, i, l3, 0, mss, false);
        int lastChunk = Math.min(mss, payloadBytes - (count - 1) * mss);
        int frameBytes = OUTER_HEADERS_BYTES + (count - 1) * pieceBytes + TUNNEL_HEADER_BYTES + innerHeaderBytes + lastChunk;
        v.length(i, frameBytes);
        finishOuter(s, start, frameBytes, identification);
        v.flags(i, v.flags(i) & ~(FrameVector.FLAG_GSO | FrameVector.FLAG_CSUM_PARTIAL));
        markOffload(v, i, count, pieceBytes);
        framesSentCount++;
        datagramsSentCount += datagrams;
        return segments;
    }

    /** The outer IPv4 length, identification and header checksum, the UDP length and its partial checksum. */
    private static void finishOuter(MemorySegment s, long frame, int frameBytes, int identification) {
        long ip = frame + EthernetHeader.LENGTH;
        int ipBytes = frameBytes - EthernetHeader.LENGTH;
        NetworkOrder.u16(s, ip + Ipv4Header.TOTAL_LENGTH_OFFSET, ipBytes);
        NetworkOrder.u16(s, ip + Ipv4Header.IDENTIFICATION_OFFSET, identification & 0xFFFF);
        NetworkOrder.u16(s, ip + Ipv4Header.CHECKSUM_OFFSET, TransportChecksum.ipv4Header(s, ip, Ipv4Header.MIN_LENGTH));
        long udp = ip + Ipv4Header.MIN_LENGTH;
        int udpBytes = ipBytes - Ipv4Header.MIN_LENGTH;
        NetworkOrder.u16(s, udp + UdpHeader.LENGTH_OFFSET, udpBytes);
        long pseudo = TransportChecksum.pseudoHeader4(NetworkOrder.u32(s, ip + Ipv4Header.SRC_OFFSET),
                NetworkOrder.u32(s, ip + Ipv4Header.DST_OFFSET), TransportChecksum.UDP, udpBytes);
        NetworkOrder.u16(s, udp + UdpHeader.CHECKSUM_OFFSET, InternetChecksum.fold(pseudo));
    }

    /** A partial outer UDP checksum, and UDP segmentation every {@code pieceBytes} when there is more than one piece. */
    private static void markOffload(FrameVector v, int i, int pieces, int pieceBytes) {
        boolean gso = pieces > 1;
        v.addFlags(i, FrameVector.FLAG_CSUM_PARTIAL | (gso ? FrameVector.FLAG_GSO : 0));
        v.offload(i, gso ? FrameVector.GSO_UDP_L4 : 0, gso ? pieceBytes : 0, OUTER_UDP_CHECKSUM_START,
                UdpHeader.CHECKSUM_OFFSET);
    }

    /** Returns: TCP GSO frames sent as UDP GSO datagrams. */
    public long framesSentCount() {
        return framesSentCount;
    }

    /** Returns: datagrams those frames became (one per frame unless its pieces exceeded 64 KB). */
    public long datagramsSentCount() {
        return datagramsSentCount;
    }
}
