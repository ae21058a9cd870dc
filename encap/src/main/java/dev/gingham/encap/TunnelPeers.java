package dev.gingham.encap;

import dev.gingham.maps.HashMap;
import dev.gingham.maps.MapErrors;
import dev.gingham.maps.MapSpec;
import dev.gingham.maps.UpdateFlags;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;

/**
 * The other nodes of the cluster by underlay address: who may send us tunnel packets, which
 * MAC an outer frame to them is addressed to (the peer's own, or the underlay gateway's when the
 * peer is behind a router; the daemon resolves it), and the MAC of the peer's tunnel endpoint
 * (VTEP) that inner frames are addressed to: a Linux VXLAN device (flannel's {@code flannel.1})
 * hands its IP stack only frames sent to its own MAC, the {@code VtepMAC} flannel publishes in
 * its Node annotation; a Gingham peer gives its gateway MAC. Encapsulation reads it after the
 * {@link IpCache} named the tunnel endpoint; decapsulation reads it to refuse tunnel packets from
 * addresses that are not nodes (a pod or an outside host could otherwise inject frames with any
 * inner source and identity).
 *
 * <pre>
 * key   (8 bytes)  underlay IPv4 address as a native-order long (zero-extended big-endian int value)
 * value (24 bytes, native order)
 *   +0 node id          u32
 *   +4 reserved         u32
 *   +8 next-hop MAC     u64  (low 48 bits): outer Ethernet destination
 *   +16 VTEP MAC        u64  (low 48 bits): inner Ethernet destination (VXLAN, Geneve)
 * </pre>
 *
 * <p>Written by {@link NodeRoutes} on the control agent's thread; read by workers lock-free.
 */
public final class TunnelPeers implements AutoCloseable {
    public static final long MISSING = MapErrors.MISSING;
    public static final int VALUE_SIZE = 24;
    private static final int NODE_ID_OFFSET = 0;
    private static final int MAC_OFFSET = 8;
    private static final int VTEP_MAC_OFFSET = 16;
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED;

    private final HashMap map;
    private final MemorySegment segment;
    private final Arena writerArena = Arena.ofShared();
    private final MemorySegment writerKey = writerArena.allocate(8, 8);
    private final MemorySegment writerValue = writerArena.allocate(VALUE_SIZE, 8);

    private TunnelPeers(HashMap map) {
        this.map = map;
        this.segment = map.segment();
    }

    public static TunnelPeers create(int maxNodes) {
        return new TunnelPeers(HashMap.create(spec(maxNodes)));
    }

    /** Opens (or creates) the pinned map {@code tunnel-peers.map} in {@code directory}. */
    public static TunnelPeers pinned(Path directory, int maxNodes) {
        return new TunnelPeers(HashMap.pinned(spec(maxNodes), directory.resolve("tunnel-peers.map")));
    }

    private static MapSpec spec(int maxNodes) {
        return MapSpec.hash("tunnel_peers", 8, VALUE_SIZE, maxNodes);
    }

    /** Adds or replaces a peer. Returns: 0 or a negative errno (E2BIG when full). */
    int upsert(int underlayAddress, int nodeId, long nextHopMac, long vtepMac) {
        writerKey.set(LONG, 0, key(underlayAddress));
        writerValue.set(LONG, NODE_ID_OFFSET, nodeId & 0xFFFF_FFFFL);
        writerValue.set(LONG, MAC_OFFSET, nextHopMac);
        writerValue.set(LONG, VTEP_MAC_OFFSET, vtepMac);
        return map.update(writerKey, 0, writerValue, 0, UpdateFlags.ANY);
    }

    /** Returns: 0 or ENOENT. */
    int remove(int underlayAddress) {
        writerKey.set(LONG, 0, key(underlayAddress));
        return map.delete(writerKey, 0);
    }

    /** Returns: the peer's slot, or {@link #MISSING} when the address is not a node's. */
    public long lookup(int underlayAddress) {
        return map.lookup(key(underlayAddress));
    }

    public int nodeId(long slot) {
        return (int) segment.get(LONG, slot + NODE_ID_OFFSET);
    }

    /** Returns: the MAC an outer frame to this peer is sent to. */
    public long nextHopMac(long slot) {
        return segment.get(LONG, slot + MAC_OFFSET);
    }

    /** Returns: the MAC inner frames to this peer are addressed to. */
    public long vtepMac(long slot) {
        return segment.get(LONG, slot + VTEP_MAC_OFFSET);
    }

    public int count() {
        return map.count();
    }

    private static long key(int underlayAddress) {
        return underlayAddress & 0xFFFF_FFFFL;
    }

    @Override
    public void close() {
        map.close();
        writerArena.close();
    }
}
