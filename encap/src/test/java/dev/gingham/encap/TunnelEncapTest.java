package dev.gingham.encap;

import dev.gingham.packet.Cidr;
import dev.gingham.packet.DropReason;
import dev.gingham.packet.PacketBuilder;
import dev.gingham.packet.Verdict;
import org.junit.jupiter.api.Test;

import static dev.gingham.encap.Overlay.A_POD;
import static dev.gingham.encap.Overlay.A_POD6;
import static dev.gingham.encap.Overlay.A_POD_MAC;
import static dev.gingham.encap.Overlay.A_ROUTER_MAC;
import static dev.gingham.encap.Overlay.A_UNDERLAY;
import static dev.gingham.encap.Overlay.A_UNDERLAY_MAC;
import static dev.gingham.encap.Overlay.A_UNDERLAY_PORT;
import static dev.gingham.encap.Overlay.B_POD;
import static dev.gingham.encap.Overlay.B_POD6;
import static dev.gingham.encap.Overlay.B_UNDERLAY;
import static dev.gingham.encap.Overlay.B_UNDERLAY_MAC;
import static dev.gingham.encap.Overlay.nodeA;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** Encapsulation golden frames: every mode, both inner families, and the configuration knobs. */
class TunnelEncapTest {
    private static final int TX_UNDERLAY = Verdict.tx(A_UNDERLAY_PORT);

    private static PacketBuilder podTcp() {
        return PacketBuilder.tcp4(A_POD, 40000, B_POD, 80).srcMac(A_POD_MAC).dstMac(A_ROUTER_MAC).payload(100);
    }

    /** Returns: {@code outer} with what node A's encapsulation sets for the first frame: A's and B's MACs, id 0, the flow's source port. */
    private static PacketBuilder fromA(PacketBuilder outer, Overlay o) {
        return outer.srcMac(A_UNDERLAY_MAC).dstMac(B_UNDERLAY_MAC).udpSrcPort(OuterSourcePort.of(o.vector, 0)).ipId(0);
    }

    /** Returns: the inner frame as a VXLAN or Geneve tunnel carries it: from the gateway's MAC to the peer's VTEP MAC. */
    static byte[] carried(byte[] inner) {
        byte[] copy = inner.clone();
        long dst = Overlay.mac(Overlay.B_ROUTER_MAC);
        long src = Overlay.mac(A_ROUTER_MAC);
        for (int k = 0; k < 6; k++) {
            copy[k] = (byte) (dst >>> (40 - 8 * k));
            copy[6 + k] = (byte) (src >>> (40 - 8 * k));
        }
        return copy;
    }

    private static PacketBuilder podTcp6() {
        return PacketBuilder.tcp6(A_POD6, 40000, B_POD6, 443).srcMac(A_POD_MAC).dstMac(A_ROUTER_MAC).payload(64);
    }

    @Test
    void shouldPrependVxlanHeadersWhenDestinationIsPodOnAnotherNode() {
        try (Overlay o = new Overlay(nodeA(TunnelMode.VXLAN).build())) {
            byte[] inner = podTcp().tos(0xB8).build();
            assertEquals(TX_UNDERLAY, o.encap(inner, 0));
            int port = OuterSourcePort.of(o.vector, 0);
            byte[] expected = PacketBuilder.vxlan(A_UNDERLAY, B_UNDERLAY, 1, carried(inner)).srcMac(A_UNDERLAY_MAC)
                    .dstMac(B_UNDERLAY_MAC).udpSrcPort(port).ipId(0).tos(0xB8).build();
            assertArrayEquals(expected, o.out(0));
            assertEquals(1, o.encap.encapsulatedCount());
        }
    }

