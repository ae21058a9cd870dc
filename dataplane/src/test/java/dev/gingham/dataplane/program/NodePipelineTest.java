package dev.gingham.dataplane.program;

import dev.gingham.dataplane.k8s.NetworkPolicyYaml;
import dev.gingham.dataplane.policy.Direction;
import dev.gingham.encap.TunnelMode;
import dev.gingham.packet.DropReason;
import dev.gingham.packet.PacketBuilder;
import dev.gingham.packet.Verdict;
import dev.gingham.packet.header.TcpHeader;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static dev.gingham.dataplane.program.NodeFixture.*;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The whole node pipeline on golden packets: a frame in on a port, the exact frame out and the
 * port it leaves by, for each path of the node (pod to pod, ARP, anti-spoofing, ClusterIP and its
 * replies, masquerade and its replies, VXLAN both ways, NodePort from outside, policy, TTL).
 */
class NodePipelineTest {
    private static final int SYN = TcpHeader.SYN;
    private static final int SYN_ACK = TcpHeader.SYN | TcpHeader.ACK;
    private final NodeFixture node = new NodeFixture(TunnelMode.VXLAN);

    @AfterEach
    void tearDown() {
        node.close();
    }

    private static PacketBuilder fromA(PacketBuilder b) {
        return b.srcMac(A_MAC).dstMac(ROUTER_MAC);
    }

    @Test
    void shouldRoutePodToPodWithGatewayMacsAndTtlDecremented() {
        int verdict = node.send(POD_A, fromA(PacketBuilder.icmp4Echo(A_IP, B_IP, 7, 1)).build());

        assertEquals(Verdict.tx(POD_B), verdict);
        assertArrayEquals(PacketBuilder.icmp4Echo(A_IP, B_IP, 7, 1).srcMac(ROUTER_MAC).dstMac(B_MAC).ttl(63).build(), node.out());
    }

    @Test
    void shouldAnswerArpForTheGatewayWithTheRouterMac() {
        int verdict = node.send(POD_A, PacketBuilder.arpRequest(A_MAC, A_IP, GATEWAY_IP).ethernetPadTo(60).build());

        assertEquals(Verdict.tx(POD_A), verdict);
        assertArrayEquals(PacketBuilder.arpReply(ROUTER_MAC, GATEWAY_IP, A_MAC, A_IP).ethernetPadTo(60).build(), node.out());
    }

    @Test
    void shouldNotAnswerArpProbesForThePodsOwnAddress() {
        assertEquals(DropReason.UNKNOWN_TARGET.verdict(), node.send(POD_A, PacketBuilder.arpRequest(A_MAC, "0.0.0.0", A_IP).build()));
    }

    @Test
    void shouldDropSpoofedSourceAddressesAndMacs() {
        assertEquals(DropReason.INVALID_SOURCE_IP.verdict(),
                node.send(POD_A, fromA(PacketBuilder.icmp4Echo(B_IP, C_IP, 1, 1)).build()));
        assertEquals(DropReason.INVALID_SOURCE_MAC.verdict(),
                node.send(POD_A, PacketBuilder.icmp4Echo(A_IP, C_IP, 1, 1).srcMac(B_MAC).dstMac(ROUTER_MAC).build()));
        assertEquals(DropReason.INVALID_SOURCE_IP.verdict(),
                node.send(POD_A, PacketBuilder.arpRequest(A_MAC, B_IP, GATEWAY_IP).build()));
        assertEquals(2, node.node.drops().sum(DropReason.INVALID_SOURCE_IP, Direction.EGRESS));
    }

