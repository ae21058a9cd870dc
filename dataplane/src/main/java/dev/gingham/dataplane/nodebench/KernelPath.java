package dev.gingham.dataplane.nodebench;

import dev.gingham.dataplane.demo.Namespaces;
import dev.gingham.dataplane.demo.Shell;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The baseline: what a node without Gingham does for the same two pods and the same Services.
 * Each pod has a veth pair to a router namespace (the node's kernel), which forwards between them
 * and translates the ClusterIPs with iptables DNAT rules laid out as kube-proxy's iptables mode
 * lays them out (KUBE-SERVICES, a KUBE-SVC chain per service port, a KUBE-SEP chain per endpoint),
 * so conntrack and NAT run as they do on a kube-proxy node. Every link has the Gingham pods' MTU,
 * so TCP segments and TSO frames are the same size on both paths.
 *
 * <pre>
 *   PREFIX-k-cli 10.245.1.2 eth0 --veth-- c0 10.245.1.1  PREFIX-k-rtr  s0 10.245.2.1 --veth-- eth0 10.245.2.2 PREFIX-k-srv
 *                                         (ip_forward, iptables nat: ClusterIP -> 10.245.2.2)
 * </pre>
 */
final class KernelPath {
    static final String CLIENT_IP = "10.245.1.2";
    static final String SERVER_IP = "10.245.2.2";
    private static final String CLIENT_GATEWAY = "10.245.1.1";
    private static final String SERVER_GATEWAY = "10.245.2.1";
    private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(10);

    private KernelPath() {
    }

    /** Builds the three namespaces and the router's rules (the rules file is written into {@code directory}). */
    static PodPair build(Namespaces namespaces, Path directory, int mtuBytes) {
        String client = namespaces.create("k-cli");
        String router = namespaces.create("k-rtr");
        String server = namespaces.create("k-srv");
        link(router, "c0", CLIENT_GATEWAY, client, CLIENT_IP, mtuBytes);
        link(router, "s0", SERVER_GATEWAY, server, SERVER_IP, mtuBytes);
        Shell.must("ip", "-n", client, "route", "add", "default", "via", CLIENT_GATEWAY);
        Shell.must("ip", "-n", server, "route", "add", "default", "via", SERVER_GATEWAY);
        Shell.must("ip", "netns", "exec", router, "sysctl", "-qw", "net.ipv4.ip_forward=1");
        Path rules = directory.resolve("kube-proxy-rules.txt");
        try {
            Files.writeString(rules, kubeProxyRules());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + rules + ": " + e.getMessage(), e);
        }
        Shell.Result restore = Shell.run(COMMAND_TIMEOUT, "ip", "netns", "exec", router, "iptables-restore", rules.toString());
        if (!restore.ok()) {
            throw new IllegalStateException("iptables-restore of " + rules + " in " + router + " failed: " + restore.output());
        }
        return new PodPair("kernel", client, server, CLIENT_IP, SERVER_IP);
    }

    private static void link(String router, String routerSide, String routerIp, String pod, String podIp, int mtuBytes) {
        Shell.must("ip", "-n", router, "link", "add", routerSide, "mtu", Integer.toString(mtuBytes), "type", "veth",
                "peer", "name", "eth0", "mtu", Integer.toString(mtuBytes), "netns", pod);
        Shell.must("ip", "-n", router, "addr", "add", routerIp + "/24", "dev", routerSide);
        Shell.must("ip", "-n", pod, "addr", "add", podIp + "/24", "dev", "eth0");
        Shell.must("ip", "-n", router, "link", "set", routerSide, "up");
        Shell.must("ip", "-n", pod, "link", "set", "eth0", "up");
    }

    /** kube-proxy's iptables layout for the three services, one endpoint each (the server pod). */
    static String kubeProxyRules() {
        StringBuilder chains = new StringBuilder("*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n"
                + ":POSTROUTING ACCEPT [0:0]\n:KUBE-SERVICES - [0:0]\n");
        StringBuilder rules = new StringBuilder("-A PREROUTING -j KUBE-SERVICES\n-A OUTPUT -j KUBE-SERVICES\n");
        service(chains, rules, "IPERF", BenchServices.IPERF_VIP, "tcp", BenchServices.IPERF_PORT);
        service(chains, rules, "UDPSINK", BenchServices.UDP_VIP, "udp", BenchServices.UDP_PORT);
        service(chains, rules, "RR", BenchServices.RR_VIP, "tcp", BenchServices.RR_PORT);
        return chains.append(rules).append("COMMIT\n").toString();
    }

    private static void service(StringBuilder chains, StringBuilder rules, String name, String vip, String protocol, int port) {
        String svc = "KUBE-SVC-" + name;
        String sep = "KUBE-SEP-" + name;
        chains.append(':').append(svc).append(" - [0:0]\n:").append(sep).append(" - [0:0]\n");
        rules.append("-A KUBE-SERVICES -d ").append(vip).append("/32 -p ").append(protocol).append(" -m ").append(protocol)
                .append(" --dport ").append(port).append(" -j ").append(svc).append('\n');
        rules.append("-A ").append(svc).append(" -j ").append(sep).append('\n');
        rules.append("-A ").append(sep).append(" -p ").append(protocol).append(" -m ").append(protocol)
                .append(" -j DNAT --to-destination ").append(SERVER_IP).append(':').append(port).append('\n');
    }
}
