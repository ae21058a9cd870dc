package dev.gingham.dataplane.program;

import dev.gingham.dataplane.policy.Direction;
import dev.gingham.encap.TunnelMode;
import dev.gingham.packet.DropReason;
import dev.gingham.packet.FrameVector;
import dev.gingham.packet.PacketBuilder;
import dev.gingham.packet.Verdict;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.stream.Stream;

import static dev.gingham.dataplane.program.NodeFixture.*;
import static dev.gingham.packet.PacketBuilder.NDP_OVERRIDE;
import static dev.gingham.packet.PacketBuilder.NDP_ROUTER;
import static dev.gingham.packet.PacketBuilder.NDP_SOLICITED;
import static dev.gingham.packet.PacketBuilder.ndpAdvertisement;
import static dev.gingham.packet.PacketBuilder.ndpRouterSolicitation;
import static dev.gingham.packet.PacketBuilder.ndpSolicitation;
import static dev.gingham.packet.PacketBuilder.solicitedNode;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * Neighbor discovery through the whole node pipeline: a solicitation in on a port, the exact
 * advertisement out of the same port (every byte, the checksum included, built independently by
 * {@link PacketBuilder}), or the counted reason it was not answered.
 */
class NdpResponderTest {
    private static final int GATEWAY_FLAGS = NDP_ROUTER | NDP_SOLICITED | NDP_OVERRIDE;
    private static final String UNDERLAY_NEIGHBOR_IP6 = "fd00:192:168:1::1";
    private static final String HOST_LINK_LOCAL = "fe80::2";
    private static final int EMPTY_PORT = 3;
    private final NodeFixture node = new NodeFixture(TunnelMode.VXLAN);

    @AfterEach
    void tearDown() {
        node.close();
    }

    /** Pod a asks for {@code target} from {@code source} as Linux does: to the solicited-node group, with its MAC in an option. */
    private static PacketBuilder solicitFromA(String source, String target) {
        return ndpSolicitation(A_MAC, source, solicitedNode(target), target);
    }

    /** The solicitation in on {@code port} leaves by the same port as exactly {@code advertisement}. */
    private void assertAdvertised(int port, byte[] solicitation, byte[] advertisement) {
        assertEquals(Verdict.tx(port), node.send(port, solicitation));
        assertArrayEquals(advertisement, node.out());
    }

    @Test
    void shouldAnswerASolicitationForTheGatewayWithTheRouterMacAsARouter() {
        assertAdvertised(POD_A, solicitFromA(A_IP6, GATEWAY_IP6).build(),
                ndpAdvertisement(GATEWAY_IP6, A_IP6, GATEWAY_IP6, GATEWAY_FLAGS, ROUTER_MAC).dstMac(A_MAC).build());
    }

    @Test
    void shouldAnswerASolicitationFromThePodsLinkLocalAddress() {
        assertAdvertised(POD_A, solicitFromA(A_LINK_LOCAL, GATEWAY_IP6).build(),
                ndpAdvertisement(GATEWAY_IP6, A_LINK_LOCAL, GATEWAY_IP6, GATEWAY_FLAGS, ROUTER_MAC).dstMac(A_MAC).build());
    }

    @Test
    void shouldGrowAUnicastProbeWithoutOptionsIntoAnAdvertisementWithTheTargetsMac() {
        byte[] probe = ndpSolicitation(A_MAC, A_IP6, GATEWAY_IP6, GATEWAY_IP6).dstMac(ROUTER_MAC).ndpOptions(new byte[0]).build();

        byte[] expected = ndpAdvertisement(GATEWAY_IP6, A_IP6, GATEWAY_IP6, GATEWAY_FLAGS, ROUTER_MAC).dstMac(A_MAC).build();

        assertEquals(probe.length + 8, expected.length, "the target link-layer option is 8 bytes the probe lacked");
        assertAdvertised(POD_A, probe, expected);
    }

    @Test
    void shouldShrinkASolicitationWithExtraOptionsToTheAdvertisement() {
        byte[] nonce = {14, 1, 1, 2, 3, 4, 5, 6}; // RFC 3971 nonce option after the link-layer option
        byte[] options = new byte[16];
        System.arraycopy(solicitFromA(A_IP6, GATEWAY_IP6).build(), 78, options, 0, 8);
        System.arraycopy(nonce, 0, options, 8, 8);

        assertAdvertised(POD_A, solicitFromA(A_IP6, GATEWAY_IP6).ndpOptions(options).build(),
                ndpAdvertisement(GATEWAY_IP6, A_IP6, GATEWAY_IP6, GATEWAY_FLAGS, ROUTER_MAC).dstMac(A_MAC).build());
    }

    @Test
    void shouldAnswerEveryTargetWithTheGatewayMacBecausePodsAreRouted() {
        assertAdvertised(POD_A, solicitFromA(A_IP6, B_IP6).build(),
                ndpAdvertisement(B_IP6, A_IP6, B_IP6, GATEWAY_FLAGS, ROUTER_MAC).dstMac(A_MAC).build());
    }