    @Test
    void shouldDnatToTheBackendAndPutTheVipBackOnTheReply() {
        int out = node.send(POD_A, fromA(PacketBuilder.tcp4(A_IP, 40000, VIP, 80).flags(SYN)).build());
        assertEquals(Verdict.tx(POD_B), out);
        assertArrayEquals(PacketBuilder.tcp4(A_IP, 40000, B_IP, 8080).flags(SYN).srcMac(ROUTER_MAC).dstMac(B_MAC).ttl(63).build(),
                node.out());

        int back = node.send(POD_B, PacketBuilder.tcp4(B_IP, 8080, A_IP, 40000).flags(SYN_ACK).srcMac(B_MAC).dstMac(ROUTER_MAC).build());
        assertEquals(Verdict.tx(POD_A), back);
        assertArrayEquals(PacketBuilder.tcp4(VIP, 80, A_IP, 40000).flags(SYN_ACK).srcMac(ROUTER_MAC).dstMac(A_MAC).ttl(63).build(),
                node.out());
    }

    @Test
    void shouldCarryAWholeTcpConnectionThroughTheServiceAndFreeItsEntriesOnceClosed() {
        int ack = PacketBuilder.ACK;
        int fin = PacketBuilder.FIN | PacketBuilder.ACK;
        byte[][] clientSends = {
                fromA(PacketBuilder.tcp4(A_IP, 41000, VIP, 80).flags(SYN)).build(),
                fromA(PacketBuilder.tcp4(A_IP, 41000, VIP, 80).flags(ack)).build(),
                fromA(PacketBuilder.tcp4(A_IP, 41000, VIP, 80).flags(ack | PacketBuilder.PSH).payload(100)).build(),
                fromA(PacketBuilder.tcp4(A_IP, 41000, VIP, 80).flags(fin)).build()};
        byte[][] serverSends = {
                PacketBuilder.tcp4(B_IP, 8080, A_IP, 41000).flags(SYN_ACK).srcMac(B_MAC).dstMac(ROUTER_MAC).build(),
                PacketBuilder.tcp4(B_IP, 8080, A_IP, 41000).flags(ack).payload(300).srcMac(B_MAC).dstMac(ROUTER_MAC).build(),
                PacketBuilder.tcp4(B_IP, 8080, A_IP, 41000).flags(fin).srcMac(B_MAC).dstMac(ROUTER_MAC).build()};
        var tcpTable = node.node.maps().conntrack().mapFor(6, true);

        assertEquals(Verdict.tx(POD_B), node.send(POD_A, clientSends[0]));
        assertEquals(Verdict.tx(POD_A), node.send(POD_B, serverSends[0]));
        assertEquals(PacketBuilder.tcp4(VIP, 80, A_IP, 41000).flags(SYN_ACK).srcMac(ROUTER_MAC).dstMac(A_MAC).ttl(63).build().length,
                node.out().length);
        for (int k = 1; k < 3; k++) {
            node.nowNs += SECOND;
            assertEquals(Verdict.tx(POD_B), node.send(POD_A, clientSends[k]), "client packet " + k);
        }
        assertEquals(Verdict.tx(POD_A), node.send(POD_B, serverSends[1]));
        assertEquals(2, tcpTable.count(), "one service entry and one flow entry");

        // established: a sweep an hour later keeps the flow (established lifetime is 6 h)
        node.nowNs += 3600 * SECOND;
        sweepAll();
        assertEquals(2, tcpTable.count());

        assertEquals(Verdict.tx(POD_B), node.send(POD_A, clientSends[3]));
        assertEquals(Verdict.tx(POD_A), node.send(POD_B, serverSends[2]));
        assertArrayEquals(PacketBuilder.tcp4(VIP, 80, A_IP, 41000).flags(fin).srcMac(ROUTER_MAC).dstMac(A_MAC).ttl(63).build(),
                node.out(), "the server's FIN still comes from the VIP");
        assertEquals(Verdict.tx(POD_B), node.send(POD_A, clientSends[1]), "the client's last ACK");
        node.nowNs += 5 * SECOND;
        sweepAll();
        assertEquals(2, tcpTable.count(), "closing: kept for the close lifetime (10 s)");
        node.nowNs += 6 * SECOND;
        sweepAll();
        assertEquals(0, tcpTable.count(), "closed flows free their entries");
    }

