package dev.gingham.dataplane.fuzz;

import dev.gingham.conntrack.CtKey;
import dev.gingham.conntrack.CtTable;
import dev.gingham.dataplane.program.NodeFixture;
import dev.gingham.encap.TunnelMode;
import dev.gingham.nat.snat.SnatResult;
import dev.gingham.nat.snat.SnatTable;
import dev.gingham.packet.MappedAddress;
import dev.gingham.packet.PacketBuilder;
import dev.gingham.packet.Verdict;
import dev.gingham.packet.header.Addresses;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The conntrack/SNAT cross-check on a real node: consistent after masqueraded flows, and each kind
 * of damage found (a mapping whose flow is gone, a flow whose mapping is gone, a leaked port).
 */
class NatConntrackInvariantTest {
    private NodeFixture node;
    private CtTable conntrack;
    private SnatTable snat;
    private NatConntrackInvariant invariant;

    @BeforeEach
    void setUp() {
        node = new NodeFixture(TunnelMode.VXLAN);
        conntrack = node.node.maps().conntrack();
        snat = node.node.maps().snat();
        invariant = new NatConntrackInvariant(conntrack, snat);
        for (int port = 5000; port < 5003; port++) {
            int verdict = node.send(NodeFixture.POD_A, PacketBuilder.udp4(NodeFixture.A_IP, port, "8.8.8.8", 53)
                    .srcMac(NodeFixture.A_MAC).dstMac(NodeFixture.ROUTER_MAC).build());
            assertTrue(Verdict.isTx(verdict), "masqueraded out: " + verdict);
        }
    }

    @AfterEach
    void tearDown() {
        node.close();
    }

    private static long ip(String address) {
        return MappedAddress.lo4(Addresses.parseIpv4(address));
    }

    @Test
    void shouldNotFormatEveryMappingWhenAFullCheckFindsNothing() {
        for (int port = 6000; port < 7000; port++) {
            assertTrue(Verdict.isTx(node.send(NodeFixture.POD_A, PacketBuilder.udp4(NodeFixture.A_IP, port, "8.8.8.8", 53)
                    .srcMac(NodeFixture.A_MAC).dstMac(NodeFixture.ROUTER_MAC).build())));
        }
        assertEquals(1003, snat.count());
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        long fewest = Long.MAX_VALUE;
        for (int round = 0; round < 5; round++) { // the first rounds include the JIT's own allocations
            long before = threads.getCurrentThreadAllocatedBytes();
            assertNull(invariant.check(node.nowNs));
            fewest = Math.min(fewest, threads.getCurrentThreadAllocatedBytes() - before);
        }
        // a mapping's text ("10.244.1.5:6000 > 8.8.8.8:53 proto 17 -> ...") is hundreds of bytes with its builders,
        // a map key per mapping tens: a check that finds nothing allocates neither, only its two lambdas
        assertTrue(fewest < 1024, "a full check of 1,003 mappings allocated " + fewest + " bytes");
    }

    @Test
    void shouldFindNothingWhenFlowsWereMasqueraded() {
        assertEquals(3, snat.count());
        assertNull(invariant.check(node.nowNs));
        assertNull(invariant.checkOccupancy());
    }

    @Test
    void shouldFindAFlowWithoutMappingWhenTheMappingWasReleasedBehindConntrack() {
        assertEquals(0, snat.release(0, ip(NodeFixture.A_IP), 5001, 0, ip("8.8.8.8"), 53, 17, new SnatResult()));
        String failure = invariant.check(node.nowNs);
        assertNotNull(failure);
        assertTrue(failure.contains("10.244.1.5:5001 > 8.8.8.8:53 proto 17 is flagged SNAT") && failure.contains("no SNAT mapping"),
                failure);
        assertNull(invariant.check(Long.MAX_VALUE), "an expired entry may wait for the sweeper without its mapping");
    }

    @Test
    void shouldFindAMappingWithoutFlowWhenConntrackLostTheEntry() {
        MemorySegment key = Arena.ofAuto().allocate(CtKey.LENGTH, 8);
        new CtKey().wrap(key, 0).set(0, ip(NodeFixture.A_IP), 0, ip("8.8.8.8"), 5002, 53, 17, 0);
        MemorySegment stored = Arena.ofAuto().allocate(CtKey.LENGTH4, 8);
        CtKey.storeIpv4(key, 0, stored, 0);
        assertEquals(0, conntrack.mapFor(17, true).delete(stored, 0));
        String failure = invariant.check(node.nowNs);
        assertNotNull(failure);
        assertTrue(failure.startsWith("SNAT mapping 10.244.1.5:5002 > 8.8.8.8:53 proto 17 -> " + NodeFixture.NODE_IP + ":")
                && failure.contains("has no conntrack entry"), failure);
    }

    @Test
    void shouldFindALeakedPortWhenAPoolMarksMorePortsThanMappings() {
        var pool = snat.ports(0, ip(NodeFixture.NODE_IP), 17);
        assertEquals(3, pool.usedCount());
        int free = pool.minPort();
        while (pool.inUse(free)) {
            free++;
        }
        assertEquals(0, pool.reserve(free), "a port no mapping owns, marked used");
        String failure = invariant.check(node.nowNs);
        assertNotNull(failure);
        assertTrue(failure.endsWith("mark 4 ports used for 3 mappings [" + NodeFixture.NODE_IP + "/17]"), failure);
    }
}
