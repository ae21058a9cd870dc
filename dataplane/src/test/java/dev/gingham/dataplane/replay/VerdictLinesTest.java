package dev.gingham.dataplane.replay;

import dev.gingham.dataplane.fuzz.FuzzNode;
import dev.gingham.dataplane.fuzz.FuzzRun;
import dev.gingham.dataplane.program.NodePipeline;
import dev.gingham.packet.BufferPool;
import dev.gingham.dataplane.policy.PolicyLookup;
import dev.gingham.packet.FrameMarks;
import dev.gingham.packet.FrameTrace;
import dev.gingham.packet.FrameVector;
import dev.gingham.packet.PacketBuilder;
import dev.gingham.packet.Verdict;
import dev.gingham.packet.header.Addresses;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The byte writer of verdicts.jsonl writes exactly what the first, StringBuilder-based version
 * wrote ({@link VerdictLinesReference}), so the speed-up changes no user's output: line for line
 * over tens of thousands of fuzzed frames through the fuzz node (services, backends, NAT of both
 * kinds, policy of both directions, IPv6, drops of many reasons, established flows whose line
 * tails come from {@link LineMemo}), and for frames whose trace values differ in one field from
 * an earlier frame's; golden lines for skipped frames whose interface names need escaping and
 * UTF-8; the numbers and addresses the buffer formats itself, across buffer flushes.
 */
class VerdictLinesTest {
    private static final int VECTORS_PER_PORT = 40;
    private static final String NEXT_HOP_MAC = "02:00:00:00:00:fe";
    private static final String UNDERLAY_MAC = "02:67:68:00:00:10";
    private static final String GATEWAY_MAC = "02:67:68:00:00:01";
    private static final String WEB1_MAC = "0a:58:0a:f4:01:0a";

    @TempDir
    Path dir;

    @Test
    void shouldWriteTheReferenceBytesWhenFuzzedFramesRunThroughTheFuzzNode() throws IOException {
        StringBuilder allReference = new StringBuilder();
        try (FuzzNode node = FuzzNode.create();
             BufferPool pool = BufferPool.allocate(2 * FrameVector.MAX_FRAMES + 64, BufferPool.DEFAULT_BUFFER_SIZE)) {
            NodePipeline pipeline = node.node().state().pipeline(0);
            VerdictLines lines = new VerdictLines(node.node());
            VerdictLinesReference reference = new VerdictLinesReference(node.node());
            FrameTrace trace = new FrameTrace();
            FrameVector vector = new FrameVector(pool);
            vector.trace(trace);
            long index = 0;
            for (int p = 0; p < FuzzNode.PORTS; p++) {
                var source = node.source(p, 7 + p);
                for (int n = 0; n < VECTORS_PER_PORT; n++) {
                    int loaded = source.fill(vector, index, FrameVector.MAX_FRAMES, node.port(p));
                    pipeline.run(vector, FuzzRun.timestampNs(index));
                    allReference.append(compare(lines, reference, vector, trace, index));
                    vector.releaseAll();
                    index += loaded;
                }
            }
            // clients outside to the NodePort, and web-1's answers: service replies (Maglev picks web-1 for some clients)
            // then both sides' ACKs, several rounds: established frames whose line tails the memo copies
            for (int step = 0; step < 8; step++) {
                int flags = step == 0 ? PacketBuilder.SYN : step == 1 ? PacketBuilder.SYN | PacketBuilder.ACK : PacketBuilder.ACK;
                for (int flow = 0; flow < 32; flow++) {
                    String client = "203.0.113." + (flow + 1);
                    byte[] frame = step % 2 == 0
                            ? PacketBuilder.tcp4(client, 40000, "192.168.50.10", 30080).flags(flags)
                            .srcMac(NEXT_HOP_MAC).dstMac(UNDERLAY_MAC).build()
                            : PacketBuilder.tcp4("10.244.1.10", 8080, client, 40000)
                            .flags(flags).srcMac(WEB1_MAC).dstMac(GATEWAY_MAC).build();
                    PacketBuilder.load(vector, node.port(step % 2 == 0 ? 1 : 0), frame);
                }
                pipeline.run(vector, FuzzRun.timestampNs(index));
                allReference.append(compare(lines, reference, vector, trace, index));
                vector.releaseAll();
                index += 32;
            }
            assertTrue(lines.memoHits() > 100, "line tails copied from earlier frames: " + lines.memoHits());
        }
        String all = allReference.toString();
        for (String part : List.of("\"verdict\":\"forwarded\"", "\"drop_reason\":\"INVALID_SOURCE_IP\"", "\"service\":{",
                "\"backend_pod\":", "\"direction\":\"reply\"", "\"kind\":\"source\"", "\"kind\":\"destination\"",
                "\"policy\":{\"egress\"", "\"ingress\":{\"verdict\"", "\"peer\":", "\"src\":\"[fd00:", "\"ct\":\"new\"",
                "\"ct-created\"", "\"reverse-nat\"")) {
            assertTrue(all.contains(part), "the fuzzed frames never produced " + part + ": the comparison would not cover it");
        }
    }

