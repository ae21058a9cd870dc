package dev.gingham.dataplane.replay;

import dev.gingham.dataplane.fuzz.ChecksumVerifier;
import dev.gingham.packet.BufferPool;
import dev.gingham.packet.FrameVector;
import dev.gingham.packet.Netns;
import dev.gingham.packet.PacketBuilder;
import dev.gingham.packet.PacketSocket;
import dev.gingham.packet.Parser;
import dev.gingham.packet.Verdict;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Differential checks against the Linux kernel: the same input frames go through a namespace
 * router with iptables DNAT or MASQUERADE and through Gingham's replay, and what leaves must agree
 * (addresses, ports, TTL, valid IP and L4 checksums; for DNAT the whole IP packet byte for byte).
 *
 * <pre>
 *  namespace "in" (the pods' side)        namespace "router" (ip_forward, rp_filter off)    namespace "out"
 *  wi: AF_PACKET socket  ===== veth ===== r0 10.244.1.1/32, routes to the pods' /32s
 *                                         r1 192.168.50.10/24, default via 192.168.50.1 ===== wo: AF_PACKET socket
 *                                         static neighbours (nothing answers ARP on the wires)
 * </pre>
 * DNAT: {@code PREROUTING -d 10.96.0.60 -p tcp --dport 80 -j DNAT --to 10.244.1.30:8080}, the
 * backend's /32 routed out of r1 (Gingham delivers to its local pod instead: L2 differs, the IP
 * packet must not). MASQUERADE: {@code POSTROUTING -o r1 -s 10.244.0.0/16 -j MASQUERADE}; the kernel
 * keeps a free source port, Gingham allocates one from its pool, so ports are compared to each
 * implementation's own rule and everything else equal; the reply to each one's mapping must come
 * back to the pod as the same bytes. Needs root (network namespaces) and iptables with the nat
 * table; otherwise skipped with the reason. Every command has a timeout, every receive 3 s, and
 * the namespaces go in {@link #tearDown}.
 */
@Timeout(90)
class KernelNatDifferentialTest {
    private static final String CLIENT = "10.244.1.20";
    private static final String CLIENT_MAC = "0a:58:0a:f4:01:14";
    private static final String BACKEND = "10.244.1.30";
    private static final String VIP = "10.96.0.60";
    private static final String OUTSIDE = "8.8.8.8";
    private static final String NODE = "192.168.50.10";
    private static final String R0_MAC = "02:00:00:00:0a:01";
    private static final String R1_MAC = "02:00:00:00:0a:02";
    private static final String NEXT_HOP_MAC = "02:00:00:00:00:fe";
    private static final String GINGHAM_GATEWAY_MAC = ReplayFixture.GATEWAY_MAC;
    private static final String GINGHAM_UNDERLAY_MAC = ReplayFixture.UNDERLAY_MAC;
    private static final int CLIENT_PORT = 40000;
    private static final int TIMEOUT_MS = 3000;
    private static final long SECOND = ReplayFixture.SECOND;
    private static final long T0 = ReplayFixture.T0;

    private static final String MANIFESTS = """
            apiVersion: v1
            kind: Namespace
            metadata: {name: default}
            ---
            apiVersion: v1
            kind: Node
            metadata: {name: node-a}
            spec: {podCIDRs: [10.244.1.0/24]}
            status: {addresses: [{type: InternalIP, address: 192.168.50.10}]}
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: client, namespace: default, labels: {app: client}}
            spec: {nodeName: node-a}
            status: {podIP: 10.244.1.20}
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: backend, namespace: default, labels: {app: web}}
            spec: {nodeName: node-a}
            status: {podIP: 10.244.1.30}
            ---
            apiVersion: v1
            kind: Service
            metadata: {name: web, namespace: default}
            spec:
              clusterIP: 10.96.0.60
              ports: [{name: http, protocol: TCP, port: 80, targetPort: 8080}]
            ---
            apiVersion: discovery.k8s.io/v1
            kind: EndpointSlice
            metadata: {name: web-1, namespace: default, labels: {kubernetes.io/service-name: web}}
            addressType: IPv4
            ports: [{name: http, protocol: TCP, port: 8080}]
            endpoints:
            - addresses: [10.244.1.30]
              conditions: {ready: true}
              nodeName: node-a
            """;

    @TempDir
    Path dir;

    private final Netns netns = new Netns();
    private String in;
    private String router;
    private String out;
    private PacketSocket inSocket;
    private PacketSocket outSocket;

    @BeforeEach
    void setUp() throws IOException {
        Netns.assumeAvailable();
        Netns.Result iptables = Netns.run("iptables", "--version");
        assumeTrue(iptables.ok(), "the kernel differential needs iptables (Debian: iptables; ./gingham test installs it): "
                + iptables.output());
        in = netns.create("in");
        router = netns.create("rt");
        out = netns.create("out");
        Netns.must("ip", "link", "add", "wi", "netns", in, "type", "veth", "peer", "name", "r0", "netns", router);
        Netns.must("ip", "link", "add", "wo", "netns", out, "type", "veth", "peer", "name", "r1", "netns", router);
        for (String ns : List.of(in, router, out)) {
            Netns.must("ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1",
                    "net.ipv6.conf.default.disable_ipv6=1");
        }
        Netns.must("ip", "-n", in, "link", "set", "wi", "address", CLIENT_MAC, "up");
        Netns.must("ip", "-n", out, "link", "set", "wo", "address", NEXT_HOP_MAC, "up");
        Netns.must("ip", "-n", router, "link", "set", "r0", "address", R0_MAC, "up");
        Netns.must("ip", "-n", router, "link", "set", "r1", "address", R1_MAC, "up");
        Netns.must("ip", "netns", "exec", router, "sysctl", "-qw", "net.ipv4.ip_forward=1", "net.ipv4.conf.all.rp_filter=0",
                "net.ipv4.conf.default.rp_filter=0", "net.ipv4.conf.r0.rp_filter=0", "net.ipv4.conf.r1.rp_filter=0");
        Netns.must("ip", "-n", router, "addr", "add", "10.244.1.1/32", "dev", "r0");
        Netns.must("ip", "-n", router, "addr", "add", NODE + "/24", "dev", "r1");
        Netns.must("ip", "-n", router, "route", "add", CLIENT + "/32", "dev", "r0");
        Netns.must("ip", "-n", router, "route", "add", BACKEND + "/32", "dev", "r1");
        Netns.must("ip", "-n", router, "route", "add", "default", "via", "192.168.50.1", "dev", "r1");
        Netns.must("ip", "-n", router, "neigh", "add", CLIENT, "lladdr", CLIENT_MAC, "dev", "r0", "nud", "permanent");
        Netns.must("ip", "-n", router, "neigh", "add", BACKEND, "lladdr", NEXT_HOP_MAC, "dev", "r1", "nud", "permanent");
        Netns.must("ip", "-n", router, "neigh", "add", "192.168.50.1", "lladdr", NEXT_HOP_MAC, "dev", "r1", "nud", "permanent");
        Netns.Result nat = Netns.run("ip", "netns", "exec", router, "iptables", "-t", "nat", "-L", "-n");
        assumeTrue(nat.ok(), "iptables has no nat table here: " + nat.output());
        inSocket = PacketSocket.open(in, Netns.ifindex(in, "wi"), TIMEOUT_MS);
        outSocket = PacketSocket.open(out, Netns.ifindex(out, "wo"), TIMEOUT_MS);
        Files.writeString(ReplayFixture.node(dir).resolve("cluster.yaml"), MANIFESTS);
    }

    @AfterEach
    void tearDown() {
        if (inSocket != null) {
            inSocket.close();
        }
        if (outSocket != null) {
            outSocket.close();
        }
        netns.close();
    }

    @Test
    void shouldTranslateAServiceConnectionAsIptablesDnatDoes() throws IOException {
        Netns.must("ip", "netns", "exec", router, "iptables", "-t", "nat", "-A", "PREROUTING", "-d", VIP, "-p", "tcp",
                "--dport", "80", "-j", "DNAT", "--to-destination", BACKEND + ":8080");
        byte[] syn = PacketBuilder.tcp4(CLIENT, CLIENT_PORT, VIP, 80).flags(PacketBuilder.SYN).ttl(64).ipId(4242)
                .srcMac(CLIENT_MAC).dstMac(R0_MAC).build();
        inSocket.send(syn);
        byte[] kernel = receiveIpv4(outSocket, 6);
        assertNotNull(kernel, "the kernel router forwarded the DNATed SYN");

        byte[] gingham = replayOne(withDstMac(syn, GINGHAM_GATEWAY_MAC), "default/client", "default_backend.pcap");
        Layers k = Layers.of(kernel);
        Layers g = Layers.of(gingham);
        assertEquals(BACKEND + ":8080", k.dst(), "kernel: destination translated");
        assertEquals(CLIENT + ":" + CLIENT_PORT, k.src(), "kernel: source kept");
        assertEquals(63, k.ttl(), "kernel: forwarded, TTL decremented");
        assertNull(k.checksumProblem(), "kernel frame's checksums");
        assertNull(g.checksumProblem(), "Gingham frame's checksums");
        assertArrayEquals(k.ipPacket(), g.ipPacket(), "the IP packet (addresses, ports, TTL, checksums) byte for byte");
    }

    @Test
    void shouldMasqueradeAndTranslateTheReplyBackAsIptablesMasqueradeDoes() throws IOException {
        Netns.must("ip", "netns", "exec", router, "iptables", "-t", "nat", "-A", "POSTROUTING", "-o", "r1", "-s",
                "10.244.0.0/16", "-j", "MASQUERADE");
        byte[] query = PacketBuilder.udp4(CLIENT, CLIENT_PORT, OUTSIDE, 53).payload(24).ttl(64).ipId(7)
                .srcMac(CLIENT_MAC).dstMac(R0_MAC).build();
        inSocket.send(query);
        byte[] kernelOut = receiveIpv4(outSocket, 17);
        assertNotNull(kernelOut, "the kernel router forwarded the masqueraded datagram");
        Layers k = Layers.of(kernelOut);

        Path capture = dir.resolve("masq.pcapng");
        byte[] ginghamQuery = withDstMac(query, GINGHAM_GATEWAY_MAC);
        try (PcapngWriter w = PcapngWriter.create(capture, List.of("default/client", "underlay"))) {
            w.write(0, ginghamQuery, T0);
        }
        Layers g = Layers.of(replay(capture, "underlay.pcap").get(0));
        for (Layers side : List.of(k, g)) {
            assertTrue(side.src().startsWith(NODE + ":"), "source behind the node: " + side.src());
            assertEquals(OUTSIDE + ":53", side.dst());
            assertEquals(63, side.ttl());
            assertNull(side.checksumProblem());
        }
        assertEquals(CLIENT_PORT, k.srcPort(), "the kernel keeps a free source port");
        assertTrue(g.srcPort() >= 32768 && g.srcPort() <= 65535, "Gingham maps into its pool: " + g.srcPort());
        assertArrayEquals(k.payload(), g.payload(), "the datagram's data untouched");

        // The reply, to each implementation's own mapping, must come back to the pod as the same bytes.
        byte[] kernelReply = PacketBuilder.udp4(OUTSIDE, 53, NODE, k.srcPort()).payload(12).ttl(50).ipId(99)
                .srcMac(NEXT_HOP_MAC).dstMac(R1_MAC).build();
        outSocket.send(kernelReply);
        byte[] kernelBack = receiveIpv4(inSocket, 17);
        assertNotNull(kernelBack, "the kernel translated the reply back");
        byte[] ginghamReply = PacketBuilder.udp4(OUTSIDE, 53, NODE, g.srcPort()).payload(12).ttl(50).ipId(99)
                .srcMac(NEXT_HOP_MAC).dstMac(GINGHAM_UNDERLAY_MAC).build();
        try (PcapngWriter w = PcapngWriter.create(capture, List.of("default/client", "underlay"))) {
            w.write(0, ginghamQuery, T0);
            w.write(1, ginghamReply, T0 + SECOND);
        }
        byte[] ginghamBack = replay(capture, "default_client.pcap").get(0);
        Layers kb = Layers.of(kernelBack);
        Layers gb = Layers.of(ginghamBack);
        assertEquals(CLIENT + ":" + CLIENT_PORT, kb.dst());
        assertEquals(49, kb.ttl());
        assertNull(kb.checksumProblem());
        assertNull(gb.checksumProblem());
        assertArrayEquals(kb.ipPacket(), gb.ipPacket(), "the reply back to the pod, byte for byte");
    }

    /** Returns: the first frame {@code socket} receives that is IPv4 with {@code protocol}, or null (3 s per frame). */
    private static byte[] receiveIpv4(PacketSocket socket, int protocol) {
        for (int k = 0; k < 16; k++) {
            byte[] frame = socket.receive();
            if (frame == null) {
                return null;
            }
            if (frame.length > 34 && (frame[12] & 0xFF) == 0x08 && frame[13] == 0 && (frame[23] & 0xFF) == protocol) {
                return frame;
            }
        }
        return null;
    }

    private static byte[] withDstMac(byte[] frame, String mac) {
        byte[] copy = frame.clone();
        long value = PacketBuilder.mac(mac);
        for (int k = 0; k < 6; k++) {
            copy[k] = (byte) (value >>> (8 * (5 - k)));
        }
        return copy;
    }

    private byte[] replayOne(byte[] frame, String ingress, String egressPcap) throws IOException {
        Path capture = dir.resolve("one.pcapng");
        try (PcapngWriter w = PcapngWriter.create(capture, List.of(ingress))) {
            w.write(0, frame, T0);
        }
        List<byte[]> frames = replay(capture, egressPcap);
        assertEquals(1, frames.size(), egressPcap);
        return frames.get(0);
    }

    /** Runs {@code gingham replay} and returns the frames of one egress pcap. */
    private List<byte[]> replay(Path capture, String egressPcap) throws IOException {
        Path outDir = dir.resolve("out-" + System.nanoTime());
        assertEquals(0, ReplayFixture.replay(dir, capture, outDir));
        Path pcap = outDir.resolve(egressPcap);
        assertTrue(Files.exists(pcap), "Gingham sent nothing to " + egressPcap + ": " + Files.readString(outDir.resolve("verdicts.jsonl")));
        return ReplayFixture.frames(pcap);
    }

    /** A frame parsed by Gingham's parser, its checksums verified by the fuzzer's independent recompute. */
    private record Layers(byte[] frame, int l3, int l4, int end, String src, String dst, int srcPort, int ttl,
                          String checksumProblem) {
        static Layers of(byte[] frame) {
            try (BufferPool pool = BufferPool.allocate(1, BufferPool.DEFAULT_BUFFER_SIZE)) {
                FrameVector v = new FrameVector(pool);
                PacketBuilder.load(v, 0, frame);
                assertEquals(Verdict.CONTINUE, new Parser().parse(v, 0), "parses");
                long base = v.start(0);
                int l3 = (int) (v.l3Offset(0) - base);
                int l4 = (int) (v.l4Offset(0) - base);
                int end = l3 + v.l3Length(0);
                String problem = new ChecksumVerifier().verify(v, 0);
                int ttl = frame[l3 + 8] & 0xFF;
                String src = ip(frame, l3 + 12) + ":" + v.srcPort(0);
                String dst = ip(frame, l3 + 16) + ":" + v.dstPort(0);
                Layers layers = new Layers(frame, l3, l4, end, src, dst, v.srcPort(0), ttl, problem);
                v.releaseAll();
                return layers;
            }
        }

        byte[] ipPacket() {
            return Arrays.copyOfRange(frame, l3, end);
        }

        byte[] payload() {
            return Arrays.copyOfRange(frame, l4 + 8, end);
        }

        private static String ip(byte[] f, int at) {
            return (f[at] & 0xFF) + "." + (f[at + 1] & 0xFF) + "." + (f[at + 2] & 0xFF) + "." + (f[at + 3] & 0xFF);
        }
    }
}
