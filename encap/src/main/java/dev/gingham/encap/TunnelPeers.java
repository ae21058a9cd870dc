package dev.gingham.encap;

import dev.gingham.maps.ArrayMap;
import dev.gingham.maps.HashMap;
import dev.gingham.maps.MapErrors;
import dev.gingham.maps.MapSpec;
import dev.gingham.maps.UpdateFlags;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The other nodes of the cluster: who may send us tunnel packets, which MAC an outer frame to
 * a node is addressed to (the node's own, or the underlay gateway's when the node is behind a
 * router; the daemon resolves it), and the MAC of the node's tunnel endpoint (VTEP) that inner
 * frames are addressed to: a Linux VXLAN device (flannel's {@code flannel.1}) hands its IP stack
 * only frames sent to its own MAC, the {@code VtepMAC} flannel publishes in its Node annotation;
 * a Gingham node gives its gateway MAC.
 *
 * <p>Two maps, one per question, so neither hot path pays for the other's:
 * <pre>
 * nodes  (ArrayMap, index = node id 0..65535; the ipcache entry names the node, so encapsulation
 *         finds the MACs with one multiply, no hash)
 *   +0  underlay address u32 (big-endian int value; 0 = no such node)
 *   +4  reserved         u32
 *   +8  next-hop MAC     u64 (low 48 bits): outer Ethernet destination
 *   +16 VTEP MAC         u64 (low 48 bits): inner Ethernet destination (VXLAN, Geneve)
 * peers  (HashMap, key = underlay address as a zero-extended long, value = node id as a long):
 *         decapsulation asks "is this outer source a node?"
 * </pre>
 *
 * <p>Slot 0 of {@code nodes} (node ids start at 1) is the uplink: the underlay gateway's address
 * and MAC, where traffic leaving the cluster goes ({@link #uplink}). A next-hop MAC of 0 means
 * "not resolved yet": neighbour resolution writes it when the next hop answers ARP, and frames
 * to it are dropped until then.
 *
 * <p>Written by {@link NodeRoutes} on the control agent's thread (the node entry before the
 * address that leads to it; on removal the address first); read by workers without locks. A
 * node entry rewritten while a worker reads it may be seen half old, half new (the kernel's
 * array-map contract); the address check in {@link #node} catches a node id reused for another
 * node.
 */
public final class TunnelPeers implements AutoCloseable {
    public static final long MISSING = MapErrors.MISSING;
    /** Node ids are u16 (the ipcache's node id field). */
    public static final int MAX_NODE_ID = 0xFFFF;
    public static final int NODE_VALUE_SIZE = 24;
    private static final int ADDRESS_OFFSET = 0;
    private static final int NEXT_HOP_MAC_OFFSET = 8;
    private static final int VTEP_MAC_OFFSET = 16;
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED;
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED;

    private final ArrayMap nodes;
    private final HashMap peers;
    private final MemorySegment nodeSegment;
    private final MemorySegment peerSegment;
    private final Arena writerArena = Arena.ofShared();
    private final MemorySegment writerValue = writerArena.allocate(NODE_VALUE_SIZE, 8);

    private TunnelPeers(ArrayMap nodes, HashMap peers) {
        this.nodes = nodes;
        this.peers = peers;
        this.nodeSegment = nodes.segment();
        this.peerSegment = peers.segment();
    }

    /** Creates anonymous maps for up to {@code maxNodes} peers. */
    public static TunnelPeers create(int maxNodes) {
        ArrayMap nodes = ArrayMap.create(nodeSpec());
        return new TunnelPeers(nodes, HashMap.create(peerSpec(maxNodes)));
    }

    /** Opens (or creates) the pinned maps {@code tunnel-nodes.map} and {@code tunnel-peers.map} in {@code directory}. */
    public static TunnelPeers pinned(Path directory, int maxNodes) {
        ArrayMap nodes = ArrayMap.pinned(nodeSpec(), directory.resolve("tunnel-nodes.map"));
        try {
            return new TunnelPeers(nodes, HashMap.pinned(peerSpec(maxNodes), directory.resolve("tunnel-peers.map")));
        } catch (RuntimeException e) {
            nodes.close();
            throw e;
        }
    }

    private static MapSpec nodeSpec() {
        return MapSpec.array("tunnel_nodes", NODE_VALUE_SIZE, MAX_NODE_ID + 1);
    }

    private static MapSpec peerSpec(int maxNodes) {
        return MapSpec.hash("tunnel_peers", 8, 8, maxNodes);
    }

    // ---- control plane (NodeRoutes) ------------------------------------------------------------

    /** Adds or replaces node {@code nodeId} (1..65535). Returns: 0 or a negative errno (E2BIG when full). */
    int upsert(int underlayAddress, int nodeId, long nextHopMac, long vtepMac) {
        writerValue.set(INT, ADDRESS_OFFSET, underlayAddress);
        writerValue.set(INT, ADDRESS_OFFSET + 4, 0);
        writerValue.set(LONG, NEXT_HOP_MAC_OFFSET, nextHopMac);
        writerValue.set(LONG, VTEP_MAC_OFFSET, vtepMac);
        int rc = nodes.update(nodeId, writerValue, 0);
        return rc != MapErrors.OK ? rc : peers.update(key(underlayAddress), nodeId, UpdateFlags.ANY);
    }

    /**
     * Replaces only node {@code nodeId}'s next-hop MAC (neighbour resolution learned or lost it):
     * one aligned 8-byte store, so a worker sees the old MAC or the new one, never a mix.
     */
    void nextHopMac(int nodeId, long nextHopMac) {
        long slot = nodes.valueOffset(nodeId);
        if (slot != MISSING) {
            nodeSegment.set(LONG, slot + NEXT_HOP_MAC_OFFSET, nextHopMac);
        }
    }

    /**
     * Sets the uplink: the underlay gateway's address (0: none configured) and its MAC (0: not
     * resolved yet). Control agent's thread.
     */
    public void uplink(int gatewayAddress, long mac) {
        writerValue.fill((byte) 0);
        writerValue.set(INT, ADDRESS_OFFSET, gatewayAddress);
        writerValue.set(LONG, NEXT_HOP_MAC_OFFSET, mac);
        nodes.update(0, writerValue, 0);
    }

    /** Returns: the uplink's MAC, 0 when none is configured or it is not resolved yet. */
    public long uplinkMac() {
        return nodeSegment.get(LONG, nodes.valueOffset(0) + NEXT_HOP_MAC_OFFSET);
    }

    /** Returns: the uplink's (underlay gateway's) address, 0 when none is configured. */
    public int uplinkAddress() {
        return nodeSegment.get(INT, nodes.valueOffset(0) + ADDRESS_OFFSET);
    }

    /** Forgets the address of a node (it no longer sends or receives tunnel packets). Returns: 0 or ENOENT. */
    int removeAddress(int underlayAddress) {
        return peers.delete(key(underlayAddress));
    }

    /**
     * Keeps only the nodes of {@code installed} (node id to underlay address) and the uplink:
     * every other address and node entry, restored from pinned maps but no longer in the
     * cluster (or renumbered while the daemon was down), is removed, addresses first.
     *
     * @return the number of addresses and node entries removed
     */
    int retain(Map<Integer, Integer> installed) {
        List<Long> staleAddresses = new ArrayList<>();
        peers.forEach((segment, keyOffset, valueOffset) -> {
            long address = segment.get(ValueLayout.JAVA_LONG, keyOffset);
            Integer nodeAddress = installed.get((int) segment.get(ValueLayout.JAVA_LONG, valueOffset));
            if (nodeAddress == null || key(nodeAddress) != address) {
                staleAddresses.add(address);
            }
        });
        staleAddresses.forEach(address -> peers.delete(address));
        int removed = staleAddresses.size();
        for (int nodeId = 1; nodeId <= MAX_NODE_ID; nodeId++) {
            int address = nodeSegment.get(INT, nodes.valueOffset(nodeId) + ADDRESS_OFFSET);
            Integer installedAddress = installed.get(nodeId);
            if (address != 0 && (installedAddress == null || installedAddress != address)) {
                removeNode(nodeId);
                removed++;
            }
        }
        return removed;
    }

    /** Clears node {@code nodeId}'s entry (after its address and routes are gone). */
    void removeNode(int nodeId) {
        writerValue.fill((byte) 0);
        nodes.update(nodeId, writerValue, 0);
    }

    // ---- hot path -------------------------------------------------------------------------------

    /**
     * Returns: true when {@code underlayAddress} is a node's. Decapsulation asks {@link #nodeIdOf}
     * instead and remembers the answer per worker (see {@code TunnelDecap}).
     */
    public boolean isPeer(int underlayAddress) {
        return peers.lookup(key(underlayAddress)) != MISSING;
    }

    /** Returns: the node id of the node at {@code underlayAddress}, or 0 when none. */
    public int nodeIdOf(int underlayAddress) {
        long slot = peers.lookup(key(underlayAddress));
        return slot == MISSING ? 0 : (int) peerSegment.get(LONG, slot);
    }

    /**
     * Returns: the slot of node {@code nodeId} if its underlay address is {@code underlayAddress}
     * (so a route naming a removed or renumbered node is not sent to another one), else
     * {@link #MISSING}.
     */
    public long node(int nodeId, int underlayAddress) {
        long slot = nodes.valueOffset(nodeId);
        if (slot == MISSING || underlayAddress == 0 || nodeSegment.get(INT, slot + ADDRESS_OFFSET) != underlayAddress) {
            return MISSING;
        }
        return slot;
    }

    /** Returns: the MAC an outer frame to this node is sent to. */
    public long nextHopMac(long nodeSlot) {
        return nodeSegment.get(LONG, nodeSlot + NEXT_HOP_MAC_OFFSET);
    }

    /** Returns: the MAC inner frames to this node are addressed to. */
    public long vtepMac(long nodeSlot) {
        return nodeSegment.get(LONG, nodeSlot + VTEP_MAC_OFFSET);
    }

    /** Returns: the number of node addresses known. */
    public int count() {
        return peers.count();
    }

    private static long key(int underlayAddress) {
        return underlayAddress & 0xFFFF_FFFFL;
    }

    @Override
    public void close() {
        nodes.close();
        peers.close();
        writerArena.close();
    }
}
