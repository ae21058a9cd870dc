package dev.gingham.dataplane.fuzz;

import dev.gingham.dataplane.replay.PcapWriter;
import dev.gingham.dataplane.replay.Tool;
import dev.gingham.packet.header.Icmp4Header;
import dev.gingham.packet.header.Icmp6Header;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Generated frames checked by an independent implementation: Wireshark's dissectors, with every
 * checksum check it has switched on. No checksum it can verify may be bad (in ICMP errors: the
 * IP headers and the ICMP checksum; a quoted L4 header keeps a checksum over data the quote lacks),
 * and shapes other than ICMP errors (whose quotes are bogus on purpose) must dissect without a
 * malformed-packet mark in a layer the generator wrote.
 * Skipped with the reason when tshark is missing.
 */
@Timeout(120)
class GeneratedFramesTsharkTest {
    private static final int SEEDS_PER_SHAPE = 40;
    private static final String[] STATUS_FIELDS = {"ip.checksum.status", "tcp.checksum.status", "udp.checksum.status",
            "icmp.checksum.status", "icmpv6.checksum.status", "sctp.checksum.status"};

    /** Layers the generator writes; payloads are random, so application dissectors (DNS, DHCP...) may call them malformed. */
    private static final java.util.Set<String> OUR_LAYERS = java.util.Set.of("Ethernet", "802.1Q Virtual LAN", "ARP", "IPv4",
            "IPv6", "TCP", "UDP", "ICMP", "ICMPv6", "SCTP", "VXLAN", "Geneve", "Internet Protocol Version 4",
            "Internet Protocol Version 6", "Internet Control Message Protocol");
    private static final java.util.regex.Pattern MALFORMED = java.util.regex.Pattern.compile("\\[Malformed Packet: ([^\\]]+)\\]");

    @TempDir
    Path dir;

    @BeforeAll
    static void requireTshark() {
        assumeTrue(Tool.installed("tshark"), "tshark is not installed (./gingham test installs it as root on Debian)");
    }

    /** Returns: true when the frame holds an ICMP or ICMPv6 error (at any tunnel depth), whose quote may be bogus on purpose. */
    private static boolean quotes(FrameWriter writer) {
        for (int l = 0; l < writer.layers(); l++) {
            int type = writer.u8(writer.start(l));
            if (writer.kind(l) == FrameWriter.ICMP4 && Icmp4Header.isError(type)
                    || writer.kind(l) == FrameWriter.ICMP6 && Icmp6Header.isError(type)) {
                return true;
            }
        }
        return false;
    }

    @Test
    void shouldHaveNoBadChecksumWhenWiresharkDissectsGeneratedFrames() throws IOException {
        Path file = dir.resolve("generated.pcap");
        List<String> labels = new ArrayList<>();
        FrameGenerator generator = new FrameGenerator(FuzzAddresses.defaults());
        FrameWriter writer = new FrameWriter();
        try (Arena arena = Arena.ofConfined(); PcapWriter pcap = PcapWriter.create(file)) {
            MemorySegment memory = arena.allocate(2048);
            for (int shape = 0; shape < FrameGenerator.SHAPES; shape++) {
                for (int seed = 0; seed < SEEDS_PER_SHAPE; seed++) {
                    writer.begin(memory, 0, 2048);
                    generator.generate(shape, writer, new FuzzRandom(seed));
                    pcap.write(memory, 0, writer.length(), labels.size());
                    labels.add(FrameGenerator.shapeName(shape) + " seed " + seed + (quotes(writer) ? " (ICMP error)" : ""));
                }
            }
        }
        List<String> command = new ArrayList<>(List.of("tshark", "-n", "-r", Tool.path(file),
                "-d", "udp.port==8472,vxlan", "-o", "ip.check_checksum:TRUE", "-o", "tcp.check_checksum:TRUE",
                "-o", "udp.check_checksum:TRUE", "-o", "sctp.checksum:CRC-32C",
                "-T", "fields", "-E", "separator=|", "-E", "occurrence=a", "-E", "aggregator=,"));
        for (String field : STATUS_FIELDS) {
            command.addAll(List.of("-e", field));
        }
        command.addAll(List.of("-e", "_ws.malformed", "-e", "_ws.expert.message"));
        Tool tshark = Tool.run(command.toArray(String[]::new));
        assertEquals(0, tshark.exitCode(), tshark.stderr());
        assertEquals("", tshark.stderr());
        List<String> rows = tshark.lines();
        assertEquals(labels.size(), rows.size());
        List<String> problems = new ArrayList<>();
        int verified = 0;
        for (int n = 0; n < rows.size(); n++) {
            String[] values = rows.get(n).split("\\|", -1);
            boolean quotesOnPurpose = labels.get(n).endsWith("(ICMP error)");
            for (int f = 0; f < STATUS_FIELDS.length; f++) {
                if (quotesOnPurpose && f >= 1 && f <= 2 || quotesOnPurpose && f == 5) {
                    continue; // a quoted TCP/UDP/SCTP header keeps the original's checksum, which the quote cannot prove
                }
                for (String status : values[f].split(",")) {
                    if (status.equals("0")) {
                        problems.add(labels.get(n) + ": " + STATUS_FIELDS[f] + " bad: " + rows.get(n));
                    } else if (status.equals("1")) {
                        verified++;
                    }
                }
            }
            java.util.regex.Matcher malformed = MALFORMED.matcher(values[STATUS_FIELDS.length]);
            while (!quotesOnPurpose && malformed.find()) {
                if (OUR_LAYERS.contains(malformed.group(1))) {
                    problems.add(labels.get(n) + ": malformed " + malformed.group(1) + ": " + rows.get(n));
                }
            }
        }
        assertEquals(List.of(), problems);
        assertTrue(verified > labels.size(), "tshark verified " + verified + " checksums");
    }
}
