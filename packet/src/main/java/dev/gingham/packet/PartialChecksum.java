package dev.gingham.packet;

import dev.gingham.packet.checksum.InternetChecksum;

import java.lang.foreign.MemorySegment;

/**
 * Finishes a partial L4 checksum (virtio-net NEEDS_CSUM, the kernel's CHECKSUM_PARTIAL) where a
 * frame leaves Gingham without an offload that would finish it: an ICMP error quoting the frame
 * ({@link IcmpErrorWriter} calls this before it quotes), a TAP queue without a vnet header.
 *
 * <p>Why it is needed: a pod's kernel behind a vnet-header TAP leaves the checksum of what it
 * sends to whoever transmits the frame. The field then holds only the folded pseudo-header sum
 * (not complemented) and {@link FrameVector#csumStart} / {@link FrameVector#csumOffset} say where
 * the sum starts and where the field is. Programs keep those pointers right as they rewrite
 * (NatRewriter updates the pseudo-header part, encapsulation moves the start); a frame that goes
 * out to a vnet-header TAP or an AF_PACKET socket with PACKET_VNET_HDR keeps the request, and the
 * kernel finishes it. Anywhere else the frame would carry a checksum no receiver accepts.
 *
 * <p>How: the kernel's {@code skb_checksum_help}: the ones' complement sum from the start to the
 * end of the IP packet (the field included, so the pseudo-header sum is in it), complemented and
 * written into the field; a result of 0 is written as 0xFFFF (the same number in ones' complement,
 * and the only form UDP may carry). Ethernet padding is left out. Then the frame's
 * {@link FrameVector#FLAG_CSUM_PARTIAL} is cleared, so nothing finishes it twice; a GSO request
 * stays (a GSO frame's sum covers the whole frame, which is what an ICMP quote of it shows).
 *
 * <p>Allocates nothing, throws nothing.
 */
public final class PartialChecksum {
    private static final int FIELD_BYTES = 2;

    private PartialChecksum() {
    }

    /**
     * Finishes frame {@code i}'s checksum when it is partial; does nothing to a frame whose
     * checksum is complete.
     *
     * @return true when the frame's checksums are now complete; false (frame unchanged) when the
     *         checksum start or field lies outside the packet (the caller drops it, for example
     *         with {@link DropReason#CSUM_L4})
     */
    public static boolean complete(FrameVector v, int i) {
        if (!v.hasFlag(i, FrameVector.FLAG_CSUM_PARTIAL)) {
            return true;
        }
        long start = v.start(i);
        long end = v.l3Offset(i) != FrameVector.NO_OFFSET && v.l3Length(i) > 0
                ? Math.min(v.l3Offset(i) + v.l3Length(i), v.end(i))
                : v.end(i);
        long from = start + v.csumStart(i);
        long field = from + v.csumOffset(i);
        if (v.csumStart(i) < 0 || v.csumOffset(i) < 0 || field + FIELD_BYTES > end) {
            return false;
        }
        MemorySegment s = v.segment();
        int checksum = InternetChecksum.finish(InternetChecksum.add(s, from, (int) (end - from), 0));
        NetworkOrder.u16(s, field, checksum == 0 ? 0xFFFF : checksum);
        v.flags(i, v.flags(i) & ~FrameVector.FLAG_CSUM_PARTIAL);
        v.offload(i, v.gsoType(i), v.gsoSize(i), 0, 0);
        return true;
    }
}
