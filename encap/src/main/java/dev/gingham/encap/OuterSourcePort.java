package dev.gingham.encap;

import dev.gingham.packet.FlowHash;
import dev.gingham.packet.FrameVector;
import dev.gingham.packet.NetworkOrder;
import dev.gingham.packet.header.Ipv4Header;

import java.lang.foreign.MemorySegment;

/**
 * The outer UDP source port of VXLAN and Geneve packets: a hash of the inner flow, so that
 * underlay routers (ECMP) and receiving NICs (RSS), which hash only outer headers, still spread
 * different inner flows over paths and queues while keeping each flow on one (RFC 7348 §5,
 * RFC 8926 §3.3).
 *
 * <p>Range: IANA's dynamic ports 49152-65535 (RFC 6335 §6), which RFC 7348 recommends; Linux
 * draws from its local port range (32768-60999 by default) instead. 16384 values: the top 14 bits of
 * the tuple hash ({@link FlowHash#spread}). Fragments hash without
 * ports (a later fragment has none), so every fragment of a packet takes the same path.
 */
public final class OuterSourcePort {
    /** First port of the range. */
    public static final int MIN_PORT = 49152;
    /** Number of ports in the range (49152-65535). */
    public static final int PORT_COUNT = 16384;
    private static final int PORT_BITS = Integer.numberOfTrailingZeros(PORT_COUNT);

    private OuterSourcePort() {
    }

    /** Returns: the outer source port for frame {@code i}'s parsed inner flow. */
    public static int of(FrameVector v, int i) {
        return of(v, i, v.flags(i), v.l3Offset(i));
    }

    /** {@link #of(FrameVector, int)} with the frame's flags and L3 offset, which the caller has loaded. */
    static int of(FrameVector v, int i, int flags, long l3) {
        int protocol = v.protocol(i);
        long h;
        if ((flags & (FrameVector.FLAG_IPV4 | FrameVector.FLAG_FRAGMENT)) == FrameVector.FLAG_IPV4
                && (protocol == Ipv4Header.PROTOCOL_TCP || protocol == Ipv4Header.PROTOCOL_UDP)) {
            // the same value as below, from two loads of the packet (in cache: it is being
            // encapsulated) instead of six of the parsed tuple
            MemorySegment s = v.segment();
            h = FlowHash.spread4(NetworkOrder.u64(s, l3 + Ipv4Header.SRC_OFFSET),
                    NetworkOrder.u32(s, v.l4Offset(i)), protocol);
        } else {
            boolean fragment = (flags & FrameVector.FLAG_FRAGMENT) != 0;
            h = FlowHash.spread(v.srcHi(i), v.srcLo(i), v.dstHi(i), v.dstLo(i),
                    fragment ? 0 : v.srcPort(i), fragment ? 0 : v.dstPort(i), protocol);
        }
        return MIN_PORT + (int) (h >>> (Long.SIZE - PORT_BITS));
    }
}
