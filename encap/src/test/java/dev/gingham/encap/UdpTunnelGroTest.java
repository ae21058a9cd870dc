package dev.gingham.encap;

import dev.gingham.packet.BufferPool;
import dev.gingham.packet.DropReason;
import dev.gingham.packet.FrameVector;
import dev.gingham.packet.KernelUdpGso;
import dev.gingham.packet.PacketBuilder;
import dev.gingham.packet.Verdict;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.ArrayList;
import java.util.List;
import java.util.Arrays;
import java.util.function.IntFunction;

import static dev.gingham.encap.Overlay.A_POD;
import static dev.gingham.encap.Overlay.A_UNDERLAY;
import static dev.gingham.encap.Overlay.A_UNDERLAY_MAC;
import static dev.gingham.encap.Overlay.A_UNDERLAY_PORT;
import static dev.gingham.encap.Overlay.B_POD;
import static dev.gingham.encap.Overlay.B_ROUTER_MAC;
import static dev.gingham.encap.Overlay.B_UNDERLAY;
import static dev.gingham.encap.Overlay.B_UNDERLAY_MAC;
import static dev.gingham.packet.PacketBuilder.ACK;
import static dev.gingham.packet.PacketBuilder.PSH;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The receiving half of UDP GSO in the tunnel: a UDP GSO datagram from node B whose pieces are
 * tunnel packets of one TCP flow's consecutive segments becomes, after decapsulation, the one TCP
 * GSO frame they were cut from (golden: PacketBuilder's frame with the whole payload, checksum
 * partial); anything that does not continue is cut into its pieces and decapsulated one by one.
 */
class UdpTunnelGroTest {
    private static final int MSS = 1398;
    private static final int PIECES = 6;
    private static final int LAST_BYTES = 700;
    private static final String A_VTEP_MAC = "02:00:00:00:0a:01";

    /** Segment k of B's pod's flow to A's pod (IP ID and sequence advancing), as B's kernel segmentation makes it. */
    private static PacketBuilder segment(int k, byte[] payload) {
        return PacketBuilder.tcp4(B_POD, 80, A_POD, 40000).srcMac(B_ROUTER_MAC).dstMac(A_VTEP_MAC).dontFragment()
                .ipId(0x1000 + k).seq(0x7FFF_FF00L + (long) k * MSS & 0xFFFF_FFFFL).ack(77).timestamps(5, 6)
                .flags(k == PIECES - 1 ? ACK | PSH : ACK).payload(payload);
    }

    private static byte[] payload() {
        return UdpTunnelGsoTest.data((PIECES - 1) * MSS + LAST_BYTES);
    }

    private static byte[] slice(byte[] payload, int k) {
        return Arrays.copyOfRange(payload, k * MSS, Math.min(payload.length, (k + 1) * MSS));
    }

    private static PacketBuilder tunnel(TunnelMode mode, byte[] inner) {
        PacketBuilder b = mode == TunnelMode.VXLAN
                ? PacketBuilder.vxlan(B_UNDERLAY, A_UNDERLAY, 1, inner)
                : PacketBuilder.geneve(B_UNDERLAY, A_UNDERLAY, 1, inner);
        return b.srcMac(B_UNDERLAY_MAC).dstMac(A_UNDERLAY_MAC);
    }

    /** The UDP GSO datagram of node B's tunnel packets for pieces 0 .. PIECES-1. */
    private static byte[] datagram(IntFunction<byte[]> tunnelPacket) {
        List<byte[]> packets = new ArrayList<>();
        for (int k = 0; k < PIECES; k++) {
            packets.add(tunnelPacket.apply(k));
        }
        return KernelUdpGso.join(packets);
    }

    /** Loads a datagram as the underlay's packet socket hands it over: UDP GSO with the outer checksum partial. */
    private static int receive(Overlay o, byte[] datagram, int pieceBytes, boolean partial) {
        int i = o.load(A_UNDERLAY_PORT, datagram);
        o.vector.addFlags(i, FrameVector.FLAG_GSO | (partial ? FrameVector.FLAG_CSUM_PARTIAL : 0));
        o.vector.offload(i, FrameVector.GSO_UDP_L4, pieceBytes, partial ? 34 : 0, partial ? 6 : 0);
        return i;
    }