    @Test
    void shouldNotAnswerForTheAskersOwnAddress() {
        assertEquals(DropReason.UNKNOWN_TARGET.verdict(), node.send(POD_A, solicitFromA(A_IP6, A_IP6).build()));
    }

    @Test
    void shouldLeaveDuplicateAddressDetectionUnansweredSoThePodKeepsItsAddress() {
        byte[] probe = ndpSolicitation(A_MAC, "::", solicitedNode(A_IP6), A_IP6).build();
        byte[] linkLocalProbe = ndpSolicitation(A_MAC, "::", solicitedNode(A_LINK_LOCAL), A_LINK_LOCAL).build();

        assertEquals(DropReason.NDP_DAD_PROBE.verdict(), node.send(POD_A, probe));
        assertEquals(DropReason.NDP_DAD_PROBE.verdict(), node.send(POD_A, linkLocalProbe));
        assertEquals(2, node.node.drops().sum(DropReason.NDP_DAD_PROBE, Direction.EGRESS));
    }

    @Test
    void shouldDropLinkLocalFramesWhoseMacIsNotThePortsPod() {
        assertEquals(DropReason.INVALID_SOURCE_MAC.verdict(),
                node.send(POD_A, ndpSolicitation(B_MAC, A_LINK_LOCAL, solicitedNode(GATEWAY_IP6), GATEWAY_IP6).build()));
        assertEquals(DropReason.INVALID_SOURCE_MAC.verdict(),
                node.send(POD_A, ndpSolicitation(B_MAC, "::", solicitedNode(B_IP6), B_IP6).build()), "DAD under another MAC");
        assertEquals(DropReason.INVALID_SOURCE_MAC.verdict(),
                node.send(EMPTY_PORT, ndpSolicitation(A_MAC, A_LINK_LOCAL, solicitedNode(GATEWAY_IP6), GATEWAY_IP6).build()),
                "a port no pod is on");
        assertEquals(DropReason.INVALID_SOURCE_MAC.verdict(),
                node.send(POD_A, ndpSolicitation(B_MAC, A_IP6, solicitedNode(GATEWAY_IP6), GATEWAY_IP6).build()),
                "the pod's address under another MAC");
    }

