package dev.gingham.encap;

import dev.gingham.packet.Cidr;
import dev.gingham.maps.MapErrors;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Routes from Kubernetes Node objects, as the daemon applies them: every pod CIDR of another
 * node goes to that node's underlay address (flannel's subnet leases, Cilium's tunnel map).
 * One call per Node add, update or delete; the control agent's thread only.
 *
 * <p>Each pod CIDR becomes an {@link IpCache} entry with the node's underlay address as tunnel
 * endpoint, the node id and {@link IpCache#FLAG_TUNNEL}, and identity {@link #POD_CIDR_IDENTITY}
 * (the pods' own /32 and /128 entries, with their identities, are longer prefixes and win).
 * The node becomes a {@link TunnelPeers} entry (by node id, with its MACs, and by address), so
 * its tunnel packets are accepted and frames to it get the right MACs. An update replaces what the node had:
 * CIDRs it no longer lists and an old underlay address are removed. Order of writes is chosen
 * for readers: the peer before the routes that name it, the routes before the peer on removal,
 * so a worker never finds a route whose peer is missing while a node is added or removed.
 */
public final class NodeRoutes {
    /** Identity of a pod CIDR route: unknown until the pod's own entry says otherwise (Cilium's 0). */
    public static final int POD_CIDR_IDENTITY = 0;
    public static final int MAX_NODE_ID = 0xFFFF;

    /**
     * Where next-hop MACs that no Node or configuration gives come from: the node's neighbour
     * resolution (ARP on the underlay). Called on the control agent's thread.
     */
    @FunctionalInterface
    public interface NextHops {
        /** Never resolves anything: frames to nodes without a static MAC are dropped (NEIGHBOUR_UNRESOLVED). */
        NextHops NONE = underlayAddress -> 0;

        /** Returns: the MAC outer frames to {@code underlayAddress} go to now, 0 while it is unresolved. */
        long macFor(int underlayAddress);
    }

    /** @param resolved whether the next-hop MAC comes from {@link NextHops} (no static MAC was given) */
    private record Installed(int underlayAddress, List<Cidr> podCidrs, boolean resolved, long nextHopMac) {
    }

    private final IpCache ipCache;
    private final TunnelPeers peers;
    private final Map<Integer, Installed> nodes = new java.util.HashMap<>();
    private NextHops nextHops = NextHops.NONE;

    public NodeRoutes(IpCache ipCache, TunnelPeers peers) {
        this.ipCache = ipCache;
        this.peers = peers;
    }

    /** Sets where next-hop MACs of nodes without a static one come from (before the first upsert). */
    public void nextHops(NextHops source) {
        this.nextHops = Objects.requireNonNull(source, "source");
    }

    /**
     * Adds a node or replaces what it had.
     *
     * @param nodeId          1..65535, unique per node (the daemon allocates it)
     * @param underlayAddress the node's underlay IPv4 address (its InternalIP)
     * @param nextHopMac      the MAC outer frames to the node go to; 0: ask {@link NextHops} (now and at
     *                        every {@link #refreshNextHops})
     * @param vtepMac         the MAC inner frames to the node are addressed to: its tunnel
     *                        device's (flannel's VtepMAC), or a Gingham node's gateway MAC
     * @param podCidrs        the node's {@code spec.podCIDRs}
     * @return 0, or the first negative errno a map returned (the routes written before it stay)
     * @throws IllegalArgumentException for a node id out of range or a null list (programming errors)
     */
    public int upsertNode(int nodeId, int underlayAddress, long nextHopMac, long vtepMac, List<Cidr> podCidrs) {
        if (nodeId < 1 || nodeId > MAX_NODE_ID) {
            throw new IllegalArgumentException("nodeId: " + nodeId + " must be 1.." + MAX_NODE_ID);
        }
        List<Cidr> cidrs = List.copyOf(Objects.requireNonNull(podCidrs, "podCidrs"));
        Installed old = nodes.get(nodeId);
        boolean resolved = nextHopMac == 0;
        long mac = resolved ? nextHops.macFor(underlayAddress) : nextHopMac;
        int rc = peers.upsert(underlayAddress, nodeId, mac, vtepMac);
        if (rc != MapErrors.OK) {
            return rc;
        }
        for (Cidr cidr : cidrs) {
            rc = ipCache.upsert(cidr, POD_CIDR_IDENTITY, underlayAddress, nodeId, IpCache.FLAG_TUNNEL);
            if (rc != MapErrors.OK) {
                nodes.put(nodeId, new Installed(underlayAddress, cidrs.subList(0, cidrs.indexOf(cidr)), resolved, mac));
                return rc;
            }
        }
        if (old != null) {
            for (Cidr stale : old.podCidrs()) {
                if (!cidrs.contains(stale)) {
                    ipCache.remove(stale);
                }
            }
            if (old.underlayAddress() != underlayAddress) {
                peers.removeAddress(old.underlayAddress());
            }
        }
        nodes.put(nodeId, new Installed(underlayAddress, cidrs, resolved, mac));
        return MapErrors.OK;
    }

    /**
     * Asks {@link NextHops} again for every node without a static MAC and rewrites the MACs that
     * changed (neighbour resolution calls this when it learned, changed or lost a MAC).
     *
     * @return the number of nodes whose next-hop MAC changed
     */
    public int refreshNextHops() {
        int changed = 0;
        for (Map.Entry<Integer, Installed> e : nodes.entrySet()) {
            Installed node = e.getValue();
            if (!node.resolved()) {
                continue;
            }
            long mac = nextHops.macFor(node.underlayAddress());
            if (mac != node.nextHopMac()) {
                peers.nextHopMac(e.getKey(), mac);
                e.setValue(new Installed(node.underlayAddress(), node.podCidrs(), true, mac));
                changed++;
            }
        }
        return changed;
    }

    /** Returns: the underlay addresses of the nodes whose next-hop MAC is resolved, not given. */
    public int[] resolvedAddresses() {
        return nodes.values().stream().filter(Installed::resolved).mapToInt(Installed::underlayAddress).toArray();
    }

    /** Removes a node's routes and peer entry. Returns: 0, or ENOENT when the node is unknown. */
    public int removeNode(int nodeId) {
        Installed old = nodes.remove(nodeId);
        if (old == null) {
            return MapErrors.ENOENT;
        }
        for (Cidr cidr : old.podCidrs()) {
            ipCache.remove(cidr);
        }
        peers.removeAddress(old.underlayAddress());
        peers.removeNode(nodeId);
        return MapErrors.OK;
    }

    /**
     * After the first sync over reopened pinned maps: removes the tunnel peers (addresses and
     * node entries) of nodes that this instance has not installed, that is nodes deleted (or
     * given another address) while the daemon was down. Left in place, a deleted node's address
     * would still pass decapsulation's peer check. Its pod CIDR routes are the ipcache's to
     * prune ({@link IpCache#pruneUnclaimed}).
     *
     * @return the number of peer addresses and node entries removed
     */
    public int pruneRestoredPeers() {
        Map<Integer, Integer> installed = new java.util.HashMap<>();
        nodes.forEach((id, node) -> installed.put(id, node.underlayAddress()));
        return peers.retain(installed);
    }

    /** Returns: the number of nodes with routes installed. */
    public int nodeCount() {
        return nodes.size();
    }
}
