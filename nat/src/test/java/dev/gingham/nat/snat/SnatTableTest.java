package dev.gingham.nat.snat;

import dev.gingham.nat.IpAddress;
import dev.gingham.packet.Cidr;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gingham.maps.MapErrors;
import dev.gingham.packet.DropReason;
import java.util.BitSet;
import java.util.List;
import org.junit.jupiter.api.Test;

class SnatTableTest {
    static final int TCP = 6;
    static final int UDP = 17;
    static final int ICMP = 1;
    static final IpAddress NODE = IpAddress.parse("192.168.1.10");
    static final IpAddress POD = IpAddress.parse("10.0.1.5");
    static final IpAddress REMOTE = IpAddress.parse("93.184.216.34");

    static SnatConfig config() {
        return new SnatConfig(NODE.v4(), 0, 0, 40000, 40015, List.of(Cidr.parse("10.0.0.0/16")),
                List.of(Cidr.parse("10.96.0.0/12")), List.of(), 64, 4);
    }

    static int map(SnatTable table, IpAddress src, int srcPort, IpAddress dst, int dstPort, int protocol, long nowNs,
                   SnatResult out) {
        return table.mapEgress(src.hi(), src.lo(), srcPort, dst.hi(), dst.lo(), dstPort, protocol, nowNs, out);
    }

    @Test
    void shouldResolveReplyToOriginalSourceWhenFlowWasMapped() {
        try (SnatTable table = SnatTable.create(config(), 7)) {
            SnatResult out = new SnatResult();
            assertEquals(SnatTable.CREATED, map(table, POD, 51000, REMOTE, 443, TCP, 1_000L, out));
            assertEquals(NODE.lo(), out.natLo);
            assertEquals(0, out.natHi);
            assertEquals(40000, out.natPort);
            assertEquals(1_000L, out.createdNs);
            SnatResult reply = new SnatResult();
            assertEquals(0, table.lookupReverse(REMOTE.hi(), REMOTE.lo(), 443, NODE.hi(), NODE.lo(), out.natPort, TCP, reply));
            assertEquals(POD.lo(), reply.origLo);
            assertEquals(POD.hi(), reply.origHi);
            assertEquals(51000, reply.origPort);
            // a reply from another remote port, or over UDP, belongs to no mapping
            assertEquals(-167, table.lookupReverse(REMOTE.hi(), REMOTE.lo(), 444, NODE.hi(), NODE.lo(), out.natPort, TCP, reply));
            assertEquals(-167, table.lookupReverse(REMOTE.hi(), REMOTE.lo(), 443, NODE.hi(), NODE.lo(), out.natPort, UDP, reply));
        }
    }

    @Test
    void shouldResolveReplyWithThePrefetchedHashAsWithout() {
        try (SnatTable table = SnatTable.create(config(), 7)) {
            SnatResult out = new SnatResult();
            assertEquals(SnatTable.CREATED, map(table, POD, 51000, REMOTE, 443, TCP, 1_000L, out));
            SnatResult reply = new SnatResult();
            long hash = table.prefetchReverse(REMOTE.hi(), REMOTE.lo(), 443, NODE.hi(), NODE.lo(), out.natPort, TCP, reply);
            assertEquals(0, table.lookupReverse(REMOTE.hi(), REMOTE.lo(), 443, NODE.hi(), NODE.lo(), out.natPort, TCP, hash,
                    reply));
            assertEquals(POD.lo(), reply.origLo);
            assertEquals(51000, reply.origPort);
            long otherPort = table.prefetchReverse(REMOTE.hi(), REMOTE.lo(), 444, NODE.hi(), NODE.lo(), out.natPort, TCP, reply);
            assertEquals(-167, table.lookupReverse(REMOTE.hi(), REMOTE.lo(), 444, NODE.hi(), NODE.lo(), out.natPort, TCP,
                    otherPort, reply), "a reply from another remote port belongs to no mapping");
        }
    }

    @Test
    void shouldVisitEveryMappingAsValuesWhenDumped() {
        try (SnatTable table = SnatTable.create(config(), 7)) {
            SnatResult out = new SnatResult();
            map(table, POD, 51000, REMOTE, 443, TCP, 1_000L, out);
            map(table, POD, 5353, REMOTE, 53, UDP, 2_000L, out);
            List<String> seen = new java.util.ArrayList<>();

            int n = table.forEachMapping((protocol, srcHi, srcLo, srcPort, dstHi, dstLo, dstPort, natHi, natLo, natPort, createdNs) ->
                    seen.add(protocol + " " + new IpAddress(srcHi, srcLo) + ":" + srcPort + " " + new IpAddress(dstHi, dstLo) + ":"
                            + dstPort + " " + new IpAddress(natHi, natLo) + ":" + natPort + " @" + createdNs));

            assertEquals(2, n);
            assertEquals(java.util.Set.of("6 10.0.1.5:51000 93.184.216.34:443 192.168.1.10:40000 @1000",
                    "17 10.0.1.5:5353 93.184.216.34:53 192.168.1.10:40000 @2000"), java.util.Set.copyOf(seen));
        }
    }

