package dev.gingham.encap;

import dev.gingham.packet.FrameVector;
import dev.gingham.packet.NetworkOrder;
import dev.gingham.packet.Verdict;
import dev.gingham.packet.checksum.IncrementalChecksum;
import dev.gingham.packet.header.Ipv4Header;
import dev.gingham.packet.header.TcpHeader;
import dev.gingham.packet.header.TcpOptions;

import java.lang.foreign.MemorySegment;

/**
 * Lowers the MSS option of TCP SYN and SYN-ACK segments to what fits the pod MTU (pod MTU - 40
 * over IPv4, - 60 over IPv6), so that TCP through the tunnel never sends a segment that needs
 * PMTU discovery: hosts outside the cluster (NodePort clients) and pods with a wrong MTU
 * announce 1460, and ICMP is filtered on too many paths to rely on it (Linux's
 * {@code iptables -j TCPMSS --clamp-mss-to-pmtu}, Calico's and Cilium's MSS clamping).
 *
 * <p>An MSS already at or below the limit, and a SYN without an MSS option (RFC 9293's default
 * of 536 is below any pod MTU's) are left alone. The TCP checksum is updated incrementally
 * (RFC 1624); a value at an odd offset from the TCP header straddles two checksum words, so its
 * bytes enter the sum swapped. A frame whose checksum is still partial (virtio-net NEEDS_CSUM)
 * holds only the pseudo-header sum, which the option is not part of: it is not touched.
 *
 * <p>Allocates nothing; one instance per worker (it holds a flyweight cursor).
 */
public final class MssClamp {
    private final TcpOptions options = new TcpOptions();
    private final int mssIpv4Bytes;
    private final int mssIpv6Bytes;
    private long clampedCount;

    public MssClamp(int mssIpv4Bytes, int mssIpv6Bytes) {
        if (mssIpv4Bytes < 1 || mssIpv6Bytes < 1 || mssIpv4Bytes > 65535 || mssIpv6Bytes > 65535) {
            throw new IllegalArgumentException("mssIpv4Bytes " + mssIpv4Bytes + " and mssIpv6Bytes " + mssIpv6Bytes
                    + " must be 1..65535");
        }
        this.mssIpv4Bytes = mssIpv4Bytes;
        this.mssIpv6Bytes = mssIpv6Bytes;
    }

    /** Returns: a clamp to the MSS the tunnel configuration's pod MTU allows. */
    public static MssClamp of(TunnelConfig config) {
        return new MssClamp(config.mssIpv4Bytes(), config.mssIpv6Bytes());
    }

    /**
     * Clamps every frame whose verdict is {@link Verdict#CONTINUE}.
     *
     * @return the number of segments whose MSS was lowered
     */
    public int process(FrameVector v) {
        int clamped = 0;
        for (int i = 0, n = v.count(); i < n; i++) {
            if (v.verdict(i) == Verdict.CONTINUE && clamp(v, i)) {
                clamped++;
            }
        }
        return clamped;
    }

    /** Returns: true when frame {@code i} is a SYN or SYN-ACK whose MSS was lowered. */
    public boolean clamp(FrameVector v, int i) {
        if (v.protocol(i) != Ipv4Header.PROTOCOL_TCP || (v.tcpFlags(i) & TcpHeader.SYN) == 0
                || !v.hasFlag(i, FrameVector.FLAG_L4) || v.hasFlag(i, FrameVector.FLAG_LATER_FRAGMENT)) {
            return false;
        }
        MemorySegment s = v.segment();
        long tcp = v.l4Offset(i);
        int headerBytes = (NetworkOrder.u8(s, tcp + TcpHeader.DATA_OFFSET_OFFSET) >>> 4) << 2;
        if (headerBytes <= TcpHeader.MIN_LENGTH) {
            return false;
        }
        options.wrap(s, tcp + TcpHeader.OPTIONS_OFFSET, headerBytes - TcpHeader.MIN_LENGTH);
        long mssOption = options.mssOffset();
        int limit = v.hasFlag(i, FrameVector.FLAG_IPV4) ? mssIpv4Bytes : mssIpv6Bytes;
        if (mssOption == TcpOptions.NOT_FOUND) {
            return false;
        }
        long valueOffset = mssOption + TcpOptions.DATA_OFFSET;
        int old = NetworkOrder.u16(s, valueOffset);
        if (old <= limit) {
            return false;
        }
        NetworkOrder.u16(s, valueOffset, limit);
        if (!v.hasFlag(i, FrameVector.FLAG_CSUM_PARTIAL)) {
            boolean odd = ((valueOffset - tcp) & 1) != 0;
            int checksum = NetworkOrder.u16(s, tcp + TcpHeader.CHECKSUM_OFFSET);
            NetworkOrder.u16(s, tcp + TcpHeader.CHECKSUM_OFFSET, odd
                    ? IncrementalChecksum.replace16(checksum, swap(old), swap(limit))
                    : IncrementalChecksum.replace16(checksum, old, limit));
        }
        clampedCount++;
        return true;
    }

    private static int swap(int value) {
        return (value >>> 8 | value << 8) & 0xFFFF;
    }

    /** Returns: segments clamped since creation. */
    public long clampedCount() {
        return clampedCount;
    }
}
