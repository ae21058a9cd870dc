package dev.gingham.dataplane.demo;

import dev.gingham.dataplane.policy.Direction;
import dev.gingham.packet.DropReason;

import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

import static dev.gingham.dataplane.demo.DemoCluster.DB_VIP;
import static dev.gingham.dataplane.demo.DemoCluster.ECHO_VIP;
import static dev.gingham.dataplane.demo.DemoCluster.EXTERNAL_IP;
import static dev.gingham.dataplane.demo.DemoCluster.EXTERNAL_PORT;
import static dev.gingham.dataplane.demo.DemoCluster.GATEWAY_IP;
import static dev.gingham.dataplane.demo.DemoCluster.NODE_IP;
import static dev.gingham.dataplane.demo.DemoCluster.NODE_PORT;
import static dev.gingham.dataplane.demo.DemoCluster.PODS;
import static dev.gingham.dataplane.demo.DemoCluster.WEB_PODS;
import static dev.gingham.dataplane.demo.DemoCluster.WEB_VIP;

/**
 * The walk through a running {@link DemoCluster} that {@code gingham demo} prints: six steps, each
 * run with the real tool a user would type (ping, curl, python3) inside a pod's or the outside
 * namespace, then explained from what it printed (and, for the policy drop, from the daemon's drop
 * counters). Each step also checks its outcome, so a broken node shows as a step that did not
 * do what it should, and the demo exits non-zero.
 */
public final class DemoTour {
    private static final int STEPS = 6;
    private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(15);
    /** How long a TCP client waits before giving up: long enough for a retransmitted SYN, short for the demo. */
    private static final int CONNECT_TIMEOUT_SECONDS = 3;

    private final DemoCluster cluster;
    private final StepPrinter printer;
    private final int requests;

    /** @param requests how many HTTP requests the ClusterIP step makes (the spread needs a dozen or more) */
    public DemoTour(DemoCluster cluster, PrintStream out, int requests) {
        if (requests < 1) {
            throw new IllegalArgumentException("requests must be at least 1, got " + requests);
        }
        this.cluster = cluster;
        this.printer = new StepPrinter(out, STEPS);
        this.requests = requests;
    }

    /** Runs every step (a failed one does not stop the rest). Returns: whether every step did what it should. */
    public boolean run() {
        introduce();
        boolean ok = podToPod();
        ok &= clusterIp();
        ok &= nodePort();
        ok &= udpService();
        ok &= policyDrop();
        ok &= masquerade();
        return ok;
    }

    private void introduce() {
        printer.paragraph("The cluster: one Kubernetes node whose pods are Linux network namespaces, each with its own "
                + "TCP/IP stack. A pod's eth0 is a TAP device; the Gingham daemon holds the other end and runs every "
                + "frame through its pipeline (anti-spoofing, services, conntrack, NAT, NetworkPolicy, routing). "
                + "Nothing here uses the kernel's iptables or bridges.");
        printer.line("");
        printer.line("  pods (namespace demo)      client " + PODS.get("client") + "   web-1/2/3 " + PODS.get("web-1") + "-13 (app=web)   db "
                + PODS.get("db"));
        printer.line("  services                   web " + WEB_VIP + ":80 (NodePort " + NODE_PORT + ")   echo " + ECHO_VIP
                + ":7/UDP   db " + DB_VIP + ":5432");
        printer.line("  policy                     db-from-web: only app=web may connect to db");
        printer.line("  node                       " + NODE_IP + " (namespace " + cluster.nodeNamespace() + ", pods' gateway "
                + GATEWAY_IP + ")");
        printer.line("  outside host               " + EXTERNAL_IP + " (namespace " + cluster.externalNamespace()
                + ", behind the node's underlay interface)");
    }

    private boolean podToPod() {
        printer.heading("pod to pod");
        printer.what("The client pod pings web-1 (" + PODS.get("web-1") + ") three times.");
        Shell.Result r = run(cluster.podNamespace("client"), "ping", "-c", "3", "-i", "0.2", "-W", "2", PODS.get("web-1"));
        boolean ok = r.output().contains(" 3 received") && r.output().contains("ttl=63");
        printer.meaning(ok, ok
                ? "All three echo requests were answered. The client's kernel sent them out of its eth0; Gingham "
                + "answered its ARP for the gateway " + GATEWAY_IP + " itself, checked that the source address and MAC "
                + "are the client's (anti-spoofing), found " + PODS.get("web-1") + " in its endpoint map and wrote the "
                + "frames to web-1's TAP. ttl=63, not 64: the packets were routed through the node's gateway, one hop, "
                + "as Cilium does (pods share no Ethernet segment)."
                : "Expected 3 of 3 answered with ttl=63.");
        return ok;
    }

