package dev.gingham.nat;

import dev.gingham.conntrack.CtConfig;
import dev.gingham.conntrack.CtEntry;
import dev.gingham.conntrack.CtResult;
import dev.gingham.conntrack.CtStatus;
import dev.gingham.conntrack.CtLifetimes;
import dev.gingham.conntrack.CtTable;
import dev.gingham.nat.lb.Algorithm;
import dev.gingham.nat.lb.BackendState;
import dev.gingham.nat.lb.L4Protocol;
import dev.gingham.nat.lb.LbConfig;
import dev.gingham.nat.lb.LbMaps;
import dev.gingham.nat.lb.Scope;
import dev.gingham.nat.lb.ServiceLookup;
import dev.gingham.nat.lb.ServiceSpec;
import dev.gingham.nat.lb.ServiceTable;
import dev.gingham.packet.BufferPool;
import dev.gingham.packet.DropReason;
import dev.gingham.packet.FrameVector;
import dev.gingham.packet.PacketBuilder;
import dev.gingham.packet.Parser;
import dev.gingham.packet.Verdict;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static dev.gingham.nat.ServiceNat.MARK_SNAT_TO_NODE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The service path end to end on golden packets: client frame in, exact backend frame out,
 * backend reply in, exact VIP reply out (checksums included, since PacketBuilder computes them
 * from scratch for the expected frames).
 */
class ServiceNatTest {
    private static final IpAddress NODE = IpAddress.parse("192.168.1.10");
    private static final String CLIENT = "10.0.1.5";
    private static final String VIP = "10.96.0.10";
    private static final List<String> BACKENDS = List.of("10.0.2.7", "10.0.2.8", "10.0.3.9");
    private static final long SECOND = 1_000_000_000L;

    private final LbMaps maps = LbMaps.create(LbConfig.defaults(List.of(NODE)).withCapacity(16, 64, 256, 16, 4), 7L);
    private final ServiceTable table = new ServiceTable(maps);
    private final ServiceLookup lookup = new ServiceLookup(maps, 0);
    private final CtTable conntrack = CtTable.create(new CtConfig(1024, 1024, CtLifetimes.defaults()), 5L);
    private final ServiceNat serviceNat = new ServiceNat(lookup, conntrack, IpAddress.parse("169.254.42.1"));
    private final ReverseServiceNat reverseNat = new ReverseServiceNat(lookup, conntrack);
    private final BufferPool pool = BufferPool.allocate(16, BufferPool.DEFAULT_BUFFER_SIZE);
    private final FrameVector vector = new FrameVector(pool);
    private final Parser parser = new Parser();

    @AfterEach
    void tearDown() {
        vector.releaseAll();
        conntrack.close();
        maps.close();
    }

    private static ServiceSpec service(ServiceSpec.Type type, Algorithm algorithm, List<ServiceSpec.Backend> backends,
                                       ServiceSpec.NoBackendAction noBackend, List<IpAddress> externalIps, List<IpAddress> lbIps) {
        return new ServiceSpec("default", "web", type, List.of(IpAddress.parse(VIP)), externalIps, lbIps,
                List.of(new ServiceSpec.Port("http", L4Protocol.TCP, 80, type == ServiceSpec.Type.CLUSTER_IP ? 0 : 30080)),
                algorithm, 0, ServiceSpec.TrafficPolicy.CLUSTER, ServiceSpec.TrafficPolicy.CLUSTER, noBackend, backends);
    }

    private static List<ServiceSpec.Backend> backends(BackendState state) {
        List<ServiceSpec.Backend> list = new ArrayList<>();
        for (String address : BACKENDS) {
            list.add(new ServiceSpec.Backend("http", IpAddress.parse(address), 8080, state, 1, true, 0));
        }
        return list;
    }

    private static ServiceSpec clusterIp(Algorithm algorithm) {
        return service(ServiceSpec.Type.CLUSTER_IP, algorithm, backends(BackendState.ACTIVE),
                ServiceSpec.NoBackendAction.REJECT, List.of(), List.of());
    }

