package dev.gingham.encap;

import dev.gingham.packet.BufferPool;
import dev.gingham.packet.FrameVector;
import dev.gingham.packet.PacketBuilder;
import dev.gingham.packet.Verdict;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static dev.gingham.encap.Overlay.A_POD;
import static dev.gingham.encap.Overlay.A_POD6;
import static dev.gingham.encap.Overlay.A_POD_MAC;
import static dev.gingham.encap.Overlay.A_POD_PORT;
import static dev.gingham.encap.Overlay.A_ROUTER_MAC;
import static dev.gingham.encap.Overlay.A_UNDERLAY_PORT;
import static dev.gingham.encap.Overlay.B_POD;
import static dev.gingham.encap.Overlay.B_POD6;
import static dev.gingham.packet.PacketBuilder.ACK;
import static dev.gingham.packet.PacketBuilder.PSH;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The sending half of UDP GSO in the tunnel: a pod's TCP GSO frame leaves as UDP GSO datagrams
 * whose pieces must be, byte for byte, the tunnel packets the segment-then-encapsulate path sends
 * for the same frame (that path is the reference: its frames are checked against PacketBuilder's
 * in TcpSegmenterTest and TunnelEncapTest), with outer headers the kernel can cut as UDP GSO.
 */
class UdpTunnelGsoTest {
    private static final int MSS = 1398;

    /** Payload bytes that differ from PacketBuilder's 0, 1, 2... so a slice taken from the wrong place shows. */
    static byte[] data(int n) {
        byte[] bytes = new byte[n];
        for (int k = 0; k < n; k++) {
            bytes[k] = (byte) (k * 7 + 3);
        }
        return bytes;
    }

    /** A pod's TSO frame to a pod on node B, as the pod's kernel hands it to its TAP (checksum partial). */
    static PacketBuilder tso4(int payloadBytes) {
        return PacketBuilder.tcp4(A_POD, 40000, B_POD, 80).srcMac(A_POD_MAC).dstMac(A_ROUTER_MAC).dontFragment()
                .ipId(0xFFF0).seq(0xFFFF_0000L).ack(5).timestamps(11, 22).flags(ACK | PSH).payload(data(payloadBytes))
                .checksumPartial();
    }

    private static TunnelConfig config(TunnelMode mode, boolean udpGso) {
        return Overlay.nodeA(mode).udpGso(udpGso).build();
    }

    /** Runs {@code frame} (GSO, segment size {@code mss}) through the encapsulation of an overlay, segmenting first when it does not send whole. */
    private static List<byte[]> send(Overlay o, byte[] frame, int gsoType, int mss) {
        int i = o.load(A_POD_PORT, frame);
        PacketBuilder.markOffload(o.vector, i, gsoType, mss);
        if (!o.encap.sendsWhole(o.vector, i)) {
            new TcpSegmenter().segment(o.vector, i);
        }
        o.encap.process(o.vector, 0);
        List<byte[]> frames = new ArrayList<>();
        for (int k = 0; k < o.vector.count(); k++) {
            assertEquals(Verdict.tx(A_UNDERLAY_PORT), o.vector.verdict(k), "frame " + k);
            frames.add(o.out(k));
        }
        return frames;
    }

