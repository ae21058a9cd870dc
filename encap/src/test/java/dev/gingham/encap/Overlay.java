package dev.gingham.encap;

import dev.gingham.packet.Cidr;
import dev.gingham.packet.BufferPool;
import dev.gingham.packet.FrameVector;
import dev.gingham.packet.PacketBuilder;
import dev.gingham.packet.Parser;
import dev.gingham.packet.Verdict;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Two nodes of a test cluster and the maps and programs of one of them, built from the same
 * constants the expected frames are built from.
 *
 * <pre>
 * this node  "A"  underlay 192.168.1.10  02:00:00:00:0a:0a  port 0   pods 10.244.1.0/24, fd00:1::/64
 *                 gateway 10.244.1.1 / fd00:1::1, MAC 02:00:00:00:01:01
 *                 local pod 10.244.1.5 / fd00:1::5, MAC 02:00:00:00:01:05, port 5, identity 1005
 * peer node  "B"  id 2, underlay 192.168.1.20  02:00:00:00:0b:0b   pods 10.244.2.0/24, fd00:2::/64
 * </pre>
 */
final class Overlay implements AutoCloseable {
    static final String A_UNDERLAY = "192.168.1.10";
    static final String A_UNDERLAY_MAC = "02:00:00:00:0a:0a";
    static final int A_UNDERLAY_PORT = 0;
    static final String A_ROUTER = "10.244.1.1";
    static final String A_ROUTER6 = "fd00:1::1";
    static final String A_ROUTER_MAC = "02:00:00:00:01:01";
    static final String A_POD = "10.244.1.5";
    static final String A_POD6 = "fd00:1::5";
    static final String A_POD_MAC = "02:00:00:00:01:05";
    static final int A_POD_PORT = 5;
    static final int A_POD_IDENTITY = 1005;
    static final int B_NODE_ID = 2;
    static final String B_UNDERLAY = "192.168.1.20";
    static final String B_UNDERLAY_MAC = "02:00:00:00:0b:0b";
    static final String B_POD = "10.244.2.7";
    static final String B_POD6 = "fd00:2::7";
    static final String B_POD_MAC = "02:00:00:00:02:07";
    static final String B_ROUTER_MAC = "02:00:00:00:02:01";

    final TunnelConfig config;
    final IpCache ipCache = IpCache.create(1024);
    final TunnelPeers peers = TunnelPeers.create(64);
    final EndpointMap endpoints = EndpointMap.create(64);
    final NodeRoutes routes = new NodeRoutes(ipCache, peers);
    final BufferPool pool;
    final FrameVector vector;
    final Parser parser = new Parser();
    final TunnelEncap encap;
    final TunnelDecap decap;
    /** The same program for the one-pass route {@link #decap} compares with. */
    final TunnelDecap onePassDecap;
    final LocalDelivery delivery;

    Overlay(TunnelConfig config) {
        this(config, 32);
    }

    Overlay(TunnelConfig config, int buffers) {
        this(config, buffers, BufferPool.JUMBO_BUFFER_SIZE);
    }

    Overlay(TunnelConfig config, int buffers, int bufferBytes) {
        this.config = config;
        this.pool = BufferPool.allocate(buffers, bufferBytes);
        this.vector = new FrameVector(pool);
        assertEquals(0, routes.upsertNode(B_NODE_ID, ip(B_UNDERLAY), mac(B_UNDERLAY_MAC), mac(B_ROUTER_MAC),
                List.of(Cidr.parse("10.244.2.0/24"), Cidr.parse("fd00:2::/64"))));
        long[] pod6 = PacketBuilder.ip6(A_POD6);
        assertEquals(0, endpoints.upsert(0, dev.gingham.packet.MappedAddress.lo4(ip(A_POD)), A_POD_PORT, mac(A_POD_MAC), A_POD_IDENTITY));
        assertEquals(0, endpoints.upsert(pod6[0], pod6[1], A_POD_PORT, mac(A_POD_MAC), A_POD_IDENTITY));
        this.encap = new TunnelEncap(config, ipCache, peers);
        this.decap = new TunnelDecap(config, ipCache, peers);
        this.onePassDecap = new TunnelDecap(config, ipCache, peers);
        this.delivery = new LocalDelivery(endpoints, config.routerMac());
    }

    /** Returns: node A's configuration builder for {@code mode} with every required field set. */
    static TunnelConfig.Builder nodeA(TunnelMode mode) {
        long[] router6 = PacketBuilder.ip6(A_ROUTER6);
        return TunnelConfig.builder(mode, ip(A_UNDERLAY), mac(A_UNDERLAY_MAC), A_UNDERLAY_PORT, ip(A_ROUTER), mac(A_ROUTER_MAC))
                .routerIpv6(router6[0], router6[1]);
    }

