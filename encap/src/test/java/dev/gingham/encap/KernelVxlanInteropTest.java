package dev.gingham.encap;

import dev.gingham.packet.Netns;
import dev.gingham.packet.Cidr;
import dev.gingham.packet.BufferPool;
import dev.gingham.packet.FrameVector;
import dev.gingham.packet.MappedAddress;
import dev.gingham.packet.PacketBuilder;
import dev.gingham.packet.PacketSocket;
import dev.gingham.packet.Parser;
import dev.gingham.packet.Verdict;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Byte-level compatibility with the Linux kernel's VXLAN device (flannel's backend), both ways.
 *
 * <pre>
 *  namespace "kernel" (node B)                           namespace "wire" (node A: this test)
 *  vx0 vxlan id 42 dstport 8472, 10.244.2.1/16           vt 02:00:00:00:0a:0a, no address:
 *      MAC 02:00:00:00:02:01, remote 192.0.2.2              an AF_PACKET socket (PacketSocket)
 *  vk 192.0.2.1/24, MAC 02:00:00:00:0b:0b  ===== veth ===== vt
 *  static neighbours: 192.0.2.2 -> vt's MAC, 10.244.1.5 (our pod) -> 02:00:00:00:01:05 on vx0
 * </pre>
 *
 * Kernel to us: a UDP datagram from vx0's address to our pod is captured on vt, decapsulated by
 * {@link TunnelDecap} and compared byte for byte with the frame the kernel must have built.
 * Us to kernel: {@link TunnelEncap} wraps an ICMP echo request from our pod to 10.244.2.1; the
 * kernel accepts it, answers, and its encapsulated echo reply comes back on vt: the reply proves
 * the kernel took our frame apart. Needs root; otherwise skipped with the reason. Every step is
 * bounded (5 s per command, 3 s per receive) and the namespaces are deleted after each test.
 */
@Timeout(60)
class KernelVxlanInteropTest {
    private static final int VNI = 42;
    private static final String KERNEL_UNDERLAY = "192.0.2.1";
    private static final String OUR_UNDERLAY = "192.0.2.2";
    private static final String KERNEL_UNDERLAY_MAC = "02:00:00:00:0b:0b";
    private static final String OUR_UNDERLAY_MAC = "02:00:00:00:0a:0a";
    private static final String VX0_MAC = "02:00:00:00:02:01";
    private static final String VX0_ADDRESS = "10.244.2.1";
    private static final String OUR_POD = "10.244.1.5";
    private static final String OUR_POD_MAC = "02:00:00:00:01:05";
    private static final String OUR_ROUTER_MAC = "02:00:00:00:01:01";
    private static final int OUR_POD_PORT = 5;
    private static final long RECEIVE_WINDOW_NS = 3_000_000_000L;

    private final Netns netns = new Netns();
    private String kernel;
    private String wire;
    private PacketSocket socket;
    private IpCache ipCache;
    private TunnelPeers peers;
    private EndpointMap endpoints;
    private BufferPool pool;
    private FrameVector vector;
    private final Parser parser = new Parser();
    private TunnelConfig config;

    @BeforeEach
    void setUp() {
        Netns.assumeAvailable();
        kernel = netns.create("k");
        wire = netns.create("w");
        Netns.must("ip", "link", "add", "vk", "netns", kernel, "type", "veth", "peer", "name", "vt", "netns", wire);
        for (String ns : List.of(kernel, wire)) {
            Netns.must("ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1",
                    "net.ipv6.conf.default.disable_ipv6=1");
        }
        Netns.must("ip", "-n", wire, "link", "set", "vt", "address", OUR_UNDERLAY_MAC, "up");
        Netns.must("ip", "-n", kernel, "link", "set", "vk", "address", KERNEL_UNDERLAY_MAC, "up");
        Netns.must("ip", "-n", kernel, "addr", "add", KERNEL_UNDERLAY + "/24", "dev", "vk");
        Netns.must("ip", "-n", kernel, "neigh", "replace", OUR_UNDERLAY, "lladdr", OUR_UNDERLAY_MAC, "dev", "vk",
                "nud", "permanent");
        Netns.Result vxlan = Netns.run("ip", "-n", kernel, "link", "add", "vx0", "type", "vxlan", "id", String.valueOf(VNI),
                "dstport", "8472", "local", KERNEL_UNDERLAY, "remote", OUR_UNDERLAY, "dev", "vk");
        assumeTrue(vxlan.ok(), "this kernel cannot create a VXLAN device: " + vxlan.output());
        Netns.must("ip", "-n", kernel, "link", "set", "vx0", "address", VX0_MAC, "up");
        Netns.must("ip", "-n", kernel, "addr", "add", VX0_ADDRESS + "/16", "dev", "vx0");
        Netns.must("ip", "-n", kernel, "neigh", "replace", OUR_POD, "lladdr", OUR_POD_MAC, "dev", "vx0", "nud", "permanent");
        socket = PacketSocket.open(wire, Netns.ifindex(wire, "vt"), 1000);

        config = TunnelConfig.builder(TunnelMode.VXLAN, PacketBuilder.ip4(OUR_UNDERLAY), PacketBuilder.mac(OUR_UNDERLAY_MAC),
                0, PacketBuilder.ip4("10.244.1.1"), PacketBuilder.mac(OUR_ROUTER_MAC)).vni(VNI).build();
        ipCache = IpCache.create(64);
        peers = TunnelPeers.create(8);
        endpoints = EndpointMap.create(8);
        new NodeRoutes(ipCache, peers).upsertNode(2, PacketBuilder.ip4(KERNEL_UNDERLAY), PacketBuilder.mac(KERNEL_UNDERLAY_MAC),
                PacketBuilder.mac(VX0_MAC), List.of(Cidr.parse("10.244.2.0/24")));
        endpoints.upsert(0, MappedAddress.lo4(PacketBuilder.ip4(OUR_POD)), OUR_POD_PORT, PacketBuilder.mac(OUR_POD_MAC), 1005);
        pool = BufferPool.allocate(8, BufferPool.DEFAULT_BUFFER_SIZE);
        vector = new FrameVector(pool);
    }

