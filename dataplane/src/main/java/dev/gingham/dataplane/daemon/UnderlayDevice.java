package dev.gingham.dataplane.daemon;

import dev.gingham.dataplane.agent.PortIo;
import dev.gingham.dataplane.agent.TapPort;
import dev.gingham.dataplane.config.NodeConfig;
import dev.gingham.tap.KernelIngressBlock;
import dev.gingham.tap.LinkInfo;
import dev.gingham.tap.NetDeviceException;
import dev.gingham.tap.NetworkNamespace;
import dev.gingham.tap.PacketSocket;
import dev.gingham.tap.Rtnetlink;

/**
 * The underlay port: the configured interface (the node's NIC, or a veth into the underlay
 * network), brought up and read and written through one AF_PACKET socket per worker
 * ({@link PacketSocket}), batched (a burst per recvmmsg/sendmmsg) unless {@code underlay.batch} is false. Its MAC is the configured one or the interface's; its MTU is checked
 * against the configuration (a smaller link MTU would drop full-size tunnel packets silently).
 *
 * <p>The kernel's own stack is kept off the interface ({@link KernelIngressBlock}): a packet socket
 * reads a copy, and the kernel, which owns the node's addresses on {@code gingham_host}, would
 * otherwise also take every frame addressed to them, answer pings twice and reset the NodePort and
 * masqueraded connections Gingham serves. Where the kernel cannot load the block (no BPF, no
 * clsact) the daemon runs on with a warning that says what will go wrong.
 */
final class UnderlayDevice implements AutoCloseable {
    private final PacketSocket sockets;
    private final KernelIngressBlock kernelBlock;
    private final LinkInfo link;
    private final long mac;

    private UnderlayDevice(PacketSocket sockets, KernelIngressBlock kernelBlock, LinkInfo link, long mac) {
        this.sockets = sockets;
        this.kernelBlock = kernelBlock;
        this.link = link;
        this.mac = mac;
    }

    /** Opens the underlay in network namespace {@code netns} (null: the caller's). */
    static UnderlayDevice open(NodeConfig config, int workers, DaemonLog log, String netns) {
        return NetworkNamespace.call(netns, () -> open(config, workers, log));
    }

    private static UnderlayDevice open(NodeConfig config, int workers, DaemonLog log) {
        String name = config.underlay().interfaceName();
        LinkInfo link;
        try (Rtnetlink netlink = Rtnetlink.open()) {
            link = netlink.findLink(name);
            if (link == null) {
                throw new IllegalArgumentException("underlay.interface: no interface '" + name
                        + "' in the daemon's network namespace (ip link show)");
            }
            if ((link.flags() & LinkInfo.IFF_UP) == 0) {
                netlink.setUp(link.ifindex(), true);
            }
            link = netlink.link(link.ifindex());
        }
        if (link.mtuBytes() < config.underlay().mtuBytes()) {
            log.warn("underlay " + name + " has MTU " + link.mtuBytes() + " but underlay.mtu says " + config.underlay().mtuBytes()
                    + ": tunnel packets larger than " + link.mtuBytes() + " bytes will not leave the node");
        }
        PacketSocket sockets = PacketSocket.open(name, workers, (int) ProcessHandle.current().pid(), config.underlay().batch());
        KernelIngressBlock block = null;
        try {
            block = KernelIngressBlock.attach(link.ifindex(), name);
        } catch (NetDeviceException e) {
            log.warn(e.getMessage() + ": the kernel also receives what arrives on " + name + "; it will answer pings to "
                    + "the node twice and reset NodePort and masqueraded connections once it has a route to their peers");
        }
        long mac = config.underlay().mac() != 0 ? config.underlay().mac() : link.mac();
        return new UnderlayDevice(sockets, block, link, mac);
    }

    /** Returns: worker w's socket as port {@code port}. */
    PortIo[] ports(int port) {
        return TapPort.perWorker(port, sockets.queueCount(), sockets::queue, 0, false);
    }

    long mac() {
        return mac;
    }

    LinkInfo link() {
        return link;
    }

    PacketSocket sockets() {
        return sockets;
    }

    /** Returns: whether the kernel's stack is kept off the interface. */
    boolean kernelBlocked() {
        return kernelBlock != null;
    }

    /** Closes the sockets and gives the interface back to the kernel's stack. */
    @Override
    public void close() {
        try {
            sockets.close();
        } finally {
            if (kernelBlock != null) {
                kernelBlock.close();
            }
        }
    }
}
