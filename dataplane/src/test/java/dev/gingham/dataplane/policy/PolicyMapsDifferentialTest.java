package dev.gingham.dataplane.policy;

import dev.gingham.dataplane.k8s.Protocol;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.management.ManagementFactory;
import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The maps answer what the compiled policy on the heap answers; ranges and bitmaps agree; no allocation per lookup. */
class PolicyMapsDifferentialTest {
    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    private static PortRanges randomPorts(SplittableRandom random) {
        PortRanges ports = PortRanges.NONE;
        for (int r = random.nextInt(4); r >= 0; r--) {
            int first = random.nextInt(1, 65_536);
            int last = Math.min(65_535, first + (random.nextBoolean() ? 0 : random.nextInt(5000)));
            ports = ports.union(PortRanges.of(first, last));
        }
        return ports;
    }

    private static DirectionPolicy randomPolicy(SplittableRandom random, int policyId) {
        Map<Integer, PolicyRow> rows = new HashMap<>();
        for (int k = 0; k < 50; k++) {
            int peer = k == 0 ? 0 : 256 + random.nextInt(200);
            PolicyRow row = random.nextInt(10) == 0 ? PolicyRow.any(policyId)
                    : PolicyRow.ports(Protocol.values()[random.nextInt(3)], randomPorts(random), policyId);
            rows.merge(peer, row, PolicyRow::union);
        }
        return new DirectionPolicy(true, false, rows);
    }

    @Test
    void shouldAnswerAsTheCompiledPolicyWhenLookedUpAtRandom() {
        SplittableRandom random = new SplittableRandom(42);
        try (PolicyMaps maps = PolicyMaps.create(4, 4096, 1024)) {
            PolicyPublisher publisher = new PolicyPublisher(maps);
            PolicyLookup lookup = new PolicyLookup(maps);
            for (int round = 0; round < 5; round++) {
                DirectionPolicy in = randomPolicy(random, 1);
                DirectionPolicy out = randomPolicy(random, 2);
                publisher.publish(Map.of(3, new EndpointPolicy(256, in, out)));
                publisher.reclaim();
                for (int probe = 0; probe < 20_000; probe++) {
                    int direction = random.nextBoolean() ? Direction.INGRESS : Direction.EGRESS;
                    int peer = random.nextInt(10) == 0 ? 2 : 256 + random.nextInt(200);
                    int protocol = new int[] {6, 17, 132, 1}[random.nextInt(4)];
                    int port = random.nextInt(65_536);
                    boolean expected = (direction == Direction.INGRESS ? in : out).allows(peer, protocol, port);
                    int decision = lookup.check(3, direction, peer, protocol, port, false);
                    assertEquals(expected, decision == PolicyLookup.ALLOWED,
                            "peer " + peer + " proto " + protocol + " port " + port + " direction " + direction);
                }
            }
        }
    }

    @Test
    void shouldSetExactlyTheRangeBitsWhenWrittenAsABitmap() {
        SplittableRandom random = new SplittableRandom(7);
        MemorySegment bitmap = Arena.ofAuto().allocate(PortRanges.BITMAP_BYTES, 8);
        for (int round = 0; round < 50; round++) {
            PortRanges ports = randomPorts(random);
            ports.writeBitmap(bitmap, 0);
            for (int port = 0; port <= PortRanges.MAX_PORT; port++) {
                boolean bit = ((bitmap.get(ValueLayout.JAVA_LONG, (long) (port >>> 6) * 8) >>> (port & 63)) & 1) != 0;
                if (bit != ports.contains(port)) {
                    throw new AssertionError(ports + ": port " + port);
                }
            }
        }
        assertEquals("80-90,100", PortRanges.of(85, 90).union(PortRanges.of(80, 84)).union(PortRanges.ofPorts(100)).toString());
        assertEquals(PortRanges.ALL, PortRanges.of(0, 100).union(PortRanges.of(101, 65_535)));
    }

    @Test
    void shouldAllocateNothingWhenLookingUp() {
        SplittableRandom random = new SplittableRandom(3);
        try (PolicyMaps maps = PolicyMaps.create(4, 4096, 1024)) {
            PolicyPublisher publisher = new PolicyPublisher(maps);
            publisher.publish(Map.of(0, new EndpointPolicy(256, randomPolicy(random, 1), randomPolicy(random, 2))));
            PolicyLookup lookup = new PolicyLookup(maps);
            long sink = 0;
            Thread thread = Thread.currentThread();
            long allocated = Long.MAX_VALUE;
            for (int warm = 0; warm < 20; warm++) {
                long before = THREADS.getThreadAllocatedBytes(thread.threadId());
                for (int k = 0; k < 20_000; k++) {
                    sink += lookup.check(0, (k & 1) + 1, 256 + (k % 200), 6, k & 0xFFFF, false);
                }
                allocated = THREADS.getThreadAllocatedBytes(thread.threadId()) - before;
            }
            assertTrue(allocated < 1024, "lookup allocated " + allocated + " bytes over 20,000 calls");
            assertTrue(sink > 0);
        }
    }
}
