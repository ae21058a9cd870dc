package dev.gingham.dataplane.program;

import dev.gingham.dataplane.replay.PcapWriter;
import dev.gingham.dataplane.replay.Tool;
import dev.gingham.dataplane.policy.Direction;
import dev.gingham.encap.TunnelMode;
import dev.gingham.packet.DropReason;
import dev.gingham.packet.BufferPool;
import dev.gingham.packet.FrameVector;
import dev.gingham.packet.KernelUdpGso;
import dev.gingham.packet.PacketBuilder;
import dev.gingham.packet.Parser;
import dev.gingham.packet.Verdict;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.IntFunction;

import static dev.gingham.dataplane.program.NodeFixture.*;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * TSO frames from a pod through the node pipeline, as a vnet-header TAP hands them over: sent into
 * the tunnel as one UDP GSO datagram (the default) or cut into segments before encapsulation
 * ({@code underlay.udpGso: false}) when routed to a pod on another node, kept whole where the port
 * they leave by segments them (a local pod, native routing), answered with one ICMP error when
 * their segments would not fit the pod MTU.
 */
@Timeout(60)
class GsoPipelineTest {
    private static final int GSO_SIZE = 1000;
    private static final int VXLAN_BYTES = 50;

    @TempDir
    Path dir;

    /** Payload bytes unlike PacketBuilder's 0, 1, 2..., so a misplaced slice shows. */
    private static byte[] data(int n) {
        byte[] bytes = new byte[n];
        for (int k = 0; k < n; k++) {
            bytes[k] = (byte) (k * 13 + 1);
        }
        return bytes;
    }

    /** Segment k of a bulk send from pod a to {@code destination}, as the pod's kernel would have cut it. */
    private static PacketBuilder segmentOf(String destination, int k, byte[] payload, int ttl) {
        int from = k * GSO_SIZE;
        int to = Math.min(payload.length, from + GSO_SIZE);
        return PacketBuilder.tcp4(A_IP, 41000, destination, 5201).dontFragment().ipId(500 + k).seq(7_000 + from).ack(3)
                .flags(to == payload.length ? PacketBuilder.ACK | PacketBuilder.PSH : PacketBuilder.ACK)
                .timestamps(100, 200).ttl(ttl).payload(Arrays.copyOfRange(payload, from, to));
    }

    /** The whole send as one TSO frame from pod a: checksum partial, GSO TCPv4 of {@code gsoSize}. */
    private static int loadTso(FrameVector v, String destination, byte[] payload, int gsoSize) {
        byte[] frame = PacketBuilder.tcp4(A_IP, 41000, destination, 5201).dontFragment().ipId(500).seq(7_000).ack(3)
                .flags(PacketBuilder.ACK | PacketBuilder.PSH).timestamps(100, 200).payload(payload)
                .srcMac(A_MAC).dstMac(ROUTER_MAC).checksumPartial().build();
        int i = PacketBuilder.load(v, POD_A, frame);
        Parser parser = new Parser();
        assertEquals(Verdict.CONTINUE, parser.parse(v, i));
        PacketBuilder.markOffload(v, i, FrameVector.GSO_TCPV4, gsoSize); // the pipeline parses again; offload fields stay
        assertEquals(34, v.csumStart(i));
        return i;
    }

    /** A node of {@code mode} that has run one TSO frame from pod a through its pipeline. */
    private static final class TsoRun implements AutoCloseable {
        final NodeFixture node;
        final BufferPool pool = BufferPool.allocate(8, BufferPool.TSO_BUFFER_SIZE);
        final FrameVector v = new FrameVector(pool);
        final int dropped;

        TsoRun(TunnelMode mode, String destination, byte[] payload, int gsoSize) {
            this(mode, destination, payload, gsoSize, true);
        }

        TsoRun(TunnelMode mode, String destination, byte[] payload, int gsoSize, boolean udpGso) {
            node = new NodeFixture(mode, udpGso);
            loadTso(v, destination, payload, gsoSize);
            dropped = node.pipeline.run(v, node.nowNs);
        }

        @Override
        public void close() {
            v.releaseAll();
            pool.close();
            node.close();
        }
    }

