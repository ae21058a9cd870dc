package dev.gingham.jmh.encap;

import dev.gingham.encap.EndpointMap;
import dev.gingham.encap.IpCache;
import dev.gingham.packet.Cidr;
import dev.gingham.encap.NodeRoutes;
import dev.gingham.encap.TunnelConfig;
import dev.gingham.encap.TunnelMode;
import dev.gingham.encap.TunnelPeers;
import dev.gingham.packet.MappedAddress;
import dev.gingham.packet.PacketBuilder;

import java.util.List;

/**
 * Two nodes for the overlay benchmarks and the wire-overhead report (setup only): this node
 * 192.168.1.10 with pod 10.244.1.5, a peer 192.168.1.20 owning 10.244.2.0/24.
 */
final class BenchOverlay implements AutoCloseable {
    static final String LOCAL_UNDERLAY = "192.168.1.10";
    static final String PEER_UNDERLAY = "192.168.1.20";
    static final String LOCAL_POD = "10.244.1.5";
    static final String REMOTE_POD = "10.244.2.7";
    static final int POD_PORT = 5;

    final TunnelConfig config;
    final IpCache ipCache = IpCache.create(1024);
    final TunnelPeers peers = TunnelPeers.create(64);
    final EndpointMap endpoints = EndpointMap.create(64);

    BenchOverlay(TunnelMode mode, String localUnderlay, String peerUnderlay, String localPod, String peerCidr) {
        config = TunnelConfig.builder(mode, PacketBuilder.ip4(localUnderlay), 0x02_0000_000A0AL, 0,
                PacketBuilder.ip4("10.244.0.1"), 0x02_0000_000101L).build();
        new NodeRoutes(ipCache, peers).upsertNode(2, PacketBuilder.ip4(peerUnderlay), 0x02_0000_000B0BL, 0x02_0000_000201L,
                List.of(Cidr.parse(peerCidr)));
        endpoints.upsert(0, MappedAddress.lo4(PacketBuilder.ip4(localPod)), POD_PORT, 0x02_0000_000105L, 1005);
    }

    /** This node: sends to 10.244.2.0/24 through 192.168.1.20. */
    static BenchOverlay sender(TunnelMode mode) {
        return new BenchOverlay(mode, LOCAL_UNDERLAY, PEER_UNDERLAY, LOCAL_POD, "10.244.2.0/24");
    }

    /** The peer: receives from 192.168.1.10, delivers to its pod 10.244.2.7. */
    static BenchOverlay receiver(TunnelMode mode) {
        return new BenchOverlay(mode, PEER_UNDERLAY, LOCAL_UNDERLAY, REMOTE_POD, "10.244.1.0/24");
    }

    @Override
    public void close() {
        ipCache.close();
        peers.close();
        endpoints.close();
    }
}
