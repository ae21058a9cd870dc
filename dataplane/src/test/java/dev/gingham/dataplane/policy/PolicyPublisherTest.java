package dev.gingham.dataplane.policy;

import dev.gingham.dataplane.k8s.Protocol;
import dev.gingham.packet.DropReason;
import dev.gingham.packet.Verdict;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Publication: shared tables, reclaim, all-or-nothing on full maps, and readers never seeing half a policy. */
class PolicyPublisherTest {

    private static DirectionPolicy allowPeers(int fromPeer, int peers, PolicyRow row) {
        Map<Integer, PolicyRow> rows = new HashMap<>();
        for (int p = fromPeer; p < fromPeer + peers; p++) {
            rows.put(p, row);
        }
        return new DirectionPolicy(true, false, rows);
    }

    @Test
    void shouldShareOneTableWhenEndpointsCompileAlike() {
        try (PolicyMaps maps = PolicyMaps.create(8, 1024, 16)) {
            PolicyPublisher publisher = new PolicyPublisher(maps);
            DirectionPolicy in = allowPeers(300, 10, PolicyRow.ports(Protocol.TCP, PortRanges.of(80, 80), 1));
            EndpointPolicy replica = new EndpointPolicy(256, in, DirectionPolicy.OPEN);
            publisher.publish(Map.of(0, replica, 1, replica, 2, replica));
            assertEquals(1, publisher.liveTables());
            assertEquals(10, maps.rows().count(), "one table of 10 rows for three endpoints");
            assertEquals(1, publisher.portSets());
        }
    }

    @Test
    void shouldDeleteRetiredRowsWhenReclaimed() {
        try (PolicyMaps maps = PolicyMaps.create(8, 1024, 16)) {
            PolicyPublisher publisher = new PolicyPublisher(maps);
            PolicyLookup lookup = new PolicyLookup(maps);
            DirectionPolicy a = allowPeers(300, 10, PolicyRow.ports(Protocol.TCP, PortRanges.of(80, 80), 1));
            DirectionPolicy b = allowPeers(400, 5, PolicyRow.ports(Protocol.UDP, PortRanges.of(53, 53), 2));
            publisher.publish(Map.of(0, new EndpointPolicy(256, a, DirectionPolicy.OPEN)));
            publisher.publish(Map.of(0, new EndpointPolicy(256, b, DirectionPolicy.OPEN)));
            assertEquals(15, maps.rows().count(), "the old table stays until reclaim");
            assertEquals(PolicyLookup.DENIED, lookup.check(0, Direction.INGRESS, 300, 6, 80, false), "but is no longer used");
            assertEquals(PolicyLookup.ALLOWED, lookup.check(0, Direction.INGRESS, 400, 17, 53, false));
            assertEquals(1, publisher.reclaim());
            assertEquals(5, maps.rows().count());
            assertEquals(1, publisher.portSets());
            assertEquals(PolicyLookup.ALLOWED, lookup.check(0, Direction.INGRESS, 400, 17, 53, false));
            assertEquals(2, lookup.policyId());
        }
    }

    @Test
    void shouldKeepThePreviousPolicyWhenTheMapsAreFull() {
        try (PolicyMaps maps = PolicyMaps.create(8, 16, 16)) {
            PolicyPublisher publisher = new PolicyPublisher(maps);
            PolicyLookup lookup = new PolicyLookup(maps);
            DirectionPolicy small = allowPeers(300, 4, PolicyRow.ports(Protocol.TCP, PortRanges.of(80, 80), 1));
            publisher.publish(Map.of(0, new EndpointPolicy(256, small, DirectionPolicy.OPEN)));
            DirectionPolicy huge = allowPeers(1000, 40, PolicyRow.ports(Protocol.TCP, PortRanges.of(443, 443), 2));
            assertThrows(PolicyCapacityException.class, () -> publisher.publish(Map.of(
                    0, new EndpointPolicy(256, huge, DirectionPolicy.OPEN),
                    1, new EndpointPolicy(257, small, DirectionPolicy.OPEN))));
            assertEquals(4, maps.rows().count(), "the failed publish left no row behind");
            assertEquals(1, publisher.portSets(), "nor a port set");
            assertEquals(PolicyLookup.ALLOWED, lookup.check(0, Direction.INGRESS, 301, 6, 80, false));
            assertEquals(PolicyLookup.NO_POLICY, lookup.check(1, Direction.INGRESS, 301, 6, 80, false), "endpoint 1 was never published");
        }
    }

    @Test
    void shouldNeverAnswerFromHalfAPolicyWhenPublishedWhileWorkersRead() throws Exception {
        // Two policies that both allow peers 300..399 on TCP 80 and differ elsewhere: whichever a
        // reader sees, (peer, TCP 80) is allowed. A half-written table, a bank word pointing at a
        // table not yet written, or rows deleted under a reader would answer DENIED.
        try (PolicyMaps maps = PolicyMaps.create(4, 4096, 64)) {
            PolicyPublisher publisher = new PolicyPublisher(maps);
            PolicyRow web = PolicyRow.ports(Protocol.TCP, PortRanges.of(80, 80), 1);
            DirectionPolicy a = allowPeers(300, 100, web);
            DirectionPolicy b = allowPeers(300, 100, web.union(PolicyRow.ports(Protocol.UDP, PortRanges.of(53, 53), 2)));
            publisher.publish(Map.of(0, new EndpointPolicy(256, a, a)));
            AtomicBoolean stop = new AtomicBoolean();
            AtomicLong quiescent = new AtomicLong();
            AtomicLong wrong = new AtomicLong();
            Thread worker = new Thread(() -> {
                PolicyLookup lookup = new PolicyLookup(maps);
                int peer = 300;
                while (!stop.get()) {
                    for (int k = 0; k < 64; k++) {
                        peer = peer == 399 ? 300 : peer + 1;
                        if (lookup.check(0, (k & 1) == 0 ? Direction.INGRESS : Direction.EGRESS, peer, 6, 80, false) != PolicyLookup.ALLOWED) {
                            wrong.incrementAndGet();
                        }
                    }
                    quiescent.incrementAndGet(); // between vectors: holds nothing from the maps
                }
            });
            worker.start();
            for (int round = 0; round < 400; round++) {
                DirectionPolicy next = (round & 1) == 0 ? b : a;
                publisher.publish(Map.of(0, new EndpointPolicy(256, next, next)));
                long seen = quiescent.get();
                while (quiescent.get() < seen + 2 && worker.isAlive()) {
                    Thread.onSpinWait(); // grace period: the worker passed a quiescent point after the flip
                }
                publisher.reclaim();
            }
            stop.set(true);
            worker.join();
            assertEquals(0, wrong.get(), "a reader saw a half-published policy");
            assertTrue(quiescent.get() > 400);
        }
    }

    @Test
    void shouldPublishEveryEndpointAtOnceWhenOneChangeMovesSeveral() {
        try (PolicyHarness h = new PolicyHarness()) {
            h.policies("""
                    apiVersion: networking.k8s.io/v1
                    kind: NetworkPolicy
                    metadata: {name: deny, namespace: x}
                    spec: {podSelector: {}, policyTypes: [Ingress, Egress]}
                    """);
            long generation = h.publisher.generation();
            assertEquals(DropReason.POLICY.verdict(), h.send("x/a", "x/b", Protocol.TCP, 80));
            h.policies("");
            assertEquals(generation + 1, h.publisher.generation(), "one publish for every endpoint of x");
            assertEquals(Verdict.CONTINUE, h.send("x/a", "x/b", Protocol.TCP, 80));
        }
    }
}