    /** Asserts datagram {@code d} (index {@code index} of the GSO overlay's vector) against the reference frames it stands for. */
    private static void assertDatagram(Overlay gso, int index, List<byte[]> reference, int first, int pieces) {
        byte[] datagram = gso.out(index);
        byte[] firstReference = reference.get(first);
        int pieceBytes = firstReference.length - UdpTunnelGso.OUTER_HEADERS_BYTES;
        int at = UdpTunnelGso.OUTER_HEADERS_BYTES;
        for (int k = first; k < first + pieces; k++) {
            byte[] expected = reference.get(k);
            byte[] piece = Arrays.copyOfRange(datagram, at, at + expected.length - UdpTunnelGso.OUTER_HEADERS_BYTES);
            assertArrayEquals(Arrays.copyOfRange(expected, UdpTunnelGso.OUTER_HEADERS_BYTES, expected.length), piece,
                    "piece " + k);
            at += piece.length;
        }
        assertEquals(datagram.length, at, "nothing after the last piece");
        // Outer headers: the reference's Ethernet header, IPv4 header but for its length and checksum, UDP ports.
        assertArrayEquals(Arrays.copyOfRange(firstReference, 0, 16), Arrays.copyOfRange(datagram, 0, 16), "Ethernet, IPv4 version and TOS");
        assertEquals(datagram.length - 14, u16(datagram, 16), "outer IPv4 total length");
        assertArrayEquals(Arrays.copyOfRange(firstReference, 18, 24), Arrays.copyOfRange(datagram, 18, 24), "ID of the first piece, DF, TTL, protocol");
        assertEquals(PacketBuilder.referenceChecksum(datagram, 14, 20), 0, "outer IPv4 header checksum");
        assertArrayEquals(Arrays.copyOfRange(firstReference, 26, 38), Arrays.copyOfRange(datagram, 26, 38), "addresses and UDP ports");
        int udpBytes = datagram.length - 34;
        assertEquals(udpBytes, u16(datagram, 38), "outer UDP length");
        long pseudo = PacketBuilder.referenceSum(datagram, 26, 8) + 17 + udpBytes;
        assertEquals(PacketBuilder.referenceFold(pseudo), u16(datagram, 40), "outer UDP checksum: the pseudo-header sum (partial)");
        FrameVector v = gso.vector;
        assertTrue(v.hasFlag(index, FrameVector.FLAG_CSUM_PARTIAL));
        assertEquals(34, v.csumStart(index));
        assertEquals(6, v.csumOffset(index));
        if (pieces > 1) {
            assertTrue(v.hasFlag(index, FrameVector.FLAG_GSO));
            assertEquals(FrameVector.GSO_UDP_L4, v.gsoType(index));
            assertEquals(pieceBytes, v.gsoSize(index));
        } else {
            assertFalse(v.hasFlag(index, FrameVector.FLAG_GSO));
        }
    }

    private static int u16(byte[] b, int at) {
        return (b[at] & 0xFF) << 8 | b[at + 1] & 0xFF;
    }

    @ParameterizedTest
    @EnumSource(value = TunnelMode.class, names = {"VXLAN", "GENEVE"})
    void shouldSendTcpGsoFrameAsOneUdpGsoDatagramWhosePiecesAreTheSegmentedTunnelPackets(TunnelMode mode) {
        byte[] frame = tso4(10 * MSS + 500).build();
        try (Overlay gso = new Overlay(config(mode, true), 64, BufferPool.TSO_BUFFER_SIZE);
             Overlay plain = new Overlay(config(mode, false), 64, BufferPool.TSO_BUFFER_SIZE)) {
            List<byte[]> reference = send(plain, frame, FrameVector.GSO_TCPV4, MSS);
            List<byte[]> datagrams = send(gso, frame, FrameVector.GSO_TCPV4, MSS);

            assertEquals(11, reference.size());
            assertEquals(1, datagrams.size());
            assertDatagram(gso, 0, reference, 0, 11);
            assertEquals(1, gso.encap.udpGso().framesSentCount());
            assertEquals(1, gso.encap.encapsulatedCount());
        }
    }

    @Test
    void shouldSpreadA64KbFrameEvenlyOverTwoDatagramsWhenItsPiecesExceedOneIpPacket() {
        byte[] frame = tso4(46 * MSS - 100).build(); // 46 pieces of 1,472 bytes: more than 65,507 bytes of UDP payload
        try (Overlay gso = new Overlay(config(TunnelMode.VXLAN, true), 64, BufferPool.TSO_BUFFER_SIZE);
             Overlay plain = new Overlay(config(TunnelMode.VXLAN, false), 64, BufferPool.TSO_BUFFER_SIZE)) {
            List<byte[]> reference = send(plain, frame, FrameVector.GSO_TCPV4, MSS);
            List<byte[]> datagrams = send(gso, frame, FrameVector.GSO_TCPV4, MSS);

            assertEquals(46, reference.size());
            assertEquals(2, datagrams.size());
            assertDatagram(gso, 0, reference, 0, 23);
            assertDatagram(gso, 1, reference, 23, 23);
            assertEquals(2, gso.encap.udpGso().datagramsSentCount());
            // the next frame's outer ID follows the last piece's, as after 46 segmented frames
            assertEquals(u16(reference.get(45), 18) + 1 & 0xFFFF, nextOuterId(gso));
        }
    }