    private void sweepAll() {
        for (int k = 0; k < 16; k++) {
            node.node.sweepConntrack(node.nowNs);
        }
    }

    @Test
    void shouldSendTrafficToAnotherNodesAddressToThatNodeNotToTheUplink() {
        int out = node.send(POD_A, fromA(PacketBuilder.udp4(A_IP, 5353, NODE2_IP, 53).payload(20)).build());
        assertEquals(Verdict.tx(UNDERLAY), out);
        byte[] sent = node.out();
        int natPort = ((sent[34] & 0xFF) << 8) | (sent[35] & 0xFF);
        assertArrayEquals(PacketBuilder.udp4(NODE_IP, natPort, NODE2_IP, 53).payload(20).srcMac(UNDERLAY_MAC).dstMac(NODE2_MAC)
                .ttl(63).build(), sent, "node-2 is on the link: its own MAC, as a NodePort reply to the node that forwarded it needs");
    }

    @Test
    void shouldMasqueradeTrafficToTheWorldAndTranslateTheReplyBack() {
        int out = node.send(POD_A, fromA(PacketBuilder.udp4(A_IP, 5353, "8.8.8.8", 53).payload(20)).build());
        assertEquals(Verdict.tx(UNDERLAY), out);
        byte[] sent = node.out();
        int natPort = ((sent[34] & 0xFF) << 8) | (sent[35] & 0xFF);
        assertTrue(natPort >= 32768, "NAT port from the configured range: " + natPort);
        assertArrayEquals(PacketBuilder.udp4(NODE_IP, natPort, "8.8.8.8", 53).payload(20).srcMac(UNDERLAY_MAC).dstMac(UPLINK_MAC)
                .ttl(63).build(), sent);

        int back = node.send(UNDERLAY, PacketBuilder.udp4("8.8.8.8", 53, NODE_IP, natPort).payload(20)
                .srcMac(UPLINK_MAC).dstMac(UNDERLAY_MAC).build());
        assertEquals(Verdict.tx(POD_A), back);
        assertArrayEquals(PacketBuilder.udp4("8.8.8.8", 53, A_IP, 5353).payload(20).srcMac(ROUTER_MAC).dstMac(A_MAC).ttl(63).build(),
                node.out());
    }

    @Test
    void shouldEncapsulateTrafficToARemotePodAndDeliverWhatTheTunnelBringsBack() {
        int out = node.send(POD_A, fromA(PacketBuilder.icmp4Echo(A_IP, C_IP, 9, 1)).build());
        assertEquals(Verdict.tx(UNDERLAY), out);
        byte[] sent = node.out();
        // inner destination: a Gingham peer's VTEP MAC is its gateway MAC (the same on every Gingham node)
        byte[] inner = PacketBuilder.icmp4Echo(A_IP, C_IP, 9, 1).srcMac(ROUTER_MAC).dstMac(ROUTER_MAC).ttl(63).build();
        assertArrayEquals(inner, Arrays.copyOfRange(sent, 50, sent.length), "inner frame");
        assertArrayEquals(new byte[]{(byte) 192, (byte) 168, 1, 11}, Arrays.copyOfRange(sent, 30, 34), "outer destination: node 2");
        assertEquals(8472, ((sent[36] & 0xFF) << 8) | (sent[37] & 0xFF), "VXLAN port");
        assertEquals(PacketBuilder.mac(NODE2_MAC), PacketBuilder.mac(String.format("%02x:%02x:%02x:%02x:%02x:%02x",
                sent[0], sent[1], sent[2], sent[3], sent[4], sent[5])), "outer next hop: node 2's MAC");

        byte[] reply = PacketBuilder.icmp4Echo(C_IP, A_IP, 9, 1).icmpEchoReply().srcMac(NODE2_MAC).dstMac(ROUTER_MAC).ttl(63).build();
        int back = node.send(UNDERLAY, PacketBuilder.vxlan(NODE2_IP, NODE_IP, 1, reply).srcMac(NODE2_MAC).dstMac(UNDERLAY_MAC).build());
        assertEquals(Verdict.tx(POD_A), back);
        assertArrayEquals(PacketBuilder.icmp4Echo(C_IP, A_IP, 9, 1).icmpEchoReply().srcMac(ROUTER_MAC).dstMac(A_MAC).ttl(62).build(),
                node.out());
    }

