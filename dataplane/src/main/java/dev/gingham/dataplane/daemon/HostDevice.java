package dev.gingham.dataplane.daemon;

import dev.gingham.dataplane.agent.PortIo;
import dev.gingham.dataplane.agent.TapPort;
import dev.gingham.dataplane.config.NodeConfig;
import dev.gingham.nat.IpAddress;
import dev.gingham.packet.Cidr;
import dev.gingham.tap.LinkInfo;
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
 */
final class HostDevice implements AutoCloseable {
    static final String NAME = "gingham_host";

    private final TapDevice tap;
    private final long mac;
    private final List<String> configured;

    private HostDevice(TapDevice tap, long mac, List<String> configured) {
        this.tap = tap;
        this.mac = mac;
        this.configured = configured;
    }

    /**
     * Creates and configures the host TAP (one queue per worker, vnet header, the pod MTU) in
     * network namespace {@code netns} (null: the caller's).
     */
    static HostDevice create(NodeConfig config, int workers, int mtuBytes, String netns) {
        return NetworkNamespace.call(netns, () -> create(config, workers, mtuBytes));
    }

    private static HostDevice create(NodeConfig config, int workers, int mtuBytes) {
        TapDevice tap = TapDevice.create(TapConfig.of(NAME).withQueues(workers).withVnetHeader(true));
        try (Rtnetlink netlink = Rtnetlink.open()) {
            LinkInfo link = netlink.link(tap.name());
            netlink.setMtu(link.ifindex(), mtuBytes);
            Set<IpAddress> addresses = new LinkedHashSet<>(config.gateway().addresses());
            addresses.addAll(config.nodeAddresses());
            List<String> configured = new ArrayList<>();
            for (IpAddress address : addresses) {
                Cidr host = Cidr.parse(address + (address.ipv4() ? "/32" : "/128"));
                netlink.addAddress(link.ifindex(), host);
                configured.add(host.toString());
            }
            netlink.setUp(link.ifindex(), true);
            Set<Cidr> routes = new LinkedHashSet<>();
            routes.addAll(config.podCidrs());
            routes.addAll(config.clusterCidrs());
            routes.addAll(config.serviceCidrs());
            for (Cidr route : routes) {
                netlink.addRoute(link.ifindex(), route.masked(), null, false);
                configured.add("route " + route.masked());
            }
            return new HostDevice(tap, netlink.link(link.ifindex()).mac(), List.copyOf(configured));
        } catch (RuntimeException e) {
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

    /** Closes the TAP: the kernel deletes it, with its addresses and routes. */
    @Override
    public void close() {
        tap.close();
    }
}
