package dev.gingham.dataplane.program;

import dev.gingham.encap.TunnelMode;
import dev.gingham.packet.BufferPool;
import dev.gingham.packet.FrameVector;
import dev.gingham.packet.Parser;
import dev.gingham.packet.KernelUdpGso;
import dev.gingham.packet.PacketBuilder;
import dev.gingham.packet.Verdict;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;

import static dev.gingham.dataplane.program.NodeFixture.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The whole pipeline allocates nothing per frame once warm: pod to pod (IPv4 and IPv6), through a
 * service, to a remote pod (encapsulation), to the world (masquerade), neighbor discovery, and
 * drops (anti-spoofing), in one vector, thousands of times; and TSO frames cut into segments for the tunnel.
 */
class PipelineAllocationTest {
    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    @Test
    void shouldAllocateNothingPerFrame() {
        try (NodeFixture node = new NodeFixture(TunnelMode.VXLAN)) {
            List<byte[]> frames = new ArrayList<>();
            for (int f = 0; f < 8; f++) {
                frames.add(fromA(PacketBuilder.tcp4(A_IP, 20000 + f, B_IP, 8080).flags(PacketBuilder.SYN)));
                frames.add(fromA(PacketBuilder.tcp4(A_IP, 21000 + f, VIP, 80).flags(PacketBuilder.SYN)));
                frames.add(fromA(PacketBuilder.udp4(A_IP, 22000 + f, C_IP, 53)));
                frames.add(fromA(PacketBuilder.udp4(A_IP, 23000 + f, "8.8.8.8", 53)));
                frames.add(fromA(PacketBuilder.icmp4Echo(B_IP, C_IP, f, 1))); // spoofed
                frames.add(fromA(PacketBuilder.icmp6Echo(A_IP6, B_IP6, f, 1)));
            }
            // neighbor discovery: answered in place (growing a probe without options), DAD, router solicitation
            frames.add(PacketBuilder.ndpSolicitation(A_MAC, A_LINK_LOCAL, PacketBuilder.solicitedNode(GATEWAY_IP6), GATEWAY_IP6)
                    .build());
            frames.add(PacketBuilder.ndpSolicitation(A_MAC, A_IP6, GATEWAY_IP6, GATEWAY_IP6).dstMac(ROUTER_MAC)
                    .ndpOptions(new byte[0]).build());
            frames.add(PacketBuilder.ndpSolicitation(A_MAC, "::", PacketBuilder.solicitedNode(A_IP6), A_IP6).build());
            frames.add(PacketBuilder.ndpRouterSolicitation(A_MAC, A_LINK_LOCAL).build());
            long allocated = Long.MAX_VALUE;
            int transmitted = 0;
            long thread = Thread.currentThread().threadId();
            for (int round = 0; round < 20; round++) {
                long before = THREADS.getThreadAllocatedBytes(thread);
                for (int rep = 0; rep < 300; rep++) {
                    node.vector.releaseAll();
                    for (int f = 0; f < frames.size(); f++) { // (an iterator would be the test's own allocation)
                        PacketBuilder.load(node.vector, POD_A, frames.get(f));
                    }
                    node.pipeline.run(node.vector, node.nowNs += 1_000);
                    transmitted += Verdict.isTx(node.vector.verdict(0)) ? 1 : 0;
                }
                allocated = THREADS.getThreadAllocatedBytes(thread) - before;
            }
            assertEquals(20 * 300, transmitted);
            assertEquals(Verdict.tx(POD_A), node.vector.verdict(frames.size() - 4), "the solicitation was answered");
            assertEquals(Verdict.tx(POD_A), node.vector.verdict(frames.size() - 3), "the probe was answered");
            // loading the frames copies from byte[] (no allocation); 15,600 frames per round
            assertTrue(allocated < 2048, "the pipeline allocated " + allocated + " bytes over 15,600 frames");
        }
    }

    @ParameterizedTest(name = "udpGso={0}")
    @ValueSource(booleans = {false, true})
    void shouldAllocateNothingWhenSendingTsoFramesIntoTheTunnel(boolean udpGso) {
        try (NodeFixture node = new NodeFixture(TunnelMode.VXLAN, udpGso);
             BufferPool pool = BufferPool.allocate(64, BufferPool.TSO_BUFFER_SIZE)) {
            FrameVector v = new FrameVector(pool);
            Parser parser = new Parser();
            byte[] tso = PacketBuilder.tcp4(A_IP, 41000, C_IP, 5201).dontFragment().payload(16 * 1000)
                    .srcMac(A_MAC).dstMac(ROUTER_MAC).checksumPartial().build();
            long allocated = allocatedInLastRound(node, v, () -> {
                for (int f = 0; f < 3; f++) {
                    int i = PacketBuilder.load(v, POD_A, tso);
                    parser.parse(v, i);
                    PacketBuilder.markOffload(v, i, FrameVector.GSO_TCPV4, 1000);
                }
            });
            assertEquals(udpGso ? 3 : 48, v.count(), udpGso ? "one UDP GSO datagram per frame" : "16 segments per frame");
            assertEquals(Verdict.tx(UNDERLAY), v.verdict(v.count() - 1));
            assertTrue(allocated < 2048, "the pipeline allocated " + allocated + " bytes over 4,800 segments");
            v.releaseAll();
        }
    }

    @Test
    void shouldAllocateNothingWhenMergingUdpGsoDatagramsFromAnotherNode() {
        byte[] payload = new byte[15 * 1000 + 400];
        List<byte[]> packets = new ArrayList<>();
        for (int k = 0; k < 16; k++) {
            packets.add(GsoPipelineTest.tunnelledSegmentToA(k, payload));
        }
        byte[] datagram = KernelUdpGso.join(packets);
        int pieceBytes = packets.getFirst().length - 42;
        try (NodeFixture node = new NodeFixture(TunnelMode.VXLAN);
             BufferPool pool = BufferPool.allocate(64, BufferPool.TSO_BUFFER_SIZE)) {
            FrameVector v = new FrameVector(pool);
            long allocated = allocatedInLastRound(node, v, () -> {
                for (int f = 0; f < 3; f++) {
                    GsoPipelineTest.loadDatagram(v, datagram, pieceBytes);
                }
            });
            assertEquals(3, v.count(), "each datagram merged into one frame");
            assertEquals(Verdict.tx(POD_A), v.verdict(2));
            assertEquals(FrameVector.GSO_TCPV4, v.gsoType(2));
            assertTrue(allocated < 2048, "the pipeline allocated " + allocated + " bytes over 300 datagrams of 16 pieces");
            v.releaseAll();
        }
    }

    /**
     * Runs 10 rounds of 100 vectors (each emptied, filled by {@code load}, run through the
     * pipeline) and returns what the thread allocated in the last round, once everything is compiled.
     */
    private static long allocatedInLastRound(NodeFixture node, FrameVector v, Runnable load) {
        long allocated = Long.MAX_VALUE;
        long thread = Thread.currentThread().threadId();
        for (int round = 0; round < 10; round++) {
            long before = THREADS.getThreadAllocatedBytes(thread);
            for (int rep = 0; rep < 100; rep++) {
                v.releaseAll();
                load.run();
                node.pipeline.run(v, node.nowNs += 1_000);
            }
            allocated = THREADS.getThreadAllocatedBytes(thread) - before;
        }
        return allocated;
    }

    private static byte[] fromA(PacketBuilder b) {
        return b.srcMac(A_MAC).dstMac(ROUTER_MAC).build();
    }
}
