package dev.gingham.encap;

import dev.gingham.packet.Cidr;
import dev.gingham.packet.DropReason;
import dev.gingham.packet.FrameVector;
import dev.gingham.packet.PacketBuilder;
import dev.gingham.packet.Verdict;
import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static dev.gingham.encap.Overlay.A_POD;
import static dev.gingham.encap.Overlay.A_POD6;
import static dev.gingham.encap.Overlay.A_POD_IDENTITY;
import static dev.gingham.encap.Overlay.A_POD_MAC;
import static dev.gingham.encap.Overlay.A_POD_PORT;
import static dev.gingham.encap.Overlay.A_ROUTER_MAC;
import static dev.gingham.encap.Overlay.A_UNDERLAY;
import static dev.gingham.encap.Overlay.A_UNDERLAY_MAC;
import static dev.gingham.encap.Overlay.A_UNDERLAY_PORT;
import static dev.gingham.encap.Overlay.B_POD;
import static dev.gingham.encap.Overlay.B_POD6;
import static dev.gingham.encap.Overlay.B_POD_MAC;
import static dev.gingham.encap.Overlay.B_ROUTER_MAC;
import static dev.gingham.encap.Overlay.B_UNDERLAY;
import static dev.gingham.encap.Overlay.B_UNDERLAY_MAC;
import static dev.gingham.encap.Overlay.nodeA;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/** Decapsulation: golden inner frames for every mode, and one drop reason per malformed outer header. */
class TunnelDecapTest {
    private static final int B_POD_IDENTITY = 2007;

    /** What pod B7 sends pod A5, as B's encapsulation carries it: B's MACs still on it. */
    private static PacketBuilder podB() {
        return PacketBuilder.tcp4(B_POD, 80, A_POD, 40000).srcMac(B_POD_MAC).dstMac(B_ROUTER_MAC).payload(200);
    }

    private static PacketBuilder vxlanFromB(byte[] inner) {
        return PacketBuilder.vxlan(B_UNDERLAY, A_UNDERLAY, 1, inner).srcMac(B_UNDERLAY_MAC).dstMac(A_UNDERLAY_MAC);
    }

    private static PacketBuilder geneveFromB(byte[] inner) {
        return PacketBuilder.geneve(B_UNDERLAY, A_UNDERLAY, 1, inner).srcMac(B_UNDERLAY_MAC).dstMac(A_UNDERLAY_MAC);
    }

    private static PacketBuilder ipipFromB(byte[] inner) {
        return PacketBuilder.ipip(B_UNDERLAY, A_UNDERLAY, PacketBuilder.ipPacketOf(inner)).srcMac(B_UNDERLAY_MAC)
                .dstMac(A_UNDERLAY_MAC);
    }

    private static byte[] patched(byte[] frame, int offset, int... bytes) {
        byte[] copy = frame.clone();
        for (int k = 0; k < bytes.length; k++) {
            copy[offset + k] = (byte) bytes[k];
        }
        return copy;
    }

    private static Overlay overlay(TunnelMode mode) {
        Overlay o = new Overlay(nodeA(mode).build());
        assertEquals(0, o.ipCache.upsert(Cidr.parse(B_POD + "/32"), B_POD_IDENTITY, Overlay.ip(B_UNDERLAY),
                Overlay.B_NODE_ID, IpCache.FLAG_TUNNEL));
        return o;
    }

    /** Decap, then local delivery: the pod gets the inner frame with its own and the gateway's MAC. */
    private static void assertDelivered(Overlay o, byte[] inner, PacketBuilder innerAsDelivered) {
        assertArrayEquals(inner, o.out(0));
        o.delivery.process(o.vector);
        assertEquals(Verdict.tx(A_POD_PORT), o.vector.verdict(0));
        assertEquals(A_POD_IDENTITY, o.vector.dstIdentity(0));
        assertArrayEquals(innerAsDelivered.srcMac(A_ROUTER_MAC).dstMac(A_POD_MAC).build(), o.out(0));
    }

    @Test
    void shouldDeliverInnerFrameWhenVxlanComesFromKnownPeer() {
        try (Overlay o = overlay(TunnelMode.VXLAN)) {
            byte[] inner = podB().build();
            assertEquals(Verdict.CONTINUE, o.decap(vxlanFromB(inner).udpSrcPort(51234).build()));
            assertEquals(B_POD_IDENTITY, o.vector.srcIdentity(0)); // from the ipcache
            assertEquals(1, o.decap.decapsulatedCount());
            assertDelivered(o, inner, podB());
        }
    }