    @Test
    void shouldDropAsNeighbourUnresolvedUntilTheNextHopMacIsLearnedWhenNoStaticMacIsGiven() {
        try (Overlay o = new Overlay(nodeA(TunnelMode.VXLAN).build())) {
            long[] learned = {0};
            o.routes.nextHops(address -> address == Overlay.ip(B_UNDERLAY) ? learned[0] : 0);
            assertEquals(0, o.routes.upsertNode(Overlay.B_NODE_ID, Overlay.ip(B_UNDERLAY), 0, Overlay.mac(Overlay.B_ROUTER_MAC),
                    java.util.List.of(Cidr.parse("10.244.2.0/24"), Cidr.parse("fd00:2::/64"))));
            byte[] inner = podTcp().build();
            assertEquals(DropReason.NEIGHBOUR_UNRESOLVED.verdict(), o.encap(inner, 0), "no frame to 00:00:00:00:00:00");
            assertArrayEquals(new int[] {Overlay.ip(B_UNDERLAY)}, o.routes.resolvedAddresses());

            learned[0] = Overlay.mac(B_UNDERLAY_MAC);
            assertEquals(1, o.routes.refreshNextHops(), "ARP answered: the peer's MAC is written");
            assertEquals(0, o.routes.refreshNextHops(), "nothing changed since");
            assertEquals(TX_UNDERLAY, o.encap(inner, 0));
            assertArrayEquals(fromA(PacketBuilder.vxlan(A_UNDERLAY, B_UNDERLAY, 1, carried(inner)), o).build(), o.out(0));
        }
    }

    @Test
    void shouldUseConfiguredPortVniTtlDfAndChecksumWhenVxlanIsConfigured() {
        TunnelConfig config = nodeA(TunnelMode.VXLAN).vxlanPort(4789).vni(0xABCDEF).outerTtl(9)
                .outerDf(OuterDf.SET).outerUdpChecksum(true).build();
        try (Overlay o = new Overlay(config)) {
            byte[] inner = podTcp().build();
            assertEquals(TX_UNDERLAY, o.encap(inner, 0));
            byte[] expected = PacketBuilder.vxlan(A_UNDERLAY, B_UNDERLAY, 0xABCDEF, carried(inner)).srcMac(A_UNDERLAY_MAC)
                    .dstMac(B_UNDERLAY_MAC).udpSrcPort(OuterSourcePort.of(o.vector, 0)).udpDstPort(4789).ipId(0).ttl(9)
                    .dontFragment().outerUdpChecksum(true).build();
            assertArrayEquals(expected, o.out(0));
        }
    }

    @Test
    void shouldCountOuterIdentificationWhenSeveralFramesAreSent() {
        try (Overlay o = new Overlay(nodeA(TunnelMode.VXLAN).build())) {
            byte[] inner = podTcp().build();
            o.encap(inner, 0);
            assertEquals(TX_UNDERLAY, o.encap(inner, 0));
            byte[] expected = PacketBuilder.vxlan(A_UNDERLAY, B_UNDERLAY, 1, carried(inner)).srcMac(A_UNDERLAY_MAC)
                    .dstMac(B_UNDERLAY_MAC).udpSrcPort(OuterSourcePort.of(o.vector, 0)).ipId(1).build();
            assertArrayEquals(expected, o.out(0));
        }
    }

    @Test
    void shouldCarrySourceIdentityInVniWhenConfigured() {
        try (Overlay o = new Overlay(nodeA(TunnelMode.VXLAN).identityInVni(true).build())) {
            byte[] inner = podTcp().build();
            int i = o.load(Overlay.A_POD_PORT, inner);
            o.vector.srcIdentity(i, 0x01_2345);
            o.encap.process(o.vector, 0);
            assertEquals(TX_UNDERLAY, o.vector.verdict(i));
            byte[] expected = fromA(PacketBuilder.vxlan(A_UNDERLAY, B_UNDERLAY, 0x01_2345, carried(inner)), o).build();
            assertArrayEquals(expected, o.out(0));

            i = o.load(Overlay.A_POD_PORT, inner);
            o.encap.process(o.vector, 0); // identity 0: never sent as a VNI
            assertEquals(DropReason.INVALID_IDENTITY.verdict(), o.vector.verdict(i));
            i = o.load(Overlay.A_POD_PORT, inner);
            o.vector.srcIdentity(i, 1 << 24);
            o.encap.process(o.vector, 0);
            assertEquals(DropReason.INVALID_IDENTITY.verdict(), o.vector.verdict(i));
        }
    }

    @Test
    void shouldEncapsulateIpv6InnerFrameWhenVxlan() {
        try (Overlay o = new Overlay(nodeA(TunnelMode.VXLAN).build())) {
            byte[] inner = podTcp6().tos(0x2C).build();
            assertEquals(TX_UNDERLAY, o.encap(inner, 0));
            byte[] expected = fromA(PacketBuilder.vxlan(A_UNDERLAY, B_UNDERLAY, 1, carried(inner)), o).tos(0x2C).build();
            assertArrayEquals(expected, o.out(0));
        }
    }

