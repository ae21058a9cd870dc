package dev.gingham.dataplane.policy;

import dev.gingham.dataplane.flow.DropEvents;
import dev.gingham.dataplane.flow.FlowEvent;
import dev.gingham.dataplane.identity.SecurityLabels;
import dev.gingham.dataplane.k8s.Pod;
import dev.gingham.dataplane.k8s.Protocol;
import dev.gingham.packet.BufferPool;
import dev.gingham.packet.DropReason;
import dev.gingham.packet.FrameVector;
import dev.gingham.packet.PacketBuilder;
import dev.gingham.packet.Parser;
import dev.gingham.packet.Verdict;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The policy programs on real frames: conntrack interplay, policy changes, relabelling, audit, events. */
class PolicyEnforcerTest {
    private final PolicyHarness h = new PolicyHarness();

    @AfterEach
    void tearDown() {
        h.close();
    }

    private static final String YA_TO_XA_80_ONLY = PolicyHarness.policy("x", "a-from-y-a", """
              podSelector: {matchLabels: {pod: a}}
              policyTypes: [Ingress, Egress]
              ingress:
                - from: [{namespaceSelector: {matchLabels: {ns: y}}, podSelector: {matchLabels: {pod: a}}}]
                  ports: [{port: 80}]
            """);

    private static final String DENY_INGRESS_X = PolicyHarness.policy("x", "deny-ingress", """
              podSelector: {}
              policyTypes: [Ingress]
            """);

    @Test
    void shouldPassRepliesWhenTheReverseDirectionIsDenied() {
        h.policies(YA_TO_XA_80_ONLY); // x/a: ingress from y/a on 80 only, egress nothing at all
        String client = PolicyHarness.address("y", "a");
        String server = PolicyHarness.address("x", "a");
        assertEquals(Verdict.CONTINUE, h.send(PolicyHarness.frame(client, 50000, server, 80, Protocol.TCP, PacketBuilder.SYN), client, server));
        int reply = h.send(PolicyHarness.frame(server, 80, client, 50000, Protocol.TCP, PacketBuilder.SYN | PacketBuilder.ACK), server, client);
        assertEquals(Verdict.CONTINUE, reply, "the SYN-ACK of an allowed connection must pass x/a's deny-all egress");
        assertEquals(1, h.egress.replyCount());
        assertEquals(DropReason.POLICY.verdict(), h.send("x/a", "y/a", Protocol.TCP, 80), "a new connection from x/a is still denied");
    }

    @Test
    void shouldCutAnEstablishedConnectionWhenANewPolicyDeniesIt() {
        String client = PolicyHarness.address("y", "b");
        String server = PolicyHarness.address("x", "b");
        byte[] data = PolicyHarness.frame(client, 50001, server, 80, Protocol.TCP, PacketBuilder.ACK | PacketBuilder.PSH);
        assertEquals(Verdict.CONTINUE, h.send(PolicyHarness.frame(client, 50001, server, 80, Protocol.TCP, PacketBuilder.SYN), client, server));
        assertEquals(Verdict.CONTINUE, h.send(PolicyHarness.frame(server, 80, client, 50001, Protocol.TCP, PacketBuilder.SYN | PacketBuilder.ACK), server, client));
        assertEquals(Verdict.CONTINUE, h.send(data, client, server));

        h.policies(DENY_INGRESS_X);
        assertEquals(DropReason.POLICY.verdict(), h.send(data, client, server), "the next packet of the connection is checked against the new policy");

        h.policies("");
        assertEquals(Verdict.CONTINUE, h.send(data, client, server), "and flows again once the policy is gone (its conntrack entry is intact)");
    }

    @Test
    void shouldLeaveNoConntrackEntryWhenTheDestinationDeniesANewConnection() {
        // Both namespaces isolate ingress; egress is open, so y/c's egress check allows (and
        // creates the entry) before x/c's ingress check denies.
        h.policies(DENY_INGRESS_X + DENY_INGRESS_X.replace("namespace: x", "namespace: y"));
        String client = PolicyHarness.address("y", "c");
        String server = PolicyHarness.address("x", "c");
        assertEquals(DropReason.POLICY.verdict(), h.send(PolicyHarness.frame(client, 50002, server, 22, Protocol.TCP, PacketBuilder.SYN), client, server));
        assertEquals(0, h.conntrack.tcpCount(), "the entry the egress check created is gone");
        // x/c answering a connection it never accepted is a new connection into y/c, which y denies.
        assertEquals(DropReason.POLICY.verdict(), h.send(PolicyHarness.frame(server, 22, client, 50002, Protocol.TCP, PacketBuilder.SYN | PacketBuilder.ACK), server, client));
    }

    @Test
    void shouldFollowTheNewIdentityWhenARunningPodIsRelabelled() {
        h.policies(PolicyHarness.policy("x", "from-b", """
                  podSelector: {matchLabels: {pod: a}}
                  ingress:
                    - from: [{podSelector: {matchLabels: {pod: b}}}]
                """));
        int before = h.engine.identityOf("x/c");
        assertEquals(DropReason.POLICY.verdict(), h.send("x/c", "x/a", Protocol.TCP, 80));

        Pod c = h.pod("x/c");
        h.engine.upsertPod(c.withLabels(Map.of("pod", "b")), h.slot("x/c"));
        int after = h.engine.identityOf("x/c");
        assertNotEquals(before, after, "new labels, new identity");
        assertEquals(h.engine.identityOf("x/b"), after, "equal label sets share one identity");
        assertEquals(0, h.engine.identities().references(before), "the old identity is released");
        assertEquals(Verdict.CONTINUE, h.send("x/c", "x/a", Protocol.TCP, 80));

        h.engine.upsertPod(c, h.slot("x/c"));
        assertEquals(DropReason.POLICY.verdict(), h.send("x/c", "x/a", Protocol.TCP, 80));
    }