    @Test
    void shouldServeANodePortFromOutsideAndAnswerFromTheNodeAddress() {
        int in = node.send(UNDERLAY, PacketBuilder.tcp4("203.0.113.7", 5555, NODE_IP, 30080).flags(SYN)
                .srcMac(UPLINK_MAC).dstMac(UNDERLAY_MAC).build());
        assertEquals(Verdict.tx(POD_B), in);
        assertArrayEquals(PacketBuilder.tcp4("203.0.113.7", 5555, B_IP, 8080).flags(SYN).srcMac(ROUTER_MAC).dstMac(B_MAC).ttl(63)
                .build(), node.out());

        int back = node.send(POD_B, PacketBuilder.tcp4(B_IP, 8080, "203.0.113.7", 5555).flags(SYN_ACK).srcMac(B_MAC)
                .dstMac(ROUTER_MAC).build());
        assertEquals(Verdict.tx(UNDERLAY), back);
        assertArrayEquals(PacketBuilder.tcp4(NODE_IP, 30080, "203.0.113.7", 5555).flags(SYN_ACK).srcMac(UNDERLAY_MAC)
                .dstMac(UPLINK_MAC).ttl(63).build(), node.out());
    }

    @Test
    void shouldNotForwardTransitTrafficFromTheUnderlay() {
        assertEquals(DropReason.UNROUTABLE.verdict(), node.send(UNDERLAY, PacketBuilder.udp4("203.0.113.7", 1, "198.51.100.1", 2)
                .srcMac(UPLINK_MAC).dstMac(UNDERLAY_MAC).build()));
    }

    @Test
    void shouldSendTrafficForTheNodeToTheHostWithoutTouchingTtl() {
        assertEquals(Verdict.tx(HOST), node.send(POD_A, fromA(PacketBuilder.icmp4Echo(A_IP, GATEWAY_IP, 3, 1)).build()));
        assertArrayEquals(PacketBuilder.icmp4Echo(A_IP, GATEWAY_IP, 3, 1).srcMac(ROUTER_MAC).dstMac(HOST_MAC).build(), node.out());
    }

    @Test
    void shouldDropWhatPolicyDeniesAndPassWhatItAllows() {
        node.node.policy().replacePolicies(NetworkPolicyYaml.parse("""
                apiVersion: networking.k8s.io/v1
                kind: NetworkPolicy
                metadata: {name: web-from-nobody, namespace: default}
                spec:
                  podSelector: {matchLabels: {app: web}}
                  ingress:
                  - from:
                    - podSelector: {matchLabels: {app: monitoring}}
                """, "policy.yaml"));

        assertEquals(DropReason.POLICY.verdict(), node.send(POD_A, fromA(PacketBuilder.tcp4(A_IP, 40001, B_IP, 8080).flags(SYN)).build()));
        assertEquals(DropReason.POLICY.verdict(), node.send(POD_A, fromA(PacketBuilder.tcp4(A_IP, 40002, VIP, 80).flags(SYN)).build()));
        assertEquals(Verdict.tx(UNDERLAY), node.send(POD_A, fromA(PacketBuilder.udp4(A_IP, 40003, "8.8.8.8", 53)).build()),
                "egress is not restricted");
        assertEquals(2, node.node.drops().sum(DropReason.POLICY, Direction.INGRESS), "refused at the destination's door");
        assertEquals(0, node.node.drops().sum(DropReason.POLICY, Direction.EGRESS), "the source has no egress policy");
    }

