package dev.gingham.dataplane.replay;

import dev.gingham.packet.PacketBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The decisions in verdicts.jsonl, read back as JSON: a pod's connection to a ClusterIP (service,
 * backend, conntrack new, DNAT before/after), its reply (reverse NAT), a connection a
 * NetworkPolicy allows and one it denies (policy name, peer identity), masquerade (SNAT
 * before/after), and a frame cut by the snap length (a "skipped" line in its place).
 */
class VerdictDecisionsTest {
    private static final String WEB1_MAC = "0a:58:0a:f4:01:0a";
    private static final String DB1_MAC = "0a:58:0a:f4:01:14";
    private static final String GATEWAY_MAC = ReplayFixture.GATEWAY_MAC;
    private static final long SECOND = ReplayFixture.SECOND;
    private static final long T0 = ReplayFixture.T0;

    @TempDir
    Path dir;

    private void manifests() throws IOException, URISyntaxException {
        ReplayFixture.shop(dir);
    }

    private List<JsonNode> replay(Path capture, String... extra) throws IOException {
        assertEquals(0, ReplayFixture.replay(dir, capture, dir.resolve("out"), extra));
        JsonMapper json = JsonMapper.builder().build();
        List<JsonNode> lines = new ArrayList<>();
        for (String line : Files.readAllLines(dir.resolve("out/verdicts.jsonl"))) {
            lines.add(json.readTree(line));
        }
        return lines;
    }

    @Test
    void shouldNameServiceBackendConntrackNatAndPolicyWhenPodsTalk() throws Exception {
        manifests();
        Path capture = dir.resolve("in.pcapng");
        try (PcapngWriter w = PcapngWriter.create(capture, List.of("shop/db-1", "shop/web-1"))) {
            // 0: db-1 opens a connection to the web ClusterIP
            w.write(0, PacketBuilder.tcp4("10.244.1.20", 41000, "10.96.0.50", 80).flags(PacketBuilder.SYN)
                    .srcMac(DB1_MAC).dstMac(GATEWAY_MAC).build(), T0);
            // 1: web-1 to db-1's postgres port, which db-from-web allows
            w.write(1, PacketBuilder.tcp4("10.244.1.10", 42000, "10.244.1.20", 5432).flags(PacketBuilder.SYN)
                    .srcMac(WEB1_MAC).dstMac(GATEWAY_MAC).build(), T0 + SECOND);
            // 2: db-1 answers it
            w.write(0, PacketBuilder.tcp4("10.244.1.20", 5432, "10.244.1.10", 42000)
                    .flags(PacketBuilder.SYN | PacketBuilder.ACK).srcMac(DB1_MAC).dstMac(GATEWAY_MAC).build(), T0 + 2 * SECOND);
            // 3: web-1 to another db-1 port: no rule allows it
            w.write(1, PacketBuilder.tcp4("10.244.1.10", 42001, "10.244.1.20", 22).flags(PacketBuilder.SYN)
                    .srcMac(WEB1_MAC).dstMac(GATEWAY_MAC).build(), T0 + 3 * SECOND);
            // 4: web-1 to the outside: masqueraded behind the node address
            w.write(1, PacketBuilder.udp4("10.244.1.10", 5353, "8.8.8.8", 53).payload(20)
                    .srcMac(WEB1_MAC).dstMac(GATEWAY_MAC).build(), T0 + 4 * SECOND);
        }
        List<JsonNode> lines = replay(capture);
        assertEquals(5, lines.size());

        JsonNode toService = lines.get(0);
        assertEquals("new", toService.get("ct").asString());
        assertEquals("shop/web:http", toService.get("service").get("name").asString());
        String backend = toService.get("service").get("backend").asString();
        assertTrue(backend.equals("10.244.1.10:8080") || backend.equals("10.244.2.10:8080"), backend);
        assertEquals(backend.startsWith("10.244.1.") ? "shop/web-1" : "shop/web-3",
                toService.get("service").get("backend_pod").asString());
        JsonNode dnat = toService.get("nat");
        assertEquals("destination", dnat.get("kind").asString());
        assertEquals("10.96.0.50:80", dnat.get("before").get("dst").asString());
        assertEquals(backend, dnat.get("after").get("dst").asString());
        assertEquals("10.244.1.20:41000", dnat.get("after").get("src").asString());
        assertEquals("not-enforced", toService.get("policy").get("egress").get("verdict").asString());

        JsonNode allowed = lines.get(1);
        assertEquals("new", allowed.get("ct").asString());
        JsonNode ingress = allowed.get("policy").get("ingress");
        assertEquals("allowed", ingress.get("verdict").asString());
        assertEquals("shop/db-from-web", ingress.get("policy").asString());
        assertEquals(allowed.get("src_identity").asInt(), ingress.get("peer_identity").asInt());
        assertTrue(ingress.get("peer").asString().contains("app=web"), ingress.toString());
        assertFalse(allowed.has("service") || allowed.has("nat"), "no service, no NAT: " + allowed);

        JsonNode reply = lines.get(2);
        assertEquals("reply", reply.get("ct").asString());
        assertEquals("reply", reply.get("policy").get("egress").get("verdict").asString());

        JsonNode denied = lines.get(3);
        assertEquals("dropped", denied.get("verdict").asString());
        assertEquals("POLICY", denied.get("drop_reason").asString());
        assertEquals("denied", denied.get("policy").get("ingress").get("verdict").asString());

        JsonNode masqueraded = lines.get(4);
        assertEquals("new", masqueraded.get("ct").asString());
        JsonNode snat = masqueraded.get("nat");
        assertEquals("source", snat.get("kind").asString());
        assertEquals("10.244.1.10:5353", snat.get("before").get("src").asString());
        assertTrue(snat.get("after").get("src").asString().startsWith("192.168.50.10:"), snat.toString());
        assertEquals("8.8.8.8:53", snat.get("after").get("dst").asString());
    }