    @Test
    void shouldDeliverIpv6InnerFrameWhenVxlanCarriesIt() {
        try (Overlay o = overlay(TunnelMode.VXLAN)) {
            PacketBuilder pod6 = PacketBuilder.udp6(B_POD6, 53, A_POD6, 5353).srcMac(B_POD_MAC).dstMac(B_ROUTER_MAC).payload(30);
            byte[] inner = pod6.build();
            assertEquals(Verdict.CONTINUE, o.decap(vxlanFromB(inner).build()));
            assertEquals(0, o.vector.srcIdentity(0)); // fd00:2::7 has no /128 entry: the pod CIDR's identity
            assertDelivered(o, inner, pod6);
        }
    }

    @Test
    void shouldTakeIdentityFromVniWhenConfigured() {
        try (Overlay o = new Overlay(nodeA(TunnelMode.VXLAN).identityInVni(true).build())) {
            byte[] inner = podB().build();
            assertEquals(Verdict.CONTINUE, o.decap(PacketBuilder.vxlan(B_UNDERLAY, A_UNDERLAY, 4242, inner).build()));
            assertEquals(4242, o.vector.srcIdentity(0));
            assertArrayEquals(inner, o.out(0));
            assertEquals(DropReason.INVALID_VNI.verdict(), o.decap(PacketBuilder.vxlan(B_UNDERLAY, A_UNDERLAY, 0, inner).build()));
        }
    }

    @Test
    void shouldDeliverInnerFrameWhenGeneveHasNonCriticalOption() {
        try (Overlay o = overlay(TunnelMode.GENEVE)) {
            byte[] inner = podB().build();
            assertEquals(Verdict.CONTINUE, o.decap(geneveFromB(inner).geneveOption(0x0102, 0x05, new byte[8]).build()));
            assertEquals(B_POD_IDENTITY, o.vector.srcIdentity(0));
            assertDelivered(o, inner, podB());
        }
    }

    @Test
    void shouldWriteEthernetHeaderInFrontWhenIpipIsDecapsulated() {
        try (Overlay o = overlay(TunnelMode.IPIP)) {
            byte[] inner = podB().build();
            assertEquals(Verdict.CONTINUE, o.decap(ipipFromB(inner).build()));
            // IPIP carries no L2: the outer frame's MACs stand in until local delivery sets the pod's.
            assertArrayEquals(podB().srcMac(B_UNDERLAY_MAC).dstMac(A_UNDERLAY_MAC).build(), o.out(0));
            o.delivery.process(o.vector);
            assertEquals(Verdict.tx(A_POD_PORT), o.vector.verdict(0));
            assertArrayEquals(podB().srcMac(A_ROUTER_MAC).dstMac(A_POD_MAC).build(), o.out(0));

            PacketBuilder pod6 = PacketBuilder.tcp6(B_POD6, 443, A_POD6, 40000).payload(10);
            assertEquals(Verdict.CONTINUE, o.decap(ipipFromB(pod6.build()).build()));
            assertArrayEquals(pod6.srcMac(B_UNDERLAY_MAC).dstMac(A_UNDERLAY_MAC).build(), o.out(0));
        }
    }

    @Test
    void shouldDeliverPlainFrameWhenNativeRoutingBringsIt() {
        try (Overlay o = overlay(TunnelMode.NATIVE)) {
            byte[] routed = podB().srcMac(B_UNDERLAY_MAC).dstMac(A_UNDERLAY_MAC).build();
            assertEquals(Verdict.CONTINUE, o.decap(routed)); // nothing to strip
            assertDelivered(o, routed, podB());
        }
    }

    @Test
    void shouldLeaveHostTrafficAloneWhenItIsNoTunnelPacket() {
        try (Overlay o = overlay(TunnelMode.VXLAN)) {
            byte[] dns = PacketBuilder.udp4(B_UNDERLAY, 40000, A_UNDERLAY, 53).payload(20).build();
            assertEquals(Verdict.CONTINUE, o.decap(dns));
            assertArrayEquals(dns, o.out(0));
            byte[] ssh = PacketBuilder.tcp4(B_UNDERLAY, 40000, A_UNDERLAY, 22).build();
            assertEquals(Verdict.CONTINUE, o.decap(ssh));
            byte[] notForUs = vxlanFromB(podB().build()).build();
            notForUs = PacketBuilder.vxlan(B_UNDERLAY, "192.168.1.30", 1, podB().build()).build();
            assertEquals(Verdict.CONTINUE, o.decap(notForUs));
            assertArrayEquals(notForUs, o.out(0));
            assertEquals(0, o.decap.decapsulatedCount());
        }
    }

