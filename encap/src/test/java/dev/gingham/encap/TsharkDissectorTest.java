package dev.gingham.encap;

import dev.gingham.packet.Netns;
import dev.gingham.packet.PacketBuilder;
import dev.gingham.packet.Verdict;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static dev.gingham.encap.Overlay.A_POD;
import static dev.gingham.encap.Overlay.A_POD6;
import static dev.gingham.encap.Overlay.A_POD_MAC;
import static dev.gingham.encap.Overlay.A_ROUTER_MAC;
import static dev.gingham.encap.Overlay.B_POD;
import static dev.gingham.encap.Overlay.B_POD6;
import static dev.gingham.encap.Overlay.nodeA;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Our encapsulated frames decoded by Wireshark's dissectors (an independent implementation of
 * every format), since the kernel here has no Geneve or IPIP device to accept them: each frame
 * is written to a pcap file and {@code tshark} reports the fields it decoded, checksums
 * verified. Skipped with the reason when tshark is missing ({@code ./gingham test} installs it
 * as root on Debian).
 */
@Timeout(60)
class TsharkDissectorTest {
    private static final String[] FIELDS = {"ip.src", "ip.dst", "ip.proto", "ip.checksum.status", "ip.flags.df",
            "udp.dstport", "vxlan.vni", "geneve.version", "geneve.vni", "geneve.proto_type", "ipv6.src",
            "tcp.checksum.status", "tcp.options.mss_val", "icmp.type", "icmp.code", "icmp.mtu", "icmp.checksum.status",
            "_ws.malformed"};

    @BeforeAll
    static void requireTshark() {
        Netns.Result version = Netns.run("tshark", "--version");
        assumeTrue(version.ok(), "tshark is not installed (./gingham test installs it as root on Debian): " + version.output());
    }

    private static PacketBuilder podSyn() {
        return PacketBuilder.tcp4(A_POD, 40000, B_POD, 80).flags(PacketBuilder.SYN).mss(1460).srcMac(A_POD_MAC)
                .dstMac(A_ROUTER_MAC).payload(20);
    }

    private static byte[] encapsulated(TunnelConfig config, byte[] inner) {
        try (Overlay o = new Overlay(config)) {
            assertEquals(Verdict.tx(Overlay.A_UNDERLAY_PORT), o.encap(inner, 0));
            return o.out(0);
        }
    }

