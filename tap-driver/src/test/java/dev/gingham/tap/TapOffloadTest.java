package dev.gingham.tap;

import dev.gingham.packet.FrameVector;
import dev.gingham.packet.Netns;
import dev.gingham.packet.PacketBuilder;
import dev.gingham.packet.Parser;
import dev.gingham.packet.Verdict;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

import static dev.gingham.tap.PodFixture.GATEWAY_MAC;
import static dev.gingham.tap.PodFixture.PEER_IP;
import static dev.gingham.tap.PodFixture.POD_IP;
import static dev.gingham.tap.PodFixture.POD_MAC;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The vnet header both ways against real kernel stacks in a pod namespace: what the kernel hands
 * over with checksum and TCP segmentation offload (NEEDS_CSUM, 64 KB TSO frames), and frames the
 * test writes with a partial checksum or as one TSO frame, which the pod's sockets receive intact.
 */
@Timeout(60)
class TapOffloadTest {
    private static final String PYTHON = "/usr/bin/python3";
    private PodFixture pod;

    @BeforeEach
    void setUp() {
        TapTesting.assumeKernelTapAvailable();
        pod = new PodFixture(TapConfig.of(TapTesting.uniqueName()));
        pod.addGatewayNeighbour();
    }

    @AfterEach
    void tearDown() {
        if (pod != null) {
            pod.close();
        }
    }

    /** Returns: the index (0) of the next frame from the pod matching the test, or fails after 5 s. */
    private int receive(java.util.function.IntPredicate wanted, String what) {
        int i = TapTesting.receive(pod.tap, pod.vector, 5000, wanted);
        assertTrue(i >= 0, "no " + what + " from the pod within 5 s");
        return i;
    }

    private boolean isTcpFrom(int i, int flagsMask) {
        byte[] f = PacketBuilder.bytesOf(pod.vector, i);
        return PodFixture.matches(f, 0x0800, 6) && (f[47] & flagsMask) == flagsMask;
    }

    @Test
    void shouldMarkChecksumPartialWhenPodSendsUdp() {
        pod.startInPod("bash", "-c", "echo -n gingham > /dev/udp/" + PEER_IP + "/9999");

        int i = receive(j -> PodFixture.matches(PacketBuilder.bytesOf(pod.vector, j), 0x0800, 17), "UDP datagram");

        FrameVector v = pod.vector;
        assertEquals(14 + 20 + 8 + 7, v.length(i));
        assertTrue(v.hasFlag(i, FrameVector.FLAG_CSUM_PARTIAL), "NEEDS_CSUM");
        assertTrue(!v.hasFlag(i, FrameVector.FLAG_GSO));
        assertEquals(34, v.csumStart(i), "UDP header right after Ethernet and a 20-byte IPv4 header");
        assertEquals(6, v.csumOffset(i), "UDP checksum field");
        byte[] frame = PacketBuilder.bytesOf(v, i);
        int partial = (frame[40] & 0xFF) << 8 | (frame[41] & 0xFF);
        assertEquals(pseudoHeaderSum(frame, 17), partial, "the field holds only the pseudo-header sum");
    }

