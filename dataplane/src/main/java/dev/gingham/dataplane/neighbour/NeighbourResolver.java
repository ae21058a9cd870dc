package dev.gingham.dataplane.neighbour;

import dev.gingham.encap.NodeRoutes;
import dev.gingham.encap.TunnelPeers;
import dev.gingham.packet.MappedAddress;
import dev.gingham.packet.header.Addresses;
import dev.gingham.packet.Cidr;
import org.agrona.concurrent.NanoClock;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.IntSupplier;

/**
 * The node's neighbour resolution on the underlay, run as a duty of the control agent: which next
 * hops the node needs, what the workers learned about them, the ARP requests that ask for the
 * rest, and publishing the MACs into the maps the workers read.
 *
 * <ul>
 *   <li>Next hops: every peer node whose MAC is not given statically (a Node annotation or
 *       {@code underlay.nextHopMac}: {@link NodeRoutes#resolvedAddresses}) is its own next hop
 *       when it is on the node's link ({@code underlay.subnet}, or always when no subnet is
 *       configured), else the next hop is {@code underlay.gateway}; the gateway is also the
 *       uplink for traffic leaving the cluster.</li>
 *   <li>Learning: the workers' ARP responders put what they saw into {@link NeighbourObservations};
 *       each duty cycle drains it into the {@link NeighbourTable}.</li>
 *   <li>Asking and refreshing: every {@link #TICK_NS} the table's wanted set is recomputed and its
 *       due requests are written ({@link ArpRequest}) and sent through a {@link FrameSender}.</li>
 *   <li>Publishing: when a MAC is learned, changes or is withdrawn, {@link NodeRoutes#refreshNextHops}
 *       rewrites the peers' next-hop MACs and {@link TunnelPeers#uplink} the gateway's; frames to a
 *       next hop without a MAC are dropped by the workers as NEIGHBOUR_UNRESOLVED.</li>
 * </ul>
 * Also the {@link NodeRoutes.NextHops} of the node's routes, so a node added by a manifest change
 * gets a MAC already known. The control agent's thread only, except {@link #snapshot}: the table
 * stays single-threaded and lock-free, and the admin API reads what the last duty cycle published.
 */
public final class NeighbourResolver implements NodeRoutes.NextHops, IntSupplier {
    /** How often the wanted set is recomputed and due requests are sent. */
    public static final long TICK_NS = 100_000_000L;

    private final int ownAddress;
    private final long ownMac;
    private final int gatewayAddress;
    private final Cidr subnet;
    private final NodeRoutes routes;
    private final TunnelPeers peers;
    private final NeighbourObservations observations;
    private final FrameSender sender;
    private final NanoClock clock;
    private final NeighbourTable table;
    private final MemorySegment requestFrame = Arena.ofAuto().allocate(ArpRequest.LENGTH_BYTES, 8);
    private final NeighbourObservations.Sink learner = this::learn;
    private final NeighbourTable.Requester requester = this::request;
    private final Consumer<String> log;
    /** MACs as last published, to log what changed (control plane). */
    private final Map<Integer, Long> published = new HashMap<>();
    private long nowNs;
    private long nextTickNs;
    private boolean changed;
    /** The table's {@link NeighbourTable#changes} when {@link #snapshot} was last published. */
    private long publishedChanges;
    /** Written by the control agent only, read by any thread: an immutable value behind a volatile store. */
    private volatile NeighbourSnapshot snapshot = NeighbourSnapshot.EMPTY;

    /**
     * @param ownAddress     the node's underlay address (ARP sender address)
     * @param ownMac         the underlay MAC (ARP sender MAC)
     * @param gatewayAddress the underlay gateway, 0 for none
     * @param subnet         the underlay network (IPv4), null: every peer is on the link
     * @param log            told "neighbour A is at M" and "neighbour A: MAC withdrawn" (control thread)
     */
    public NeighbourResolver(int ownAddress, long ownMac, int gatewayAddress, Cidr subnet, NodeRoutes routes, TunnelPeers peers,
                             NeighbourObservations observations, FrameSender sender, NanoClock clock, NeighbourTable.Timers timers,
                             Consumer<String> log) {
        this.ownAddress = ownAddress;
        this.ownMac = ownMac;
        this.gatewayAddress = gatewayAddress;
        this.subnet = subnet;
        this.routes = routes;
        this.peers = peers;
        this.observations = observations;
        this.sender = sender;
        this.clock = clock;
        this.table = new NeighbourTable(timers);
        this.log = log;
        this.nowNs = clock.nanoTime();
        this.nextTickNs = nowNs;
        peers.uplink(gatewayAddress, 0);
    }

    /** Returns: the next hop towards {@code underlayAddress}: itself on the link, else the gateway. */
    public int nextHop(int underlayAddress) {
        if (subnet == null || gatewayAddress == 0 || subnet.contains(0, MappedAddress.lo4(underlayAddress))) {
            return underlayAddress;
        }
        return gatewayAddress;
    }

    @Override
    public long macFor(int underlayAddress) {
        return table.mac(nextHop(underlayAddress));
    }

    /** One duty cycle: learn, then (every {@link #TICK_NS}) ask and expire, then publish what changed. Returns the work done. */
    @Override
    public int getAsInt() {
        nowNs = clock.nanoTime();
        int work = observations.drain(learner);
        if (nowNs - nextTickNs >= 0) {
            nextTickNs = nowNs + TICK_NS;
            table.want(wanted(), nowNs);
            changed |= table.tick(nowNs, requester);
            work++;
        }
        if (changed) {
            changed = false;
            routes.refreshNextHops();
            if (gatewayAddress != 0) {
                peers.uplink(gatewayAddress, table.mac(gatewayAddress));
            }
            logChanges();
            work++;
        }
        if (table.changes() != publishedChanges) {
            publishedChanges = table.changes();
            snapshot = table.snapshot();
        }
        return work;
    }

    /**
     * Returns: the table and its counters as the last duty cycle left them (any thread; an
     * immutable value, republished only when something in it changed, so an idle node allocates
     * nothing for it). Ages are computed by the reader against the same node clock.
     */
    public NeighbourSnapshot snapshot() {
        return snapshot;
    }

    private void logChanges() {
        for (NeighbourTable.Entry e : table.entries()) {
            Long before = published.put(e.address(), e.mac());
            if (before == null ? e.mac() != 0 : before != e.mac()) {
                String address = Addresses.formatIpv4(e.address());
                log.accept(e.mac() == 0 ? "neighbour " + address + ": no answer, MAC withdrawn (frames to it are dropped as "
                        + "NEIGHBOUR_UNRESOLVED until it answers)" : "neighbour " + address + " is at " + Addresses.formatMac(e.mac()));
            }
        }
    }

    private int[] wanted() {
        int[] peersToResolve = routes.resolvedAddresses();
        int[] out = new int[peersToResolve.length + 1];
        for (int k = 0; k < peersToResolve.length; k++) {
            out[k] = nextHop(peersToResolve[k]);
        }
        out[peersToResolve.length] = gatewayAddress;
        return out;
    }

    private void learn(int address, long mac) {
        if (address != ownAddress) {
            changed |= table.learn(address, mac, nowNs);
        }
    }

    private boolean request(int address, long knownMac) {
        int length = ArpRequest.write(requestFrame, 0, ownMac, ownAddress, knownMac, address);
        return sender.send(requestFrame, length);
    }

    /** Returns: the table (entries for the log, the API and tests). */
    public NeighbourTable table() {
        return table;
    }
}