    /**
     * The memo's key must hold every value a tail is written from: frames and traces drawn from two
     * or three values per field, so that most frames share all fields but one with an earlier
     * frame, must still give the reference's line every time (a field missing from the key makes
     * the memo copy a tail that differs in that field).
     */
    @Test
    void shouldWriteTheReferenceBytesWhenFramesDifferFromEarlierOnesInOneDecision() throws IOException {
        SplittableRandom random = new SplittableRandom(11);
        try (FuzzNode node = FuzzNode.create(); BufferPool pool = BufferPool.allocate(1, BufferPool.DEFAULT_BUFFER_SIZE)) {
            VerdictLines lines = new VerdictLines(node.node());
            VerdictLinesReference reference = new VerdictLinesReference(node.node());
            FrameTrace trace = new FrameTrace();
            FrameVector v = new FrameVector(pool);
            v.add(pool.acquire(), node.port(0), 60);
            int[] flags = {FrameVector.FLAG_IPV4 | FrameVector.FLAG_L4, FrameVector.FLAG_IPV6 | FrameVector.FLAG_L4,
                    FrameVector.FLAG_IPV4, 0};
            int[] marks = {0, FrameMarks.SNAT_TO_NODE, FrameMarks.REVERSE_NAT, FrameMarks.CT_CREATED, FrameMarks.CT_ACCOUNTED};
            int[] decisions = {FrameTrace.NONE, PolicyLookup.ALLOWED, PolicyLookup.DENIED};
            StringBuilder line = new StringBuilder();
            StringBuilder expected = new StringBuilder();
            ByteArrayOutputStream written = new ByteArrayOutputStream();
            try (LineBuffer buffer = new LineBuffer(written, 1 << 16)) {
                for (int n = 0; n < 20_000; n++) {
                    v.flags(0, flags[random.nextInt(flags.length)]);
                    v.verdict(0, random.nextBoolean() ? Verdict.tx(node.port(1)) : -132);
                    v.protocol(0, random.nextBoolean() ? 6 : 17);
                    tuple(v, random);
                    v.srcIdentity(0, random.nextBoolean() ? 1 : 257);
                    v.dstIdentity(0, random.nextBoolean() ? 1 : 257);
                    v.mark(0, marks[random.nextInt(marks.length)] | marks[random.nextInt(marks.length)]);
                    trace.reset(1);
                    if (random.nextBoolean()) {
                        trace.ctStatus(0, random.nextInt(3));
                    }
                    trace.service(0, random.nextInt(2), random.nextInt(3));
                    if (random.nextBoolean()) {
                        trace.beforeRewrite(v, 0);
                        tuple(v, random);
                        trace.afterRewrite(v, 0, 1 + random.nextInt(3));
                        tuple(v, random);
                    }
                    for (int slot = 0; slot < FrameTrace.POLICY_SLOTS; slot++) {
                        int decision = decisions[random.nextInt(decisions.length)];
                        if (decision != FrameTrace.NONE) {
                            trace.policy(0, slot, decision, random.nextInt(2), random.nextBoolean() ? 1 : 257);
                        }
                    }
                    lines.frame(buffer, v, 0, trace, n, n);
                    line.setLength(0);
                    reference.frame(line, v, 0, trace, n, n);
                    expected.append(line).append('\n');
                }
            }
            assertSameLines(expected.toString(), written.toString(StandardCharsets.UTF_8));
            assertTrue(lines.memoHits() > 1000, "tails copied: " + lines.memoHits());
        }
    }