    @Test
    void shouldReceiveTsoFrameWhenPodSendsMoreThan64KilobytesOverTcp() {
        pod.startInPod("timeout", "20", "bash", "-c",
                "exec 3<>/dev/tcp/" + PEER_IP + "/8080 && head -c 200000 /dev/zero >&3 && sleep 5");
        int syn = receive(j -> isTcpFrom(j, PacketBuilder.SYN), "TCP SYN");
        byte[] synFrame = PacketBuilder.bytesOf(pod.vector, syn);
        int clientPort = (synFrame[34] & 0xFF) << 8 | (synFrame[35] & 0xFF);
        long clientSeq = u32(synFrame, 38);
        pod.vector.releaseAll();
        byte[] synAck = PacketBuilder.tcp4(PEER_IP, 8080, POD_IP, clientPort).srcMac(GATEWAY_MAC).dstMac(POD_MAC)
                .flags(PacketBuilder.SYN | PacketBuilder.ACK).seq(5000).ack(clientSeq + 1).window(65535).mss(1460).build();
        assertEquals(TapQueue.SENT, TapTesting.send(pod.tap.queue(0), pod.vector, synAck));

        int i = receive(j -> pod.vector.hasFlag(j, FrameVector.FLAG_GSO), "TSO frame");

        FrameVector v = pod.vector;
        assertEquals(VnetHeader.GSO_TCPV4, v.gsoType(i));
        assertEquals(1460, v.gsoSize(i), "segment size: the MSS of our SYN-ACK (no TCP options in data segments)");
        assertTrue(v.hasFlag(i, FrameVector.FLAG_CSUM_PARTIAL));
        assertEquals(34, v.csumStart(i));
        assertEquals(16, v.csumOffset(i));
        assertTrue(v.length(i) > 14 + 20 + 20 + 1460, "more than one segment in one frame: " + v.length(i));
        assertEquals(Verdict.CONTINUE, new Parser().parse(v, i));
        assertEquals(v.start(i) + v.csumStart(i), v.l4Offset(i));
        assertEquals(v.length(i) - 14, v.l3Length(i), "the IPv4 total length covers the whole TSO frame");
    }

    @Test
    void shouldDeliverUdpToPodSocketOnlyWhenPartialChecksumIsDeclaredInTheVnetHeader() throws IOException {
        Process server = startUdpServer();

        // The same datagram twice with only the pseudo-header sum in its checksum field: first
        // with a zero vnet header (a bad checksum to the kernel, dropped), then declared partial.
        sendPartialUdp("undeclared", false);
        sendPartialUdp("declared", true);

        Netns.Result result = PodFixture.finish(server, 10);
        assertEquals(0, result.exitCode(), result.output());
        assertEquals("declared", result.output());
    }

    /** Starts a python UDP socket on the pod's port 7000 that prints the first datagram it gets (5 s at most). */
    private Process startUdpServer() throws IOException {
        assumeTrue(Files.isExecutable(Path.of(PYTHON)), "needs " + PYTHON + " (Debian: python3)");
        Process server = pod.startInPod(PYTHON, "-c", String.join("\n",
                "import socket, sys",
                "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)",
                "s.bind(('" + POD_IP + "', 7000)); s.settimeout(5)",
                "print('ready', flush=True)",
                "print(s.recvfrom(100)[0].decode(), flush=True)"));
        assertEquals("ready", server.inputReader().readLine());
        return server;
    }

    @Test
    void shouldFinishThePartialChecksumWhenTheQueueHasNoVnetHeader() throws IOException {
        assumeTrue(Files.isExecutable(Path.of(PYTHON)), "needs " + PYTHON + " (Debian: python3)");
        pod.close();
        pod = null;
        pod = new PodFixture(TapConfig.of(TapTesting.uniqueName()).withVnetHeader(false));
        pod.addGatewayNeighbour();
        assertEquals(0, pod.tap.queue(0).headerBytes());
        Process server = startUdpServer();

        // Nothing behind a plain TAP finishes a checksum: sent as it is, the kernel drops the
        // datagram; marked partial, the queue finishes it before the write.
        sendPartialUdp("unmarked", false);
        sendPartialUdp("finished", true);

        Netns.Result result = PodFixture.finish(server, 10);
        assertEquals(0, result.exitCode(), result.output());
        assertEquals("finished", result.output());
    }

    private void sendPartialUdp(String text, boolean declare) {
        byte[] frame = PacketBuilder.udp4(PEER_IP, 5000, POD_IP, 7000).srcMac(GATEWAY_MAC).dstMac(POD_MAC)
                .payload(text.getBytes(java.nio.charset.StandardCharsets.US_ASCII)).build();
        int sum = pseudoHeaderSum(frame, 17);
        frame[40] = (byte) (sum >>> 8);
        frame[41] = (byte) sum;
        FrameVector v = pod.vector;
        int i = PacketBuilder.load(v, 0, frame);
        if (declare) {
            v.addFlags(i, FrameVector.FLAG_CSUM_PARTIAL);
            v.offload(i, 0, 0, 34, 6);
        }
        assertEquals(TapQueue.SENT, pod.tap.queue(0).transmit(v, i));
        v.releaseAll();
    }

