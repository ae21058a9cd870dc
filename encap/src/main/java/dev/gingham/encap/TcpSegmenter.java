package dev.gingham.encap;

import dev.gingham.packet.BufferPool;
import dev.gingham.packet.DropReason;
import dev.gingham.packet.FrameVector;
import dev.gingham.packet.NetworkOrder;
import dev.gingham.packet.Parser;
import dev.gingham.packet.Verdict;
import dev.gingham.packet.checksum.TransportChecksum;
import dev.gingham.packet.header.Ipv4Header;
import dev.gingham.packet.header.Ipv6Header;
import dev.gingham.packet.header.TcpHeader;
import dev.gingham.packet.header.UdpHeader;

import java.lang.foreign.MemorySegment;

/**
 * Cuts a GSO frame (a TCP frame of up to 64 KB a pod's kernel handed over through a vnet-header
 * TAP with TSO, {@link FrameVector#FLAG_GSO}) into the segments the kernel would have sent, in
 * software, as the kernel's {@code tcp_gso_segment} / {@code inet_gso_segment} do when no device
 * can. Needed where the frame goes into a tunnel: a virtio-net header can describe a TCP GSO frame
 * but not one wrapped in VXLAN, Geneve or IPIP outer headers, so the underlay port could not
 * segment it. Frames that leave as they are (to a local pod's TAP, to the host, natively routed)
 * keep the GSO request, and the kernel behind the port segments them.
 *
 * <h2>Segments (payload cut into {@link FrameVector#gsoSize} bytes, the last one shorter)</h2>
 * Each segment repeats the frame's headers (Ethernet and VLAN tag, IP with its options or
 * extension headers, TCP with its options) and carries its slice of the payload:
 * <ul>
 * <li>IPv4: total length per segment; identification the frame's plus the segment's index (mod
 *     2^16): the kernel keeps one ID for all segments only for {@code SKB_GSO_TCP_FIXEDID}, which
 *     GRO sets when it merged DF packets with equal IDs and which a virtio-net header cannot
 *     carry, so a TAP's GSO frame always gets incrementing IDs; DF and the rest copied; header
 *     checksum recomputed.</li>
 * <li>IPv6: payload length per segment.</li>
 * <li>TCP: sequence number advanced by the payload before it; FIN and PSH only on the last
 *     segment, CWR only on the first (with or without {@link FrameVector#GSO_ECN}: that bit only
 *     says a device must know the rule; the kernel clears CWR on later segments either way);
 *     everything else, options included, copied.</li>
 * <li>UDP ({@link FrameVector#GSO_UDP_L4}, USO): each segment a datagram with its own length.</li>
 * <li>Checksum: a full L4 checksum per segment (pseudo-header with the segment's length), computed
 *     from the bytes whatever the field held; the segments are plain frames
 *     ({@link FrameVector#FLAG_GSO} and {@link FrameVector#FLAG_CSUM_PARTIAL} cleared), so they
 *     can leave anywhere.</li>
 * </ul>
 *
 * <h2>Where the segments go</h2>
 * As {@link Fragmenter} does: the original frame keeps the first segment (its buffer; headers
 * rewritten, frame shortened), every later segment gets a buffer from the vector's pool and is
 * appended to the vector ({@link AppendedFrames}: ingress port, mark and identities copied,
 * parsed), so the programs after this one (the MTU check, encapsulation) treat them like the
 * first. Room is checked before anything is written; when the vector or the pool cannot take
 * every segment, nothing changes and the frame is dropped.
 *
 * <p>Drops (nothing changed): {@link DropReason#GSO_MALFORMED} (GSO size 0, a GSO type that is
 * not the frame's family and protocol, an IP fragment, headers past the frame),
 * {@link DropReason#GSO_UDP_UNSUPPORTED} (UFO: the kernel's own stack no longer makes it),
 * {@link DropReason#GSO_TOO_MANY_SEGMENTS} (not enough room left in the vector),
 * {@link DropReason#BUFFER_POOL_EXHAUSTED}. One instance per worker; allocates nothing.
 */
