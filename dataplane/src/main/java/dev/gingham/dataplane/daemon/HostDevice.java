package dev.gingham.dataplane.daemon;

import dev.gingham.dataplane.agent.PortIo;
import dev.gingham.dataplane.agent.TapPort;
import dev.gingham.dataplane.config.NodeConfig;
import dev.gingham.nat.IpAddress;
import dev.gingham.packet.Cidr;
import dev.gingham.tap.LinkInfo;
import dev.gingham.tap.NetDeviceException;
import dev.gingham.tap.NetworkNamespace;
import dev.gingham.tap.Rtnetlink;
import dev.gingham.tap.TapConfig;
import dev.gingham.tap.TapDevice;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The host port: a TAP device in the daemon's own network namespace ({@value #NAME}, as Cilium
 * has cilium_host) through which the node's kernel and the pipeline meet.
 *
 * <p>It carries the pods' gateway addresses and the node's addresses (host addresses, /32 and
 * /128): traffic the pipeline routes HOST (to the gateway, or to a node address no service or
 * NAT claims) arrives here and the kernel owns it; and routes to the pod, cluster and service
 * CIDRs point out of it (no gateway: the kernel ARPs, or sends an IPv6 neighbor solicitation, for
 * each destination and the host port's ARP or ND responder answers with the gateway MAC), so the node's own processes reach pods and ClusterIPs
 * through the pipeline, with the host identity. The node's other routes (its default route) are
 * left alone: the daemon does not take over the node's own uplink.
 *
 * <p>Restart: with a pin directory the device is persistent and survives the daemon, with its
 * addresses and routes (and the routes the node's administrator added through it). At start an
 * existing {@value #NAME} TAP is re-attached instead of failing "name in use": its MTU is set
 * where it differs and missing addresses and routes are added (addresses the configuration no
 * longer names are not removed; delete the device to start clean). A device whose queue mode no
 * longer fits the worker count (single versus multi-queue) is deleted and made anew. A normal stop
 * deletes it unless {@code restart.keepDevices}.
 */
final class HostDevice implements AutoCloseable {
    static final String NAME = "gingham_host";

    private final TapDevice tap;
    private final long mac;
    private final List<String> configured;
    private final boolean deleteOnClose;

    private HostDevice(TapDevice tap, long mac, List<String> configured, boolean deleteOnClose) {
        this.tap = tap;
        this.mac = mac;
        this.configured = configured;
        this.deleteOnClose = deleteOnClose;
    }

    /**
     * Creates and configures the host TAP (one queue per worker, vnet header, the pod MTU) in
     * network namespace {@code netns} (null: the caller's), or re-attaches to the one a previous
     * daemon left.
     *
     * @param persistent   the device outlives the daemon (the maps are pinned)
     * @param keepOnStop   a normal stop leaves it for the next start
     */
    static HostDevice create(NodeConfig config, int workers, int mtuBytes, String netns, boolean persistent, boolean keepOnStop,
                             DaemonLog log) {
        return NetworkNamespace.call(netns, () -> create(config, workers, mtuBytes, persistent, keepOnStop, log));
    }

    private static HostDevice create(NodeConfig config, int workers, int mtuBytes, boolean persistent, boolean keepOnStop,
                                     DaemonLog log) {
        TapConfig tapConfig = TapConfig.of(NAME).withQueues(workers).withVnetHeader(true).withPersistent(persistent);
        boolean reattached = false;
        try (Rtnetlink netlink = Rtnetlink.open()) {
            LinkInfo existing = netlink.findLink(NAME);
            if (existing != null && existing.isTap()) {
                if (existing.tun().multiQueue() != tapConfig.multiQueue()) {
                    netlink.deleteLink(existing.ifindex());
                    log.warn(NAME + ": deleted the previous daemon's device (queue mode "
                            + (existing.tun().multiQueue() ? "multi" : "single") + ", " + workers + " worker(s) now)");
                } else if (existing.tun().multiQueue() && existing.tun().queues() > 0) {
                    throw new NetDeviceException(NetDeviceException.Reason.NAME_IN_USE, 0, NAME + " has "
                            + existing.tun().queues() + " queue(s) held by another process (another daemon in this namespace?)");
                } else {
                    reattached = true;
                }
            }
        }
        TapDevice tap = reattached ? TapDevice.open(tapConfig) : TapDevice.create(tapConfig);
        try (Rtnetlink netlink = Rtnetlink.open()) {
            LinkInfo link = netlink.link(tap.name());
            if (link.mtuBytes() != mtuBytes) {
                netlink.setMtu(link.ifindex(), mtuBytes);
            }
            Set<IpAddress> addresses = new LinkedHashSet<>(config.gateway().addresses());
            addresses.addAll(config.nodeAddresses());
            List<String> configured = new ArrayList<>();
            if (reattached) {
                configured.add("re-attached (ifindex " + link.ifindex() + ")");
            }
            for (IpAddress address : addresses) {
                Cidr host = Cidr.parse(address + (address.ipv4() ? "/32" : "/128"));
                Rtnetlink.addUnlessPresent(reattached, () -> netlink.addAddress(link.ifindex(), host));
                configured.add(host.toString());
            }
            netlink.setUp(link.ifindex(), true);
            Set<Cidr> routes = new LinkedHashSet<>();
            routes.addAll(config.podCidrs());
            routes.addAll(config.clusterCidrs());
            routes.addAll(config.serviceCidrs());
            for (Cidr route : routes) {
                Rtnetlink.addUnlessPresent(reattached, () -> netlink.addRoute(link.ifindex(), route.masked(), null, false));
                configured.add("route " + route.masked());
            }
            return new HostDevice(tap, netlink.link(link.ifindex()).mac(), List.copyOf(configured), persistent && !keepOnStop);
        } catch (RuntimeException e) {
            if (persistent && !reattached) {
                tap.setPersistent(false); // a half-configured new device must not outlive the failure
            }
            tap.close();
            throw e;
        }
    }

    /**
     * Returns: worker w's queue of the host TAP as port {@code port}, read {@code burstFrames} at a time (0: the worker's),
     * TCP segments coalesced on the way in or not ({@code underlay.batch}).
     */
    PortIo[] ports(int port, int burstFrames, boolean coalesceTcp) {
        return TapPort.perWorker(port, tap.queueCount(), tap::queue, burstFrames, coalesceTcp);
    }

    /** Returns: the host TAP's MAC (where HOST-routed frames are addressed). */
    long mac() {
        return mac;
    }

    /** Returns: the addresses and routes given to it, for the start-up log. */
    List<String> configured() {
        return configured;
    }

    TapDevice tap() {
        return tap;
    }

    /**
     * Closes the TAP: the kernel deletes it, with its addresses and routes; a persistent device
     * kept on stop ({@code restart.keepDevices}) stays for the next start.
     */
    @Override
    public void close() {
        if (deleteOnClose) {
            tap.setPersistent(false);
        }
        tap.close();
    }
}