    @Test
    void shouldNameTheReverseNatWhenAReplyComesBackThroughTheMasquerade() throws Exception {
        manifests();
        Path capture = dir.resolve("reply.pcapng");
        try (PcapngWriter w = PcapngWriter.create(capture, List.of("shop/web-1", "underlay"))) {
            w.write(0, PacketBuilder.udp4("10.244.1.10", 5353, "8.8.8.8", 53).payload(20)
                    .srcMac(WEB1_MAC).dstMac(GATEWAY_MAC).build(), T0);
            w.write(1, PacketBuilder.udp4("8.8.8.8", 53, "192.168.50.10", 32768).payload(4).srcMac("02:00:00:00:00:fe")
                    .dstMac("02:67:68:00:00:10").build(), T0 + SECOND);
        }
        List<JsonNode> lines = replay(capture);
        JsonNode back = lines.get(1);
        assertEquals("reply", back.get("ct").asString());
        JsonNode nat = back.get("nat");
        assertEquals("destination", nat.get("kind").asString());
        assertEquals("192.168.50.10:32768", nat.get("before").get("dst").asString());
        assertEquals("10.244.1.10:5353", nat.get("after").get("dst").asString());
        assertEquals("shop/web-1", back.get("egress").asString());
    }

    @Test
    void shouldWriteASkippedLineInItsPlaceWhenTheSnapLengthCutAFrame() throws Exception {
        manifests();
        byte[] whole = PacketBuilder.udp4("10.244.1.10", 5353, "8.8.8.8", 53).payload(20)
                .srcMac(WEB1_MAC).dstMac(GATEWAY_MAC).build();
        byte[] cut = java.util.Arrays.copyOf(whole, 40);
        Path capture = CaptureBytes.pcap(ByteOrder.LITTLE_ENDIAN, true, 1)
                .record(1_700_000_000L, 0, whole, whole.length)
                .record(1_700_000_001L, 0, cut, whole.length)
                .record(1_700_000_002L, 0, whole, whole.length)
                .write(dir.resolve("cut.pcap"));
        List<JsonNode> lines = replay(capture, "--ingress", "shop/web-1");
        assertEquals(3, lines.size());
        assertEquals(List.of(0, 1, 2), lines.stream().map(l -> l.get("frame").asInt()).toList());
        JsonNode skipped = lines.get(1);
        assertEquals("skipped", skipped.get("verdict").asString());
        assertEquals("snaplen-cut", skipped.get("skip_reason").asString());
        assertEquals(40, skipped.get("captured_bytes").asInt());
        assertEquals(whole.length, skipped.get("original_bytes").asInt());
        assertEquals("shop/web-1", skipped.get("ingress").asString());
        assertEquals(1_700_000_001L * SECOND, skipped.get("time_ns").asLong());
        assertEquals("forwarded", lines.get(2).get("verdict").asString());
        assertEquals("established", lines.get(2).get("ct").asString());
    }
}
