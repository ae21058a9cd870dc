package dev.gingham.dataplane.program;

import dev.gingham.encap.TunnelMode;
import dev.gingham.packet.DropReason;
import dev.gingham.packet.PacketBuilder;
import dev.gingham.packet.Verdict;
import dev.gingham.packet.header.Addresses;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static dev.gingham.dataplane.program.NodeFixture.NODE2_IP;
import static dev.gingham.dataplane.program.NodeFixture.NODE2_MAC;
import static dev.gingham.dataplane.program.NodeFixture.NODE_IP;
import static dev.gingham.dataplane.program.NodeFixture.UNDERLAY;
import static dev.gingham.dataplane.program.NodeFixture.UNDERLAY_MAC;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** The underlay side of ArpResponder as neighbour learning sees it: what is answered, consumed, and reported. */
class UnderlayArpLearningTest {
    private final NodeFixture node = new NodeFixture(TunnelMode.VXLAN);

    /** A learned neighbour, as the control agent drains it. */
    private record Seen(String address, long mac) {
    }

    private List<Seen> drained() {
        List<Seen> seen = new ArrayList<>();
        node.node.maps().neighbours().drain((address, mac) -> seen.add(new Seen(
                (address >>> 24) + "." + (address >>> 16 & 0xFF) + "." + (address >>> 8 & 0xFF) + "." + (address & 0xFF), mac)));
        return seen;
    }

    @AfterEach
    void close() {
        node.close();
    }

    @Test
    void shouldConsumeAReplyToTheNodeAndReportItsSender() {
        int verdict = node.send(UNDERLAY, PacketBuilder.arpReply(NODE2_MAC, NODE2_IP, UNDERLAY_MAC, NODE_IP).ethernetPadTo(60).build());
        assertEquals(DropReason.ARP_REPLY_LEARNED.verdict(), verdict);
        assertEquals(List.of(new Seen(NODE2_IP, Addresses.parseMac(NODE2_MAC))), drained());
        assertEquals(1, node.node.drops().sum(DropReason.ARP_REPLY_LEARNED, dev.gingham.dataplane.policy.Direction.INGRESS));
    }

    @Test
    void shouldAnswerARequestForTheNodeAndLearnTheAsker() {
        int verdict = node.send(UNDERLAY, PacketBuilder.arpRequest(NODE2_MAC, NODE2_IP, NODE_IP).ethernetPadTo(60).build());
        assertEquals(Verdict.tx(UNDERLAY), verdict);
        assertArrayEquals(PacketBuilder.arpReply(UNDERLAY_MAC, NODE_IP, NODE2_MAC, NODE2_IP).ethernetPadTo(60).build(), node.out());
        assertEquals(List.of(new Seen(NODE2_IP, Addresses.parseMac(NODE2_MAC))), drained());
    }

    @Test
    void shouldLearnAGratuitousAnnouncementWithoutAnsweringIt() {
        int verdict = node.send(UNDERLAY, PacketBuilder.arpRequest(NODE2_MAC, NODE2_IP, NODE2_IP).ethernetPadTo(60).build());
        assertEquals(DropReason.UNKNOWN_TARGET.verdict(), verdict);
        assertEquals(List.of(new Seen(NODE2_IP, Addresses.parseMac(NODE2_MAC))), drained());
    }

    @Test
    void shouldNeitherAnswerNorLearnFromArpThatCameInsideATunnelPacket() {
        byte[] request = PacketBuilder.arpRequest(NODE2_MAC, NODE2_IP, NODE_IP).ethernetPadTo(60).build();
        int verdict = node.send(UNDERLAY, PacketBuilder.vxlan(NODE2_IP, NODE_IP, 1, request).srcMac(NODE2_MAC).dstMac(UNDERLAY_MAC).build());
        assertEquals(DropReason.UNKNOWN_L3.verdict(), verdict, "the inner network's ARP is not the underlay link's: not answered, routed nowhere");
        assertEquals(List.of(), drained());
    }

    @Test
    void shouldLearnNothingFromArpBetweenOtherHosts() {
        assertEquals(DropReason.UNKNOWN_TARGET.verdict(),
                node.send(UNDERLAY, PacketBuilder.arpRequest(NODE2_MAC, NODE2_IP, "192.168.1.99").build()));
        assertEquals(DropReason.ARP_UNEXPECTED.verdict(),
                node.send(UNDERLAY, PacketBuilder.arpReply(NODE2_MAC, NODE2_IP, "02:00:00:00:00:99", "192.168.1.99").build()));
        assertEquals(List.of(), drained());
    }

    @Test
    void shouldNotLearnAMulticastSenderMacOrAZeroSenderAddress() {
        node.send(UNDERLAY, PacketBuilder.arpReply("03:00:00:00:00:11", NODE2_IP, UNDERLAY_MAC, NODE_IP).srcMac(NODE2_MAC).build());
        node.send(UNDERLAY, PacketBuilder.arpRequest(NODE2_MAC, "0.0.0.0", NODE_IP).build());
        assertEquals(List.of(), drained());
    }
}
