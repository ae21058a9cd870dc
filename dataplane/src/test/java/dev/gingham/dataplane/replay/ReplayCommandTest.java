package dev.gingham.dataplane.replay;

import dev.gingham.packet.PacketBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code gingham replay} end to end: a pcapng with a pod interface and the underlay through node
 * node-a of the "shop" manifests; what comes out (verdict lines, per-port pcaps, their bytes) and
 * that a second run writes the same bytes.
 */
class ReplayCommandTest {
    /** LocalPods derives a pod's MAC from its address: 0a:58 + 10.244.1.10. */
    private static final String WEB1_MAC = "0a:58:0a:f4:01:0a";
    private static final String GATEWAY_MAC = ReplayFixture.GATEWAY_MAC;
    private static final long SECOND = ReplayFixture.SECOND;

    @TempDir
    Path dir;

    private Path setUp() throws IOException, URISyntaxException {
        ReplayFixture.shop(dir);
        Path capture = dir.resolve("in.pcapng");
        try (PcapngWriter w = PcapngWriter.create(capture, List.of("shop/web-1", "underlay"))) {
            long t = 1_700_000_000L * SECOND;
            w.write(0, PacketBuilder.udp4("10.244.1.10", 5353, "8.8.8.8", 53).payload(20).srcMac(WEB1_MAC).dstMac(GATEWAY_MAC)
                    .build(), t);
            w.write(1, PacketBuilder.udp4("8.8.8.8", 53, "192.168.50.10", 32768).payload(4).srcMac("02:00:00:00:00:fe")
                    .dstMac("02:67:68:00:00:10").build(), t + SECOND);
            w.write(0, PacketBuilder.udp4("10.244.1.99", 5353, "8.8.8.8", 53).srcMac(WEB1_MAC).dstMac(GATEWAY_MAC).build(), t + 2 * SECOND);
            w.write(1, PacketBuilder.tcp4("203.0.113.9", 40000, "192.168.50.10", 30080).flags(PacketBuilder.SYN)
                    .srcMac("02:00:00:00:00:fe").dstMac("02:67:68:00:00:10").build(), t + 3 * SECOND);
        }
        return capture;
    }

    private int replay(Path capture, Path out) {
        return ReplayFixture.replay(dir, capture, out);
    }

    @Test
    void shouldWriteAVerdictPerFrameAndAPcapPerEgressPortAndTheSameBytesTwice() throws Exception {
        Path capture = setUp();
        assertEquals(0, replay(capture, dir.resolve("out1")));
        assertEquals(0, replay(capture, dir.resolve("out2")));

        List<String> lines = Files.readAllLines(dir.resolve("out1/verdicts.jsonl"));
        assertEquals(4, lines.size(), String.join("\n", lines));
        assertTrue(lines.get(0).contains("\"ingress\":\"shop/web-1\",\"verdict\":\"forwarded\",\"egress\":\"underlay\""), lines.get(0));
        assertTrue(lines.get(0).contains("\"src\":\"192.168.50.10:32768\""), "masqueraded: " + lines.get(0));
        assertTrue(lines.get(1).contains("\"verdict\":\"forwarded\",\"egress\":\"shop/web-1\""), lines.get(1));
        assertTrue(lines.get(1).contains("\"dst\":\"10.244.1.10:5353\"") && lines.get(1).contains("reverse-nat"), lines.get(1));
        assertTrue(lines.get(2).contains("\"drop_code\":132,\"drop_reason\":\"INVALID_SOURCE_IP\""), lines.get(2));
        // the NodePort: Maglev picks web-1 here (DNAT) or web-3 on node-b (DNAT + SNAT, then VXLAN to node-b)
        assertTrue(lines.get(3).contains("\"dst\":\"10.244.1.10:8080\"") && lines.get(3).contains("\"egress\":\"shop/web-1\"")
                || lines.get(3).contains("\"src\":\"192.168.50.10:") && lines.get(3).contains("\"dst\":\"10.244.2.10:8080\"")
                && lines.get(3).contains("\"egress\":\"underlay\"") && lines.get(3).contains("dnat+snat-to-node"), lines.get(3));

        byte[] sentOut = PacketBuilder.udp4("192.168.50.10", 32768, "8.8.8.8", 53).payload(20).srcMac("02:67:68:00:00:10")
                .dstMac("02:00:00:00:00:fe").ttl(63).build();
        assertArrayEquals(sentOut, ReplayFixture.frames(dir.resolve("out1/underlay.pcap")).get(0),
                "the masqueraded datagram, byte for byte");
        for (String name : List.of("verdicts.jsonl", "underlay.pcap", "shop_web-1.pcap")) {
            assertArrayEquals(Files.readAllBytes(dir.resolve("out1").resolve(name)), Files.readAllBytes(dir.resolve("out2").resolve(name)),
                    name + " is byte-identical across runs");
        }
    }

    @Test
    void shouldRefuseAnUnknownIngressPortAndABrokenCapture() throws Exception {
        setUp();
        Path broken = dir.resolve("broken.pcap");
        Files.write(broken, new byte[]{1, 2, 3, 4, 5, 6, 7, 8});
        assertEquals(1, replay(broken, dir.resolve("out3")));
        assertEquals(1, ReplayFixture.replay(dir, dir.resolve("in.pcapng"), dir.resolve("out4"), "--ingress", "no-such-pod"));
    }
}
