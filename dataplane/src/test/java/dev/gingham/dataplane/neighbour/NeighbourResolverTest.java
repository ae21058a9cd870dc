package dev.gingham.dataplane.neighbour;

import dev.gingham.encap.IpCache;
import dev.gingham.encap.NodeRoutes;
import dev.gingham.encap.TunnelPeers;
import dev.gingham.packet.Cidr;
import dev.gingham.packet.PacketBuilder;
import dev.gingham.packet.header.Addresses;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

class NeighbourResolverTest {
    private static final String NODE_IP = "192.168.1.10";
    private static final String NODE_MAC = "02:00:00:00:00:10";
    private static final String PEER_IP = "192.168.1.11";
    private static final String PEER_MAC = "02:00:00:00:00:11";
    private static final String FAR_PEER_IP = "10.20.0.5";
    private static final String ROUTER_IP = "192.168.1.1";
    private static final String ROUTER_MAC = "02:00:00:00:00:fe";
    private static final long MS = 1_000_000L;

    private final IpCache ipCache = IpCache.create(64);
    private final TunnelPeers peers = TunnelPeers.create(8);
    private final NodeRoutes routes = new NodeRoutes(ipCache, peers);
    private final NeighbourObservations observations = new NeighbourObservations();
    private final List<byte[]> wire = new ArrayList<>();
    private final List<String> logged = new ArrayList<>();
    private long nowNs = 1_000 * MS;

    private NeighbourResolver resolver(String gateway, String subnet) {
        NeighbourResolver r = new NeighbourResolver(PacketBuilder.ip4(NODE_IP), mac(NODE_MAC),
                gateway == null ? 0 : PacketBuilder.ip4(gateway), subnet == null ? null : Cidr.parse(subnet), routes, peers,
                observations, (frame, length) -> wire.add(frame.asSlice(0, length).toArray(ValueLayout.JAVA_BYTE)),
                () -> nowNs, NeighbourTable.Timers.DEFAULTS, logged::add);
        routes.nextHops(r);
        return r;
    }

    private static long mac(String text) {
        return Addresses.parseMac(text);
    }

    private void addNode(int id, String address) {
        assertEquals(0, routes.upsertNode(id, PacketBuilder.ip4(address), 0, 0x02_00_00_00_00_01L,
                List.of(Cidr.parse("10.244." + (id + 1) + ".0/24"))));
    }

    private long nextHopMacOf(int id, String address) {
        return peers.nextHopMac(peers.node(id, PacketBuilder.ip4(address)));
    }

    @AfterEach
    void close() {
        ipCache.close();
        peers.close();
    }

    @Test
    void shouldAskForAPeerAndWriteItsMacWhenTheWorkersSawTheReply() {
        NeighbourResolver r = resolver(null, null);
        addNode(1, PEER_IP);
        assertEquals(0, nextHopMacOf(1, PEER_IP), "unresolved at first");
        r.getAsInt();
        assertEquals(1, wire.size());
        assertArrayEquals(PacketBuilder.arpRequest(NODE_MAC, NODE_IP, PEER_IP).build(), wire.get(0));

        observations.offer(PacketBuilder.ip4(PEER_IP), mac(PEER_MAC)); // what ArpResponder reports for the reply
        nowNs += MS;
        r.getAsInt();
        assertEquals(mac(PEER_MAC), nextHopMacOf(1, PEER_IP), "published into the map the encapsulation reads");
        assertEquals(mac(PEER_MAC), r.macFor(PacketBuilder.ip4(PEER_IP)));
        assertEquals(List.of("neighbour " + PEER_IP + " is at " + PEER_MAC), logged);
        nowNs += 10_000 * MS;
        r.getAsInt();
        assertEquals(1, wire.size(), "a resolved peer is not asked again before its refresh");
    }