    @ParameterizedTest
    @EnumSource(value = TunnelMode.class, names = {"VXLAN", "GENEVE"})
    void shouldTurnDatagramOfConsecutiveSegmentsIntoTheTcpGsoFrameTheyWereCutFrom(TunnelMode mode) {
        byte[] payload = payload();
        byte[] datagram = datagram(k -> tunnel(mode, segment(k, slice(payload, k)).build()).build());
        int pieceBytes = tunnel(mode, segment(0, slice(payload, 0)).build()).build().length - 42;
        try (Overlay o = new Overlay(Overlay.nodeA(mode).build(), 16, BufferPool.TSO_BUFFER_SIZE)) {
            int i = receive(o, datagram, pieceBytes, true);

            assertEquals(1, o.decap.process(o.vector, 0));

            assertEquals(1, o.vector.count());
            assertEquals(Verdict.CONTINUE, o.vector.verdict(i));
            byte[] expected = segment(0, payload).flags(ACK | PSH).checksumPartial().build();
            assertArrayEquals(expected, o.out(i));
            assertTrue(o.vector.hasFlag(i, FrameVector.FLAG_GSO | FrameVector.FLAG_CSUM_PARTIAL));
            assertEquals(FrameVector.GSO_TCPV4, o.vector.gsoType(i));
            assertEquals(MSS, o.vector.gsoSize(i));
            assertEquals(34, o.vector.csumStart(i), "checksum start at the inner TCP header");
            assertEquals(16, o.vector.csumOffset(i));
            assertEquals(expected.length - 14, o.vector.l3Length(i), "parsed again");
            assertEquals(1, o.decap.gro().datagramsMergedCount());
            assertEquals(PIECES, o.decap.gro().piecesMergedCount());
        }
    }

    @Test
    void shouldDropDatagramWithBadOuterHeaderChecksumBeforeMergingIt() {
        byte[] payload = payload();
        byte[] datagram = datagram(k -> tunnel(TunnelMode.VXLAN, segment(k, slice(payload, k)).build()).build());
        datagram[14 + 10] ^= 0x01; // the outer IPv4 header checksum
        assertRefusedWhole(datagram, DropReason.BAD_CHECKSUM);
    }

    @Test
    void shouldDropDatagramFromAStrangerWithoutMergingOrCuttingIt() {
        byte[] payload = payload();
        // piece 3 repeats piece 2's sequence number, so a datagram that got past the checks would be cut
        byte[] datagram = datagram(k -> PacketBuilder.vxlan("192.168.1.99", A_UNDERLAY, 1,
                        segment(k, slice(payload, k)).seq(0x7FFF_FF00L + (long) (k == 3 ? 2 : k) * MSS).build())
                .srcMac(B_UNDERLAY_MAC).dstMac(A_UNDERLAY_MAC).build());
        assertRefusedWhole(datagram, DropReason.UNKNOWN_SENDER);
    }

    /** The datagram is dropped for {@code reason} as one frame: not merged, not cut into pieces. */
    private static void assertRefusedWhole(byte[] datagram, DropReason reason) {
        int pieceBytes = (datagram.length - 42) / PIECES;
        try (Overlay o = new Overlay(Overlay.nodeA(TunnelMode.VXLAN).build(), 16, BufferPool.TSO_BUFFER_SIZE)) {
            int i = receive(o, datagram, pieceBytes, true);

            assertEquals(0, o.decap.process(o.vector, 0));

            assertEquals(1, o.vector.count(), "not cut into pieces");
            assertEquals(reason.verdict(), o.vector.verdict(i));
            assertEquals(0, o.decap.gro().datagramsMergedCount());
        }
    }

    @Test
    void shouldCutDatagramIntoItsPiecesWhenOneDoesNotContinueTheFlow() {
        byte[] payload = payload();
        // piece 3 repeats piece 2's sequence number (a retransmission is not a continuation)
        IntFunction<byte[]> inner = k -> segment(k, slice(payload, k)).seq(0x7FFF_FF00L + (long) (k == 3 ? 2 : k) * MSS).build();
        assertSplit(datagram(k -> tunnel(TunnelMode.VXLAN, inner.apply(k)).build()), inner, true);
    }

    @Test
    void shouldCutDatagramIntoItsPiecesWhenItsChecksumIsNotPartial() {
        byte[] payload = payload();
        IntFunction<byte[]> inner = k -> segment(k, slice(payload, k)).build();
        assertSplit(datagram(k -> tunnel(TunnelMode.VXLAN, inner.apply(k)).build()), inner, false);
    }

    private static void assertSplit(byte[] datagram, IntFunction<byte[]> inner, boolean partial) {
        int pieceBytes = inner.apply(0).length + 8;
        try (Overlay o = new Overlay(Overlay.nodeA(TunnelMode.VXLAN).build(), 16, BufferPool.TSO_BUFFER_SIZE)) {
            receive(o, datagram, pieceBytes, partial);

            assertEquals(PIECES, o.decap.process(o.vector, 0));

            assertEquals(PIECES, o.vector.count());
            for (int k = 0; k < PIECES; k++) {
                assertEquals(Verdict.CONTINUE, o.vector.verdict(k), "piece " + k);
                assertArrayEquals(inner.apply(k), o.out(k), "piece " + k);
                assertFalse(o.vector.hasFlag(k, FrameVector.FLAG_GSO), "piece " + k + " is a plain frame");
            }
            assertEquals(0, o.decap.gro().datagramsMergedCount());
        }
    }
}