    @Test
    void shouldPrependGeneveHeadersWhenGeneve() {
        try (Overlay o = new Overlay(nodeA(TunnelMode.GENEVE).vni(77).build())) {
            byte[] inner = podTcp().build();
            assertEquals(TX_UNDERLAY, o.encap(inner, 0));
            byte[] expected = fromA(PacketBuilder.geneve(A_UNDERLAY, B_UNDERLAY, 77, carried(inner)), o).build();
            assertArrayEquals(expected, o.out(0));
        }
    }

    @Test
    void shouldReplaceEthernetWithOuterIpv4WhenIpip() {
        try (Overlay o = new Overlay(nodeA(TunnelMode.IPIP).outerDf(OuterDf.INHERIT).build())) {
            byte[] inner = podTcp().dontFragment().tos(0x04).build();
            assertEquals(TX_UNDERLAY, o.encap(inner, 0));
            byte[] expected = PacketBuilder.ipip(A_UNDERLAY, B_UNDERLAY, PacketBuilder.ipPacketOf(inner))
                    .srcMac(A_UNDERLAY_MAC).dstMac(B_UNDERLAY_MAC).ipId(0).tos(0x04).dontFragment().build();
            assertArrayEquals(expected, o.out(0));
        }
    }

    @Test
    void shouldUseProtocol41WhenIpipCarriesIpv6() {
        try (Overlay o = new Overlay(nodeA(TunnelMode.IPIP).build())) {
            byte[] inner = podTcp6().build();
            assertEquals(TX_UNDERLAY, o.encap(inner, 0));
            byte[] expected = PacketBuilder.ipip(A_UNDERLAY, B_UNDERLAY, PacketBuilder.ipPacketOf(inner))
                    .srcMac(A_UNDERLAY_MAC).dstMac(B_UNDERLAY_MAC).ipId(0).build();
            assertEquals(PacketBuilder.PROTO_IPV6, expected[14 + 9]);
            assertArrayEquals(expected, o.out(0));
        }
    }

    @Test
    void shouldOnlyRewriteMacsWhenNative() {
        try (Overlay o = new Overlay(nodeA(TunnelMode.NATIVE).build())) {
            assertEquals(1500, o.config.podMtuBytes());
            assertEquals(TX_UNDERLAY, o.encap(podTcp().build(), 0));
            assertArrayEquals(podTcp().srcMac(A_UNDERLAY_MAC).dstMac(B_UNDERLAY_MAC).build(), o.out(0));
            assertEquals(TX_UNDERLAY, o.encap(podTcp6().build(), 0));
            assertArrayEquals(podTcp6().srcMac(A_UNDERLAY_MAC).dstMac(B_UNDERLAY_MAC).build(), o.out(0));
        }
    }

    @Test
    void shouldLeaveEthernetPaddingBehindWhenInnerFrameIsPadded() {
        try (Overlay o = new Overlay(nodeA(TunnelMode.VXLAN).build())) {
            PacketBuilder small = PacketBuilder.udp4(A_POD, 5000, B_POD, 53).srcMac(A_POD_MAC).dstMac(A_ROUTER_MAC).payload(4);
            byte[] unpadded = small.build();
            assertEquals(TX_UNDERLAY, o.encap(small.ethernetPadTo(60).build(), 0));
            byte[] expected = fromA(PacketBuilder.vxlan(A_UNDERLAY, B_UNDERLAY, 1, carried(unpadded)), o).build();
            assertArrayEquals(expected, o.out(0));
        }
    }

    @Test
    void shouldLeaveFrameAloneWhenDestinationIsNotBehindATunnel() {
        try (Overlay o = new Overlay(nodeA(TunnelMode.VXLAN).build())) {
            byte[] local = PacketBuilder.tcp4(A_POD, 40000, "10.244.1.9", 80).build();
            assertEquals(Verdict.CONTINUE, o.encap(local, 0));
            assertArrayEquals(local, o.out(0));
            byte[] outside = PacketBuilder.tcp4(A_POD, 40000, "1.1.1.1", 443).build();
            assertEquals(Verdict.CONTINUE, o.encap(outside, 0));
            assertArrayEquals(outside, o.out(0));
            // A CIDR identity the policy engine installed: in the ipcache, but no tunnel.
            assertEquals(0, o.ipCache.upsert(Cidr.parse("8.8.8.0/24"), 16777217, 0, 0, 0));
            byte[] cidr = PacketBuilder.udp4(A_POD, 5000, "8.8.8.8", 53).build();
            assertEquals(Verdict.CONTINUE, o.encap(cidr, 0));
            assertArrayEquals(cidr, o.out(0));
            byte[] arp = PacketBuilder.arpRequest(A_POD_MAC, A_POD, Overlay.A_ROUTER).build();
            assertEquals(Verdict.CONTINUE, o.encap(arp, 0));
        }
    }