    @Test
    void shouldPassCountAndReportWhenInAuditMode() {
        h.policies(DENY_INGRESS_X);
        h.engine.auditMode(pod -> pod.namespace().equals("x"));
        h.drainEvents();
        assertEquals(Verdict.CONTINUE, h.send("y/a", "x/a", Protocol.TCP, 80));
        assertEquals(1, h.ingress.auditedCount());
        assertEquals(0, h.ingress.deniedCount());
        List<FlowEvent> events = h.drainEvents();
        assertEquals(1, events.size(), events.toString());
        FlowEvent audit = events.get(0);
        assertEquals("AUDIT", audit.verdict());
        assertEquals("POLICY", audit.dropReason());
        assertEquals("ingress", audit.direction());

        h.engine.auditMode(pod -> false);
        assertEquals(DropReason.POLICY.verdict(), h.send("y/a", "x/a", Protocol.TCP, 80));
    }

    @Test
    void shouldReportVerdictsWithNamesWhenTheReaderDecodesThem() {
        h.policies(PolicyHarness.policy("x", "from-y", """
                  podSelector: {matchLabels: {pod: a}}
                  ingress:
                    - from: [{namespaceSelector: {matchLabels: {ns: y}}}]
                """));
        h.drainEvents();
        assertEquals(Verdict.CONTINUE, h.send("y/b", "x/a", Protocol.TCP, 80));
        List<FlowEvent> allowed = h.drainEvents();
        assertEquals(1, allowed.size());
        FlowEvent e = allowed.get(0);
        assertEquals("policy-verdict", e.type());
        assertEquals("FORWARDED", e.verdict());
        assertEquals("x/from-y", e.policy());
        assertEquals("node-1", e.node());
        assertEquals(6, e.protocol());
        assertEquals(new FlowEvent.Peer("10.0.2.2", 40000, h.engine.identityOf("y/b"), h.reader.decode(
                h.ring.segment(), 384).source().identityName(), "y", "b"), e.source());
        assertEquals("x", e.destination().namespace());
        assertEquals("a", e.destination().pod());
        assertEquals(80, e.destination().port());
        assertEquals(h.engine.identityOf("x/a"), e.destination().identity());
        assertTrue(e.source().identityName().contains(SecurityLabels.NAMESPACE_LABEL + "=y"), e.source().identityName());
        assertEquals(0, e.ctStatus(), "NEW");

        assertEquals(DropReason.POLICY.verdict(), h.send("z/b", "x/a", Protocol.TCP, 80));
        List<FlowEvent> denied = h.drainEvents();
        assertEquals(1, denied.size());
        assertEquals("DROPPED", denied.get(0).verdict());
        assertEquals(133, denied.get(0).dropCode());
        assertEquals("", denied.get(0).policy(), "a default deny names no policy");
        assertEquals("z", denied.get(0).source().namespace());
    }

    @Test
    void shouldReportDropsOfAnyProgramWhenDropEventsRuns() {
        BufferPool pool = BufferPool.allocate(4, BufferPool.DEFAULT_BUFFER_SIZE);
        FrameVector v = new FrameVector(pool);
        int i = PacketBuilder.load(v, 1, PacketBuilder.udp4("10.0.1.1", 1000, "10.0.2.1", 53).payload(4).build());
        assertEquals(Verdict.CONTINUE, new Parser().parse(v, i));
        int j = PacketBuilder.load(v, 1, PacketBuilder.udp4("10.0.1.1", 1001, "10.0.2.1", 53).payload(4).build());
        new Parser().parse(v, j);
        v.drop(i, DropReason.NO_SERVICE);
        h.drainEvents();
        assertEquals(1, new DropEvents(h.events).process(v, Direction.EGRESS, 77L));
        List<FlowEvent> events = h.drainEvents();
        assertEquals(1, events.size());
        assertEquals("drop", events.get(0).type());
        assertEquals("NO_SERVICE", events.get(0).dropReason());
        assertEquals(1000, events.get(0).source().port());
        assertEquals("x/a", events.get(0).source().namespace() + "/" + events.get(0).source().pod());
        assertEquals(77L, events.get(0).timeNs());
        assertEquals(-1, events.get(0).ctStatus());
        v.releaseAll();
    }

    @Test
    void shouldDropWithNoConfigWhenAnEndpointHasNoPolicyYet() {
        h.engine.deletePod("x", "c"); // slot 2 is now empty
        BufferPool pool = BufferPool.allocate(4, BufferPool.DEFAULT_BUFFER_SIZE);
        FrameVector v = new FrameVector(pool);
        int i = PacketBuilder.load(v, 1, PacketBuilder.tcp4("10.0.1.3", 1000, "10.0.2.1", 80).flags(PacketBuilder.SYN).build());
        new Parser().parse(v, i);
        int[] slots = new int[FrameVector.MAX_FRAMES];
        slots[i] = 2;
        h.egress.process(v, slots, 1L);
        assertEquals(DropReason.NO_CONFIG.verdict(), v.verdict(i));
        v.verdict(i, Verdict.CONTINUE);
        slots[i] = 99;
        h.egress.process(v, slots, 1L);
        assertEquals(DropReason.NO_LOCAL_ENDPOINT.verdict(), v.verdict(i));
        v.releaseAll();
    }
}
