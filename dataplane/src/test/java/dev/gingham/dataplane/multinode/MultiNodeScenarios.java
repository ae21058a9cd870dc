package dev.gingham.dataplane.multinode;

import dev.gingham.dataplane.daemon.EndToEnd;
import dev.gingham.dataplane.demo.DropTally;
import dev.gingham.dataplane.demo.Shell;
import dev.gingham.encap.TunnelMode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Files;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.function.Supplier;

import static dev.gingham.dataplane.multinode.MultiNodeCluster.OUTSIDE_IP;
import static dev.gingham.dataplane.multinode.MultiNodeCluster.nodeIp;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 7's cross-node scenarios, run against one two-node cluster per tunnel mode (a subclass
 * per mode names it): pod to pod on the other node (ping both ways, TCP), a Service whose only
 * backend is on the other node, a NodePort on node 1 from the outside host to that backend, and
 * masqueraded egress of a pod on node 2. No MAC of any node is configured: every next hop is
 * found by ARP, so every scenario also proves neighbour resolution.
 *
 * <pre>
 *  node-1  c1 10.244.1.2 (client), m1 10.244.1.3 (MTU tests)
 *  node-2  s2 10.244.2.2 (app=web; HTTP :8080), e2 10.244.2.3 (egress client)
 *  web     ClusterIP 10.96.0.10:80 -> s2:8080, NodePort 30080
 *  outside 192.168.70.1, tcp-hello :9000
 * </pre>
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
abstract class MultiNodeScenarios {
    static final Duration T = Duration.ofSeconds(15);
    static final String VIP = "10.96.0.10";
    static final int NODE_PORT = 30080;
    static final int OUTSIDE_PORT = 9000;

    MultiNodeCluster cluster;

    abstract TunnelMode mode();

    @BeforeAll
    void startCluster() throws Exception {
        assumeKernel();
        String prefix = prefix(mode().name().toLowerCase().substring(0, 3));
        cluster = MultiNodeCluster.prepare(prefix, Files.createTempDirectory("gingham-multinode-"), mode(), 2, false)
                .pod("c1", 1, "client").pod("m1", 1, "client").pod("s2", 2, "web").pod("e2", 2, "egress")
                .manifest("web.yaml", webYaml("s2", "10.244.2.2", MultiNodeCluster.nodeName(2)))
                .start();
        cluster.server(cluster.namespace("s2"), "http", "s2", 8080);
        cluster.server(cluster.outsideNamespace(), "tcp-hello", "outside", OUTSIDE_PORT);
    }

    @AfterAll
    void stopCluster() {
        if (cluster != null) {
            System.out.print(cluster.logs());
            cluster.close();
        }
    }

    /** Skips unless namespaces, TAPs and the tools are here (root). */
    static void assumeKernel() {
        EndToEnd.assumeKernel();
    }

    /** Returns: a namespace prefix unique to this JVM and call, in {@code Netns}'s scheme (a killed run's are removed). */
    static String prefix(String role) {
        return EndToEnd.prefix("mn" + role);
    }

    /** Polls {@code attempt} every 100 ms until {@code done} accepts its result or {@code limit} passes; returns the last result. */
    static <R> R await(Duration limit, Supplier<R> attempt, Predicate<R> done) throws InterruptedException {
        return EndToEnd.await(limit, attempt, done);
    }

    /** A Service "web" (ClusterIP {@link #VIP}:80, NodePort {@link #NODE_PORT}) whose one backend is {@code pod} on {@code node}. */
    static String webYaml(String pod, String ip, String node) {
        return """
                apiVersion: v1
                kind: Service
                metadata: {name: web, namespace: demo}
                spec:
                  type: NodePort
                  clusterIP: %s
                  selector: {app: web}
                  ports: [{name: http, port: 80, targetPort: 8080, nodePort: %d}]
                ---
                apiVersion: discovery.k8s.io/v1
                kind: EndpointSlice
                metadata:
                  name: web-abcde
                  namespace: demo
                  labels: {kubernetes.io/service-name: web}
                addressType: IPv4
                ports: [{name: http, protocol: TCP, port: 8080}]
                endpoints:
                  - addresses: [%s]
                    conditions: {ready: true}
                    nodeName: %s
                    targetRef: {kind: Pod, namespace: demo, name: %s}
                """.formatted(VIP, NODE_PORT, ip, node, pod);
    }

