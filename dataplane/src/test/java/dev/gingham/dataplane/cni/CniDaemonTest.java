package dev.gingham.dataplane.cni;

import dev.gingham.dataplane.cluster.LocalPod;
import dev.gingham.dataplane.config.NodeConfig;
import dev.gingham.dataplane.daemon.DaemonLog;
import dev.gingham.dataplane.daemon.NodeDaemon;
import dev.gingham.dataplane.demo.Shell;
import dev.gingham.packet.Netns;
import dev.gingham.tap.NetworkNamespace;
import dev.gingham.tap.TapDevice;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import tools.jackson.databind.JsonNode;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The plugin called the way a container runtime calls it (CNI_* environment, the network
 * configuration on stdin, the answer on stdout) against a real daemon in a node namespace, for
 * pods whose namespaces this test created with {@code ip netns add} and hands over by path
 * ({@code /var/run/netns/NAME}). Needs root, /dev/net/tun, ip and ping; skips with the reason
 * otherwise. Every namespace is deleted after the class, also when a test fails.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class CniDaemonTest {
    private static final String POD_CIDR_PREFIX = "10.245.1.";
    private static final String GATEWAY = "10.245.1.1";
    private static final Netns NETNS = new Netns();
    private static final ByteArrayOutputStream LOG = new ByteArrayOutputStream();
    private static Path dir;
    private static String node;
    private static NodeDaemon daemon;

    @BeforeAll
    static void startNode() throws IOException {
        Netns.assumeAvailable();
        assumeTrue(Files.exists(TapDevice.TUN_DEVICE), "needs " + TapDevice.TUN_DEVICE);
        assumeTrue(Shell.available("ping", "-V"), "needs ping (./gingham test installs it as root)");
        dir = Files.createTempDirectory("gingham-cni-test");
        node = NETNS.create("cninode");
        String ext = NETNS.create("cniext");
        Netns.must("ip", "-n", node, "link", "add", "ul0", "type", "veth", "peer", "name", "eth0", "netns", ext);
        Netns.must("ip", "-n", ext, "link", "set", "eth0", "address", "02:00:c0:a8:3d:01", "up");
        Files.writeString(dir.resolve("node.yaml"), """
                nodeName: cni-node
                nodeAddresses: [192.168.61.10]
                podCIDRs: [10.245.1.0/24]
                clusterCIDRs: [10.245.0.0/16]
                serviceCIDRs: [10.97.0.0/16]
                underlay: {interface: ul0, nextHopMac: "02:00:c0:a8:3d:01"}
                maps: {endpoints: 16}
                api: {listen: "unix:%s"}
                pinDirectory: %s
                """.formatted(dir.resolve("api.sock"), dir.resolve("pins")));
        Files.createDirectories(dir.resolve("manifests"));
        // A Pod the cluster knows before the runtime adds it: its labels must survive the attachment.
        Files.writeString(dir.resolve("manifests/cluster.yaml"), """
                apiVersion: v1
                kind: Namespace
                metadata: {name: cni}
                ---
                apiVersion: v1
                kind: Pod
                metadata: {name: known, namespace: cni, labels: {app: known}}
                spec: {containers: [{name: main, image: x}]}
                """);
        start();
    }

    private static void start() {
        daemon = NodeDaemon.start(NodeConfig.load(dir.resolve("node.yaml")), dir.resolve("manifests"), node,
                new DaemonLog(new PrintStream(LOG, true, StandardCharsets.UTF_8), true));
    }

    @AfterAll
    static void stopNode() {
        try {
            if (daemon != null) {
                daemon.close();
            }
        } finally {
            NETNS.close();
            System.out.print(LOG.toString(StandardCharsets.UTF_8));
        }
    }

    private static Map<String, String> env(String command, String containerId, String netns, String ifname, String podName) {
        Map<String, String> env = new HashMap<>();
        env.put("CNI_COMMAND", command);
        env.put("CNI_CONTAINERID", containerId);
        if (netns != null) {
            env.put("CNI_NETNS", netns);
        }
        env.put("CNI_IFNAME", ifname);
        env.put("CNI_ARGS", "IgnoreUnknown=1;K8S_POD_NAMESPACE=cni;K8S_POD_NAME=" + podName);
        env.put("CNI_PATH", "/opt/cni/bin");
        return env;
    }

    private static String config(String extra) {
        return "{\"cniVersion\": \"1.0.0\", \"name\": \"gingham\", \"type\": \"gingham-cni\", \"gingham\": {\"api\": \"unix:"
                + dir.resolve("api.sock") + "\"}" + extra + "}";
    }

    private static CniPluginTest.Run cni(Map<String, String> env, String stdin) {
        return CniPluginTest.run(env, stdin);
    }

    private static String path(String netns) {
        return NetworkNamespace.DIRECTORY.resolve(netns).toString();
    }

    /** Returns: the address an ADD result gave, without its prefix length. */
    private static String address(CniPluginTest.Run add) {
        String cidr = add.stdout().get("ips").get(0).get("address").asString();
        return cidr.substring(0, cidr.indexOf('/'));
    }

    @Test
    void shouldAttachPodsThatPingEachOtherAndCheckAndDeleteThemIdempotently() throws Exception {
        String a = NETNS.create("cnia");
        String b = NETNS.create("cnib");

        CniPluginTest.Run addA = cni(env("ADD", "ctr-known", path(a), "eth0", "known"), config(""));
        CniPluginTest.Run addB = cni(env("ADD", "ctr-other", path(b), "net1", "other"), config(""));

        assertEquals(0, addA.exit(), addA.text());
        assertEquals(0, addB.exit(), addB.text());
        JsonNode result = addA.stdout();
        assertEquals("1.0.0", result.get("cniVersion").asString());
        JsonNode itf = result.get("interfaces").get(0);
        assertEquals("eth0", itf.get("name").asString());
        assertEquals(path(a), itf.get("sandbox").asString());
        String ipA = address(addA);
        assertTrue(ipA.startsWith(POD_CIDR_PREFIX) && !ipA.equals(GATEWAY), ipA);
        assertEquals(ipA + "/32", result.get("ips").get(0).get("address").asString());
        assertEquals(GATEWAY, result.get("ips").get(0).get("gateway").asString());
        assertEquals(0, result.get("ips").get(0).get("interface").asInt());
        assertEquals("0.0.0.0/0", result.get("routes").get(0).get("dst").asString());
        String link = Netns.must("ip", "-n", a, "-o", "link", "show", "eth0");
        assertTrue(link.contains("link/ether " + itf.get("mac").asString()) && link.contains(",UP"), link);
        assertTrue(Netns.must("ip", "-n", a, "-o", "addr", "show", "eth0").contains("inet " + ipA + "/32"));
        assertTrue(Netns.must("ip", "-n", b, "-o", "addr", "show", "net1").contains("inet " + address(addB) + "/32"),
                "CNI_IFNAME names the interface");
        LocalPod known = daemon.node().applied().localPods().get("cni/known");
        assertEquals(Map.of("app", "known"), known.pod().labels(), "the cluster's Pod keeps its labels");
        assertEquals(path(a), known.pod().netns());

        Netns.Result ping = Netns.run("ip", "netns", "exec", a, "ping", "-c", "3", "-i", "0.2", "-W", "2", address(addB));
        assertTrue(ping.output().contains(" 3 received"), ping.output());

        String prev = ", \"prevResult\": " + addA.text();
        CniPluginTest.Run check = cni(env("CHECK", "ctr-known", path(a), "eth0", "known"), config(prev));
        assertEquals(0, check.exit(), check.text());
        assertEquals("", check.text());

        CniPluginTest.Run del = cni(env("DEL", "ctr-known", path(a), "eth0", "known"), config(prev));
        assertEquals(0, del.exit(), del.text());
        assertTrue(awaitGone(a, "eth0"), "DEL removes the interface: " + Netns.run("ip", "-n", a, "link").output());
        assertNull(daemon.node().applied().localPods().get("cni/known"), "no longer a local endpoint");
        CniPluginTest.Run again = cni(env("DEL", "ctr-known", null, "eth0", "known"), config(""));
        assertEquals(0, again.exit(), "a second DEL, without CNI_NETNS, succeeds: " + again.text());
        CniPluginTest.Run checkGone = cni(env("CHECK", "ctr-known", path(a), "eth0", "known"), config(prev));
        assertEquals(CniError.UNKNOWN_CONTAINER, checkGone.stdout().get("code").asInt(), checkGone.text());
        assertEquals(0, cni(env("DEL", "ctr-other", path(b), "net1", "other"), config("")).exit());
    }

    @Test
    void shouldFailCheckWhenTheInterfaceLostItsAddress() {
        String c = NETNS.create("cnic");
        CniPluginTest.Run add = cni(env("ADD", "ctr-check", path(c), "eth0", "check"), config(""));
        assertEquals(0, add.exit(), add.text());
        try {
            Netns.must("ip", "-n", c, "addr", "del", address(add) + "/32", "dev", "eth0");

            CniPluginTest.Run check = cni(env("CHECK", "ctr-check", path(c), "eth0", "check"), config(", \"prevResult\": " + add.text()));

            assertEquals(1, check.exit());
            assertEquals(CniError.CHECK_FAILED, check.stdout().get("code").asInt());
            assertTrue(check.stdout().get("msg").asString().contains(address(add)), check.text());
        } finally {
            assertEquals(0, cni(env("DEL", "ctr-check", path(c), "eth0", "check"), config("")).exit());
        }
    }

    @Test
    void shouldGiveDifferentAddressesWhenTwoAddsRunInParallel() throws Exception {
        String p = NETNS.create("cnip");
        String q = NETNS.create("cniq");
        CompletableFuture<CniPluginTest.Run> first = CompletableFuture.supplyAsync(() -> cni(env("ADD", "ctr-p", path(p), "eth0", "p"), config("")));
        CompletableFuture<CniPluginTest.Run> second = CompletableFuture.supplyAsync(() -> cni(env("ADD", "ctr-q", path(q), "eth0", "q"), config("")));
        try {
            CniPluginTest.Run rp = first.get(60, TimeUnit.SECONDS);
            CniPluginTest.Run rq = second.get(60, TimeUnit.SECONDS);

            assertEquals(0, rp.exit(), rp.text());
            assertEquals(0, rq.exit(), rq.text());
            assertNotEquals(address(rp), address(rq));
        } finally {
            cni(env("DEL", "ctr-p", path(p), "eth0", "p"), config(""));
            cni(env("DEL", "ctr-q", path(q), "eth0", "q"), config(""));
        }
    }

    @Test
    void shouldKeepAttachmentsAndNotReuseAnAddressAfterADaemonRestart() throws Exception {
        String r = NETNS.create("cnir");
        String s = NETNS.create("cnis");
        CniPluginTest.Run before = cni(env("ADD", "ctr-r", path(r), "eth0", "r"), config(""));
        assertEquals(0, before.exit(), before.text());
        try {
            daemon.close();
            assertTrue(awaitGone(r, "eth0"), "the TAP went with the daemon (this test does not use persistent TAPs)");
            start();

            assertTrue(Netns.run("ip", "-n", r, "-o", "addr", "show", "eth0").output().contains("inet " + address(before) + "/32"),
                    "the restarted daemon gave the attached pod its interface again");
            CniPluginTest.Run after = cni(env("ADD", "ctr-s", path(s), "eth0", "s"), config(""));
            assertEquals(0, after.exit(), after.text());
            assertNotEquals(address(before), address(after), "no address handed out twice across the restart");
            CniPluginTest.Run repeated = cni(env("ADD", "ctr-r", path(r), "eth0", "r"), config(""));
            assertEquals(address(before), address(repeated), "an ADD of an attached key answers the same address");
        } finally {
            cni(env("DEL", "ctr-r", path(r), "eth0", "r"), config(""));
            cni(env("DEL", "ctr-s", path(s), "eth0", "s"), config(""));
        }
    }

    @Test
    void shouldAnswerContainerUnknownWhenTheNamespaceDoesNotExist() {
        CniPluginTest.Run add = cni(env("ADD", "ctr-missing", "/var/run/netns/ghtest-missing-" + ProcessHandle.current().pid(), "eth0",
                "missing"), config(""));

        assertEquals(1, add.exit());
        assertEquals(CniError.UNKNOWN_CONTAINER, add.stdout().get("code").asInt(), add.text());
        assertNotNull(daemon.cni());
        assertTrue(daemon.cni().ipam().allocations().values().stream().noneMatch(o -> o.containerId().equals("ctr-missing")),
                "nothing stays reserved");
    }

    private static boolean awaitGone(String netns, String ifname) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            if (!Netns.run("ip", "-n", netns, "link", "show", ifname).ok()) {
                return true;
            }
            Thread.sleep(100);
        }
        return false;
    }

}