    /** Runs one frame through the forward service program; returns the frame's verdict. */
    private int forward(byte[] frame, int scope, long nowNs) {
        vector.releaseAll();
        int i = PacketBuilder.load(vector, 3, frame);
        assertEquals(Verdict.CONTINUE, parser.parse(vector, i));
        serviceNat.process(vector, scope, nowNs);
        return vector.verdict(i);
    }

    private int reverse(byte[] frame, long nowNs) {
        vector.releaseAll();
        int i = PacketBuilder.load(vector, 4, frame);
        assertEquals(Verdict.CONTINUE, parser.parse(vector, i));
        reverseNat.process(vector, nowNs);
        return vector.verdict(i);
    }

    private byte[] out() {
        return PacketBuilder.bytesOf(vector, 0);
    }

    /** Returns: which backend the translated frame went to, checking it byte for byte. */
    private String assertSentToABackend(String client, int clientPort, int flags) {
        byte[] actual = out();
        for (String backend : BACKENDS) {
            byte[] expected = PacketBuilder.tcp4(client, clientPort, backend, 8080).flags(flags).payload(12).build();
            if (java.util.Arrays.equals(expected, actual)) {
                return backend;
            }
        }
        throw new AssertionError("frame went to no backend byte-exactly: " + PacketBuilder.hex(actual));
    }

    @ParameterizedTest
    @EnumSource(Algorithm.class)
    void shouldTranslateToABackendAndRestoreTheVipOnTheReplyWithEveryAlgorithm(Algorithm algorithm) {
        table.upsert(clusterIp(algorithm));

        assertEquals(Verdict.CONTINUE, forward(PacketBuilder.tcp4(CLIENT, 40000, VIP, 80).flags(0x02).payload(12).build(), Scope.INTERNAL, SECOND));
        String backend = assertSentToABackend(CLIENT, 40000, 0x02);

        assertEquals(Verdict.CONTINUE, reverse(PacketBuilder.tcp4(backend, 8080, CLIENT, 40000).flags(0x12).payload(12).build(), 2 * SECOND));
        assertArrayEquals(PacketBuilder.tcp4(VIP, 80, CLIENT, 40000).flags(0x12).payload(12).build(), out());

        assertEquals(Verdict.CONTINUE, forward(PacketBuilder.tcp4(CLIENT, 40000, VIP, 80).flags(0x10).payload(12).build(), Scope.INTERNAL, 3 * SECOND));
        assertEquals(backend, assertSentToABackend(CLIENT, 40000, 0x10), "the flow keeps its backend");
    }

    @Test
    void shouldSpreadNewFlowsOverTheBackends() {
        table.upsert(clusterIp(Algorithm.RANDOM));
        Set<String> chosen = new HashSet<>();
        for (int port = 40000; port < 40060; port++) {
            forward(PacketBuilder.tcp4(CLIENT, port, VIP, 80).flags(0x02).payload(12).build(), Scope.INTERNAL, SECOND);
            chosen.add(assertSentToABackend(CLIENT, port, 0x02));
        }
        assertEquals(Set.copyOf(BACKENDS), chosen);
    }