    private boolean clusterIp() {
        printer.heading("a ClusterIP Service, load-balanced");
        printer.what("The client calls the web Service " + requests + " times at its ClusterIP " + WEB_VIP + ":80, one "
                + "new connection per request. No interface has that address: it exists only in Gingham's service map.");
        Shell.Result r = run(cluster.podNamespace("client"), "sh", "-c",
                "for i in $(seq " + requests + "); do curl -sS --max-time " + CONNECT_TIMEOUT_SECONDS + " http://" + WEB_VIP + "/; done");
        Map<String, Integer> counts = new TreeMap<>();
        int answered = 0;
        boolean sawClient = true;
        for (String line : r.output().split("\n")) {
            for (String web : WEB_PODS) {
                if (line.startsWith(web + " saw ")) {
                    counts.merge(web, 1, Integer::sum);
                    answered++;
                    sawClient &= line.equals(web + " saw " + PODS.get("client"));
                }
            }
        }
        boolean ok = answered == requests && sawClient;
        String spread = WEB_PODS.stream().map(w -> w + " " + counts.getOrDefault(w, 0)).collect(Collectors.joining(", "));
        String chance = counts.size() == WEB_PODS.size() ? "every backend took a share"
                : "one backend got none this time, which random selection allows with few requests";
        printer.meaning(ok, ok
                ? "Answers per backend: " + spread + " (" + chance + "). For each new connection Gingham picked a "
                + "backend at random (kube-proxy's default), rewrote the destination to the chosen pod's address and "
                + "port 8080 (DNAT) and recorded the connection in conntrack: the rest of the "
                + "connection goes to the same pod, and the replies are rewritten back to come from " + WEB_VIP + ":80. "
                + "Each backend saw the client's own address " + PODS.get("client") + ": no SNAT inside the cluster."
                : "Expected " + requests + " answers from web-1/2/3, each seeing " + PODS.get("client") + "; got " + answered
                + " (" + spread + ").");
        return ok;
    }

    private boolean nodePort() {
        printer.heading("a NodePort from outside the cluster");
        printer.what("The outside host (" + EXTERNAL_IP + ") calls the node's address " + NODE_IP + " on port " + NODE_PORT
                + ", the web Service's NodePort. It reaches the node only over the underlay link (a veth whose node end, "
                + "ul0, Gingham reads and writes with an AF_PACKET socket).");
        Shell.Result r = run(cluster.externalNamespace(), "curl", "-sS", "--max-time", Integer.toString(CONNECT_TIMEOUT_SECONDS),
                "http://" + NODE_IP + ":" + NODE_PORT + "/");
        boolean ok = r.ok() && r.output().matches("web-[123] saw " + EXTERNAL_IP.replace(".", "\\."));
        printer.meaning(ok, ok
                ? "A web pod answered. Gingham answered the outside host's ARP for " + NODE_IP + " on the underlay, "
                + "matched " + NODE_IP + ":" + NODE_PORT + " in its service map and sent the connection to a backend. The "
                + "backend saw the real client " + EXTERNAL_IP + ": a backend on this node needs no SNAT, its replies "
                + "come back through Gingham anyway, which rewrites them to come from " + NODE_IP + ":" + NODE_PORT + "."
                : "Expected a web pod to answer and to see " + EXTERNAL_IP + ".");
        return ok;
    }

    private boolean udpService() {
        printer.heading("UDP through a Service");
        printer.what("The client sends one UDP datagram to the echo Service " + ECHO_VIP + ":7, whose backends echo on "
                + "port 7007 (the python3 client below accepts an answer only from the address it wrote to).");
        Shell.Result r = run(cluster.podNamespace("client"), "python3", cluster.serversScript().toString(), "udp-ask", ECHO_VIP,
                "7", "hello");
        boolean ok = r.ok() && r.output().matches("web-[123] saw " + PODS.get("client").replace(".", "\\.") + ": hello");
        printer.meaning(ok, ok
                ? "A backend echoed it. UDP has no connection, so Gingham tracks the flow by its addresses and ports: the "
                + "datagram was sent to a backend's port 7007, and the answer was rewritten to come from " + ECHO_VIP
                + ":7, which is why the client's socket accepted it. Later datagrams of the same flow go to the same "
                + "backend until the flow is idle for 60 s."
                : "Expected an echo from a web pod that saw " + PODS.get("client") + ".");
        return ok;
    }