    @Test
    void shouldLeaveAsVxlanFramesOfRealSegmentsWhenATsoFrameGoesToARemotePodWithoutUdpGso() throws IOException {
        byte[] payload = data(2 * GSO_SIZE + 345);
        try (TsoRun run = new TsoRun(TunnelMode.VXLAN, C_IP, payload, GSO_SIZE, false)) {
            FrameVector v = run.v;
            assertEquals(0, run.dropped);
            assertEquals(3, v.count());
            List<byte[]> sent = new ArrayList<>();
            for (int k = 0; k < 3; k++) {
                assertEquals(Verdict.tx(UNDERLAY), v.verdict(k), "segment " + k);
                assertFalse(v.hasFlag(k, FrameVector.FLAG_GSO | FrameVector.FLAG_CSUM_PARTIAL), "segment " + k + " needs no offload");
                byte[] frame = PacketBuilder.bytesOf(v, k);
                sent.add(frame);
                byte[] expectedInner = segmentOf(C_IP, k, payload, 63).srcMac(ROUTER_MAC).dstMac(ROUTER_MAC).build();
                assertArrayEquals(expectedInner, Arrays.copyOfRange(frame, VXLAN_BYTES, frame.length), "inner segment " + k);
                assertArrayEquals(new byte[]{(byte) 192, (byte) 168, 1, 11}, Arrays.copyOfRange(frame, 30, 34), "to node 2");
                assertEquals(8472, (frame[36] & 0xFF) << 8 | (frame[37] & 0xFF), "VXLAN port");
                assertEquals(frame.length - 14, (frame[16] & 0xFF) << 8 | (frame[17] & 0xFF), "outer IPv4 total length");
                assertArrayEquals(Arrays.copyOfRange(sent.getFirst(), 34, 36), Arrays.copyOfRange(frame, 34, 36),
                        "one outer source port for the flow (one ECMP path)");
            }
            assertEquals(1, run.node.pipeline.segmenter().framesSegmentedCount());
            assertEquals(3, run.node.pipeline.tunnelEncap().encapsulatedCount());
            assertTsharkVerifiesInnerChecksums(sent);
        }
    }

    @Test
    void shouldLeaveAsOneUdpGsoDatagramWhoseCutPiecesAreTheVxlanFramesOfRealSegments() throws IOException {
        byte[] payload = data(2 * GSO_SIZE + 345);
        try (TsoRun run = new TsoRun(TunnelMode.VXLAN, C_IP, payload, GSO_SIZE)) {
            FrameVector v = run.v;
            assertEquals(0, run.dropped);
            assertEquals(1, v.count(), "one datagram");
            assertEquals(Verdict.tx(UNDERLAY), v.verdict(0));
            assertTrue(v.hasFlag(0, FrameVector.FLAG_GSO | FrameVector.FLAG_CSUM_PARTIAL));
            assertEquals(FrameVector.GSO_UDP_L4, v.gsoType(0));
            int pieceBytes = 8 + 66 + GSO_SIZE;
            assertEquals(pieceBytes, v.gsoSize(0));
            assertEquals(34, v.csumStart(0));
            assertEquals(6, v.csumOffset(0));
            List<byte[]> sent = KernelUdpGso.cut(PacketBuilder.bytesOf(v, 0), pieceBytes);
            assertEquals(3, sent.size(), "the kernel cuts it into three VXLAN packets");
            for (int k = 0; k < 3; k++) {
                byte[] frame = sent.get(k);
                byte[] expectedInner = segmentOf(C_IP, k, payload, 63).srcMac(ROUTER_MAC).dstMac(ROUTER_MAC).build();
                assertArrayEquals(expectedInner, Arrays.copyOfRange(frame, VXLAN_BYTES, frame.length), "inner segment " + k);
                assertArrayEquals(new byte[]{(byte) 192, (byte) 168, 1, 11}, Arrays.copyOfRange(frame, 30, 34), "to node 2");
                assertEquals(8472, (frame[36] & 0xFF) << 8 | (frame[37] & 0xFF), "VXLAN port");
            }
            assertEquals(0, run.node.pipeline.segmenter().framesSegmentedCount());
            assertEquals(1, run.node.pipeline.tunnelEncap().udpGso().framesSentCount());
            assertTsharkVerifiesInnerChecksums(sent);
        }
    }

