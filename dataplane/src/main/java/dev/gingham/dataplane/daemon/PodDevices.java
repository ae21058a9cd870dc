package dev.gingham.dataplane.daemon;

import dev.gingham.dataplane.agent.TapPort;
import dev.gingham.dataplane.cluster.LocalPod;
import dev.gingham.dataplane.cluster.LocalPodListener;
import dev.gingham.nat.IpAddress;
import dev.gingham.packet.Cidr;
import dev.gingham.tap.NetDeviceException;
import dev.gingham.tap.NetworkNamespace;
import dev.gingham.tap.PodInterface;
import dev.gingham.tap.TapConfig;
import dev.gingham.tap.TapDevice;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Gives each local pod its interface, as a CNI plugin would: a TAP device with one queue per
 * worker and the vnet header (checksum and TSO offloads), moved into the pod's network namespace
 * (the Pod's {@code gingham.dev/netns} annotation, by default its name) and configured there as
 * {@code eth0}: the pod's MAC, the pod MTU, its addresses as host routes (/32, /128) and default
 * routes via the gateway (onlink). The daemon keeps the TAP's file descriptors; the port whose
 * number is the pod's endpoint slot then polls them.
 *
 * <p>Removal takes the port out of the workers' tables and retires the device; the
 * {@link PortTable} closes it when no worker can still be reading it, and closing the last
 * descriptor of a non-persistent TAP deletes the interface in the pod's namespace. A pod whose
 * namespace does not exist (yet) fails with a message naming it; the cluster applier offers it
 * again on the next apply, and the daemon retries failed setups periodically.
 *
 * <p>Called on the control thread only (by {@code ClusterApplier} through {@code ConfiguredNode}).
 */
final class PodDevices implements LocalPodListener, AutoCloseable {
    /** The name of the pod's interface inside its namespace. */
    static final String POD_INTERFACE = "eth0";

    private final PortTable ports;
    private final int workers;
    private final int podMtuBytes;
    private final int burstFrames;
    private final boolean coalesceTcp;
    private final List<IpAddress> gateways;
    private final DaemonLog log;
    private final String nodeNetns;
    private final Map<String, TapDevice> devices = new HashMap<>();

    /**
     * @param nodeNetns   the daemon's network namespace (null: the caller's), where devices are made before the move
     * @param coalesceTcp merge consecutive TCP segments of a flow into one GSO frame on the way into a pod ({@code underlay.batch})
     */
    PodDevices(PortTable ports, int workers, int podMtuBytes, int burstFrames, boolean coalesceTcp, List<IpAddress> gateways,
               DaemonLog log, String nodeNetns) {
        this.burstFrames = burstFrames;
        this.coalesceTcp = coalesceTcp;
        this.nodeNetns = nodeNetns;
        this.ports = ports;
        this.workers = workers;
        this.podMtuBytes = podMtuBytes;
        this.gateways = List.copyOf(gateways);
        this.log = log;
    }

    @Override
    public void podAdded(LocalPod pod) {
        TapDevice old = devices.remove(pod.key());
        if (old != null) {
            ports.remove(pod.slot(), old, pod.key()); // a retry or a replacement: the new device takes over the slot
        }
        TapDevice tap = NetworkNamespace.call(nodeNetns, () -> createAndMove(pod));
        ports.set(pod.slot(), TapPort.perWorker(pod.slot(), workers, tap::queue, burstFrames, coalesceTcp));
        devices.put(pod.key(), tap);
        log.info("pod " + pod.key() + ": " + POD_INTERFACE + " in netns " + pod.pod().netns() + ", " + addresses(pod)
                + ", port " + pod.slot() + ", mtu " + podMtuBytes);
    }

    @Override
    public void podRemoved(LocalPod pod) {
        TapDevice tap = devices.remove(pod.key());
        ports.remove(pod.slot(), tap, pod.key());
        log.info("pod " + pod.key() + ": removed (port " + pod.slot() + ")");
    }

    /** Returns: the number of pods with a device. */
    int size() {
        return devices.size();
    }

    private TapDevice createAndMove(LocalPod pod) {
        TapDevice tap = TapDevice.create(TapConfig.of(hostName(pod)).withQueues(workers).withVnetHeader(true));
        try {
            PodInterface.moveAndConfigure(tap.name(), settings(pod));
            return tap;
        } catch (RuntimeException e) {
            tap.close();
            throw e;
        }
    }

    /** What the pod's namespace gets: its addresses as host routes, a default route per family via the gateway. */
    private PodInterface.Settings settings(LocalPod pod) {
        Cidr ipv4 = null;
        Cidr ipv6 = null;
        for (IpAddress address : pod.pod().ips()) {
            if (address.ipv4() && ipv4 == null) {
                ipv4 = Cidr.parse(address + "/32");
            } else if (!address.ipv4() && ipv6 == null) {
                ipv6 = Cidr.parse(address + "/128");
            }
        }
        Cidr gateway4 = null;
        Cidr gateway6 = null;
        for (IpAddress gateway : gateways) {
            if (gateway.ipv4() && gateway4 == null && ipv4 != null) {
                gateway4 = Cidr.parse(gateway + "/32");
            } else if (!gateway.ipv4() && gateway6 == null && ipv6 != null) {
                gateway6 = Cidr.parse(gateway + "/128");
            }
        }
        return new PodInterface.Settings(pod.pod().netns(), POD_INTERFACE, pod.mac(), podMtuBytes, ipv4, gateway4, ipv6, gateway6);
    }

    private static String addresses(LocalPod pod) {
        return pod.pod().ips().toString();
    }

    /**
     * The TAP's name while it is still in the daemon's namespace (it becomes eth0 in the pod's):
     * "gh" and the pod's slot and a hash of its key, unique on the node and within 15 bytes, so a
     * leftover device of a crashed daemon is recognisable ({@code ip link | grep '^.*: gh'}).
     */
    static String hostName(LocalPod pod) {
        return "gh" + pod.slot() + "x" + Integer.toHexString(pod.key().hashCode() & 0xFF_FFFF);
    }

    /** Closes every pod's device at once (the daemon's stop: the workers have stopped). */
    @Override
    public void close() {
        for (Map.Entry<String, TapDevice> e : devices.entrySet()) {
            try {
                e.getValue().close();
            } catch (NetDeviceException | IllegalStateException ex) {
                log.warn("pod " + e.getKey() + ": closing its device failed: " + ex.getMessage());
            }
        }
        devices.clear();
    }
}
