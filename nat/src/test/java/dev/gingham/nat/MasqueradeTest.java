package dev.gingham.nat;

import dev.gingham.packet.Cidr;
import dev.gingham.conntrack.CtConfig;
import dev.gingham.conntrack.CtLifetimes;
import dev.gingham.conntrack.CtSweeper;
import dev.gingham.conntrack.CtTable;
import dev.gingham.nat.snat.EgressGateway;
import dev.gingham.nat.snat.EgressPolicy;
import dev.gingham.nat.snat.MasqueradePolicy;
import dev.gingham.nat.snat.SnatConfig;
import dev.gingham.nat.snat.SnatTable;
import dev.gingham.packet.BufferPool;
import dev.gingham.packet.DropReason;
import dev.gingham.packet.FrameVector;
import dev.gingham.packet.NetworkOrder;
import dev.gingham.packet.PacketBuilder;
import dev.gingham.packet.Parser;
import dev.gingham.packet.Verdict;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Masquerade and egress gateway on golden packets, with reply, ICMP error, exhaustion and expiry. */
class MasqueradeTest {
    private static final String NODE = "192.168.1.10";
    private static final String POD = "10.0.1.5";
    private static final String REMOTE = "1.1.1.1";
    private static final long SECOND = 1_000_000_000L;
    private static final int MIN_PORT = 40000;
    private static final int MAX_PORT = 40003;

    private final SnatConfig config = SnatConfig.of(NODE, List.of("10.0.0.0/16"), List.of("10.96.0.0/12"))
            .withPortRange(MIN_PORT, MAX_PORT).withSizes(1024, 4);
    private final SnatTable snat = SnatTable.create(config, 3L);
    private final MasqueradePolicy policy = MasqueradePolicy.create(config);
    private final EgressGateway gateway = EgressGateway.create(16, 16);
    private final CtTable conntrack = CtTable.create(new CtConfig(1024, 1024, CtLifetimes.defaults()), 5L);
    private final Masquerade masquerade = new Masquerade(snat, policy, gateway, conntrack);
    private final ReverseSnat reverseSnat = new ReverseSnat(snat);
    private final SnatExpiry expiry = new SnatExpiry(snat);
    private final CtSweeper sweeper = new CtSweeper(conntrack, expiry, 4096);
    private final BufferPool pool = BufferPool.allocate(8, BufferPool.DEFAULT_BUFFER_SIZE);
    private final FrameVector vector = new FrameVector(pool);
    private final Parser parser = new Parser();

    @AfterEach
    void tearDown() {
        vector.releaseAll();
        conntrack.close();
        snat.close();
        policy.close();
        gateway.close();
    }

    private int egress(byte[] frame, long nowNs) {
        vector.releaseAll();
        int i = PacketBuilder.load(vector, 1, frame);
        assertEquals(Verdict.CONTINUE, parser.parse(vector, i));
        masquerade.process(vector, nowNs);
        return vector.verdict(i);
    }

    private int ingress(byte[] frame) {
        vector.releaseAll();
        int i = PacketBuilder.load(vector, 2, frame);
        assertEquals(Verdict.CONTINUE, parser.parse(vector, i));
        reverseSnat.process(vector);
        return vector.verdict(i);
    }

    private byte[] out() {
        return PacketBuilder.bytesOf(vector, 0);
    }

    private int sourcePortOut() {
        return NetworkOrder.u16(vector.segment(), vector.l4Offset(0));
    }

    @Test
    void shouldLeaveWithTheNodeAddressAndBringTheReplyBackToThePod() {
        assertEquals(Verdict.CONTINUE, egress(PacketBuilder.tcp4(POD, 33000, REMOTE, 443).flags(0x02).payload(20).build(), SECOND));
        int natPort = sourcePortOut();
        assertTrue(natPort >= MIN_PORT && natPort <= MAX_PORT, "port from the configured range: " + natPort);
        assertArrayEquals(PacketBuilder.tcp4(NODE, natPort, REMOTE, 443).flags(0x02).payload(20).build(), out());

        assertEquals(Verdict.CONTINUE, ingress(PacketBuilder.tcp4(REMOTE, 443, NODE, natPort).flags(0x12).payload(7).build()));
        assertArrayEquals(PacketBuilder.tcp4(REMOTE, 443, POD, 33000).flags(0x12).payload(7).build(), out());

        egress(PacketBuilder.tcp4(POD, 33000, REMOTE, 443).flags(0x10).payload(20).build(), 2 * SECOND);
        assertEquals(natPort, sourcePortOut(), "the flow keeps its mapping");
    }

