package dev.gingham.tap;

import dev.gingham.packet.DropReason;
import dev.gingham.packet.FrameVector;
import dev.gingham.packet.Verdict;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * The virtio-net header a TAP with IFF_VNET_HDR puts in front of every frame it hands over and
 * expects in front of every frame written to it: {@code struct virtio_net_hdr_v1}, 12 bytes,
 * little-endian (the device is switched to little-endian with TUNSETVNETLE, so the layout does
 * not depend on the host).
 *
 * <pre>
 *   0       1          2         4          6            8             10            12
 *   +-------+----------+---------+----------+------------+-------------+-------------+
 *   | flags | gso_type | hdr_len | gso_size | csum_start | csum_offset | num_buffers |
 *   +-------+----------+---------+----------+------------+-------------+-------------+
 *   flags: 1 NEEDS_CSUM (checksum partial), 2 DATA_VALID (checksum verified)
 *   gso_type: 0 none, 1 TCPv4, 3 UDP (UFO), 4 TCPv6, 5 UDP_L4 (USO); | 0x80 ECN
 * </pre>
 *
 * <p>How it maps to {@link FrameVector} (the conventions Parser, NatRewriter, MssClamp and
 * TunnelEncap/Decap already follow):
 * <ul>
 *   <li>NEEDS_CSUM &harr; {@link FrameVector#FLAG_CSUM_PARTIAL}: the L4 checksum field holds only
 *       the pseudo-header sum; whoever finally sends the frame (the kernel, behind the TAP)
 *       completes it.</li>
 *   <li>csum_start &harr; {@link FrameVector#csumStart}: counted from the frame's first byte (the
 *       Ethernet header), as the TAP counts it; csum_offset &harr; {@link FrameVector#csumOffset}:
 *       from csum_start to the checksum field (16 for TCP, 6 for UDP).</li>
 *   <li>gso_type &ne; 0 &harr; {@link FrameVector#FLAG_GSO}; gso_type, ECN bit included &harr;
 *       {@link FrameVector#gsoType}; gso_size &harr; {@link FrameVector#gsoSize} (payload bytes
 *       per segment).</li>
 *   <li>hdr_len is a hint and is not kept: on transmit it is csum_start + csum_offset + 2 for a
 *       partial checksum (the kernel raises it to that anyway) and 0 otherwise; DATA_VALID and
 *       num_buffers are ignored on receive and 0 on transmit.</li>
 * </ul>
 */
public final class VnetHeader {
    /** Bytes of {@code struct virtio_net_hdr_v1}: what TUNSETVNETHDRSZ is set to. */
    public static final int LENGTH = 12;
    /** The header an AF_PACKET socket uses ({@code PACKET_VNET_HDR}): struct virtio_net_hdr, without num_buffers. */
    public static final int PACKET_SOCKET_LENGTH = 10;

    public static final int FLAG_NEEDS_CSUM = 1;
    public static final int FLAG_DATA_VALID = 2;

    /** gso_type values: the numbers {@link FrameVector} keeps, which are virtio-net's. */
    public static final int GSO_NONE = 0;
    public static final int GSO_TCPV4 = FrameVector.GSO_TCPV4;
    public static final int GSO_UDP = FrameVector.GSO_UDP;
    public static final int GSO_TCPV6 = FrameVector.GSO_TCPV6;
    public static final int GSO_UDP_L4 = FrameVector.GSO_UDP_L4;
    /** Bit in gso_type: the TCP stream uses ECN; only the first segment keeps CWR. */
    public static final int GSO_ECN = FrameVector.GSO_ECN;

    public static final int FLAGS_OFFSET = 0;
    public static final int GSO_TYPE_OFFSET = 1;
    public static final int HDR_LEN_OFFSET = 2;
    public static final int GSO_SIZE_OFFSET = 4;
    public static final int CSUM_START_OFFSET = 6;
    public static final int CSUM_OFFSET_OFFSET = 8;
    public static final int NUM_BUFFERS_OFFSET = 10;

    private static final ValueLayout.OfLong LE64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort LE16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt LE32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private VnetHeader() {
    }

    /**
     * Copies the header at {@code at} into frame {@code i}'s offload fields and flags. The frame's
     * length must already be set (without the header).
     *
     * @return {@link Verdict#CONTINUE}, or {@link DropReason#VNET_HEADER_INVALID}'s verdict for an
     *         unknown GSO type, a GSO frame with segment size 0, or a checksum field outside the frame
     */
    public static int toVector(MemorySegment segment, long at, FrameVector vector, int i) {
        long first = segment.get(LE64, at);
        int flags = (int) first & 0xFF;
        int gsoType = (int) (first >>> 8) & 0xFF;
        int gsoSize = (int) (first >>> 32) & 0xFFFF;
        int csumStart = (int) (first >>> 48) & 0xFFFF;
        int csumOffset = segment.get(LE16, at + CSUM_OFFSET_OFFSET) & 0xFFFF;
        boolean partial = (flags & FLAG_NEEDS_CSUM) != 0;
        int baseType = gsoType & ~GSO_ECN;
        if (partial && csumStart + csumOffset + 2 > vector.length(i)) {
            return DropReason.VNET_HEADER_INVALID.verdict();
        }
        if (baseType != GSO_NONE) {
            if (gsoSize == 0 || (baseType != GSO_TCPV4 && baseType != GSO_TCPV6 && baseType != GSO_UDP
                    && baseType != GSO_UDP_L4)) {
                return DropReason.VNET_HEADER_INVALID.verdict();
            }
            vector.addFlags(i, FrameVector.FLAG_GSO);
        }
        if (partial) {
            vector.addFlags(i, FrameVector.FLAG_CSUM_PARTIAL);
        }
        if (partial || baseType != GSO_NONE) {
            vector.offload(i, baseType == GSO_NONE ? 0 : gsoType, baseType == GSO_NONE ? 0 : gsoSize,
                    partial ? csumStart : 0, partial ? csumOffset : 0);
        }
        return Verdict.CONTINUE;
    }

    /**
     * Writes the first {@link #PACKET_SOCKET_LENGTH} (10) bytes of the header for frame {@code i} at
     * {@code at} (a TAP's 12-byte header also has num_buffers, which its writer zeroes): from its offload fields when
     * it carries {@link FrameVector#FLAG_CSUM_PARTIAL} or {@link FrameVector#FLAG_GSO}, all zero
     * for a plain frame whose checksums are complete.
     */
    public static void fromVector(FrameVector vector, int i, MemorySegment segment, long at) {
        boolean partial = vector.hasFlag(i, FrameVector.FLAG_CSUM_PARTIAL);
        boolean gso = vector.hasFlag(i, FrameVector.FLAG_GSO);
        long first = 0;
        int csumOffset = 0;
        if (partial) {
            int csumStart = vector.csumStart(i);
            csumOffset = vector.csumOffset(i);
            first = FLAG_NEEDS_CSUM
                    | (long) ((csumStart + csumOffset + 2) & 0xFFFF) << 16
                    | (long) (csumStart & 0xFFFF) << 48;
        }
        if (gso) {
            first |= (long) (vector.gsoType(i) & 0xFF) << 8 | (long) (vector.gsoSize(i) & 0xFFFF) << 32;
        }
        segment.set(LE64, at, first);
        segment.set(LE16, at + CSUM_OFFSET_OFFSET, (short) csumOffset);
    }
}
