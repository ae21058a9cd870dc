package dev.gingham.dataplane.daemon;

import dev.gingham.dataplane.agent.TapPort;
import dev.gingham.dataplane.cluster.LocalPod;
import dev.gingham.dataplane.cluster.LocalPodListener;
import dev.gingham.nat.IpAddress;
import dev.gingham.packet.Cidr;
import dev.gingham.tap.LinkInfo;
import dev.gingham.tap.NetDeviceException;
import dev.gingham.tap.NetworkNamespace;
import dev.gingham.tap.PodInterface;
import dev.gingham.tap.Rtnetlink;
import dev.gingham.tap.TapConfig;
import dev.gingham.tap.TapDevice;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Gives each local pod its interface, as a CNI plugin would: a TAP device with one queue per
 * worker and the vnet header (checksum and TSO offloads), moved into the pod's network namespace
 * (the Pod's {@code gingham.dev/netns} annotation, by default its name; for a pod the CNI plugin
 * attached, the runtime's namespace path) and configured there as {@code eth0} (a CNI pod: its
 * CNI_IFNAME): the pod's MAC, the pod MTU, its addresses as host routes (/32, /128) and default
 * routes via the gateway (onlink). The daemon keeps the TAP's file descriptors; the port whose
 * number is the pod's endpoint slot then polls them.
 *
 * <p>Removal takes the port out of the workers' tables and retires the device; the
 * {@link PortTable} closes it when no worker can still be reading it, and closing the last
 * descriptor of a non-persistent TAP deletes the interface in the pod's namespace. A pod whose
 * namespace does not exist (yet) fails with a message naming it; the cluster applier offers it
 * again on the next apply, and the daemon retries failed setups periodically.
 *
 * <h2>Restart</h2>
 * With a pin directory ({@code records} given) the devices are persistent (TUNSETPERSIST): when the
 * daemon dies they stay in the pods' namespaces with their addresses and routes, and the pods'
 * sockets with them; the kernel drops what a pod sends while no daemon reads. A restarted daemon
 * finds the pod's {@code eth0} in its namespace and re-attaches ({@link #reattach}): the tun file
 * is opened by a thread standing in the pod's namespace, since TUNSETIFF looks the name up in the
 * caller's, and the interface is brought back to the pod's settings. A device whose queue mode no
 * longer fits (the worker count went from one to several or back: IFF_MULTI_QUEUE cannot change)
 * is deleted and made anew, which resets that pod's connections. Devices recorded for pods that
 * no longer exist are deleted by {@link #deleteLeftovers}. A normal stop deletes the devices
 * unless {@code keepOnStop} ({@code restart.keepDevices}).
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
    private final Function<String, String> interfaceNames;
    private final Map<String, TapDevice> devices = new HashMap<>();
    private final DeviceRecords records;
    private final boolean keepOnStop;

    /**
     * @param nodeNetns      the daemon's network namespace (null: the caller's), where devices are made before the move
     * @param interfaceNames the interface name of a pod by "namespace/name" (a CNI pod's CNI_IFNAME), null for {@value #POD_INTERFACE}
     * @param records        where persistent devices are recorded (the pin directory), or null for devices that die with the daemon
     * @param keepOnStop     leave the (persistent) devices in place when the daemon stops normally
     * @param coalesceTcp    merge consecutive TCP segments of a flow into one GSO frame on the way into a pod ({@code underlay.batch})
     */
    PodDevices(PortTable ports, int workers, int podMtuBytes, int burstFrames, List<IpAddress> gateways, DaemonLog log,
               String nodeNetns, Function<String, String> interfaceNames, DeviceRecords records, boolean keepOnStop,
               boolean coalesceTcp) {
        this.interfaceNames = interfaceNames;
        this.records = records;
        this.keepOnStop = keepOnStop && records != null;
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
            retire(old); // a retry or a replacement: the new device takes over the slot
            ports.remove(pod.slot(), old, pod.key());
        }
        TapDevice tap = old == null && records != null ? reattach(pod) : null;
        String how = tap != null ? "re-attached " : "";
        if (tap == null) {
            tap = NetworkNamespace.call(nodeNetns, () -> createAndMove(pod));
        }
        if (records != null) {
            records.put(new DeviceRecords.Entry(pod.key(), pod.pod().netns(), pod.mac(), recordedAddresses(pod)));
        }
        ports.set(pod.slot(), TapPort.perWorker(pod.slot(), workers, tap::queue, burstFrames, coalesceTcp));
        devices.put(pod.key(), tap);
        log.info("pod " + pod.key() + ": " + how + interfaceName(pod) + " in netns " + pod.pod().netns() + ", " + addresses(pod)
                + ", port " + pod.slot() + ", mtu " + podMtuBytes);
    }

    /**
     * Returns: the pod's persistent device left by the previous daemon, attached again and
     * configured, or null when there is none to take (no {@code eth0} in the pod's namespace, or one
     * that had to be deleted because the queue mode or the pod's address changed).
     *
     * @throws NetDeviceException when the pod's {@code eth0} is not a TAP, or is held by another process
     */
    private TapDevice reattach(LocalPod pod) {
        String netns = pod.pod().netns();
        String name = interfaceName(pod);
        LinkInfo existing;
        try (Rtnetlink netlink = Rtnetlink.openIn(netns)) {
            existing = netlink.findLink(name);
            if (existing == null || !existing.isTap()) {
                return null; // absent: made anew; another kind: the move reports the name in use
            }
            String stale = staleReason(pod, existing);
            if (stale != null) {
                netlink.deleteLink(existing.ifindex());
                log.warn("pod " + pod.key() + ": deleted its old " + name + " (" + stale + "); a new one is made,"
                        + " the pod's connections restart");
                return null;
            }
        }
        TapDevice tap = TapDevice.open(tapConfig(name).inNamespace(netns));
        try {
            LinkInfo link = PodInterface.reconfigure(settings(pod));
            log.info("pod " + pod.key() + ": found its " + name + " (ifindex " + link.ifindex() + ")");
            return tap;
        } catch (RuntimeException e) {
            tap.close();
            throw e;
        }
    }

    /** Returns: why the pod's existing TAP cannot be taken over, or null when it can. */
    private String staleReason(LocalPod pod, LinkInfo existing) {
        if (existing.tun().multiQueue() != (workers > 1)) {
            return "queue mode " + (existing.tun().multiQueue() ? "multi" : "single") + ", but " + workers + " worker(s) now";
        }
        if (existing.tun().multiQueue() && existing.tun().queues() > 0) {
            throw new NetDeviceException(NetDeviceException.Reason.NAME_IN_USE, 0, "pod " + pod.key() + ": " + interfaceName(pod)
                    + " in netns " + pod.pod().netns() + " has " + existing.tun().queues() + " queue(s) held by another process");
        }
        DeviceRecords.Entry recorded = records.get(pod.key());
        if (recorded != null && !recorded.netns().equals(pod.pod().netns())) {
            return "it was recorded for netns " + recorded.netns();
        }
        if (recorded != null && !recorded.addresses().equals(recordedAddresses(pod))) {
            return "the pod's addresses were " + recorded.addresses();
        }
        if (recorded == null && existing.mac() != pod.mac()) {
            return "not recorded as this daemon's and its MAC " + existing.macText() + " is not the pod's";
        }
        return null;
    }

    /**
     * Deletes the devices recorded for pods that are no longer on this node (deleted while the
     * daemon was down): each is looked up in its namespace and deleted when it is still a TAP with
     * the recorded MAC. Call after the first apply.
     *
     * @param localPods the keys of the pods the manifests have on this node now
     * @return how many devices were deleted
     */
    int deleteLeftovers(java.util.Set<String> localPods) {
        if (records == null) {
            return 0;
        }
        int deleted = 0;
        for (DeviceRecords.Entry e : records.entries().values()) {
            if (localPods.contains(e.podKey())) {
                continue;
            }
            if (NetworkNamespace.exists(e.netns())) {
                try (Rtnetlink netlink = Rtnetlink.openIn(e.netns())) {
                    String name = interfaceNameOf(e.podKey());
                    LinkInfo link = netlink.findLink(name);
                    if (link != null && link.isTap() && link.mac() == e.mac()) {
                        netlink.deleteLink(link.ifindex());
                        deleted++;
                        log.info("pod " + e.podKey() + ": deleted while the daemon was down; its " + name + " in netns "
                                + e.netns() + " is deleted");
                    }
                } catch (NetDeviceException ex) {
                    log.warn("pod " + e.podKey() + ": cannot delete its leftover device in netns " + e.netns() + ": " + ex.getMessage());
                }
            }
            records.remove(e.podKey());
        }
        return deleted;
    }

    /** A device that goes: not persistent any more, so the kernel deletes it when its descriptors close. */
    private void retire(TapDevice tap) {
        if (records != null) {
            try {
                tap.setPersistent(false);
            } catch (NetDeviceException e) {
                log.warn("device " + tap.name() + ": " + e.getMessage());
            }
        }
    }

    private static String recordedAddresses(LocalPod pod) {
        return String.join(",", pod.pod().ips().stream().map(IpAddress::toString).toList());
    }

    private TapConfig tapConfig(String name) {
        return TapConfig.of(name).withQueues(workers).withVnetHeader(true).withPersistent(records != null);
    }

    @Override
    public void podRemoved(LocalPod pod) {
        TapDevice tap = devices.remove(pod.key());
        if (tap != null) {
            retire(tap);
        }
        if (records != null) {
            records.remove(pod.key());
        }
        ports.remove(pod.slot(), tap, pod.key());
        log.info("pod " + pod.key() + ": removed (port " + pod.slot() + ")");
    }

    /** Returns: the number of pods with a device. */
    int size() {
        return devices.size();
    }

    private TapDevice createAndMove(LocalPod pod) {
        TapDevice tap;
        try {
            tap = TapDevice.create(tapConfig(hostName(pod)));
        } catch (NetDeviceException e) {
            if (records == null || e.reason() != NetDeviceException.Reason.NAME_IN_USE) {
                throw e;
            }
            deleteUnmovedLeftover(hostName(pod)); // a crash between creation and the move left it here
            tap = TapDevice.create(tapConfig(hostName(pod)));
        }
        try {
            PodInterface.moveAndConfigure(tap.name(), settings(pod));
            return tap;
        } catch (RuntimeException e) {
            retire(tap); // not the pod's yet: a persistent device must not outlive the failure
            tap.close();
            throw e;
        }
    }

    /** Deletes a persistent TAP of this daemon's naming scheme still in the node's namespace (caller's thread is there). */
    private void deleteUnmovedLeftover(String name) {
        try (Rtnetlink netlink = Rtnetlink.open()) {
            LinkInfo link = netlink.findLink(name);
            if (link != null && link.isTap() && link.tun().persistent()) {
                netlink.deleteLink(link.ifindex());
                log.warn("device " + name + ": a leftover of a crash before its move into the pod, deleted");
            }
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
        return new PodInterface.Settings(pod.pod().netns(), interfaceName(pod), pod.mac(), podMtuBytes, ipv4, gateway4, ipv6, gateway6);
    }

    private String interfaceName(LocalPod pod) {
        return interfaceNameOf(pod.key());
    }

    private String interfaceNameOf(String podKey) {
        String name = interfaceNames.apply(podKey);
        return name == null ? POD_INTERFACE : name;
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

    /**
     * Closes every pod's device at once (the daemon's stop: the workers have stopped). They are
     * deleted, or with {@code keepOnStop} stay for the next start.
     */
    @Override
    public void close() {
        for (Map.Entry<String, TapDevice> e : devices.entrySet()) {
            try {
                if (!keepOnStop) {
                    retire(e.getValue());
                    if (records != null) {
                        records.remove(e.getKey());
                    }
                }
                e.getValue().close();
            } catch (NetDeviceException | IllegalStateException ex) {
                log.warn("pod " + e.getKey() + ": closing its device failed: " + ex.getMessage());
            }
        }
        devices.clear();
    }
}