    @Test
    void shouldKeepTheTunnelPortWhenTheInnerPacketIsAsLongAsIpv4Allows() {
        byte[] frame = tso4(65_535 - 52).build(); // inner total length 65,535: the whole frame's UDP length would not fit 16 bits
        try (Overlay gso = new Overlay(config(TunnelMode.VXLAN, true), 64, BufferPool.TSO_BUFFER_SIZE);
             Overlay plain = new Overlay(config(TunnelMode.VXLAN, false), 64, BufferPool.TSO_BUFFER_SIZE)) {
            List<byte[]> reference = send(plain, frame, FrameVector.GSO_TCPV4, MSS);
            List<byte[]> datagrams = send(gso, frame, FrameVector.GSO_TCPV4, MSS);

            assertEquals(47, reference.size());
            assertEquals(2, datagrams.size());
            for (byte[] datagram : datagrams) {
                assertEquals(8472, u16(datagram, 36), "the outer UDP destination port");
            }
            assertDatagram(gso, 0, reference, 0, 24);
            assertDatagram(gso, 1, reference, 24, 23);
        }
    }

    /** Returns: the outer IPv4 identification the overlay gives its next tunnel packet. */
    private static int nextOuterId(Overlay o) {
        byte[] small = PacketBuilder.tcp4(A_POD, 40000, B_POD, 80).srcMac(A_POD_MAC).dstMac(A_ROUTER_MAC).flags(ACK).build();
        assertEquals(Verdict.tx(A_UNDERLAY_PORT), o.encap(small, 0));
        return u16(o.out(0), 18);
    }

    @Test
    void shouldSendTcpv6GsoFrameWholeToo() {
        byte[] frame = PacketBuilder.tcp6(A_POD6, 40000, B_POD6, 443).srcMac(A_POD_MAC).dstMac(A_ROUTER_MAC).seq(7).ack(9)
                .flags(ACK).payload(data(5 * 1378)).checksumPartial().build();
        try (Overlay gso = new Overlay(config(TunnelMode.VXLAN, true), 64, BufferPool.TSO_BUFFER_SIZE);
             Overlay plain = new Overlay(config(TunnelMode.VXLAN, false), 64, BufferPool.TSO_BUFFER_SIZE)) {
            List<byte[]> reference = send(plain, frame, FrameVector.GSO_TCPV6, 1378);
            List<byte[]> datagrams = send(gso, frame, FrameVector.GSO_TCPV6, 1378);

            assertEquals(5, reference.size());
            assertEquals(1, datagrams.size());
            assertDatagram(gso, 0, reference, 0, 5);
        }
    }

    @Test
    void shouldLeaveFramesOfOneSegmentAndUdpGsoFramesToTheSegmenter() {
        try (Overlay gso = new Overlay(config(TunnelMode.VXLAN, true), 64, BufferPool.TSO_BUFFER_SIZE)) {
            int i = gso.load(A_POD_PORT, tso4(MSS).build());
            PacketBuilder.markOffload(gso.vector, i, FrameVector.GSO_TCPV4, MSS);
            assertFalse(gso.encap.sendsWhole(gso.vector, i), "one segment: nothing to gain");

            i = gso.load(A_POD_PORT, PacketBuilder.udp4(A_POD, 5000, B_POD, 53).srcMac(A_POD_MAC).dstMac(A_ROUTER_MAC)
                    .payload(3000).checksumPartial().build());
            PacketBuilder.markOffload(gso.vector, i, FrameVector.GSO_UDP_L4, 1000);
            assertFalse(gso.encap.sendsWhole(gso.vector, i), "inner UDP GSO is cut by the segmenter");
        }
        try (Overlay ipip = new Overlay(config(TunnelMode.IPIP, true), 64, BufferPool.TSO_BUFFER_SIZE)) {
            int i = ipip.load(A_POD_PORT, tso4(5 * MSS).build());
            PacketBuilder.markOffload(ipip.vector, i, FrameVector.GSO_TCPV4, MSS);
            assertFalse(ipip.encap.sendsWhole(ipip.vector, i), "IPIP has no UDP to segment");
            assertEquals(null, ipip.encap.udpGso());
        }
    }

    @Test
    void shouldDropWithNothingChangedWhenThePoolCannotTakeTheSecondDatagram() {
        byte[] frame = tso4(46 * MSS - 100).build();
        try (Overlay gso = new Overlay(config(TunnelMode.VXLAN, true), 1, BufferPool.TSO_BUFFER_SIZE)) {
            int i = gso.load(A_POD_PORT, frame);
            PacketBuilder.markOffload(gso.vector, i, FrameVector.GSO_TCPV4, MSS);
            gso.encap.process(gso.vector, 0);
            assertEquals(dev.gingham.packet.DropReason.BUFFER_POOL_EXHAUSTED.verdict(), gso.vector.verdict(i));
            assertEquals(1, gso.vector.count());
        }
    }
}
