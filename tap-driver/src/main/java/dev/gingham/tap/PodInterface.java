package dev.gingham.tap;

import dev.gingham.packet.Cidr;

/**
 * Turns a TAP device in the daemon's namespace into a pod's network interface: moves it into the
 * pod's namespace and configures it there as a CNI plugin would (name, MAC, MTU, up, addresses,
 * default routes via the gateway, loopback up). All through {@link Rtnetlink}; nothing runs
 * {@code ip}.
 *
 * <p>Why "onlink": the pod gets a host address (/32, /128) and its gateway is not inside it, so
 * the kernel would refuse "via gateway" as unreachable; onlink says the gateway is on the link
 * anyway, and the pod ARPs (or solicits) for it on the TAP, where Gingham's ARP responder
 * answers. This is the Cilium / Calico pod setup.
 *
 * <p>The daemon keeps the TAP's file descriptors: they keep working after the move. Control
 * plane only.
 */
public final class PodInterface {
    private PodInterface() {
    }

    /**
     * What the pod's interface looks like.
     *
     * @param namespace     the pod's network namespace: a name under /var/run/netns, or an absolute
     *                      path (/proc/PID/ns/net, a runtime's bind mount) as a CNI runtime gives it
     * @param interfaceName the name inside the pod, usually "eth0"
     * @param mac           the pod interface's MAC (low 48 bits), or 0 to keep the kernel's random one
     * @param mtuBytes      the pod MTU
     * @param ipv4          the pod's IPv4 address with prefix length (e.g. 10.244.1.5/32), or null
     * @param gateway4      the IPv4 default gateway (a host address), or null for no IPv4 default route
     * @param ipv6          the pod's IPv6 address with prefix length, or null
     * @param gateway6      the IPv6 default gateway, or null
     */
    public record Settings(String namespace, String interfaceName, long mac, int mtuBytes, Cidr ipv4, Cidr gateway4,
                           Cidr ipv6, Cidr gateway6) {
        public Settings {
            NetworkNamespace.path(namespace);
            InterfaceName.validate(interfaceName);
            check(ipv4, true, "ipv4");
            check(gateway4, true, "gateway4");
            check(ipv6, false, "ipv6");
            check(gateway6, false, "gateway6");
        }

        private static void check(Cidr value, boolean wantIpv4, String field) {
            if (value != null && value.ipv4() != wantIpv4) {
                throw new IllegalArgumentException("pod interface " + field + " " + value + " is not an "
                        + (wantIpv4 ? "IPv4" : "IPv6") + " address");
            }
        }
    }

    /**
     * Moves interface {@code hostName} (in the caller's namespace) into the pod's namespace and
     * configures it.
     *
     * @return the interface as the pod's namespace sees it afterwards
     * @throws NetDeviceException naming the step that failed (NO_SUCH_DEVICE, NAMESPACE_MISSING,
     *                            NAME_IN_USE, ALREADY_EXISTS, ...)
     */
    public static LinkInfo moveAndConfigure(String hostName, Settings settings) {
        try (Rtnetlink host = Rtnetlink.open()) {
            host.moveToNamespace(host.link(hostName).ifindex(), settings.namespace());
        }
        try (Rtnetlink pod = Rtnetlink.openIn(settings.namespace())) {
            int ifindex = pod.link(hostName).ifindex();
            if (!settings.interfaceName().equals(hostName)) {
                pod.rename(ifindex, settings.interfaceName());
            }
            return configure(pod, ifindex, settings, false);
        }
    }

    /**
     * Brings an interface that already is in the pod's namespace (a persistent TAP a restarted
     * daemon re-attached to) back to {@code settings}: the MAC and MTU set where they differ, up,
     * loopback up, and the addresses and default routes added where missing (one that exists is
     * left as it is: the pod's sockets are bound to it). Addresses the settings do not name are
     * not removed: a pod whose address changed gets a new interface instead.
     *
     * @return the interface as the pod's namespace sees it afterwards
     * @throws NetDeviceException NO_SUCH_DEVICE when the pod has no interface of that name, and the reasons of the steps
     */
    public static LinkInfo reconfigure(Settings settings) {
        try (Rtnetlink pod = Rtnetlink.openIn(settings.namespace())) {
            LinkInfo link = pod.link(settings.interfaceName());
            return configure(pod, link.ifindex(), settings, true);
        }
    }

    private static LinkInfo configure(Rtnetlink pod, int ifindex, Settings settings, boolean keepExisting) {
        LinkInfo before = pod.link(ifindex);
        if (settings.mac() != 0 && before.mac() != settings.mac()) {
            if (before.isUp()) {
                pod.setUp(ifindex, false); // a TAP's MAC changes only while it is down
            }
            pod.setMac(ifindex, settings.mac());
        }
        if (before.mtuBytes() != settings.mtuBytes()) {
            pod.setMtu(ifindex, settings.mtuBytes());
        }
        pod.setUp(ifindex, true);
        pod.setUp(pod.link("lo").ifindex(), true);
        if (settings.ipv4() != null) {
            Rtnetlink.addUnlessPresent(keepExisting, () -> pod.addAddress(ifindex, settings.ipv4()));
        }
        if (settings.ipv6() != null) {
            Rtnetlink.addUnlessPresent(keepExisting, () -> pod.addAddress(ifindex, settings.ipv6()));
        }
        if (settings.gateway4() != null) {
            Rtnetlink.addUnlessPresent(keepExisting, () -> pod.addDefaultRoute(ifindex, settings.gateway4()));
        }
        if (settings.gateway6() != null) {
            Rtnetlink.addUnlessPresent(keepExisting, () -> pod.addDefaultRoute(ifindex, settings.gateway6()));
        }
        return pod.link(ifindex);
    }
}