    @Test
    void shouldDropModeMismatchWhenPeerUsesAnotherPortOrMode() {
        byte[] inner = podB().build();
        try (Overlay o = overlay(TunnelMode.VXLAN)) {
            assertEquals(DropReason.TUNNEL_MODE_MISMATCH.verdict(), o.decap(vxlanFromB(inner).udpDstPort(4789).build()));
            assertEquals(DropReason.TUNNEL_MODE_MISMATCH.verdict(), o.decap(geneveFromB(inner).build()));
            assertEquals(DropReason.TUNNEL_MODE_MISMATCH.verdict(), o.decap(ipipFromB(inner).build()));
        }
        try (Overlay o = overlay(TunnelMode.IPIP)) {
            assertEquals(DropReason.TUNNEL_MODE_MISMATCH.verdict(), o.decap(vxlanFromB(inner).build()));
        }
        try (Overlay o = overlay(TunnelMode.NATIVE)) {
            assertEquals(DropReason.TUNNEL_MODE_MISMATCH.verdict(), o.decap(geneveFromB(inner).build()));
        }
    }

    @Test
    void shouldDropInvalidVniWhenVniIsNotConfiguredOne() {
        byte[] inner = podB().build();
        try (Overlay o = overlay(TunnelMode.VXLAN)) {
            assertEquals(DropReason.INVALID_VNI.verdict(),
                    o.decap(PacketBuilder.vxlan(B_UNDERLAY, A_UNDERLAY, 2, inner).build()));
        }
        try (Overlay o = overlay(TunnelMode.GENEVE)) {
            assertEquals(DropReason.INVALID_VNI.verdict(),
                    o.decap(PacketBuilder.geneve(B_UNDERLAY, A_UNDERLAY, 0xFFFFFF, inner).build()));
        }
    }

    @Test
    void shouldDropUnknownSenderWhenOuterSourceIsNoNode() {
        byte[] inner = podB().build();
        try (Overlay o = overlay(TunnelMode.VXLAN)) {
            assertEquals(DropReason.UNKNOWN_SENDER.verdict(),
                    o.decap(PacketBuilder.vxlan("192.168.1.99", A_UNDERLAY, 1, inner).build()));
            assertEquals(Verdict.CONTINUE, o.decap(vxlanFromB(inner).build())); // B is known (and remembered)...
            assertEquals(0, o.routes.removeNode(Overlay.B_NODE_ID));
            assertEquals(DropReason.UNKNOWN_SENDER.verdict(), o.decap(vxlanFromB(inner).build())); // ...until removed
        }
        try (Overlay o = overlay(TunnelMode.IPIP)) {
            assertEquals(DropReason.UNKNOWN_SENDER.verdict(),
                    o.decap(PacketBuilder.ipip("10.244.1.66", A_UNDERLAY, PacketBuilder.ipPacketOf(inner)).build()));
        }
    }

    @Test
    void shouldDropTruncatedWhenTunnelHeaderOrInnerFrameDoesNotFit() {
        try (Overlay o = overlay(TunnelMode.VXLAN)) {
            assertEquals(DropReason.TUNNEL_TRUNCATED.verdict(), o.decap(vxlanFromB(new byte[13]).build()));
            byte[] fourBytes = PacketBuilder.udp4(B_UNDERLAY, 49152, A_UNDERLAY, 8472).payload(4).build();
            assertEquals(DropReason.TUNNEL_TRUNCATED.verdict(), o.decap(fourBytes));
        }
        try (Overlay o = overlay(TunnelMode.GENEVE)) {
            assertEquals(DropReason.TUNNEL_TRUNCATED.verdict(), o.decap(geneveFromB(new byte[0]).build()));
            byte[] fourBytes = PacketBuilder.udp4(B_UNDERLAY, 49152, A_UNDERLAY, 6081).payload(4).build();
            assertEquals(DropReason.TUNNEL_TRUNCATED.verdict(), o.decap(fourBytes));
        }
        try (Overlay o = overlay(TunnelMode.IPIP)) {
            assertEquals(DropReason.TUNNEL_TRUNCATED.verdict(),
                    o.decap(PacketBuilder.ipip(B_UNDERLAY, A_UNDERLAY, new byte[12]).build()));
        }
    }