    @AfterEach
    void tearDown() {
        if (socket != null) {
            socket.close();
        }
        netns.close();
        if (vector != null) {
            vector.releaseAll();
            pool.close();
            ipCache.close();
            peers.close();
            endpoints.close();
        }
    }

    /** Returns: the next VXLAN frame (IPv4, UDP to 8472) the kernel sends on the wire, or fails after the window. */
    private byte[] nextVxlanFrame() {
        long deadline = System.nanoTime() + RECEIVE_WINDOW_NS;
        while (System.nanoTime() < deadline) {
            byte[] frame = socket.receive();
            if (frame != null && frame.length > 42 && frame[12] == 0x08 && frame[13] == 0x00 && frame[23] == 17
                    && ((frame[36] & 0xFF) << 8 | (frame[37] & 0xFF)) == 8472) {
                return frame;
            }
        }
        throw new AssertionError("the kernel sent no VXLAN frame within 3 s");
    }

    /** Decapsulates {@code outer} with our decapsulation and local delivery; returns the frame the pod gets. */
    private byte[] decapsulateAndDeliver(byte[] outer) {
        vector.releaseAll();
        int i = PacketBuilder.load(vector, 0, outer);
        assertEquals(Verdict.CONTINUE, parser.parse(vector, i));
        new TunnelDecap(config, ipCache, peers).process(vector, 0);
        assertEquals(Verdict.CONTINUE, vector.verdict(i), () -> "decap verdict " + Verdict.toString(vector.verdict(i)) + " " + PacketBuilder.hex(outer));
        new LocalDelivery(endpoints, config.routerMac()).process(vector);
        assertEquals(Verdict.tx(OUR_POD_PORT), vector.verdict(i));
        return PacketBuilder.bytesOf(vector, i);
    }

    private static int u16(byte[] b, int at) {
        return (b[at] & 0xFF) << 8 | (b[at + 1] & 0xFF);
    }

    @Test
    void shouldDecapsulateWhatKernelVxlanDeviceSends() {
        byte[] payload = "gingham-vxlan".getBytes(StandardCharsets.US_ASCII);
        Netns.must("ip", "netns", "exec", kernel, "bash", "-c",
                "printf gingham-vxlan > /dev/udp/" + OUR_POD + "/9999");
        byte[] outer = nextVxlanFrame();
        assertEquals(VNI, (outer[46] & 0xFF) << 16 | (outer[47] & 0xFF) << 8 | (outer[48] & 0xFF));
        byte[] innerAsSent = Arrays.copyOfRange(outer, 50, outer.length);
        byte[] delivered = decapsulateAndDeliver(outer);

        // What the kernel must have built, with the fields it chooses read from the capture.
        int sourcePort = u16(innerAsSent, 34);
        PacketBuilder expected = PacketBuilder.udp4(VX0_ADDRESS, sourcePort, OUR_POD, 9999).payload(payload)
                .ipId(u16(innerAsSent, 18)).srcMac(VX0_MAC).dstMac(OUR_POD_MAC);
        if ((innerAsSent[20] & 0x40) != 0) {
            expected.dontFragment();
        }
        assertArrayEquals(expected.build(), innerAsSent, "the kernel's inner frame");
        assertArrayEquals(expected.srcMac(OUR_ROUTER_MAC).build(), delivered, "what our pod receives");
    }

    @Test
    void shouldBeAcceptedAndAnsweredWhenKernelReceivesOurVxlan() {
        byte[] payload = "ping through gingham".getBytes(StandardCharsets.US_ASCII);
        byte[] request = PacketBuilder.icmp4Echo(OUR_POD, VX0_ADDRESS, 0x4747, 1).payload(payload)
                .srcMac(OUR_POD_MAC).dstMac(OUR_ROUTER_MAC).build();
        vector.releaseAll();
        int i = PacketBuilder.load(vector, OUR_POD_PORT, request);
        assertEquals(Verdict.CONTINUE, parser.parse(vector, i));
        new TunnelEncap(config, ipCache, peers).process(vector, 0);
        assertEquals(Verdict.tx(0), vector.verdict(i));
        socket.send(PacketBuilder.bytesOf(vector, i));

        byte[] reply = nextVxlanFrame();
        byte[] innerReply = Arrays.copyOfRange(reply, 50, reply.length);
        assertNotNull(innerReply);
        PacketBuilder expected = PacketBuilder.icmp4Echo(VX0_ADDRESS, OUR_POD, 0x4747, 1).icmpEchoReply().payload(payload)
                .ipId(u16(innerReply, 18)).srcMac(VX0_MAC).dstMac(OUR_POD_MAC);
        if ((innerReply[20] & 0x40) != 0) {
            expected.dontFragment();
        }
        assertArrayEquals(expected.build(), innerReply, "the kernel answered our echo request");
        assertArrayEquals(expected.srcMac(OUR_ROUTER_MAC).build(), decapsulateAndDeliver(reply));
    }
}