    static Stream<Arguments> invalidSolicitations() {
        String gatewayGroup = solicitedNode(GATEWAY_IP6);
        return Stream.of(
                Arguments.of("hop limit 254 (forwarded)", solicitFromA(A_IP6, GATEWAY_IP6).hopLimit(254)),
                Arguments.of("code 1", solicitFromA(A_IP6, GATEWAY_IP6).icmpCode(1)),
                Arguments.of("20 ICMPv6 bytes", solicitFromA(A_IP6, GATEWAY_IP6).ndpOptions(new byte[0]).truncateIpPayloadTo(20)),
                Arguments.of("multicast target", ndpSolicitation(A_MAC, A_IP6, gatewayGroup, "ff02::1")),
                Arguments.of("unspecified target", ndpSolicitation(A_MAC, A_IP6, gatewayGroup, "::")),
                Arguments.of("option of length 0", solicitFromA(A_IP6, GATEWAY_IP6).ndpOptions(new byte[] {1, 0, 0, 0, 0, 0, 0, 0})),
                Arguments.of("option past the message", solicitFromA(A_IP6, GATEWAY_IP6).ndpOptions(new byte[] {1, 2, 0, 0, 0, 0, 0, 0})),
                Arguments.of("half an option", solicitFromA(A_IP6, GATEWAY_IP6).ndpOptions(new byte[] {1, 1, 10, 0})),
                Arguments.of("DAD with a source link-layer option", ndpSolicitation(A_MAC, "::", solicitedNode(A_IP6), A_IP6)
                        .ndpOptions(new byte[] {1, 1, 0x0a, 0, 0, 0, 0, 5})),
                Arguments.of("DAD to all nodes", ndpSolicitation(A_MAC, "::", "ff02::1", A_IP6)),
                Arguments.of("extension header", solicitFromA(A_IP6, GATEWAY_IP6).ipv6ExtensionHeaders(PacketBuilder.PROTO_DEST_OPTIONS)),
                Arguments.of("atomic fragment", solicitFromA(A_IP6, GATEWAY_IP6).ipv6Fragment(0, false, 7)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("invalidSolicitations")
    void shouldDropSolicitationsThatFailRfc4861ValidityChecks(String name, PacketBuilder solicitation) {
        assertEquals(DropReason.NDP_INVALID.verdict(), node.send(POD_A, solicitation.build()), name);
        assertEquals(1, node.node.drops().sum(DropReason.NDP_INVALID, Direction.EGRESS));
    }

    @Test
    void shouldDropASolicitationWithABadChecksum() {
        assertEquals(DropReason.BAD_CHECKSUM.verdict(), node.send(POD_A, solicitFromA(A_IP6, GATEWAY_IP6).badL4Checksum().build()));
    }

    @Test
    void shouldTrustAPartialChecksumAndSendTheAdvertisementWithAWholeOne() {
        node.vector.releaseAll();
        PacketBuilder.load(node.vector, POD_A, solicitFromA(A_IP6, GATEWAY_IP6).badL4Checksum().build());
        node.vector.addFlags(0, FrameVector.FLAG_CSUM_PARTIAL);
        node.vector.offload(0, 0, 0, 54, 2);

        node.pipeline.run(node.vector, node.nowNs);

        assertEquals(Verdict.tx(POD_A), node.vector.verdict(0));
        assertArrayEquals(ndpAdvertisement(GATEWAY_IP6, A_IP6, GATEWAY_IP6, GATEWAY_FLAGS, ROUTER_MAC).dstMac(A_MAC).build(),
                node.out());
        assertFalse(node.vector.hasFlag(0, FrameVector.FLAG_CSUM_PARTIAL), "nothing left for the device to finish");
    }

    @Test
    void shouldDropRouterSolicitationsBecauseRoutesAreStatic() {
        assertEquals(DropReason.NDP_ROUTER_SOLICITATION.verdict(), node.send(POD_A, ndpRouterSolicitation(A_MAC, A_LINK_LOCAL).build()));
        assertEquals(DropReason.NDP_ROUTER_SOLICITATION.verdict(), node.send(POD_A, ndpRouterSolicitation(A_MAC, "::").build()));
        assertEquals(2, node.node.drops().sum(DropReason.NDP_ROUTER_SOLICITATION, Direction.EGRESS));
    }

    @Test
    void shouldDropAdvertisementsFromPodsWhereOnlySolicitationsAreAnswered() {
        byte[] unsolicited = ndpAdvertisement(A_IP6, PacketBuilder.ALL_NODES, A_IP6, NDP_OVERRIDE, A_MAC).build();

        assertEquals(DropReason.NDP_UNEXPECTED.verdict(), node.send(POD_A, unsolicited));
    }

    @Test
    void shouldAnswerTheHostForAPodAddressWithTheRouterMac() {
        byte[] fromHost = ndpSolicitation(HOST_MAC, HOST_LINK_LOCAL, solicitedNode(A_IP6), A_IP6).build();

        assertAdvertised(HOST, fromHost,
                ndpAdvertisement(A_IP6, HOST_LINK_LOCAL, A_IP6, GATEWAY_FLAGS, ROUTER_MAC).dstMac(HOST_MAC).build());
    }

    @Test
    void shouldLeaveTheHostsDuplicateAddressDetectionUnanswered() {
        assertEquals(DropReason.NDP_DAD_PROBE.verdict(),
                node.send(HOST, ndpSolicitation(HOST_MAC, "::", solicitedNode(GATEWAY_IP6), GATEWAY_IP6).build()));
    }

    @Test
    void shouldAnswerOnTheUnderlayForTheNodeAddressWithTheUnderlayMac() {
        byte[] solicitation = ndpSolicitation(UPLINK_MAC, UNDERLAY_NEIGHBOR_IP6, solicitedNode(NODE_IP6), NODE_IP6).build();

        assertAdvertised(UNDERLAY, solicitation,
                ndpAdvertisement(NODE_IP6, UNDERLAY_NEIGHBOR_IP6, NODE_IP6, NDP_SOLICITED | NDP_OVERRIDE, UNDERLAY_MAC)
                .dstMac(UPLINK_MAC).build());
    }

    @Test
    void shouldNotAnswerOnTheUnderlayForAddressesThatAreNotTheNodes() {
        assertEquals(DropReason.UNKNOWN_TARGET.verdict(), node.send(UNDERLAY,
                ndpSolicitation(UPLINK_MAC, UNDERLAY_NEIGHBOR_IP6, solicitedNode(A_IP6), A_IP6).build()), "a pod's address");
        assertEquals(DropReason.UNKNOWN_TARGET.verdict(), node.send(UNDERLAY,
                ndpSolicitation(UPLINK_MAC, UNDERLAY_NEIGHBOR_IP6, solicitedNode(GATEWAY_IP6), GATEWAY_IP6).build()),
                "the gateway lives on the pods' side");
        assertEquals(DropReason.NDP_ROUTER_SOLICITATION.verdict(), node.send(UNDERLAY,
                ndpRouterSolicitation(UPLINK_MAC, "fe80::1").build()));
    }

    @Test
    void shouldDefendTheNodeAddressAgainstAnotherHostsDuplicateAddressDetection() {
        byte[] probe = ndpSolicitation(UPLINK_MAC, "::", solicitedNode(NODE_IP6), NODE_IP6).build();

        // to all nodes (33:33:00:00:00:01), not solicited
        assertAdvertised(UNDERLAY, probe, ndpAdvertisement(NODE_IP6, PacketBuilder.ALL_NODES, NODE_IP6, NDP_OVERRIDE, UNDERLAY_MAC)
                .build());
    }
}