public final class TcpSegmenter {
    private static final int FIN_AND_PSH = TcpHeader.FIN | TcpHeader.PSH;

    private final Parser parser = new Parser();
    private long framesSegmentedCount;
    private long segmentsCreatedCount;

    /**
     * Segments GSO frame {@code i} (parsed; a frame without {@link FrameVector#FLAG_GSO} is left
     * alone and 0 returned). A frame whose payload fits one segment stays one frame, with its
     * checksum finished and its GSO request cleared.
     *
     * @return the number of segments appended to {@code v} (at indexes {@code count - n .. count - 1}),
     *         or a negative drop verdict with nothing changed
     */
    public int segment(FrameVector v, int i) {
        if (!v.hasFlag(i, FrameVector.FLAG_GSO)) {
            return 0;
        }
        int refused = refusal(v, i);
        if (refused != Verdict.CONTINUE) {
            return refused;
        }
        MemorySegment s = v.segment();
        long start = v.start(i);
        long l3 = v.l3Offset(i);
        long payload = v.payloadOffset(i);
        int headerBytes = (int) (payload - start);
        int l3ToPayloadBytes = (int) (payload - l3);
        int payloadBytes = (int) (l3 + v.l3Length(i) - payload);
        int segmentBytes = v.gsoSize(i);
        int segments = payloadBytes <= segmentBytes ? 1 : (payloadBytes + segmentBytes - 1) / segmentBytes;
        int later = segments - 1;
        if (later > FrameVector.MAX_FRAMES - v.count()) {
            return DropReason.GSO_TOO_MANY_SEGMENTS.verdict();
        }
        BufferPool pool = v.pool();
        if (pool.available() < later) {
            return DropReason.BUFFER_POOL_EXHAUSTED.verdict();
        }
        // Later segments first: they copy the original's headers before the first segment rewrites them.
        for (int k = 1; k < segments; k++) {
            int chunk = Math.min(segmentBytes, payloadBytes - k * segmentBytes);
            int buffer = pool.acquire();
            long to = pool.dataStart(buffer);
            MemorySegment.copy(s, start, s, to, headerBytes);
            MemorySegment.copy(s, payload + (long) k * segmentBytes, s, to + headerBytes, chunk);
            rewriteHeaders(v, i, to + (l3 - start), k, chunk, k == later);
            AppendedFrames.append(v, i, buffer, headerBytes + chunk, parser);
        }
        int firstChunk = Math.min(segmentBytes, payloadBytes);
        rewriteHeaders(v, i, l3, 0, firstChunk, later == 0);
        v.length(i, headerBytes + firstChunk);
        v.flags(i, v.flags(i) & ~(FrameVector.FLAG_GSO | FrameVector.FLAG_CSUM_PARTIAL));
        v.offload(i, 0, 0, 0, 0);
        AppendedFrames.parseOwn(v, i, parser);
        framesSegmentedCount++;
        segmentsCreatedCount += segments;
        return later;
    }

    /** Returns: {@link Verdict#CONTINUE} when frame {@code i}'s GSO request can be carried out, else the drop verdict. */
    static int refusal(FrameVector v, int i) {
        int type = v.gsoType(i) & ~FrameVector.GSO_ECN;
        if (type == FrameVector.GSO_UDP) {
            return DropReason.GSO_UDP_UNSUPPORTED.verdict();
        }
        boolean ipv4 = v.hasFlag(i, FrameVector.FLAG_IPV4);
        boolean ipv6 = v.hasFlag(i, FrameVector.FLAG_IPV6);
        int protocol = v.protocol(i);
        boolean matches = switch (type) {
            case FrameVector.GSO_TCPV4 -> ipv4 && protocol == TransportChecksum.TCP;
            case FrameVector.GSO_TCPV6 -> ipv6 && protocol == TransportChecksum.TCP;
            case FrameVector.GSO_UDP_L4 -> (ipv4 || ipv6) && protocol == TransportChecksum.UDP;
            default -> false;
        };
        if (!matches || v.gsoSize(i) <= 0 || !v.hasFlag(i, FrameVector.FLAG_L4)
                || v.hasFlag(i, FrameVector.FLAG_FRAGMENT) || v.payloadOffset(i) == FrameVector.NO_OFFSET
                || v.l3Offset(i) + v.l3Length(i) > v.end(i) || v.payloadOffset(i) > v.l3Offset(i) + v.l3Length(i)) {
            return DropReason.GSO_MALFORMED.verdict();
        }
        return Verdict.CONTINUE;
    }

