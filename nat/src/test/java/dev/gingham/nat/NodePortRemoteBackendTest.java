package dev.gingham.nat;

import dev.gingham.conntrack.CtConfig;
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
import dev.gingham.nat.snat.EgressGateway;
import dev.gingham.nat.snat.MasqueradePolicy;
import dev.gingham.nat.snat.SnatConfig;
import dev.gingham.nat.snat.SnatTable;
import dev.gingham.packet.BufferPool;
import dev.gingham.packet.FrameVector;
import dev.gingham.packet.NetworkOrder;
import dev.gingham.packet.PacketBuilder;
import dev.gingham.packet.Parser;
import dev.gingham.packet.Verdict;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * NodePort from outside the cluster to a backend on another node: DNAT to the backend plus SNAT
 * to this node, so the backend's reply comes back here, where both translations are undone.
 * The programs run in the order a worker runs them: ServiceNat then Masquerade on the way in;
 * ReverseSnat then ReverseServiceNat on the way back.
 */
class NodePortRemoteBackendTest {
    private static final String NODE = "192.168.1.10";
    private static final String CLIENT = "198.18.0.9";
    private static final String REMOTE_BACKEND = "10.0.2.7";

    private final LbMaps maps = LbMaps.create(LbConfig.defaults(List.of(IpAddress.parse(NODE))).withCapacity(16, 64, 256, 16, 4), 7L);
    private final ServiceLookup lookup = new ServiceLookup(maps, 0);
    private final CtTable conntrack = CtTable.create(new CtConfig(1024, 1024, CtLifetimes.defaults()), 5L);
    private final SnatConfig snatConfig = SnatConfig.of(NODE, List.of("10.0.0.0/16"), List.of("10.96.0.0/12")).withSizes(1024, 4);
    private final SnatTable snat = SnatTable.create(snatConfig, 3L);
    private final MasqueradePolicy policy = MasqueradePolicy.create(snatConfig);
    private final EgressGateway gateway = EgressGateway.create(4, 4);
    private final ServiceNat serviceNat = new ServiceNat(lookup, conntrack, IpAddress.parse("169.254.42.1"));
    private final Masquerade masquerade = new Masquerade(snat, policy, gateway, conntrack);
    private final ReverseSnat reverseSnat = new ReverseSnat(snat);
    private final ReverseServiceNat reverseServiceNat = new ReverseServiceNat(lookup, conntrack);
    private final FrameVector vector = new FrameVector(BufferPool.allocate(4, BufferPool.DEFAULT_BUFFER_SIZE));
    private final Parser parser = new Parser();

    @AfterEach
    void tearDown() {
        vector.releaseAll();
        conntrack.close();
        snat.close();
        policy.close();
        gateway.close();
        maps.close();
    }

    private void load(byte[] frame) {
        vector.releaseAll();
        int i = PacketBuilder.load(vector, 1, frame);
        assertEquals(Verdict.CONTINUE, parser.parse(vector, i));
    }

    @Test
    void shouldDnatAndSnatOnTheWayInAndUndoBothOnTheWayBack() {
        new ServiceTable(maps).upsert(new ServiceSpec("default", "web", ServiceSpec.Type.NODE_PORT,
                List.of(IpAddress.parse("10.96.0.10")), List.of(), List.of(),
                List.of(new ServiceSpec.Port("http", L4Protocol.TCP, 80, 30080)), Algorithm.RANDOM, 0,
                ServiceSpec.TrafficPolicy.CLUSTER, ServiceSpec.TrafficPolicy.CLUSTER, ServiceSpec.NoBackendAction.REJECT,
                List.of(new ServiceSpec.Backend("http", IpAddress.parse(REMOTE_BACKEND), 8080, BackendState.ACTIVE, 1, false, 0))));

        load(PacketBuilder.tcp4(CLIENT, 50000, NODE, 30080).flags(0x02).payload(16).build());
        serviceNat.process(vector, Scope.EXTERNAL, 1_000);
        masquerade.process(vector, 1_000);
        assertEquals(Verdict.CONTINUE, vector.verdict(0));
        int natPort = NetworkOrder.u16(vector.segment(), vector.l4Offset(0));
        assertArrayEquals(PacketBuilder.tcp4(NODE, natPort, REMOTE_BACKEND, 8080).flags(0x02).payload(16).build(),
                PacketBuilder.bytesOf(vector, 0));
        assertEquals(2, conntrack.tcpCount(), "the service entry (client to node port) and the flow entry (client to backend)");

        load(PacketBuilder.tcp4(REMOTE_BACKEND, 8080, NODE, natPort).flags(0x12).payload(5).build());
        reverseSnat.process(vector);
        reverseServiceNat.process(vector, 2_000);
        assertEquals(Verdict.CONTINUE, vector.verdict(0));
        assertArrayEquals(PacketBuilder.tcp4(NODE, 30080, CLIENT, 50000).flags(0x12).payload(5).build(),
                PacketBuilder.bytesOf(vector, 0));
    }

    @Test
    void shouldNotSnatNodePortTrafficToALocalBackend() {
        new ServiceTable(maps).upsert(new ServiceSpec("default", "web", ServiceSpec.Type.NODE_PORT,
                List.of(IpAddress.parse("10.96.0.10")), List.of(), List.of(),
                List.of(new ServiceSpec.Port("http", L4Protocol.TCP, 80, 30080)), Algorithm.RANDOM, 0,
                ServiceSpec.TrafficPolicy.CLUSTER, ServiceSpec.TrafficPolicy.CLUSTER, ServiceSpec.NoBackendAction.REJECT,
                List.of(new ServiceSpec.Backend("http", IpAddress.parse("10.0.1.9"), 8080, BackendState.ACTIVE, 1, true, 0))));

        load(PacketBuilder.tcp4(CLIENT, 50000, NODE, 30080).flags(0x02).payload(16).build());
        serviceNat.process(vector, Scope.EXTERNAL, 1_000);
        masquerade.process(vector, 1_000);
        assertArrayEquals(PacketBuilder.tcp4(CLIENT, 50000, "10.0.1.9", 8080).flags(0x02).payload(16).build(),
                PacketBuilder.bytesOf(vector, 0), "the client address is preserved for a local backend");
    }
}