    @Test
    void shouldDropWithParserReasonWhenOuterLengthsAreWrongOrFrameIsCut() {
        byte[] inner = podB().build();
        try (Overlay o = overlay(TunnelMode.VXLAN)) {
            assertEquals(DropReason.IPV4_BAD_TOTAL_LENGTH.verdict(), parseAndDecap(o, vxlanFromB(inner).truncateTo(80).build()));
            assertEquals(DropReason.UDP_BAD_LENGTH.verdict(),
                    parseAndDecap(o, vxlanFromB(inner).udpLength(8 + 8 + inner.length + 1).build()));
            // A UDP length shorter than the IP payload is what counts (as in Linux's UDP): it cuts the tunnel short...
            assertEquals(DropReason.TUNNEL_TRUNCATED.verdict(), parseAndDecap(o, vxlanFromB(inner).udpLength(20).build()));
            // ...or cuts the inner packet, which the inner parse then finds.
            assertEquals(DropReason.IPV4_BAD_TOTAL_LENGTH.verdict(),
                    parseAndDecap(o, vxlanFromB(inner).udpLength(8 + 8 + 60).build()));
            assertEquals(DropReason.IPV4_BAD_TOTAL_LENGTH.verdict(),
                    parseAndDecap(o, vxlanFromB(inner).ipTotalLength(20 + 8 + 8 + inner.length + 1).build()));
            assertEquals(DropReason.FRAME_TOO_SHORT.verdict(), parseAndDecap(o, Arrays.copyOf(vxlanFromB(inner).build(), 10)));
        }
    }

    /** Parse the outer frame (it may fail), then decapsulate; checked against the one-pass route. */
    private static int parseAndDecap(Overlay o, byte[] frame) {
        return o.decapAsReceived(frame);
    }

    @Test
    void shouldDropBadFlagsWhenVxlanIFlagIsMissingOrReservedBitsAreSet() {
        byte[] frame = vxlanFromB(podB().build()).build();
        int vxlan = 14 + 20 + 8;
        try (Overlay o = overlay(TunnelMode.VXLAN)) {
            assertEquals(DropReason.VXLAN_BAD_FLAGS.verdict(), o.decap(patched(frame, vxlan, 0x00)));
            assertEquals(DropReason.VXLAN_BAD_FLAGS.verdict(), o.decap(patched(frame, vxlan, 0x88)));
            assertEquals(DropReason.VXLAN_BAD_FLAGS.verdict(), o.decap(patched(frame, vxlan + 3, 0x01)));
            assertEquals(DropReason.VXLAN_BAD_FLAGS.verdict(), o.decap(patched(frame, vxlan + 7, 0x01)));
            assertEquals(Verdict.CONTINUE, o.decap(frame));
        }
    }

    @Test
    void shouldDropEachGeneveDefectWithItsReason() {
        byte[] inner = podB().build();
        byte[] frame = geneveFromB(inner).geneveOption(0x0102, 0x05, new byte[4]).build();
        int geneve = 14 + 20 + 8;
        try (Overlay o = overlay(TunnelMode.GENEVE)) {
            assertEquals(Verdict.CONTINUE, o.decap(frame));
            // version 1 (the options length, 2 words, kept)
            assertEquals(DropReason.GENEVE_BAD_VERSION.verdict(), o.decap(patched(frame, geneve, 0x42)));
            // options length 63 words: past the end of this packet
            assertEquals(DropReason.GENEVE_BAD_OPTIONS_LENGTH.verdict(),
                    o.decap(patched(geneveFromB(new byte[60]).build(), geneve, 0x3F)));
            // O bit: a control packet
            assertEquals(DropReason.GENEVE_OAM.verdict(), o.decap(patched(frame, geneve + 1, 0x80)));
            // protocol type IPv4 instead of Ethernet
            assertEquals(DropReason.GENEVE_BAD_PROTOCOL.verdict(), o.decap(patched(frame, geneve + 2, 0x08, 0x00)));
            // a critical option this node does not understand
            assertEquals(DropReason.INVALID_GENEVE_OPTION.verdict(),
                    o.decap(geneveFromB(inner).geneveOption(0x0102, 0x85, new byte[4]).build()));
            // an option whose length runs past the options region
            assertEquals(DropReason.INVALID_GENEVE_OPTION.verdict(), o.decap(patched(frame, geneve + 8 + 3, 0x05)));
        }
    }

