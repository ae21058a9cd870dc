package dev.gingham.nat.snat;

import dev.gingham.nat.IpAddress;
import dev.gingham.packet.Cidr;

import static dev.gingham.nat.snat.SnatTableTest.NODE;
import static dev.gingham.nat.snat.SnatTableTest.POD;
import static dev.gingham.nat.snat.SnatTableTest.REMOTE;
import static dev.gingham.nat.snat.SnatTableTest.TCP;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The per-packet SNAT operations allocate nothing (DESIGN.md §3), measured like the maps module's test. */
class SnatHotPathAllocationTest {
    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    private long sink;

    @Test
    void shouldAllocateNothingWhenMasqueradingAndMappingExistingFlows() {
        IpAddress gw = IpAddress.parse("192.168.1.201");
        try (MasqueradePolicy policy = MasqueradePolicy.create(SnatTableTest.config());
             SnatTable table = SnatTable.create(SnatTableTest.config(), 3);
             EgressGateway gateway = EgressGateway.create(4, 4)) {
            gateway.apply(List.of(new EgressPolicy("p", List.of(POD), List.of(Cidr.parse("93.0.0.0/8")), gw)));
            SnatResult out = new SnatResult();
            for (int i = 0; i < 8; i++) {
                assertEquals(SnatTable.CREATED, table.mapEgress(POD.hi(), POD.lo(), 50000 + i, REMOTE.hi(), REMOTE.lo(), 443,
                        TCP, 0, out));
            }
            long pod6Hi = IpAddress.parse("fd00::5").hi();
            Runnable loop = () -> {
                for (int i = 0; i < 20_000; i++) {
                    sink += policy.masquerade(REMOTE.hi(), REMOTE.lo() + (i & 1)) ? 1 : 0;
                    sink += policy.masquerade(pod6Hi, i) ? 1 : 0;
                    sink += policy.masquerade4(POD.v4()) ? 1 : 0;
                    sink += table.mapEgress(POD.hi(), POD.lo(), 50000 + (i & 7), REMOTE.hi(), REMOTE.lo(), 443, TCP, i, out);
                    sink += out.natPort;
                    sink += table.lookupReverse(REMOTE.hi(), REMOTE.lo(), 443, NODE.hi(), NODE.lo(), 40000 + (i & 15), TCP, out);
                    sink += out.origPort;
                    sink += gateway.egressIp4(POD.v4(), REMOTE.v4() + i);
                    sink += gateway.egress(POD.hi(), POD.lo(), REMOTE.hi(), REMOTE.lo(), out) ? 1 : 0;
                }
            };
            for (int warm = 0; warm < 30; warm++) {
                loop.run();
            }
            long thread = Thread.currentThread().threadId();
            long before = THREADS.getThreadAllocatedBytes(thread);
            loop.run();
            loop.run();
            long allocated = THREADS.getThreadAllocatedBytes(thread) - before;
            assertTrue(allocated < 1024, "hot path allocated " + allocated + " bytes over 40,000 rounds");
            assertTrue(sink != 0);
        }
    }
}