    @Test
    void shouldReturnTheSameMappingWhenTheSameFlowIsSeenTwice() {
        try (SnatTable table = SnatTable.create(config(), 7)) {
            SnatResult out = new SnatResult();
            map(table, POD, 51000, REMOTE, 443, TCP, 1_000L, out);
            int port = out.natPort;
            assertEquals(SnatTable.EXISTING, map(table, POD, 51000, REMOTE, 443, TCP, 9_000L, out));
            assertEquals(port, out.natPort);
            assertEquals(1_000L, out.createdNs);
            assertEquals(1, table.count());
            assertEquals(1, table.reverseCount());
        }
    }

    @Test
    void shouldDropWithNatNoMappingWhenPortsAreExhaustedAndKeepExistingMappings() {
        try (SnatTable table = SnatTable.create(config(), 7)) {
            SnatResult out = new SnatResult();
            BitSet ports = new BitSet();
            for (int i = 0; i < 16; i++) {
                assertEquals(SnatTable.CREATED, map(table, POD, 50000 + i, REMOTE, 80, TCP, i, out));
                assertFalse(ports.get(out.natPort));
                ports.set(out.natPort);
            }
            int rc = map(table, POD, 60000, REMOTE, 80, TCP, 99, out);
            assertEquals(-DropReason.NAT_NO_MAPPING.code(), rc);
            assertEquals(-167, rc);
            assertEquals(16, table.count());
            assertEquals(16, table.reverseCount());
            for (int i = 0; i < 16; i++) {
                assertEquals(SnatTable.EXISTING, map(table, POD, 50000 + i, REMOTE, 80, TCP, 100, out));
                SnatResult reply = new SnatResult();
                assertEquals(0, table.lookupReverse(REMOTE.hi(), REMOTE.lo(), 80, NODE.hi(), NODE.lo(), out.natPort, TCP, reply));
                assertEquals(50000 + i, reply.origPort);
            }
            // UDP has its own bitmap
            assertEquals(SnatTable.CREATED, map(table, POD, 60000, REMOTE, 53, UDP, 99, out));
        }
    }

    @Test
    void shouldFreePortAndBothEntriesWhenReleased() {
        try (SnatTable table = SnatTable.create(config(), 7)) {
            SnatResult out = new SnatResult();
            map(table, POD, 51000, REMOTE, 443, TCP, 1, out);
            int port = out.natPort;
            PortAllocator pool = table.ports(NODE.hi(), NODE.lo(), TCP);
            assertTrue(pool.inUse(port));
            assertEquals(MapErrors.OK, table.release(POD.hi(), POD.lo(), 51000, REMOTE.hi(), REMOTE.lo(), 443, TCP, out));
            assertFalse(pool.inUse(port));
            assertEquals(0, table.count());
            assertEquals(0, table.reverseCount());
            assertEquals(-167, table.lookupReverse(REMOTE.hi(), REMOTE.lo(), 443, NODE.hi(), NODE.lo(), port, TCP, out));
            assertEquals(MapErrors.ENOENT, table.release(POD.hi(), POD.lo(), 51000, REMOTE.hi(), REMOTE.lo(), 443, TCP, out));
            assertEquals(0, pool.usedCount());
        }
    }

    @Test
    void shouldMapIcmpEchoIdentifiersWithTheirOwnBitmap() {
        try (SnatTable table = SnatTable.create(config(), 7)) {
            SnatResult out = new SnatResult();
            map(table, POD, 51000, REMOTE, 443, TCP, 1, out); // takes TCP's first port
            // echo: the parser reports the identifier as both ports
            assertEquals(SnatTable.CREATED, map(table, POD, 0x1234, REMOTE, 0x1234, ICMP, 2, out));
            assertEquals(40000, out.natPort, "ICMP has its own bitmap, starting at the first id");
            SnatResult reply = new SnatResult();
            assertEquals(0, table.lookupReverse(REMOTE.hi(), REMOTE.lo(), 40000, NODE.hi(), NODE.lo(), 40000, ICMP, reply));
            assertEquals(0x1234, reply.origPort);
            assertEquals(POD.lo(), reply.origLo);
            assertEquals(MapErrors.OK, table.release(POD.hi(), POD.lo(), 0x1234, REMOTE.hi(), REMOTE.lo(), 0x1234, ICMP, out));
            assertEquals(0, table.ports(NODE.hi(), NODE.lo(), ICMP).usedCount());
        }
    }