    /** Sets frame 0's addresses and ports to one of two values each (IPv4 or IPv6 as its flags say). */
    private static void tuple(FrameVector v, SplittableRandom random) {
        if (v.hasFlag(0, FrameVector.FLAG_IPV6)) {
            v.src6(0, 0xfd00_0010_0244_0001L, random.nextBoolean() ? 10 : 0x10000);
            v.dst6(0, random.nextBoolean() ? 0xfd00_0010_0244_0001L : 0xfd00_0010_0244_0002L, 20);
        } else {
            v.src4(0, random.nextBoolean() ? 0x0AF4_010A : 0xC0A8_320A);
            v.dst4(0, random.nextBoolean() ? 0x0808_0808 : 0x0AF4_010A);
        }
        v.srcPort(0, random.nextBoolean() ? 40000 : 32768);
        v.dstPort(0, random.nextBoolean() ? 80 : 8080);
    }

    @Test
    void shouldWriteTheGoldenLinesWhenSkippedFramesHaveNamesToEscape() throws Exception {
        ReplayFixture.shop(dir);
        List<String> interfaces = List.of("shop/web-1", "quote\"back\\slash\ttab", "pod-é-日本-🙂", "");
        List<String> escaped = List.of("", "quote\\\"back\\\\slash\\u0009tab", "pod-é-日本-🙂", "interface-3");
        Path capture = dir.resolve("in.pcapng");
        byte[] frame = PacketBuilder.udp4("10.244.1.10", 5353, "8.8.8.8", 53).payload(20).build();
        try (PcapngWriter w = PcapngWriter.create(capture, interfaces)) {
            for (int n = 0; n < 12; n++) {
                w.write(n % interfaces.size(), frame, ReplayFixture.T0 + n);
            }
        }
        try (var node = dev.gingham.dataplane.node.ConfiguredNode.create(
                dev.gingham.dataplane.config.NodeConfig.parse(ReplayFixture.NODE_YAML, "node.yaml"),
                dev.gingham.dataplane.cluster.ManifestSet.load(dir.resolve("manifests")), 0, 0, false, 1, null);
             BufferPool pool = BufferPool.allocate(FrameVector.MAX_FRAMES, BufferPool.DEFAULT_BUFFER_SIZE);
             CaptureFeed feed = new CaptureFeed(CaptureReader.open(capture), (index, name) -> index == 0 ? 0 : IngressPorts.SKIP)) {
            VerdictLines lines = new VerdictLines(node);
            FrameVector vector = new FrameVector(pool);
            assertEquals(3, feed.fill(vector));
            assertEquals(9, feed.skippedCount());
            ByteArrayOutputStream written = new ByteArrayOutputStream();
            StringBuilder expected = new StringBuilder();
            try (LineBuffer buffer = new LineBuffer(written, 64)) { // shorter than a line: written through
                for (int k = 0; k < feed.skippedCount(); k++) {
                    lines.skipped(buffer, feed, k);
                    int n = k / 3 * 4 + k % 3 + 1; // frames 1, 2, 3, 5, 6, 7, ...: every interface but the first
                    expected.append("{\"frame\":").append(n).append(",\"time_ns\":").append(ReplayFixture.T0 + n)
                            .append(",\"ingress\":\"").append(escaped.get(n % 4))
                            .append("\",\"verdict\":\"skipped\",\"skip_reason\":\"unmapped-interface\",\"captured_bytes\":")
                            .append(frame.length).append(",\"original_bytes\":").append(frame.length).append("}\n");
                }
            }
            vector.releaseAll();
            assertSameLines(expected.toString(), written.toString(StandardCharsets.UTF_8));
        }
    }