    @Test
    void shouldDeliverWholeTsoFrameToPodSocketWhenWrittenWithGsoHeader() throws IOException {
        assumeTrue(Files.isExecutable(Path.of(PYTHON)), "needs " + PYTHON + " (Debian: python3)");
        int segments = 20;
        int mss = 1460;
        Process server = pod.startInPod(PYTHON, "-c", String.join("\n",
                "import socket, hashlib",
                "s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)",
                "s.bind(('" + POD_IP + "', 7001)); s.listen(1); s.settimeout(5)",
                "print('ready', flush=True)",
                "c, _ = s.accept(); c.settimeout(5); data = b''",
                "while len(data) < " + segments * mss + ":",
                "    chunk = c.recv(65536)",
                "    if not chunk: break",
                "    data += chunk",
                "print(len(data), hashlib.sha256(data).hexdigest(), flush=True)"));
        assertEquals("ready", server.inputReader().readLine());

        // A three-way handshake by hand, then one 29 KB frame that the kernel takes as 20 segments.
        assertEquals(TapQueue.SENT, TapTesting.send(pod.tap.queue(0), pod.vector, tcp(PacketBuilder.SYN, 1000, 0)
                .mss(mss).build()));
        int synAck = receive(j -> isTcpFrom(j, PacketBuilder.SYN | PacketBuilder.ACK), "SYN-ACK");
        long serverSeq = u32(PacketBuilder.bytesOf(pod.vector, synAck), 38);
        pod.vector.releaseAll();
        assertEquals(TapQueue.SENT, TapTesting.send(pod.tap.queue(0), pod.vector,
                tcp(PacketBuilder.ACK, 1001, serverSeq + 1).build()));
        byte[] payload = new byte[segments * mss];
        for (int k = 0; k < payload.length; k++) {
            payload[k] = (byte) (k % 251);
        }
        byte[] tso = tcp(PacketBuilder.ACK | PacketBuilder.PSH, 1001, serverSeq + 1).payload(payload).build();
        int tcpBytes = tso.length - 34;
        int sum = pseudoHeaderSum(tso, 6);
        tso[50] = (byte) (sum >>> 8);
        tso[51] = (byte) sum;
        FrameVector v = pod.vector;
        int i = PacketBuilder.load(v, 0, tso);
        v.addFlags(i, FrameVector.FLAG_CSUM_PARTIAL | FrameVector.FLAG_GSO);
        v.offload(i, VnetHeader.GSO_TCPV4, mss, 34, 16);
        assertEquals(TapQueue.SENT, pod.tap.queue(0).transmit(v, i), "errno " + pod.tap.queue(0).lastErrno());
        v.releaseAll();

        Netns.Result result = PodFixture.finish(server, 10);
        assertEquals(0, result.exitCode(), result.output());
        assertEquals(tcpBytes - 20 + " " + sha256(payload), result.output());
    }

    private static PacketBuilder tcp(int flags, long seq, long ack) {
        return PacketBuilder.tcp4(PEER_IP, 40000, POD_IP, 7001).srcMac(GATEWAY_MAC).dstMac(POD_MAC)
                .flags(flags).seq(seq).ack(ack).window(65535);
    }

    /** Returns: the folded (not complemented) IPv4 pseudo-header sum of a frame's L4 packet: what a partial checksum field holds. */
    private static int pseudoHeaderSum(byte[] frame, int protocol) {
        int l4Bytes = frame.length - 34;
        return PacketBuilder.referenceFold(PacketBuilder.referenceSum(frame, 26, 8) + protocol + l4Bytes);
    }

    private static long u32(byte[] b, int at) {
        return (b[at] & 0xFFL) << 24 | (b[at + 1] & 0xFFL) << 16 | (b[at + 2] & 0xFFL) << 8 | (b[at + 3] & 0xFFL);
    }

    private static String sha256(byte[] data) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }
}