    /** Writes the frames to a pcap (link type Ethernet) and returns tshark's fields, one map per frame. */
    private static List<java.util.Map<String, String>> dissect(Path dir, List<byte[]> frames) throws IOException {
        ByteArrayOutputStream pcap = new ByteArrayOutputStream();
        ByteBuffer header = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN);
        header.putInt(0xA1B2C3D4).putShort((short) 2).putShort((short) 4).putInt(0).putInt(0).putInt(65535).putInt(1);
        pcap.writeBytes(header.array());
        int second = 0;
        for (byte[] frame : frames) {
            ByteBuffer record = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
            record.putInt(++second).putInt(0).putInt(frame.length).putInt(frame.length);
            pcap.writeBytes(record.array());
            pcap.writeBytes(frame);
        }
        Path file = dir.resolve("gingham-encap.pcap");
        Files.write(file, pcap.toByteArray());
        List<String> command = new ArrayList<>(List.of("tshark", "-n", "-r", file.toString(), "-d", "udp.port==8472,vxlan",
                "-o", "ip.check_checksum:TRUE", "-o", "tcp.check_checksum:TRUE", "-T", "fields", "-E", "separator=/t",
                "-E", "occurrence=a", "-E", "aggregator=,"));
        for (String field : FIELDS) {
            command.add("-e");
            command.add(field);
        }
        Netns.Result result = Netns.run(command.toArray(String[]::new));
        assertEquals(0, result.exitCode(), result.output());
        List<java.util.Map<String, String>> rows = new ArrayList<>();
        for (String line : result.output().lines().filter(l -> !l.startsWith("Running as user")).toList()) {
            String[] values = line.split("\t", -1);
            java.util.Map<String, String> row = new java.util.HashMap<>();
            for (int k = 0; k < FIELDS.length; k++) {
                row.put(FIELDS[k], k < values.length ? values[k] : "");
            }
            rows.add(row);
        }
        assertEquals(frames.size(), rows.size(), result.output());
        return rows;
    }

    @Test
    void shouldDecodeEveryModeWhenTsharkReadsOurFrames(@TempDir Path dir) throws IOException {
        byte[] syn = podSyn().build();
        byte[] syn6 = PacketBuilder.tcp6(A_POD6, 40000, B_POD6, 443).flags(PacketBuilder.SYN).mss(1440).build();
        List<byte[]> frames = List.of(
                encapsulated(nodeA(TunnelMode.VXLAN).vni(42).build(), syn),
                encapsulated(nodeA(TunnelMode.VXLAN).vxlanPort(4789).vni(0x123456).outerDf(OuterDf.SET).build(), syn),
                encapsulated(nodeA(TunnelMode.GENEVE).vni(77).build(), syn),
                encapsulated(nodeA(TunnelMode.IPIP).build(), syn),
                encapsulated(nodeA(TunnelMode.IPIP).build(), syn6),
                encapsulated(nodeA(TunnelMode.GENEVE).build(), syn6));
        List<java.util.Map<String, String>> rows = dissect(dir, frames);

        java.util.Map<String, String> vxlan = rows.get(0);
        assertEquals("192.168.1.10,10.244.1.5", vxlan.get("ip.src"));
        assertEquals("192.168.1.20,10.244.2.7", vxlan.get("ip.dst"));
        assertEquals("17,6", vxlan.get("ip.proto"));
        assertEquals("1,1", vxlan.get("ip.checksum.status"), "both IPv4 header checksums good");
        assertEquals("8472", vxlan.get("udp.dstport"));
        assertEquals("42", vxlan.get("vxlan.vni"));
        assertEquals("1", vxlan.get("tcp.checksum.status"), "inner TCP checksum good after MSS clamping");
        assertEquals("1410", vxlan.get("tcp.options.mss_val"));
        assertEquals("", vxlan.get("_ws.malformed"));

        java.util.Map<String, String> iana = rows.get(1);
        assertEquals("4789", iana.get("udp.dstport"));
        assertEquals(String.valueOf(0x123456), iana.get("vxlan.vni"));
        assertEquals("1,0", iana.get("ip.flags.df"), "outer DF set, inner DF as sent");

        java.util.Map<String, String> geneve = rows.get(2);
        assertEquals("6081", geneve.get("udp.dstport"));
        assertEquals("0", geneve.get("geneve.version"));
        assertEquals("0x00004d", geneve.get("geneve.vni")); // 77; tshark prints Geneve VNIs in hex
        assertEquals("0x6558", geneve.get("geneve.proto_type"));
        assertEquals("1,1", geneve.get("ip.checksum.status"));
        assertEquals("1", geneve.get("tcp.checksum.status"));
        assertEquals("", geneve.get("_ws.malformed"));

        java.util.Map<String, String> ipip = rows.get(3);
        assertEquals("192.168.1.10,10.244.1.5", ipip.get("ip.src"));
        assertEquals("4,6", ipip.get("ip.proto"));
        assertEquals("1,1", ipip.get("ip.checksum.status"));
        assertEquals("1", ipip.get("tcp.checksum.status"));
        assertEquals("1440", ipip.get("tcp.options.mss_val"), "IPv4 MSS: pod MTU 1480 - 40");
        assertEquals("", ipip.get("_ws.malformed"));

        java.util.Map<String, String> sixInFour = rows.get(4);
        assertEquals("41", sixInFour.get("ip.proto"));
        assertEquals("fd00:1::5", sixInFour.get("ipv6.src"));
        assertEquals("1", sixInFour.get("tcp.checksum.status"));
        assertEquals("1420", sixInFour.get("tcp.options.mss_val"), "IPv6 MSS: pod MTU 1480 - 60");

        java.util.Map<String, String> geneve6 = rows.get(5);
        assertEquals("fd00:1::5", geneve6.get("ipv6.src"));
        assertEquals("1390", geneve6.get("tcp.options.mss_val"), "IPv6 MSS: pod MTU 1450 - 60");
        assertEquals("1", geneve6.get("tcp.checksum.status"));
    }

    @Test
    void shouldDecodeFragNeededWithPodMtuWhenTsharkReadsOurError(@TempDir Path dir) throws IOException {
        byte[] tooBig = PacketBuilder.tcp4(A_POD, 40000, B_POD, 80).dontFragment().payload(1460).build();
        byte[] error;
        try (Overlay o = new Overlay(nodeA(TunnelMode.VXLAN).build())) {
            assertEquals(Verdict.tx(Overlay.A_POD_PORT), o.encap(tooBig, 0));
            error = o.out(0);
        }
        java.util.Map<String, String> row = dissect(dir, List.of(error)).get(0);
        assertEquals("10.244.1.1,10.244.1.5", row.get("ip.src"));
        assertEquals("3", row.get("icmp.type"));
        assertEquals("4", row.get("icmp.code"));
        assertEquals("1450", row.get("icmp.mtu"));
        assertEquals("1", row.get("icmp.checksum.status"));
        assertEquals("1,1", row.get("ip.checksum.status"));
    }
}