    static int ip(String address) {
        return PacketBuilder.ip4(address);
    }

    static long mac(String address) {
        return PacketBuilder.mac(address);
    }

    /** Loads one frame (port {@code port}) into an emptied vector and parses it; returns its index. */
    int load(int port, byte[] frame) {
        vector.releaseAll();
        int i = PacketBuilder.load(vector, port, frame);
        assertEquals(Verdict.CONTINUE, parser.parse(vector, i), "test frame must parse");
        return i;
    }

    /** Loads a frame from pod A (port 5), runs the encapsulation; returns frame 0's verdict. */
    int encap(byte[] frame, long nowNs) {
        int i = load(A_POD_PORT, frame);
        encap.process(vector, nowNs);
        return vector.verdict(i);
    }

    /**
     * Loads a frame from the underlay (port 0), parses it (it must parse) and runs decapsulation;
     * returns frame 0's verdict. Also checks the pipeline's one-pass route gives the same
     * ({@link #decapAsReceived}).
     */
    int decap(byte[] frame) {
        String onePass = onePass(frame);
        int i = load(A_UNDERLAY_PORT, frame);
        decap.process(vector, 0);
        assertEquals(onePass, describe(vector, i), "TunnelDecap.receive + process must end where parse + process ends");
        return vector.verdict(i);
    }

    /**
     * As {@link #decap}, for any frame (one the parser refuses included): parse as the pipeline
     * did before {@link TunnelDecap#receive}, then {@link TunnelDecap#process}; checked against the
     * one-pass route. Returns: frame 0's verdict.
     */
    int decapAsReceived(byte[] frame) {
        String onePass = onePass(frame);
        vector.releaseAll();
        int i = PacketBuilder.load(vector, A_UNDERLAY_PORT, frame);
        parser.parseAll(vector);
        decap.process(vector, 0);
        assertEquals(onePass, describe(vector, i), "TunnelDecap.receive + process must end where parse + process ends");
        return vector.verdict(i);
    }

    /**
     * The underlay's receive as the node pipeline runs it ({@link TunnelDecap#receive}, then
     * {@link TunnelDecap#process}) on {@link #onePassDecap}, an instance of its own so the
     * counters {@link #decap} asserts on stay those of the parsed route. Returns: the frame's
     * verdict, bytes and metadata afterwards ({@link #describe}).
     */
    private String onePass(byte[] frame) {
        vector.releaseAll();
        int i = PacketBuilder.load(vector, A_UNDERLAY_PORT, frame);
        onePassDecap.receive(vector);
        onePassDecap.process(vector, 0);
        return describe(vector, i);
    }

    /** Returns: everything a program after decapsulation can see of frame {@code i}, as text to compare. */
    static String describe(FrameVector v, int i) {
        long start = v.start(i);
        return "verdict=" + Verdict.toString(v.verdict(i)) + " bytes=" + java.util.HexFormat.of().formatHex(PacketBuilder.bytesOf(v, i))
                + " flags=" + Integer.toHexString(v.flags(i))
                + " etherType=" + v.etherType(i) + " vlan=" + v.vlanTci(i)
                + " l3=" + relative(v.l3Offset(i), start) + "/" + v.l3Length(i) + " l4=" + relative(v.l4Offset(i), start)
                + " payload=" + relative(v.payloadOffset(i), start) + " protocol=" + v.protocol(i)
                + " src=" + v.srcHi(i) + ":" + v.srcLo(i) + "." + v.srcPort(i) + " dst=" + v.dstHi(i) + ":" + v.dstLo(i) + "."
                + v.dstPort(i) + " tcpFlags=" + v.tcpFlags(i) + " icmp=" + v.icmpTypeCode(i) + " fragmentId=" + v.fragmentId(i)
                + " identity=" + v.srcIdentity(i) + " offload=" + v.gsoType(i) + "/" + v.gsoSize(i) + "/" + v.csumStart(i)
                + "/" + v.csumOffset(i);
    }

    private static long relative(long offset, long start) {
        return offset == FrameVector.NO_OFFSET ? -1 : offset - start;
    }

    byte[] out(int i) {
        return PacketBuilder.bytesOf(vector, i);
    }

    @Override
    public void close() {
        vector.releaseAll();
        pool.close();
        ipCache.close();
        peers.close();
        endpoints.close();
    }
}