    @Test
    void shouldPassRepliesOfServiceAndMasqueradedFlowsToAPodWhoseIngressDeniesEverything() {
        node.node.policy().replacePolicies(NetworkPolicyYaml.parse("""
                apiVersion: networking.k8s.io/v1
                kind: NetworkPolicy
                metadata: {name: client-deny-ingress, namespace: default}
                spec:
                  podSelector: {matchLabels: {app: client}}
                  policyTypes: [Ingress]
                """, "policy.yaml"));

        assertEquals(Verdict.tx(POD_B), node.send(POD_A, fromA(PacketBuilder.tcp4(A_IP, 40010, VIP, 80).flags(SYN)).build()));
        assertEquals(Verdict.tx(POD_A), node.send(POD_B, PacketBuilder.tcp4(B_IP, 8080, A_IP, 40010).flags(SYN_ACK)
                .srcMac(B_MAC).dstMac(ROUTER_MAC).build()), "the service's reply, VIP put back");

        assertEquals(Verdict.tx(UNDERLAY), node.send(POD_A, fromA(PacketBuilder.udp4(A_IP, 40011, "8.8.8.8", 53)).build()));
        byte[] sent = node.out();
        int natPort = ((sent[34] & 0xFF) << 8) | (sent[35] & 0xFF);
        assertEquals(Verdict.tx(POD_A), node.send(UNDERLAY, PacketBuilder.udp4("8.8.8.8", 53, NODE_IP, natPort)
                .srcMac(UPLINK_MAC).dstMac(UNDERLAY_MAC).build()), "the masqueraded flow's reply");

        assertEquals(DropReason.POLICY.verdict(), node.send(POD_B, PacketBuilder.tcp4(B_IP, 8081, A_IP, 40012).flags(SYN)
                .srcMac(B_MAC).dstMac(ROUTER_MAC).build()), "a new connection to the client is still denied");
    }

    @Test
    void shouldAnswerTimeExceededFromTheGatewayWhenTtlRunsOut() {
        byte[] original = fromA(PacketBuilder.icmp4Echo(A_IP, C_IP, 4, 1).ttl(1)).build();
        assertEquals(Verdict.tx(POD_A), node.send(POD_A, original));
        assertArrayEquals(PacketBuilder.icmp4Error(11, 0, GATEWAY_IP, A_IP, PacketBuilder.ipPacketOf(original))
                .srcMac(ROUTER_MAC).dstMac(A_MAC).tos(0xC0).ipId(0).build(), node.out());
    }

    @Test
    void shouldNotRouteBroadcastOrMulticast() {
        assertEquals(DropReason.MULTICAST_NOT_ROUTED.verdict(),
                node.send(POD_A, fromA(PacketBuilder.udp4(A_IP, 68, "255.255.255.255", 67)).build()));
        assertEquals(DropReason.MULTICAST_NOT_ROUTED.verdict(),
                node.send(POD_A, fromA(PacketBuilder.udp4(A_IP, 5353, "224.0.0.251", 5353)).build()));
    }

    @Test
    void shouldRejectUnknownEtherTypesFromPods() {
        byte[] frame = fromA(PacketBuilder.udp4(A_IP, 1, B_IP, 2)).build();
        frame[12] = (byte) 0x88;
        frame[13] = (byte) 0xCC; // LLDP
        assertEquals(DropReason.UNKNOWN_L3.verdict(), node.send(POD_A, frame));
    }

    // ---- IPv6 (every fixture pod is dual-stack) ---------------------------------------------------

    @Test
    void shouldRouteIpv6PodToPodBothWaysWithGatewayMacsAndHopLimitDecremented() {
        int verdict = node.send(POD_A, fromA(PacketBuilder.icmp6Echo(A_IP6, B_IP6, 7, 1)).build());
        assertEquals(Verdict.tx(POD_B), verdict);
        assertArrayEquals(PacketBuilder.icmp6Echo(A_IP6, B_IP6, 7, 1).srcMac(ROUTER_MAC).dstMac(B_MAC).hopLimit(63).build(),
                node.out());

        int back = node.send(POD_B, PacketBuilder.icmp6Echo(B_IP6, A_IP6, 7, 1).icmpEchoReply().srcMac(B_MAC).dstMac(ROUTER_MAC)
                .build());
        assertEquals(Verdict.tx(POD_A), back);
        assertArrayEquals(PacketBuilder.icmp6Echo(B_IP6, A_IP6, 7, 1).icmpEchoReply().srcMac(ROUTER_MAC).dstMac(A_MAC)
                .hopLimit(63).build(), node.out());
    }