    @Test
    void shouldServeNodePortOnTheNodeAddressAndLoadBalancerAndExternalIps() {
        table.upsert(service(ServiceSpec.Type.LOAD_BALANCER, Algorithm.MAGLEV, backends(BackendState.ACTIVE),
                ServiceSpec.NoBackendAction.REJECT, List.of(IpAddress.parse("203.0.113.7")), List.of(IpAddress.parse("198.51.100.20"))));
        String outside = "198.18.0.9";

        forward(PacketBuilder.tcp4(outside, 50000, "192.168.1.10", 30080).flags(0x02).payload(12).build(), Scope.EXTERNAL, SECOND);
        String viaNodePort = assertSentToABackend(outside, 50000, 0x02);
        assertEquals(Verdict.CONTINUE, reverse(PacketBuilder.tcp4(viaNodePort, 8080, outside, 50000).flags(0x12).payload(12).build(), SECOND));
        assertArrayEquals(PacketBuilder.tcp4("192.168.1.10", 30080, outside, 50000).flags(0x12).payload(12).build(), out());

        forward(PacketBuilder.tcp4(outside, 50001, "198.51.100.20", 80).flags(0x02).payload(12).build(), Scope.EXTERNAL, SECOND);
        String viaLoadBalancer = assertSentToABackend(outside, 50001, 0x02);
        reverse(PacketBuilder.tcp4(viaLoadBalancer, 8080, outside, 50001).flags(0x12).payload(12).build(), SECOND);
        assertArrayEquals(PacketBuilder.tcp4("198.51.100.20", 80, outside, 50001).flags(0x12).payload(12).build(), out());

        forward(PacketBuilder.tcp4(outside, 50002, "203.0.113.7", 80).flags(0x02).payload(12).build(), Scope.EXTERNAL, SECOND);
        String viaExternalIp = assertSentToABackend(outside, 50002, 0x02);
        reverse(PacketBuilder.tcp4(viaExternalIp, 8080, outside, 50002).flags(0x12).payload(12).build(), SECOND);
        assertArrayEquals(PacketBuilder.tcp4("203.0.113.7", 80, outside, 50002).flags(0x12).payload(12).build(), out());
    }

    @Test
    void shouldKeepExistingFlowsOnATerminatingBackendButSendNewFlowsElsewhere() {
        table.upsert(clusterIp(Algorithm.RANDOM));
        forward(PacketBuilder.tcp4(CLIENT, 40000, VIP, 80).flags(0x02).payload(12).build(), Scope.INTERNAL, SECOND);
        String first = assertSentToABackend(CLIENT, 40000, 0x02);

        List<ServiceSpec.Backend> updated = new ArrayList<>();
        for (ServiceSpec.Backend b : backends(BackendState.ACTIVE)) {
            boolean terminating = b.address().equals(IpAddress.parse(first));
            updated.add(new ServiceSpec.Backend("http", b.address(), 8080,
                    terminating ? BackendState.TERMINATING : BackendState.ACTIVE, 1, true, 0));
        }
        table.upsert(service(ServiceSpec.Type.CLUSTER_IP, Algorithm.RANDOM, updated, ServiceSpec.NoBackendAction.REJECT, List.of(), List.of()));

        forward(PacketBuilder.tcp4(CLIENT, 40000, VIP, 80).flags(0x10).payload(12).build(), Scope.INTERNAL, 2 * SECOND);
        assertEquals(first, assertSentToABackend(CLIENT, 40000, 0x10), "existing flow stays on its terminating backend");
        for (int port = 41000; port < 41040; port++) {
            forward(PacketBuilder.tcp4(CLIENT, port, VIP, 80).flags(0x02).payload(12).build(), Scope.INTERNAL, 2 * SECOND);
            assertTrue(!first.equals(assertSentToABackend(CLIENT, port, 0x02)), "new flow on the terminating backend");
        }
    }

    @Test
    void shouldRejectWithPortUnreachableFromTheVipWhenNoBackendIsUsable() {
        table.upsert(service(ServiceSpec.Type.CLUSTER_IP, Algorithm.RANDOM, backends(BackendState.TERMINATING),
                ServiceSpec.NoBackendAction.REJECT, List.of(), List.of()));
        byte[] syn = PacketBuilder.tcp4(CLIENT, 40000, VIP, 80).flags(0x02).payload(12).build();

        assertEquals(Verdict.tx(3), forward(syn, Scope.INTERNAL, SECOND), "sent back out of the ingress port");

        byte[] expected = PacketBuilder.icmp4Error(3, 3, VIP, CLIENT, PacketBuilder.ipPacketOf(syn))
                .srcMac(PacketBuilder.DEFAULT_DST_MAC).dstMac(PacketBuilder.DEFAULT_SRC_MAC).tos(0xC0).ipId(0).build();
        assertArrayEquals(expected, out());
        assertEquals(1, serviceNat.noServiceCount());
        assertEquals(1, serviceNat.rejectedCount());
    }