    private boolean policyDrop() {
        printer.heading("a NetworkPolicy drop, and the same connection allowed");
        printer.what("NetworkPolicy db-from-web lets only pods labelled app=web connect to db on TCP 5432. First the "
                + "client (app=client) tries the db Service " + DB_VIP + ":5432, giving up after " + CONNECT_TIMEOUT_SECONDS
                + " s; then web-1 tries.");
        DropTally before = DropTally.of(cluster.daemon().node().state().drops());
        Shell.Result denied = run(cluster.podNamespace("client"), "curl", "-sS", "--max-time",
                Integer.toString(CONNECT_TIMEOUT_SECONDS), "telnet://" + DB_VIP + ":5432");
        DropTally after = DropTally.of(cluster.daemon().node().state().drops());
        long policyDrops = after.added(before, DropReason.POLICY, Direction.INGRESS);
        List<String> changes = new ArrayList<>();
        for (DropTally.Change change : after.since(before)) {
            changes.add(change.toString());
        }
        printer.line("  Gingham's drop counters, what this command added:");
        for (String change : changes.isEmpty() ? List.of("(nothing)") : changes) {
            printer.line("    " + change);
        }
        Shell.Result allowed = run(cluster.podNamespace("web-1"), "curl", "-sS", "--max-time",
                Integer.toString(CONNECT_TIMEOUT_SECONDS), "telnet://" + DB_VIP + ":5432");
        boolean ok = !denied.ok() && policyDrops > 0 && allowed.ok()
                && allowed.output().equals("db saw " + PODS.get("web-1"));
        printer.meaning(ok, ok
                ? "The client's connection timed out: Gingham translated its SYN to the db pod, then db's ingress policy "
                + "found no rule allowing app=client and dropped it, counting reason POLICY (133, Cilium's code) in "
                + "direction ingress; the client's kernel retransmitted and every copy was dropped the same way ("
                + policyDrops + " in all). No reset is sent back, as with Cilium: a denied peer learns nothing. From web-1 "
                + "the same command connects and the database saw web-1's address."
                : "Expected the client to time out with POLICY drops counted, and web-1 to be answered by db.");
        return ok;
    }

    private boolean masquerade() {
        printer.heading("a pod reaching the outside, masqueraded");
        printer.what("The client opens a TCP connection to the outside host " + EXTERNAL_IP + ":" + EXTERNAL_PORT
                + ", whose server prints the address it saw.");
        Shell.Result r = run(cluster.podNamespace("client"), "curl", "-sS", "--max-time", Integer.toString(CONNECT_TIMEOUT_SECONDS),
                "telnet://" + EXTERNAL_IP + ":" + EXTERNAL_PORT);
        boolean ok = r.ok() && r.output().equals("outside saw " + NODE_IP);
        printer.meaning(ok, ok
                ? "The outside host saw " + NODE_IP + ", the node, not the pod's " + PODS.get("client") + ": the destination "
                + "is outside every cluster CIDR, so Gingham masqueraded the connection (source address and port "
                + "rewritten to the node's address and a port from its NAT range, as kube-proxy's MASQUERADE rule or "
                + "Cilium's BPF masquerading do) and translated the replies back to the client."
                : "Expected the outside host to see only the node address " + NODE_IP + ".");
        return ok;
    }

    /**
     * Prints where the cluster's parts are and how to look at them by hand.
     *
     * @param kept whether the cluster stays up after this ({@code --keep}) or is removed next
     */
    public void whereThingsAre(boolean kept) {
        printer.line("");
        printer.line("== Where things are ==");
        printer.line("  Namespaces          ip netns list | grep " + cluster.prefix() + "-");
        printer.line("  A shell in a pod    ip netns exec " + cluster.podNamespace("client") + " bash");
        printer.line("                      (then: ip addr; ip route; curl http://" + WEB_VIP + "/; ping " + PODS.get("db") + ")");
        printer.line("  The node's devices  ip netns exec " + cluster.nodeNamespace() + " ip addr   (gingham_host, ul0)");
        printer.line("  The outside host    ip netns exec " + cluster.externalNamespace() + " bash");
        printer.line("  Inspect the node    gingham service list --api unix:" + cluster.apiSocket());
        printer.line("                      (also: ct list, nat list, policy get, monitor, metrics)");
        printer.line("  Node configuration  " + cluster.configFile());
        printer.line("  Manifests           " + cluster.manifestsDirectory() + "   (edit a file: the daemon reloads it)");
        printer.line("");
        printer.paragraph(kept
                ? "The cluster stays up: explore it from another terminal. Press Ctrl-C here to stop the daemon and remove "
                + "everything."
                : "Run 'gingham demo --keep' to keep the cluster up and explore it; this run removes everything now.");
    }

    /** Prints the command, runs it in {@code netns}, prints what it printed. */
    private Shell.Result run(String netns, String... command) {
        List<String> full = new ArrayList<>(List.of("ip", "netns", "exec", netns));
        full.addAll(List.of(command));
        printer.command(full);
        Shell.Result r = Shell.run(COMMAND_TIMEOUT, full);
        printer.printed(r.output());
        return r;
    }
}
