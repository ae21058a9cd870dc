package dev.gingham.encap;

import dev.gingham.packet.Cidr;
import dev.gingham.maps.MapErrors;
import dev.gingham.packet.MappedAddress;
import dev.gingham.packet.PacketBuilder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

class NodeRoutesTest {
    private final IpCache ipCache = IpCache.create(64);
    private final TunnelPeers peers = TunnelPeers.create(8);
    private final NodeRoutes routes = new NodeRoutes(ipCache, peers);

    @AfterEach
    void tearDown() {
        ipCache.close();
        peers.close();
    }

    private long route(String address) {
        return ipCache.lookup(0, MappedAddress.lo4(PacketBuilder.ip4(address)));
    }

    @Test
    void shouldRoutePodCidrsToUnderlayAddressWhenNodeIsAdded() {
        int b = PacketBuilder.ip4("192.168.1.20");
        assertEquals(0, routes.upsertNode(2, b, 0x02_0000_000B0BL, 0x02_0000_0000FFL, List.of(Cidr.parse("10.244.2.0/24"))));
        long slot = route("10.244.2.99");
        assertEquals(b, ipCache.tunnelEndpoint(slot));
        assertEquals(2, ipCache.nodeId(slot));
        assertEquals(IpCache.FLAG_TUNNEL, ipCache.flags(slot));
        assertEquals(NodeRoutes.POD_CIDR_IDENTITY, ipCache.identity(slot));
        assertEquals(2, peers.nodeIdOf(b));
        long peer = peers.node(2, b);
        assertEquals(0x02_0000_000B0BL, peers.nextHopMac(peer));
        assertEquals(0x02_0000_0000FFL, peers.vtepMac(peer));
        assertEquals(1, routes.nodeCount());
    }

    @Test
    void shouldRemoveOnlyPeersOfNodesNotInstalledAgainWhenRestoredPeersArePruned() {
        int kept = PacketBuilder.ip4("192.168.1.20");
        int deleted = PacketBuilder.ip4("192.168.1.30");
        int renumberedOld = PacketBuilder.ip4("192.168.1.40");
        int renumberedNew = PacketBuilder.ip4("192.168.1.41");
        // what a previous daemon left in the (pinned) peer maps
        assertEquals(0, peers.upsert(kept, 2, 0x02_0000_000B0BL, 0));
        assertEquals(0, peers.upsert(deleted, 3, 0x02_0000_000C0CL, 0));
        assertEquals(0, peers.upsert(renumberedOld, 4, 0x02_0000_000D0DL, 0));
        peers.uplink(PacketBuilder.ip4("192.168.1.1"), 0x02_0000_0000FEL);
        // this daemon's first sync installs node 2 as it was and node 4 at its new address
        NodeRoutes restarted = new NodeRoutes(ipCache, peers);
        assertEquals(0, restarted.upsertNode(2, kept, 0x02_0000_000B0BL, 0, List.of(Cidr.parse("10.244.2.0/24"))));
        assertEquals(0, restarted.upsertNode(4, renumberedNew, 0x02_0000_000D0DL, 0, List.of(Cidr.parse("10.244.4.0/24"))));

        assertEquals(3, restarted.pruneRestoredPeers(), "node 3's address and entry, node 4's old address");

        assertEquals(2, peers.nodeIdOf(kept));
        assertEquals(4, peers.nodeIdOf(renumberedNew));
        assertFalse(peers.isPeer(deleted));
        assertFalse(peers.isPeer(renumberedOld));
        assertEquals(TunnelPeers.MISSING, peers.node(3, deleted));
        assertEquals(2, peers.count());
        assertEquals(PacketBuilder.ip4("192.168.1.1"), peers.uplinkAddress(), "the uplink is not a node: kept");
        assertEquals(0, restarted.pruneRestoredPeers(), "nothing left to prune");
    }

    @Test
    void shouldReplaceStaleRoutesAndAddressWhenNodeIsUpdated() {
        int oldAddress = PacketBuilder.ip4("192.168.1.20");
        int newAddress = PacketBuilder.ip4("192.168.1.21");
        routes.upsertNode(2, oldAddress, 0x02_0000_000B0BL, 0x02_0000_0000FFL,
                List.of(Cidr.parse("10.244.2.0/24"), Cidr.parse("10.244.3.0/24")));
        assertEquals(0, routes.upsertNode(2, newAddress, 0x02_0000_000B0CL, 0x02_0000_0000FFL,
                List.of(Cidr.parse("10.244.2.0/24"), Cidr.parse("fd00:2::/64"))));
        assertEquals(newAddress, ipCache.tunnelEndpoint(route("10.244.2.1")));
        assertEquals(IpCache.MISSING, route("10.244.3.1"), "CIDR the node no longer lists is gone");
        long[] v6 = PacketBuilder.ip6("fd00:2::1");
        assertEquals(newAddress, ipCache.tunnelEndpoint(ipCache.lookup(v6[0], v6[1])));
        assertFalse(peers.isPeer(oldAddress));
        assertEquals(TunnelPeers.MISSING, peers.node(2, oldAddress), "the node entry names only the new address");
        assertEquals(0x02_0000_000B0CL, peers.nextHopMac(peers.node(2, newAddress)));
    }

    @Test
    void shouldRemoveRoutesAndPeerWhenNodeIsDeleted() {
        int b = PacketBuilder.ip4("192.168.1.20");
        routes.upsertNode(2, b, 0x02_0000_000B0BL, 0x02_0000_0000FFL, List.of(Cidr.parse("10.244.2.0/24")));
        assertEquals(0, routes.removeNode(2));
        assertEquals(IpCache.MISSING, route("10.244.2.1"));
        assertFalse(peers.isPeer(b));
        assertEquals(0, peers.nodeIdOf(b));
        assertEquals(TunnelPeers.MISSING, peers.node(2, b));
        assertEquals(MapErrors.ENOENT, routes.removeNode(2));
        assertEquals(0, routes.nodeCount());
    }

    @Test
    void shouldRejectNodeIdOutsideSixteenBitsWhenAdded() {
        assertThrows(IllegalArgumentException.class, () -> routes.upsertNode(0, 1, 2, 3, List.of()));
        assertThrows(IllegalArgumentException.class, () -> routes.upsertNode(65536, 1, 2, 3, List.of()));
    }

    @Test
    void shouldReturnErrnoWhenPeerMapIsFull() {
        for (int n = 1; n <= 8; n++) {
            assertEquals(0, routes.upsertNode(n, PacketBuilder.ip4("192.168.2." + n), 0x02_0000_000001L, 0x02_0000_0000FFL, List.of()));
        }
        assertEquals(MapErrors.E2BIG, routes.upsertNode(9, PacketBuilder.ip4("192.168.2.9"), 0x02_0000_000001L, 0x02_0000_0000FFL, List.of()));
    }
}