    /** Returns: node {@code node}'s drop counters now (compare two with {@link DropTally#since}). */
    DropTally drops(int node) {
        return DropTally.of(cluster.daemon(node).node().state().drops());
    }

    Shell.Result in(String role, String... command) {
        return cluster.exec(cluster.namespace(role), T, command);
    }

    /** Pings until one answer comes (the first may wait for ARP on the underlay), at most 15 s. */
    Shell.Result pingUntilAnswered(String role, String target) throws InterruptedException {
        return await(Duration.ofSeconds(15), () -> in(role, "ping", "-c", "1", "-W", "1", target), Shell.Result::ok);
    }

    @Test
    void shouldPingAPodOnTheOtherNodeBothWaysWhenNoPeerMacIsConfigured() throws Exception {
        String s2 = cluster.pod("s2").ip();
        String c1 = cluster.pod("c1").ip();
        assertTrue(pingUntilAnswered("c1", s2).ok(), "node-1 -> node-2 pod ping");
        Shell.Result three = in("c1", "ping", "-c", "3", "-i", "0.2", "-W", "2", s2);
        assertTrue(three.output().contains("3 received"), three.output());
        Shell.Result back = in("s2", "ping", "-c", "3", "-i", "0.2", "-W", "2", c1);
        assertTrue(back.output().contains("3 received"), "node-2 -> node-1: " + back.output());
    }

    @Test
    void shouldCarryTcpBetweenPodsOnTwoNodes() throws Exception {
        pingUntilAnswered("c1", cluster.pod("s2").ip());
        Shell.Result get = in("c1", "curl", "-sS", "--max-time", "5", "http://" + cluster.pod("s2").ip() + ":8080/");
        assertTrue(get.ok(), get.output());
        assertTrue(get.output().trim().equals("s2 saw " + cluster.pod("c1").ip()), "pod addresses kept end to end: " + get.output());
    }

    @Test
    void shouldReachAServiceWhoseOnlyBackendIsOnTheOtherNode() throws Exception {
        pingUntilAnswered("c1", cluster.pod("s2").ip());
        // curl connects to the VIP: the handshake completes only if replies come back from the VIP
        Shell.Result get = in("c1", "curl", "-sS", "--max-time", "5", "-w", "\\n%{remote_ip}:%{remote_port}", "http://" + VIP + "/");
        assertTrue(get.ok(), get.output());
        assertTrue(get.output().equals("s2 saw " + cluster.pod("c1").ip() + "\n\n" + VIP + ":80"),
                "served by s2 on node-2, to the client's pod address, answered from the VIP: " + get.output());
    }

    @Test
    void shouldForwardANodePortOnNode1ToTheBackendOnNode2() throws Exception {
        String url = "http://" + nodeIp(1) + ":" + NODE_PORT + "/";
        DropTally before1 = drops(1);
        DropTally before2 = drops(2);
        Shell.Result get = await(Duration.ofSeconds(15),
                () -> cluster.exec(cluster.outsideNamespace(), T, "curl", "-sS", "--max-time", "3", url), Shell.Result::ok);
        assertTrue(get.ok(), get.output() + "; drops on node-1 " + drops(1).since(before1) + ", node-2 " + drops(2).since(before2));
        // forwarded to another node's backend, the flow is masqueraded to node-1's address (Cilium's SNAT mode)
        assertTrue(get.output().trim().equals("s2 saw " + nodeIp(1)), get.output());
    }

    @Test
    void shouldMasqueradeEgressFromAPodOnNode2ToTheOutside() throws Exception {
        Shell.Result hello = await(Duration.ofSeconds(15), () -> in("e2", "python3", cluster.serversScript().toString(),
                "tcp-ask", OUTSIDE_IP, Integer.toString(OUTSIDE_PORT)), Shell.Result::ok);
        assertTrue(hello.ok(), hello.output());
        assertTrue(hello.output().trim().equals("outside saw " + nodeIp(2)), "the outside sees node-2's address: " + hello.output());
    }
}