    @Test
    void shouldDropNoTunnelEndpointWhenRouteNamesUnknownPeer() {
        try (Overlay o = new Overlay(nodeA(TunnelMode.VXLAN).build())) {
            assertEquals(0, o.ipCache.upsert(Cidr.parse("10.244.9.0/24"), 0, Overlay.ip("192.168.1.99"), 9,
                    IpCache.FLAG_TUNNEL));
            assertEquals(0, o.ipCache.upsert(Cidr.parse("10.244.8.0/24"), 0, 0, 8, IpCache.FLAG_TUNNEL));
            assertEquals(DropReason.NO_TUNNEL_ENDPOINT.verdict(),
                    o.encap(PacketBuilder.tcp4(A_POD, 1, "10.244.9.3", 80).build(), 0));
            assertEquals(DropReason.NO_TUNNEL_ENDPOINT.verdict(),
                    o.encap(PacketBuilder.tcp4(A_POD, 1, "10.244.8.3", 80).build(), 0));
            // node 2 exists, but not at this address: a stale route is not sent to whoever has the id now
            assertEquals(0, o.ipCache.upsert(Cidr.parse("10.244.7.0/24"), 0, Overlay.ip("192.168.1.21"), 2,
                    IpCache.FLAG_TUNNEL));
            assertEquals(DropReason.NO_TUNNEL_ENDPOINT.verdict(),
                    o.encap(PacketBuilder.tcp4(A_POD, 1, "10.244.7.3", 80).build(), 0));
        }
    }

    @Test
    void shouldFindNodeByAddressWhenEntryHasTunnelEndpointButNoNodeId() {
        try (Overlay o = new Overlay(nodeA(TunnelMode.VXLAN).build())) {
            // as a policy engine may install a pod /32: identity and tunnel endpoint, node id 0
            assertEquals(0, o.ipCache.upsert(Cidr.parse("10.244.5.9/32"), 5009, Overlay.ip(B_UNDERLAY), 0,
                    IpCache.FLAG_TUNNEL));
            byte[] inner = PacketBuilder.tcp4(A_POD, 1, "10.244.5.9", 80).build();
            assertEquals(TX_UNDERLAY, o.encap(inner, 0));
            byte[] expected = fromA(PacketBuilder.vxlan(A_UNDERLAY, B_UNDERLAY, 1, carried(inner)), o).build();
            assertArrayEquals(expected, o.out(0));
        }
    }

    @Test
    void shouldMoveChecksumStartWithFrameStartWhenChecksumIsPartial() {
        try (Overlay o = new Overlay(nodeA(TunnelMode.VXLAN).build())) {
            int i = o.load(Overlay.A_POD_PORT, podTcp().build());
            o.vector.addFlags(i, dev.gingham.packet.FrameVector.FLAG_CSUM_PARTIAL);
            o.vector.offload(i, 0, 0, 34, 16);
            o.encap.process(o.vector, 0);
            assertEquals(TX_UNDERLAY, o.vector.verdict(i));
            assertEquals(50 + 34, o.vector.csumStart(i));
        }
        try (Overlay o = new Overlay(nodeA(TunnelMode.IPIP).build())) {
            int i = o.load(Overlay.A_POD_PORT, podTcp().build());
            o.vector.addFlags(i, dev.gingham.packet.FrameVector.FLAG_CSUM_PARTIAL);
            o.vector.offload(i, 0, 0, 34, 16);
            o.encap.process(o.vector, 0);
            assertEquals(20 + 34, o.vector.csumStart(i));
        }
    }

    @Test
    void shouldSkipFramesWithFinalVerdictWhenVectorIsProcessed() {
        try (Overlay o = new Overlay(nodeA(TunnelMode.VXLAN).build())) {
            byte[] inner = podTcp().build();
            int i = o.load(Overlay.A_POD_PORT, inner);
            o.vector.verdict(i, DropReason.POLICY.verdict());
            assertEquals(0, o.encap.process(o.vector, 0));
            assertEquals(DropReason.POLICY.verdict(), o.vector.verdict(i));
            assertArrayEquals(inner, o.out(i));
        }
    }
}