    @Test
    void shouldResolveThePeersOutsideTheSubnetAndTheUplinkThroughTheGateway() {
        NeighbourResolver r = resolver(ROUTER_IP, "192.168.1.0/24");
        addNode(1, PEER_IP);
        addNode(2, FAR_PEER_IP);
        assertEquals(PacketBuilder.ip4(ROUTER_IP), peers.uplinkAddress(), "the uplink is the gateway");
        assertEquals(0, peers.uplinkMac());
        r.getAsInt();
        HexFormat hex = HexFormat.of();
        assertEquals(List.of(hex.formatHex(PacketBuilder.arpRequest(NODE_MAC, NODE_IP, PEER_IP).build()),
                        hex.formatHex(PacketBuilder.arpRequest(NODE_MAC, NODE_IP, ROUTER_IP).build())),
                wire.stream().map(hex::formatHex).toList(), "the far peer is not asked for: its next hop is the router");

        observations.offer(PacketBuilder.ip4(ROUTER_IP), mac(ROUTER_MAC));
        nowNs += MS;
        r.getAsInt();
        assertEquals(mac(ROUTER_MAC), nextHopMacOf(2, FAR_PEER_IP), "frames to the far peer go to the router");
        assertEquals(mac(ROUTER_MAC), peers.uplinkMac(), "and so does traffic leaving the cluster");
        assertEquals(0, nextHopMacOf(1, PEER_IP), "the near peer has not answered yet");
    }

    @Test
    void shouldIgnoreWhatWasSeenAboutItsOwnAddressAndAddressesItDoesNotNeed() {
        NeighbourResolver r = resolver(null, null);
        addNode(1, PEER_IP);
        observations.offer(PacketBuilder.ip4(NODE_IP), mac(PEER_MAC));
        observations.offer(PacketBuilder.ip4("192.168.1.99"), mac(PEER_MAC));
        r.getAsInt();
        assertEquals(List.of(PacketBuilder.ip4(PEER_IP)), r.table().entries().stream().map(NeighbourTable.Entry::address).toList());
        assertEquals(0, nextHopMacOf(1, PEER_IP));
    }

    @Test
    void shouldKeepAStaticMacAndNotAskForThatNode() {
        NeighbourResolver r = resolver(null, null);
        assertEquals(0, routes.upsertNode(1, PacketBuilder.ip4(PEER_IP), mac(PEER_MAC), 0x02_00_00_00_00_01L,
                List.of(Cidr.parse("10.244.2.0/24"))));
        r.getAsInt();
        assertEquals(List.of(), wire);
        assertEquals(mac(PEER_MAC), nextHopMacOf(1, PEER_IP));
    }

    @Test
    void shouldPublishASnapshotAfterACycleThatChangedTheTableAndKeepItWhileNothingChanges() throws Exception {
        NeighbourResolver r = resolver(null, null);
        addNode(1, PEER_IP);
        assertSame(NeighbourSnapshot.EMPTY, r.snapshot(), "nothing before the first cycle");
        r.getAsInt();
        assertEquals(List.of(new NeighbourTable.Entry(PacketBuilder.ip4(PEER_IP), 0, NeighbourTable.State.INCOMPLETE,
                NeighbourTable.NEVER_CONFIRMED, 1)), r.snapshot().entries());
        assertEquals(1, r.snapshot().requestsSent());

        observations.offer(PacketBuilder.ip4(PEER_IP), mac(PEER_MAC));
        observations.offer(PacketBuilder.ip4(NODE_IP), mac(PEER_MAC)); // its own address: not an observation of a neighbour
        nowNs += MS;
        r.getAsInt();
        NeighbourSnapshot learned = r.snapshot();
        assertEquals(new NeighbourTable.Entry(PacketBuilder.ip4(PEER_IP), mac(PEER_MAC), NeighbourTable.State.REACHABLE, nowNs, 0),
                learned.entries().get(0));
        assertEquals(1, learned.observations());
        assertEquals(1, learned.confirmations());

        nowNs += 10_000 * MS;
        r.getAsInt();
        assertSame(learned, r.snapshot(), "a cycle that changed nothing publishes (and allocates) nothing");
        NeighbourSnapshot[] seen = new NeighbourSnapshot[1];
        Thread reader = Thread.ofPlatform().start(() -> seen[0] = r.snapshot());
        reader.join(10_000);
        assertSame(learned, seen[0], "another thread reads the published value");
    }
}