    @Test
    void shouldRefuseUnsupportedProtocolAndMissingIpv6Address() {
        try (SnatTable table = SnatTable.create(config(), 7)) {
            SnatResult out = new SnatResult();
            assertEquals(-DropReason.NAT_UNSUPPORTED_PROTOCOL.code(), map(table, POD, 1, REMOTE, 1, 47, 1, out));
            IpAddress pod6 = IpAddress.parse("fd00::5");
            IpAddress remote6 = IpAddress.parse("2606:4700::1111");
            assertEquals(-167, map(table, pod6, 1000, remote6, 443, TCP, 1, out));
        }
    }

    @Test
    void shouldMapIpv6FlowsBehindNodeIpv6Address() {
        IpAddress node6 = IpAddress.parse("2001:db8::10");
        try (SnatTable table = SnatTable.create(config().withNodeIpv6(node6.hi(), node6.lo()), 7)) {
            SnatResult out = new SnatResult();
            IpAddress pod6 = IpAddress.parse("fd00::5");
            IpAddress remote6 = IpAddress.parse("2606:4700::1111");
            assertEquals(SnatTable.CREATED, map(table, pod6, 1000, remote6, 443, TCP, 1, out));
            assertEquals(node6.hi(), out.natHi);
            assertEquals(node6.lo(), out.natLo);
            SnatResult reply = new SnatResult();
            assertEquals(0, table.lookupReverse(remote6.hi(), remote6.lo(), 443, node6.hi(), node6.lo(), out.natPort, TCP, reply));
            assertEquals(pod6.lo(), reply.origLo);
            assertEquals(pod6.hi(), reply.origHi);
        }
    }

    @Test
    void shouldUseEgressIpBitmapWhenMappedBehindAnotherNatAddress() {
        IpAddress egress = IpAddress.parse("192.168.1.200");
        try (SnatTable table = SnatTable.create(config(), 7)) {
            SnatResult out = new SnatResult();
            assertEquals(-167, table.mapEgress(POD.hi(), POD.lo(), 1, REMOTE.hi(), REMOTE.lo(), 2, TCP,
                    egress.hi(), egress.lo(), 1, out), "no pool until the address is added");
            assertEquals(MapErrors.OK, table.addNatAddress(egress.hi(), egress.lo()));
            assertEquals(SnatTable.CREATED, table.mapEgress(POD.hi(), POD.lo(), 1, REMOTE.hi(), REMOTE.lo(), 2, TCP,
                    egress.hi(), egress.lo(), 1, out));
            assertEquals(egress.lo(), out.natLo);
            assertEquals(1, table.ports(egress.hi(), egress.lo(), TCP).usedCount());
            assertEquals(0, table.ports(NODE.hi(), NODE.lo(), TCP).usedCount());
        }
    }

    @Test
    void shouldGiveEachFlowOneMappingWhenWorkersRaceForTheSameFlows() throws Exception {
        SnatConfig config = config().withPortRange(32768, 65535).withSizes(4096, 4);
        try (SnatTable table = SnatTable.create(config, 7)) {
            int flows = 2000;
            int[][] ports = new int[4][flows];
            Thread[] workers = new Thread[4];
            for (int t = 0; t < workers.length; t++) {
                int[] mine = ports[t];
                workers[t] = new Thread(() -> {
                    SnatResult out = new SnatResult();
                    for (int i = 0; i < flows; i++) {
                        int rc = map(table, POD, 1024 + i, REMOTE, 443, TCP, i, out);
                        mine[i] = rc >= 0 ? out.natPort : rc;
                    }
                });
                workers[t].start();
            }
            for (Thread worker : workers) {
                worker.join();
            }
            for (int i = 0; i < flows; i++) {
                for (int t = 1; t < workers.length; t++) {
                    assertEquals(ports[0][i], ports[t][i], "flow " + i);
                }
                assertNotEquals(-167, ports[0][i]);
            }
            assertEquals(flows, table.count());
            assertEquals(flows, table.reverseCount());
            assertEquals(flows, table.ports(NODE.hi(), NODE.lo(), TCP).usedCount(), "losers freed their ports");
        }
    }
}