    @Test
    void shouldEncapsulateIpv6ToARemotePodInsideIpv4Vxlan() {
        int out = node.send(POD_A, fromA(PacketBuilder.udp6(A_IP6, 5000, C_IP6, 53).payload(10)).build());

        assertEquals(Verdict.tx(UNDERLAY), out);
        byte[] sent = node.out();
        byte[] inner = PacketBuilder.udp6(A_IP6, 5000, C_IP6, 53).payload(10).srcMac(ROUTER_MAC).dstMac(ROUTER_MAC).hopLimit(63)
                .build();
        assertArrayEquals(inner, Arrays.copyOfRange(sent, 50, sent.length), "inner frame");
        assertArrayEquals(new byte[]{(byte) 192, (byte) 168, 1, 11}, Arrays.copyOfRange(sent, 30, 34), "outer destination: node 2");
    }

    @Test
    void shouldSendIpv6ForTheNodeOrTheGatewayToTheHostWithoutTouchingTheHopLimit() {
        assertEquals(Verdict.tx(HOST), node.send(POD_A, fromA(PacketBuilder.icmp6Echo(A_IP6, NODE_IP6, 3, 1)).build()));
        assertArrayEquals(PacketBuilder.icmp6Echo(A_IP6, NODE_IP6, 3, 1).srcMac(ROUTER_MAC).dstMac(HOST_MAC).build(), node.out());
        assertEquals(Verdict.tx(HOST), node.send(POD_A, fromA(PacketBuilder.icmp6Echo(A_IP6, GATEWAY_IP6, 3, 2)).build()));
    }

    @Test
    void shouldNeverRouteLinkScopedIpv6OffItsLink() {
        assertEquals(DropReason.LINK_SCOPE_NOT_ROUTED.verdict(),
                node.send(POD_A, fromA(PacketBuilder.udp6(A_LINK_LOCAL, 1, B_IP6, 2)).build()), "link-local source");
        assertEquals(DropReason.LINK_SCOPE_NOT_ROUTED.verdict(),
                node.send(POD_A, fromA(PacketBuilder.udp6(A_IP6, 1, "fe80::1", 2)).build()), "link-local destination");
        assertEquals(DropReason.LINK_SCOPE_NOT_ROUTED.verdict(),
                node.send(POD_A, fromA(PacketBuilder.udp6("::", 1, B_IP6, 2)).build()), "unspecified source");
        assertEquals(DropReason.MULTICAST_NOT_ROUTED.verdict(),
                node.send(POD_A, fromA(PacketBuilder.udp6(A_LINK_LOCAL, 5353, "ff02::fb", 5353)).build()), "mDNS");
        assertEquals(DropReason.LINK_SCOPE_NOT_ROUTED.verdict(), node.send(UNDERLAY, PacketBuilder.udp6("fe80::1", 1, NODE_IP6, 2)
                .srcMac(UPLINK_MAC).dstMac(UNDERLAY_MAC).build()), "from the underlay's link to the host's");
        assertEquals(3, node.node.drops().sum(DropReason.LINK_SCOPE_NOT_ROUTED, Direction.EGRESS));
    }

    @Test
    void shouldDropIpv6FromAnotherPodsAddress() {
        assertEquals(DropReason.INVALID_SOURCE_IP.verdict(), node.send(POD_A, fromA(PacketBuilder.icmp6Echo(B_IP6, C_IP6, 1, 1)).build()));
    }
}