    /**
     * Makes the headers at {@code l3} (a copy of frame {@code i}'s, still unchanged) those of
     * segment {@code k} carrying {@code chunk} payload bytes, and sums its L4 checksum.
     */
    static void rewriteHeaders(FrameVector v, int i, long l3, int k, int chunk, boolean last) {
        MemorySegment s = v.segment();
        int l3HeaderBytes = (int) (v.l4Offset(i) - v.l3Offset(i));
        long l4 = l3 + l3HeaderBytes;
        int l4Bytes = (int) (v.payloadOffset(i) - v.l4Offset(i)) + chunk;
        boolean ipv4 = v.hasFlag(i, FrameVector.FLAG_IPV4);
        if (ipv4) {
            NetworkOrder.u16(s, l3 + Ipv4Header.TOTAL_LENGTH_OFFSET, l3HeaderBytes + l4Bytes);
            int id = NetworkOrder.u16(s, l3 + Ipv4Header.IDENTIFICATION_OFFSET);
            NetworkOrder.u16(s, l3 + Ipv4Header.IDENTIFICATION_OFFSET, (id + k) & 0xFFFF);
            NetworkOrder.u16(s, l3 + Ipv4Header.CHECKSUM_OFFSET, TransportChecksum.ipv4Header(s, l3, l3HeaderBytes));
        } else {
            NetworkOrder.u16(s, l3 + Ipv6Header.PAYLOAD_LENGTH_OFFSET, l3HeaderBytes - Ipv6Header.LENGTH + l4Bytes);
        }
        int protocol = v.protocol(i);
        int checksumOffset;
        if (protocol == TransportChecksum.TCP) {
            long sequence = NetworkOrder.u32(s, l4 + TcpHeader.SEQ_OFFSET) & 0xFFFF_FFFFL;
            NetworkOrder.u32(s, l4 + TcpHeader.SEQ_OFFSET, (int) (sequence + (long) k * v.gsoSize(i)));
            int flags = NetworkOrder.u8(s, l4 + TcpHeader.FLAGS_OFFSET);
            flags &= last ? 0xFF : ~FIN_AND_PSH;
            flags &= k == 0 ? 0xFF : ~TcpHeader.CWR;
            NetworkOrder.u8(s, l4 + TcpHeader.FLAGS_OFFSET, flags);
            checksumOffset = TcpHeader.CHECKSUM_OFFSET;
        } else {
            NetworkOrder.u16(s, l4 + UdpHeader.LENGTH_OFFSET, l4Bytes);
            checksumOffset = UdpHeader.CHECKSUM_OFFSET;
        }
        NetworkOrder.u16(s, l4 + checksumOffset, 0);
        int checksum = ipv4
                ? TransportChecksum.tcpUdp4(s, l4, l4Bytes, v.srcIp4(i), v.dstIp4(i), protocol)
                : TransportChecksum.l4Over6(s, l4, l4Bytes, v.srcHi(i), v.srcLo(i), v.dstHi(i), v.dstLo(i), protocol);
        NetworkOrder.u16(s, l4 + checksumOffset, checksum);
    }

    /** Returns: GSO frames cut into segments (one-segment frames included). */
    public long framesSegmentedCount() {
        return framesSegmentedCount;
    }

    /** Returns: segments made, the first of each frame included. */
    public long segmentsCreatedCount() {
        return segmentsCreatedCount;
    }
}