    @Test
    void shouldDropFragmentedOuterPacketsWhenTheyAreTunnelPackets() {
        try (Overlay o = overlay(TunnelMode.VXLAN)) {
            // inner payload 202: the outer payload (8 + 8 + 14 + 20 + 20 + 202) is a multiple of 8, as a non-last fragment's must be
            assertEquals(DropReason.FRAG_NOT_SUPPORTED.verdict(),
                    o.decap(vxlanFromB(podB().payload(202).build()).moreFragments().build()));
        }
        try (Overlay o = overlay(TunnelMode.IPIP)) {
            assertEquals(DropReason.FRAG_NOT_SUPPORTED.verdict(), o.decap(ipipFromB(podB().build()).moreFragments().build()));
        }
    }

    @Test
    void shouldDropBadChecksumWhenOuterIpOrUdpChecksumIsWrong() {
        byte[] inner = podB().build();
        try (Overlay o = overlay(TunnelMode.VXLAN)) {
            assertEquals(DropReason.BAD_CHECKSUM.verdict(), o.decap(vxlanFromB(inner).badIpChecksum().build()));
            assertEquals(DropReason.BAD_CHECKSUM.verdict(), o.decap(vxlanFromB(inner).outerUdpChecksum(true).badL4Checksum().build()));
            assertEquals(Verdict.CONTINUE, o.decap(vxlanFromB(inner).outerUdpChecksum(true).build()));
        }
        try (Overlay o = overlay(TunnelMode.VXLAN)) {
            // The driver says the checksum is still partial (virtio-net NEEDS_CSUM): not verifiable, trusted.
            int i = o.load(A_UNDERLAY_PORT, vxlanFromB(inner).outerUdpChecksum(true).badL4Checksum().build());
            o.vector.addFlags(i, FrameVector.FLAG_CSUM_PARTIAL);
            o.vector.offload(i, 0, 0, 50 + 34, 16); // the inner TCP checksum, counted from the outer frame start
            o.decap.process(o.vector, 0);
            assertEquals(Verdict.CONTINUE, o.vector.verdict(i));
            assertArrayEquals(inner, o.out(i));
            assertEquals(34, o.vector.csumStart(i), "checksum start moves with the frame start");
        }
        try (Overlay o = new Overlay(nodeA(TunnelMode.VXLAN).verifyOuterUdpChecksum(false).build())) {
            assertEquals(Verdict.CONTINUE, o.decap(vxlanFromB(inner).outerUdpChecksum(true).badL4Checksum().build()));
        }
    }

    /**
     * What a Linux VXLAN device sends for an inner packet with nothing to finish (here an ICMP
     * reply): the outer UDP checksum partial, checksum start inside the outer headers. After
     * decapsulation nothing is partial any more (a TAP refuses a negative checksum start).
     */
    @Test
    void shouldForgetAnOuterPartialChecksumWhenTheKernelsVxlanDeviceLeftOne() {
        byte[] inner = PacketBuilder.icmp4Echo(B_POD, A_POD, 7, 1).icmpEchoReply().srcMac("02:00:00:6b:76:01").dstMac(A_ROUTER_MAC).build();
        try (Overlay o = overlay(TunnelMode.VXLAN)) {
            int i = o.load(A_UNDERLAY_PORT, vxlanFromB(inner).build());
            o.vector.addFlags(i, FrameVector.FLAG_CSUM_PARTIAL);
            o.vector.offload(i, 0, 0, 34, 6); // the outer UDP checksum, as the packet socket's vnet header says
            o.decap.process(o.vector, 0);
            assertEquals(Verdict.CONTINUE, o.vector.verdict(i));
            assertArrayEquals(inner, o.out(i));
            assertFalse(o.vector.hasFlag(i, FrameVector.FLAG_CSUM_PARTIAL), "the partial checksum went with the outer headers");
        }
    }