    @Test
    void shouldDropWithNoServiceWhenConfiguredToDrop() {
        table.upsert(service(ServiceSpec.Type.CLUSTER_IP, Algorithm.RANDOM, List.of(),
                ServiceSpec.NoBackendAction.DROP, List.of(), List.of()));
        assertEquals(DropReason.NO_SERVICE.verdict(),
                forward(PacketBuilder.tcp4(CLIENT, 40000, VIP, 80).flags(0x02).build(), Scope.INTERNAL, SECOND));
        assertEquals(1, serviceNat.noServiceCount());
        assertEquals(0, serviceNat.rejectedCount());
    }

    @Test
    void shouldHairpinThroughTheLoopbackAddressWhenAPodReachesItself() {
        table.upsert(service(ServiceSpec.Type.CLUSTER_IP, Algorithm.RANDOM,
                List.of(new ServiceSpec.Backend("http", IpAddress.parse(CLIENT), 8080, BackendState.ACTIVE, 1, true, 0)),
                ServiceSpec.NoBackendAction.REJECT, List.of(), List.of()));

        forward(PacketBuilder.tcp4(CLIENT, 40000, VIP, 80).flags(0x02).payload(12).build(), Scope.INTERNAL, SECOND);
        assertArrayEquals(PacketBuilder.tcp4("169.254.42.1", 40000, CLIENT, 8080).flags(0x02).payload(12).build(), out());

        reverse(PacketBuilder.tcp4(CLIENT, 8080, "169.254.42.1", 40000).flags(0x12).payload(12).build(), SECOND);
        assertArrayEquals(PacketBuilder.tcp4(VIP, 80, CLIENT, 40000).flags(0x12).payload(12).build(), out());
    }

    @Test
    void shouldTranslateAnIcmpErrorFromTheBackendBackToTheVip() {
        table.upsert(clusterIp(Algorithm.MAGLEV));
        forward(PacketBuilder.tcp4(CLIENT, 40000, VIP, 80).flags(0x02).payload(12).build(), Scope.INTERNAL, SECOND);
        String backend = assertSentToABackend(CLIENT, 40000, 0x02);
        byte[] sent = PacketBuilder.ipPacketOf(out());

        reverse(PacketBuilder.icmp4Error(3, 3, backend, CLIENT, sent).build(), SECOND);

        byte[] clientSent = PacketBuilder.ipPacketOf(PacketBuilder.tcp4(CLIENT, 40000, VIP, 80).flags(0x02).payload(12).build());
        assertArrayEquals(PacketBuilder.icmp4Error(3, 3, VIP, CLIENT, clientSent).build(), out());
    }

    @Test
    void shouldDropSctpToAServiceFrontend() {
        table.upsert(clusterIp(Algorithm.RANDOM));
        // SCTP (protocol 132): the builder has no SCTP kind, so rewrite a UDP frame's protocol field.
        byte[] frame = PacketBuilder.udp4(CLIENT, 40000, VIP, 80).payload(16).build();
        frame[14 + 9] = (byte) 132;
        int sum = 0;
        frame[14 + 10] = 0;
        frame[14 + 11] = 0;
        for (int k = 0; k < 20; k += 2) {
            sum += ((frame[14 + k] & 0xFF) << 8) | (frame[14 + k + 1] & 0xFF);
        }
        sum = (sum & 0xFFFF) + (sum >>> 16);
        sum = (sum & 0xFFFF) + (sum >>> 16);
        frame[14 + 10] = (byte) (~sum >> 8);
        frame[14 + 11] = (byte) ~sum;
        assertEquals(DropReason.SERVICE_UNSUPPORTED_PROTOCOL.verdict(), forward(frame, Scope.INTERNAL, SECOND));
    }