    @Test
    void shouldFormatNumbersAndAddressesAsTheJdkDoesWhenBufferFlushesMidLine() throws IOException {
        ByteArrayOutputStream written = new ByteArrayOutputStream();
        StringBuilder expected = new StringBuilder();
        SplittableRandom random = new SplittableRandom(3);
        try (LineBuffer buffer = new LineBuffer(written, 64)) {
            long[] numbers = {0, 1, 9, 10, 99, 100, 999, 1000, 65535, Integer.MAX_VALUE, 1L << 32, 999_999_999_999_999_999L,
                    1_000_000_000_000_000_000L, Long.MAX_VALUE, -1, -10, Long.MIN_VALUE, Long.MIN_VALUE + 1};
            for (long n : numbers) {
                buffer.decimal(n);
                buffer.ascii(' ');
                expected.append(n).append(' ');
            }
            for (int n = 0; n < 2000; n++) {
                long value = random.nextLong() >>> random.nextInt(64);
                buffer.decimal(n % 2 == 0 ? value : -value);
                buffer.ascii(',');
                expected.append(n % 2 == 0 ? value : -value).append(',');
                // addresses with zero groups in every place: each group zero with probability 1/2
                long hi = 0;
                long lo = 0;
                for (int g = 0; g < 4; g++) {
                    hi |= (random.nextBoolean() ? 0 : random.nextLong(1, 0x10000)) << (16 * g);
                    lo |= (random.nextBoolean() ? 0 : random.nextLong(1, 0x10000)) << (16 * g);
                }
                int port = random.nextInt(-1, 65536);
                buffer.endpoint(hi, lo, port);
                buffer.ascii(' ');
                boolean ipv4 = dev.gingham.packet.MappedAddress.isIpv4(hi, lo);
                String address = ipv4 ? Addresses.formatIpv4((int) lo) : Addresses.formatIpv6(hi, lo);
                expected.append(port < 0 ? address : ipv4 ? address + ":" + port : "[" + address + "]:" + port).append(' ');
                int ip4 = random.nextInt();
                buffer.endpoint(0, 0x0000_FFFF_0000_0000L | (ip4 & 0xFFFF_FFFFL), port);
                buffer.ascii(' ');
                expected.append(Addresses.formatIpv4(ip4)).append(port < 0 ? "" : ":" + port).append(' ');
            }
            buffer.bytes(new byte[200]); // longer than the buffer: written straight through
        }
        String text = written.toString(StandardCharsets.US_ASCII);
        assertEquals(expected + "\0".repeat(200), text);
    }

    /**
     * Writes the lines of every frame of the vector (frame numbers from {@code firstIndex}, fuzz
     * clock times) with both writers and asserts they are the same; returns the reference's text.
     */
    private static String compare(VerdictLines lines, VerdictLinesReference reference, FrameVector vector, FrameTrace trace,
                                  long firstIndex) throws IOException {
        ByteArrayOutputStream written = new ByteArrayOutputStream();
        StringBuilder expected = new StringBuilder();
        StringBuilder line = new StringBuilder();
        try (LineBuffer buffer = new LineBuffer(written, 4096)) { // small: lines cross flushes
            for (int k = 0; k < vector.count(); k++) {
                long time = FuzzRun.timestampNs(firstIndex + k);
                lines.frame(buffer, vector, k, trace, firstIndex + k, time);
                line.setLength(0);
                reference.frame(line, vector, k, trace, firstIndex + k, time);
                expected.append(line).append('\n');
            }
        }
        assertSameLines(expected.toString(), written.toString(StandardCharsets.UTF_8));
        return expected.toString();
    }

    private static void assertSameLines(String expected, String actual) {
        if (expected.equals(actual)) {
            return;
        }
        String[] e = expected.split("\n", -1);
        String[] a = actual.split("\n", -1);
        for (int k = 0; k < Math.min(e.length, a.length); k++) {
            assertEquals(e[k], a[k], "line " + k + " differs");
        }
        assertEquals(e.length, a.length, "line count");
    }
}
