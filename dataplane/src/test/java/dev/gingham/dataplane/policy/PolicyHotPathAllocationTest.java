package dev.gingham.dataplane.policy;

import dev.gingham.dataplane.flow.DropEvents;
import dev.gingham.dataplane.k8s.Protocol;
import dev.gingham.packet.BufferPool;
import dev.gingham.packet.FrameVector;
import dev.gingham.packet.PacketBuilder;
import dev.gingham.packet.Parser;
import dev.gingham.packet.Verdict;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** The enforcer with conntrack, flow events (including a full ring) and drop reporting allocates nothing per packet. */
class PolicyHotPathAllocationTest {
    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    @Test
    void shouldAllocateNothingWhenEnforcingAndReporting() {
        try (PolicyHarness h = new PolicyHarness()) {
            h.policies("""
                    apiVersion: networking.k8s.io/v1
                    kind: NetworkPolicy
                    metadata: {name: from-y, namespace: x}
                    spec:
                      podSelector: {}
                      ingress:
                        - from: [{namespaceSelector: {matchLabels: {ns: y}}}]
                          ports: [{port: 80}, {port: 1000, endPort: 2000}]
                    """);
            BufferPool pool = BufferPool.allocate(64, BufferPool.DEFAULT_BUFFER_SIZE);
            FrameVector v = new FrameVector(pool);
            int[] slots = new int[FrameVector.MAX_FRAMES];
            Parser parser = new Parser();
            DropEvents drops = new DropEvents(h.events);
            for (int k = 0; k < 48; k++) {
                String from = PolicyHarness.address(k % 2 == 0 ? "y" : "z", "abc".substring(k % 3, k % 3 + 1));
                String to = PolicyHarness.address("x", "abc".substring(k % 3, k % 3 + 1));
                int i = PacketBuilder.load(v, 1, PolicyHarness.frame(from, 30000 + k, to, k % 4 == 0 ? 80 : 1500, Protocol.TCP, PacketBuilder.SYN));
                parser.parse(v, i);
                v.srcIdentity(i, h.identityOf(from));
                v.dstIdentity(i, h.identityOf(to));
                slots[i] = (k % 3);
            }
            long allocated = Long.MAX_VALUE;
            long sink = 0;
            long thread = Thread.currentThread().threadId();
            for (int round = 0; round < 30; round++) {
                long before = THREADS.getThreadAllocatedBytes(thread);
                for (int rep = 0; rep < 500; rep++) {
                    for (int i = 0; i < v.count(); i++) {
                        v.verdict(i, Verdict.CONTINUE);
                        v.mark(i, 0);
                    }
                    sink += h.ingress.process(v, slots, 1_000_000L * rep);
                    sink += drops.process(v, Direction.INGRESS, rep);
                }
                allocated = THREADS.getThreadAllocatedBytes(thread) - before;
            }
            assertTrue(allocated < 1024, "enforcer allocated " + allocated + " bytes over 24,000 frames");
            assertTrue(sink > 0 && h.ingress.allowedCount() > 0 && h.ingress.deniedCount() > 0);
            assertTrue(h.ring.overflows() > 0, "the ring filled up and overflowed without blocking");
            v.releaseAll();
        }
    }
}