    /** Segment k of a bulk send from pod c on node 2 to pod a, VXLAN-encapsulated by node 2. */
    static byte[] tunnelledSegmentToA(int k, byte[] payload) {
        byte[] inner = PacketBuilder.tcp4(C_IP, 5201, A_IP, 41000).dontFragment().ipId(900 + k).seq(50_000 + k * GSO_SIZE).ack(8)
                .flags(k == payload.length / GSO_SIZE ? PacketBuilder.ACK | PacketBuilder.PSH : PacketBuilder.ACK)
                .timestamps(300, 400).ttl(63).srcMac(ROUTER_MAC).dstMac(ROUTER_MAC)
                .payload(Arrays.copyOfRange(payload, k * GSO_SIZE, Math.min(payload.length, (k + 1) * GSO_SIZE))).build();
        return PacketBuilder.vxlan(NODE2_IP, NODE_IP, 1, inner).srcMac(NODE2_MAC).dstMac(UNDERLAY_MAC).build();
    }

    /** Loads node 2's UDP GSO datagram as the underlay's packet socket hands it over (UDP_L4 GSO, checksum partial). */
    static int loadDatagram(FrameVector v, byte[] datagram, int pieceBytes) {
        int i = PacketBuilder.load(v, UNDERLAY, datagram);
        v.addFlags(i, FrameVector.FLAG_GSO | FrameVector.FLAG_CSUM_PARTIAL);
        v.offload(i, FrameVector.GSO_UDP_L4, pieceBytes, 34, 6);
        return i;
    }

    @Test
    void shouldDeliverAUdpGsoDatagramFromAnotherNodeToThePodAsOneTsoFrame() {
        byte[] payload = data(3 * GSO_SIZE + 123);
        List<byte[]> packets = new ArrayList<>();
        for (int k = 0; k < 4; k++) {
            packets.add(tunnelledSegmentToA(k, payload));
        }
        try (NodeFixture node = new NodeFixture(TunnelMode.VXLAN);
             BufferPool pool = BufferPool.allocate(8, BufferPool.TSO_BUFFER_SIZE)) {
            FrameVector v = new FrameVector(pool);
            loadDatagram(v, KernelUdpGso.join(packets), packets.getFirst().length - 42);

            assertEquals(0, node.pipeline.run(v, node.nowNs));

            assertEquals(1, v.count());
            assertEquals(Verdict.tx(POD_A), v.verdict(0));
            byte[] expected = PacketBuilder.tcp4(C_IP, 5201, A_IP, 41000).dontFragment().ipId(900).seq(50_000).ack(8)
                    .flags(PacketBuilder.ACK | PacketBuilder.PSH).timestamps(300, 400).ttl(62).srcMac(ROUTER_MAC).dstMac(A_MAC)
                    .payload(payload).checksumPartial().build();
            assertArrayEquals(expected, PacketBuilder.bytesOf(v, 0), "one TSO frame for the pod, TTL down by one");
            assertTrue(v.hasFlag(0, FrameVector.FLAG_GSO | FrameVector.FLAG_CSUM_PARTIAL));
            assertEquals(FrameVector.GSO_TCPV4, v.gsoType(0));
            assertEquals(GSO_SIZE, v.gsoSize(0));
            assertEquals(34, v.csumStart(0));
            assertEquals(1, node.pipeline.tunnelDecap().gro().datagramsMergedCount());
            v.releaseAll();
        }
    }