    @Test
    void shouldDropWithInnerParserReasonWhenInnerFrameIsMalformed() {
        try (Overlay o = overlay(TunnelMode.VXLAN)) {
            assertEquals(DropReason.IPV4_BAD_VERSION.verdict(), o.decap(vxlanFromB(podB().ipVersion(5).build()).build()));
            assertEquals(DropReason.TCP_BAD_HEADER_LENGTH.verdict(), o.decap(vxlanFromB(podB().tcpDataOffset(3).build()).build()));
        }
        try (Overlay o = overlay(TunnelMode.IPIP)) {
            // protocol 4 but an IPv6 packet inside
            byte[] v6 = PacketBuilder.ipPacketOf(PacketBuilder.udp6(B_POD6, 1, A_POD6, 2).build());
            byte[] frame = PacketBuilder.ipip(B_UNDERLAY, A_UNDERLAY, v6).build();
            frame[14 + 9] = 4;
            frame[14 + 10] = 0;
            frame[14 + 11] = 0;
            int sum = PacketBuilder.referenceChecksum(frame, 14, 20);
            frame[14 + 10] = (byte) (sum >>> 8);
            frame[14 + 11] = (byte) sum;
            assertEquals(DropReason.IPV4_BAD_VERSION.verdict(), o.decap(frame));
        }
    }

    @Test
    void shouldDecapsulateWellFormedTunnelPacketsWhileParsingWhenReceiveRunsAlone() {
        byte[] inner = podB().build();
        for (TunnelMode mode : new TunnelMode[] {TunnelMode.VXLAN, TunnelMode.GENEVE, TunnelMode.IPIP}) {
            byte[] wire = switch (mode) {
                case VXLAN -> vxlanFromB(inner).build();
                case GENEVE -> geneveFromB(inner).build();
                default -> ipipFromB(inner).build();
            };
            try (Overlay o = overlay(mode)) {
                o.vector.releaseAll();
                int tunnelled = PacketBuilder.load(o.vector, A_UNDERLAY_PORT, wire);
                int badChecksum = PacketBuilder.load(o.vector, A_UNDERLAY_PORT, patched(wire, 14 + 10, wire[14 + 10] ^ 1));
                byte[] dns = PacketBuilder.udp4(B_UNDERLAY, 40000, A_UNDERLAY, 53).payload(20).build();
                int host = PacketBuilder.load(o.vector, A_UNDERLAY_PORT, dns);
                int cut = PacketBuilder.load(o.vector, A_UNDERLAY_PORT, Arrays.copyOf(wire, 10));

                assertEquals(1, o.decap.receive(o.vector), mode.toString());
                // the tunnel packet: decapsulated and its inner frame parsed, in the one pass
                assertEquals(Verdict.CONTINUE, o.vector.verdict(tunnelled));
                assertEquals(B_POD_IDENTITY, o.vector.srcIdentity(tunnelled));
                assertEquals(PacketBuilder.ip4(B_POD), o.vector.srcIp4(tunnelled));
                assertEquals(FrameVector.FLAG_DECAPSULATED, o.vector.flags(tunnelled) & FrameVector.FLAG_DECAPSULATED);
                // a failed check: parsed as received (the outer headers), the reason left to process
                assertEquals(Verdict.CONTINUE, o.vector.verdict(badChecksum));
                assertEquals(PacketBuilder.ip4(B_UNDERLAY), o.vector.srcIp4(badChecksum));
                assertEquals(PacketBuilder.ip4(B_UNDERLAY), o.vector.srcIp4(host));
                assertEquals(DropReason.FRAME_TOO_SHORT.verdict(), o.vector.verdict(cut));

                assertEquals(0, o.decap.process(o.vector, 0), "process must not take the decapsulated frame apart again");
                assertEquals(DropReason.BAD_CHECKSUM.verdict(), o.vector.verdict(badChecksum));
                assertEquals(Verdict.CONTINUE, o.vector.verdict(host));
                assertEquals(1, o.decap.decapsulatedCount());
                assertArrayEquals(mode == TunnelMode.IPIP ? podB().srcMac(B_UNDERLAY_MAC).dstMac(A_UNDERLAY_MAC).build() : inner,
                        o.out(tunnelled));
            }
        }
    }

    @Test
    void shouldDecapsulateOnceWhenATunnelPacketCarriesAnotherForThisNode() {
        // VXLAN in VXLAN, both to this node: one layer comes off per pass, on either route
        byte[] innerTunnel = PacketBuilder.vxlan(B_UNDERLAY, A_UNDERLAY, 1, podB().build()).build();
        try (Overlay o = overlay(TunnelMode.VXLAN)) {
            assertEquals(Verdict.CONTINUE, o.decap(vxlanFromB(innerTunnel).build()));
            assertArrayEquals(innerTunnel, o.out(0));
            assertEquals(1, o.decap.decapsulatedCount());
        }
    }
}