    /**
     * The program runs a vector in passes (frontends, then service entries and DNAT, then flow
     * entries): a SYN retransmitted in the same vector must still find its flow's backend and
     * flow entry, and frames that are not for the service must pass untouched between them.
     */
    @Test
    void shouldMarkAnAlreadyTrackedTupleForSnatWhenNodePortTrafficGoesToABackendOnAnotherNode() {
        String remoteBackend = "10.0.2.7";
        table.upsert(service(ServiceSpec.Type.NODE_PORT, Algorithm.RANDOM,
                List.of(new ServiceSpec.Backend("http", IpAddress.parse(remoteBackend), 8080, BackendState.ACTIVE, 1, false, 0)),
                ServiceSpec.NoBackendAction.REJECT, List.of(), List.of()));
        String outside = "198.18.0.9";
        // The translated tuple is already tracked, without flags: another way in made it first
        // (found by gingham fuzz with its conntrack tables full).
        vector.releaseAll();
        int t = PacketBuilder.load(vector, 3, PacketBuilder.tcp4(outside, 50000, remoteBackend, 8080).flags(0x02).build());
        assertEquals(Verdict.CONTINUE, parser.parse(vector, t));
        CtResult result = new CtResult();
        assertEquals(CtStatus.NEW, conntrack.lookup(vector, t, result));
        assertTrue(conntrack.create(vector, t, SECOND, result) >= 0);
        assertEquals(0, result.entry().flags() & CtEntry.FLAG_SNAT);

        assertEquals(Verdict.CONTINUE, forward(PacketBuilder.tcp4(outside, 50000, "192.168.1.10", 30080).flags(0x10).payload(12)
                .build(), Scope.EXTERNAL, 2 * SECOND));

        assertEquals(MARK_SNAT_TO_NODE, vector.mark(0) & MARK_SNAT_TO_NODE, "Masquerade will map it to the node");
        assertEquals(CtStatus.ESTABLISHED, conntrack.lookup(vector, 0, result));
        int flags = result.entry().flags();
        assertEquals(CtEntry.FLAG_SNAT | CtEntry.FLAG_NODEPORT, flags & (CtEntry.FLAG_SNAT | CtEntry.FLAG_NODEPORT),
                "only a flagged entry releases the SNAT mapping when it expires");
    }

    @Test
    void shouldKeepEachFlowOnOneBackendWhenSeveralNewFlowsShareAVector() {
        table.upsert(clusterIp(Algorithm.MAGLEV));
        vector.releaseAll();
        byte[] other = PacketBuilder.tcp4(CLIENT, 40_009, "10.0.2.7", 8080).flags(PacketBuilder.SYN).payload(12).build();
        int[] clientPorts = {40_001, 40_002, 0, 40_001, 40_003};
        for (int clientPort : clientPorts) {
            byte[] frame = clientPort == 0 ? other
                    : PacketBuilder.tcp4(CLIENT, clientPort, VIP, 80).flags(PacketBuilder.SYN).payload(12).build();
            int i = PacketBuilder.load(vector, 3, frame);
            assertEquals(Verdict.CONTINUE, parser.parse(vector, i));
        }

        assertEquals(4, serviceNat.process(vector, Scope.INTERNAL, SECOND));

        String[] backendOf = new String[clientPorts.length];
        for (int i = 0; i < clientPorts.length; i++) {
            assertEquals(Verdict.CONTINUE, vector.verdict(i));
            if (clientPorts[i] == 0) {
                assertArrayEquals(other, PacketBuilder.bytesOf(vector, i));
                continue;
            }
            byte[] actual = PacketBuilder.bytesOf(vector, i);
            for (String backend : BACKENDS) {
                if (java.util.Arrays.equals(PacketBuilder.tcp4(CLIENT, clientPorts[i], backend, 8080)
                        .flags(PacketBuilder.SYN).payload(12).build(), actual)) {
                    backendOf[i] = backend;
                }
            }
            assertTrue(backendOf[i] != null, "frame " + i + " went to no backend byte-exactly: " + PacketBuilder.hex(actual));
        }
        assertEquals(backendOf[0], backendOf[3]);
        assertEquals(6, conntrack.tcpCount()); // a service entry and a flow entry for each of the three flows
        assertEquals(0, serviceNat.noServiceCount());
    }
}