    /** tshark, an independent implementation, checks every inner IPv4 and TCP checksum (skipped when it is missing). */
    private void assertTsharkVerifiesInnerChecksums(List<byte[]> frames) throws IOException {
        assumeTrue(Tool.installed("tshark"), "tshark is not installed (./gingham test installs it as root on Debian)");
        Path file = dir.resolve("gso-vxlan.pcap");
        try (PcapWriter pcap = PcapWriter.create(file)) {
            for (int k = 0; k < frames.size(); k++) {
                pcap.write(frames.get(k), k * 1_000L);
            }
        }
        Tool tshark = Tool.run("tshark", "-n", "-r", Tool.path(file), "-d", "udp.port==8472,vxlan",
                "-o", "ip.check_checksum:TRUE", "-o", "tcp.check_checksum:TRUE", "-T", "fields", "-E", "separator=|",
                "-E", "occurrence=a", "-E", "aggregator=,", "-e", "ip.checksum.status", "-e", "tcp.checksum.status",
                "-e", "tcp.seq_raw", "-e", "tcp.len");
        assertEquals(0, tshark.exitCode(), tshark.stderr());
        List<String> rows = tshark.lines();
        assertEquals(frames.size(), rows.size(), tshark.stdout());
        for (int k = 0; k < rows.size(); k++) {
            String[] fields = rows.get(k).split("\\|", -1);
            assertEquals("1,1", fields[0], "outer and inner IPv4 header checksums good: " + rows.get(k));
            assertEquals("1", fields[1], "inner TCP checksum good: " + rows.get(k));
            assertEquals(Long.toString(7_000 + (long) k * GSO_SIZE), fields[2], "sequence number");
            assertEquals(k < 2 ? "1000" : "345", fields[3], "segment payload");
        }
    }

    private static void assertLeftWhole(TsoRun run, int port, String why) {
        assertEquals(1, run.v.count(), why);
        assertEquals(Verdict.tx(port), run.v.verdict(0));
        assertTrue(run.v.hasFlag(0, FrameVector.FLAG_GSO) && run.v.hasFlag(0, FrameVector.FLAG_CSUM_PARTIAL));
        assertEquals(GSO_SIZE, run.v.gsoSize(0));
        assertEquals(0, run.node.pipeline.segmenter().framesSegmentedCount());
    }

    @Test
    void shouldKeepTheTsoFrameWholeWhenItGoesToALocalPod() {
        try (TsoRun run = new TsoRun(TunnelMode.VXLAN, B_IP, data(3 * GSO_SIZE), GSO_SIZE)) {
            assertLeftWhole(run, POD_B, "the pod's TAP segments it");
        }
    }

    @Test
    void shouldKeepTheTsoFrameWholeWhenRoutedNatively() {
        try (TsoRun run = new TsoRun(TunnelMode.NATIVE, C_IP, data(3 * GSO_SIZE), GSO_SIZE)) {
            assertLeftWhole(run, UNDERLAY, "the underlay's socket segments a plain TCP frame");
        }
    }

    @Test
    void shouldDropAMalformedTsoFrameWithItsReasonWhenItGoesToARemotePod() {
        try (TsoRun run = new TsoRun(TunnelMode.VXLAN, C_IP, data(3 * GSO_SIZE), 0)) {
            assertEquals(1, run.dropped);
            assertEquals(1, run.v.count());
            assertEquals(DropReason.GSO_MALFORMED.verdict(), run.v.verdict(0));
            assertEquals(1, run.node.node.drops().sum(DropReason.GSO_MALFORMED, Direction.EGRESS));
        }
    }

    @Test
    void shouldAnswerOnceWithFragmentationNeededWhenTheSegmentsExceedThePodMtu() {
        int podMtu = 1450;
        int gsoSize = 1448; // 20 + 32 + 1448 = 1500 bytes per segment: the pod's MTU is not the tunnel's
        byte[] payload = data(3 * gsoSize);
        try (TsoRun run = new TsoRun(TunnelMode.VXLAN, C_IP, payload, gsoSize)) {
            assertEquals(podMtu, run.node.pipeline.tunnelEncap().podMtuBytes());
            assertEquals(1, run.v.count(), "not segmented");
            assertEquals(Verdict.tx(POD_A), run.v.verdict(0));
            byte[] whole = PacketBuilder.tcp4(A_IP, 41000, C_IP, 5201).dontFragment().ipId(500).seq(7_000).ack(3)
                    .flags(PacketBuilder.ACK | PacketBuilder.PSH).timestamps(100, 200).ttl(63).payload(payload).build();
            byte[] expected = PacketBuilder.icmp4FragNeeded(GATEWAY_IP, A_IP, podMtu, PacketBuilder.ipPacketOf(whole))
                    .srcMac(ROUTER_MAC).dstMac(A_MAC).tos(0xC0).ipId(0).build();
            assertArrayEquals(expected, PacketBuilder.bytesOf(run.v, 0), "one error, quoting the finished checksum");
            assertEquals(1, run.node.pipeline.tunnelEncap().icmpErrorsSentCount());
        }
    }
}
