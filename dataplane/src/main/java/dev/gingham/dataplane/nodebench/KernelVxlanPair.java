package dev.gingham.dataplane.nodebench;

import dev.gingham.dataplane.demo.Namespaces;
import dev.gingham.dataplane.demo.Shell;

/**
 * The cross-node baseline: two plain-Linux nodes, each a namespace with a kernel VXLAN device
 * (VNI 1, UDP 8472 as flannel uses) over the same kind of underlay link as the Gingham pair (one
 * veth pair, MTU 1500), and a pod behind each on a veth at the Gingham pods' MTU. The nodes route
 * the other's pod subnet through the VXLAN device to the peer's VXLAN address (resolved by ARP
 * across the tunnel; the device sends to its one remote). The kernel's offloads stay on: TSO frames
 * cross the pod veth, the VXLAN device and the underlay veth as one GSO packet and are segmented
 * (or not at all, veth to veth) where the kernel chooses, which is the bar Gingham is held to.
 *
 * <pre>
 *   PREFIX-xk-cli 10.245.1.2 eth0 --veth-- c0 10.245.1.1  PREFIX-xk-n1  vx0 10.250.0.1  ul0 192.168.63.10
 *                                                                                         |  veth, MTU 1500
 *   PREFIX-xk-srv 10.245.2.2 eth0 --veth-- s0 10.245.2.1  PREFIX-xk-n2  vx0 10.250.0.2  ul0 192.168.63.20
 * </pre>
 */
final class KernelVxlanPair {
    static final String CLIENT_IP = "10.245.1.2";
    static final String SERVER_IP = "10.245.2.2";
    private static final String[] UNDERLAY_IPS = {"192.168.63.10", "192.168.63.20"};
    private static final String[] VXLAN_IPS = {"10.250.0.1", "10.250.0.2"};
    private static final String[] POD_SUBNETS = {"10.245.1.0/24", "10.245.2.0/24"};
    private static final String[] GATEWAYS = {"10.245.1.1", "10.245.2.1"};
    private static final String[] POD_IPS = {CLIENT_IP, SERVER_IP};

    private KernelVxlanPair() {
    }

    /** Builds the four namespaces; returns the client (node 1) and server (node 2) pods. */
    static PodPair build(Namespaces namespaces, int podMtuBytes) {
        String[] nodes = {namespaces.create("xk-n1"), namespaces.create("xk-n2")};
        String[] pods = {namespaces.create("xk-cli"), namespaces.create("xk-srv")};
        Shell.must("ip", "-n", nodes[0], "link", "add", "ul0", "type", "veth", "peer", "name", "ul0", "netns", nodes[1]);
        for (int n = 0; n < 2; n++) {
            String node = nodes[n];
            Shell.must("ip", "-n", node, "addr", "add", UNDERLAY_IPS[n] + "/24", "dev", "ul0");
            Shell.must("ip", "-n", node, "link", "set", "ul0", "up");
            Shell.must("ip", "-n", node, "link", "add", "vx0", "type", "vxlan", "id", "1", "dstport", "8472",
                    "local", UNDERLAY_IPS[n], "remote", UNDERLAY_IPS[1 - n], "dev", "ul0");
            Shell.must("ip", "-n", node, "addr", "add", VXLAN_IPS[n] + "/24", "dev", "vx0");
            Shell.must("ip", "-n", node, "link", "set", "vx0", "up");
            String side = n == 0 ? "c0" : "s0";
            String mtu = Integer.toString(podMtuBytes);
            Shell.must("ip", "-n", node, "link", "add", side, "mtu", mtu, "type", "veth", "peer", "name", "eth0", "mtu", mtu,
                    "netns", pods[n]);
            Shell.must("ip", "-n", node, "addr", "add", GATEWAYS[n] + "/24", "dev", side);
            Shell.must("ip", "-n", node, "link", "set", side, "up");
            Shell.must("ip", "-n", pods[n], "addr", "add", POD_IPS[n] + "/24", "dev", "eth0");
            Shell.must("ip", "-n", pods[n], "link", "set", "eth0", "up");
            Shell.must("ip", "-n", pods[n], "link", "set", "lo", "up");
            Shell.must("ip", "-n", pods[n], "route", "add", "default", "via", GATEWAYS[n]);
            Shell.must("ip", "-n", node, "route", "add", POD_SUBNETS[1 - n], "via", VXLAN_IPS[1 - n], "dev", "vx0");
            Shell.must("ip", "netns", "exec", node, "sysctl", "-qw", "net.ipv4.ip_forward=1");
        }
        return new PodPair("kernel-vxlan", pods[0], pods[1], CLIENT_IP, SERVER_IP);
    }
}