    @Test
    void shouldNotMasqueradeTrafficToPodsOrServices() {
        byte[] toPod = PacketBuilder.udp4(POD, 5000, "10.0.2.7", 53).payload(10).build();
        egress(toPod, SECOND);
        assertArrayEquals(toPod, out());
        byte[] toService = PacketBuilder.udp4(POD, 5000, "10.96.0.10", 53).payload(10).build();
        egress(toService, SECOND);
        assertArrayEquals(toService, out());
    }

    @Test
    void shouldMasqueradeEchoIdentifiersAndTranslateTheReply() {
        egress(PacketBuilder.icmp4Echo(POD, "8.8.8.8", 0x77, 1).payload(32).build(), SECOND);
        int natId = NetworkOrder.u16(vector.segment(), vector.l4Offset(0) + 4);
        assertArrayEquals(PacketBuilder.icmp4Echo(NODE, "8.8.8.8", natId, 1).payload(32).build(), out());

        ingress(PacketBuilder.icmp4Echo("8.8.8.8", NODE, natId, 1).icmpEchoReply().payload(32).build());
        assertArrayEquals(PacketBuilder.icmp4Echo("8.8.8.8", POD, 0x77, 1).icmpEchoReply().payload(32).build(), out());
    }

    @Test
    void shouldHandThePodTheFragmentationNeededThatCameBackToTheNode() {
        byte[] podSent = PacketBuilder.udp4(POD, 33000, REMOTE, 443).dontFragment().payload(1400).build();
        egress(podSent, SECOND);
        int natPort = sourcePortOut();
        byte[] leftNode = PacketBuilder.ipPacketOf(out());

        ingress(PacketBuilder.icmp4FragNeeded("203.0.113.1", NODE, 1400, leftNode).build());

        assertArrayEquals(PacketBuilder.icmp4FragNeeded("203.0.113.1", POD, 1400, PacketBuilder.ipPacketOf(podSent)).build(), out());
        assertTrue(natPort >= MIN_PORT);
    }

    @Test
    void shouldDropOnlyTheNewFlowWhenPortsRunOutAndReuseAPortAfterItsFlowExpires() {
        Set<Integer> ports = new HashSet<>();
        for (int n = 0; n < 4; n++) {
            assertEquals(Verdict.CONTINUE, egress(PacketBuilder.udp4(POD, 5000 + n, REMOTE, 53).payload(8).build(), SECOND));
            ports.add(sourcePortOut());
        }
        assertEquals(Set.of(40000, 40001, 40002, 40003), ports, "every port of the range handed out once");

        assertEquals(DropReason.NAT_NO_MAPPING.verdict(), egress(PacketBuilder.udp4(POD, 6000, REMOTE, 53).payload(8).build(), SECOND));
        assertEquals(Verdict.CONTINUE, egress(PacketBuilder.udp4(POD, 5002, REMOTE, 53).payload(8).build(), 2 * SECOND),
                "existing flows keep working while the range is exhausted");

        // UDP flows live 60 s; the flow on port 5002 was refreshed at 2 s, the others expire at 61 s.
        sweeper.sweepRound(61 * SECOND + 1);
        assertEquals(3, expiry.released());
        assertEquals(Verdict.CONTINUE, egress(PacketBuilder.udp4(POD, 6000, REMOTE, 53).payload(8).build(), 62 * SECOND),
                "a released port is handed out again");
    }

    @Test
    void shouldLeaveWithTheEgressIpWhenAGatewayPolicySelectsThePod() {
        IpAddress egressIp = IpAddress.parse("192.168.1.200");
        assertEquals(0, snat.addNatAddress(egressIp.hi(), egressIp.lo()));
        gateway.apply(List.of(new EgressPolicy("partner-api", List.of(IpAddress.parse(POD)),
                List.of(Cidr.parse("203.0.113.0/24")), egressIp)));

        egress(PacketBuilder.tcp4(POD, 33000, "203.0.113.50", 443).flags(0x02).build(), SECOND);
        int natPort = sourcePortOut();
        assertArrayEquals(PacketBuilder.tcp4("192.168.1.200", natPort, "203.0.113.50", 443).flags(0x02).build(), out());
        ingress(PacketBuilder.tcp4("203.0.113.50", 443, "192.168.1.200", natPort).flags(0x12).build());
        assertArrayEquals(PacketBuilder.tcp4("203.0.113.50", 443, POD, 33000).flags(0x12).build(), out());

        egress(PacketBuilder.tcp4(POD, 33001, REMOTE, 443).flags(0x02).build(), SECOND);
        assertArrayEquals(PacketBuilder.tcp4(NODE, sourcePortOut(), REMOTE, 443).flags(0x02).build(), out(),
                "other destinations are masqueraded behind the node address");
    }

    @Test
    void shouldLeaveTrafficForTheNodeItselfAlone() {
        byte[] toNode = PacketBuilder.tcp4(REMOTE, 443, NODE, 22).flags(0x02).build();
        ingress(toNode);
        assertArrayEquals(toNode, out());
    }
}
