package dev.gingham.encap;

import dev.gingham.packet.Cidr;
import dev.gingham.packet.MappedAddress;
import dev.gingham.packet.PacketBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The overlay's maps survive a restart when pinned: a new process finds routes, peers and pods as they were. */
class PinnedOverlayMapsTest {

    @Test
    void shouldFindPeersAndEndpointsWhenPinnedMapsAreReopened(@TempDir Path dir) {
        int b = PacketBuilder.ip4("192.168.1.20");
        long[] pod6 = PacketBuilder.ip6("fd00:1::5");
        try (IpCache ipCache = IpCache.pinned(dir, 64); TunnelPeers peers = TunnelPeers.pinned(dir, 8);
             EndpointMap endpoints = EndpointMap.pinned(dir, 8)) {
            assertEquals(0, new NodeRoutes(ipCache, peers).upsertNode(2, b, 0x02_0000_000B0BL, 0x02_0000_000201L,
                    List.of(Cidr.parse("10.244.2.0/24"))));
            assertEquals(0, endpoints.upsert(0, MappedAddress.lo4(PacketBuilder.ip4("10.244.1.5")), 5, 0x02_0000_000105L, 1005));
            assertEquals(0, endpoints.upsert(pod6[0], pod6[1], 6, 0x02_0000_000106L, 1006));
        }
        try (IpCache ipCache = IpCache.pinned(dir, 64); TunnelPeers peers = TunnelPeers.pinned(dir, 8);
             EndpointMap endpoints = EndpointMap.pinned(dir, 8); Arena arena = Arena.ofConfined()) {
            long route = ipCache.lookup4(PacketBuilder.ip4("10.244.2.9"));
            assertEquals(b, ipCache.tunnelEndpoint(route));
            assertTrue(peers.isPeer(b));
            long node = peers.node(ipCache.nodeId(route), b);
            assertEquals(0x02_0000_000B0BL, peers.nextHopMac(node));
            assertEquals(0x02_0000_000201L, peers.vtepMac(node));
            long pod = endpoints.lookup4(PacketBuilder.ip4("10.244.1.5"));
            assertEquals(5, endpoints.port(pod));
            assertEquals(0x02_0000_000105L, endpoints.mac(pod));
            assertEquals(1005, endpoints.identity(pod));
            MemorySegment address = arena.allocate(16);
            dev.gingham.packet.NetworkOrder.u64(address, 0, pod6[0]);
            dev.gingham.packet.NetworkOrder.u64(address, 8, pod6[1]);
            long pod6Slot = endpoints.lookup6(address, 0);
            assertEquals(6, endpoints.port(pod6Slot));
            assertEquals(1006, endpoints.identity(pod6Slot));
            assertEquals(0, endpoints.remove(pod6[0], pod6[1]));
            assertEquals(EndpointMap.MISSING, endpoints.lookup6(address, 0));
        }
    }
}
