package dev.gingham.dataplane.replay;

import dev.gingham.packet.PacketBuilder;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static dev.gingham.dataplane.replay.CaptureReaderTest.readAll;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Our capture files against Wireshark's own implementation, both ways: tshark opens what our
 * writers write without a warning (frame counts, interface names, nanosecond timestamps as it
 * decodes them), and our reader gets the same frames back from files Wireshark's tools wrote
 * (editcap conversions to pcapng, microsecond and nanosecond pcap, snap-length cuts; mergecap's
 * multi-interface pcapng). Skipped with the reason when the tools are missing
 * ({@code ./gingham test} installs tshark as root on Debian; editcap and mergecap come with it).
 */
@Timeout(120)
class WiresharkInteropTest {
    private static final long T0 = 1_700_000_000_123_456_789L;

    @TempDir
    Path dir;

    @BeforeAll
    static void requireTools() {
        for (String tool : List.of("tshark", "editcap", "mergecap")) {
            assumeTrue(Tool.installed(tool), tool + " is not installed (./gingham test installs tshark as root on Debian)");
        }
    }

    private static List<byte[]> frames() {
        return List.of(
                PacketBuilder.tcp4("10.0.0.1", 40000, "10.0.0.2", 80).flags(PacketBuilder.SYN).mss(1460).build(),
                PacketBuilder.udp4("10.0.0.1", 40001, "10.0.0.3", 40002).payload(33).build(), // not a port with a dissector
                PacketBuilder.icmp6Echo("fd00::1", "fd00::2", 7, 1).payload(13).build(),
                PacketBuilder.arpRequest("02:00:00:00:00:01", "10.0.0.1", "10.0.0.9").build(),
                PacketBuilder.vxlan("192.168.1.1", "192.168.1.2", 42,
                        PacketBuilder.tcp4("10.1.0.1", 1, "10.2.0.2", 2).payload(5).build()).build());
    }

    private static long timestamp(int i) {
        return T0 + i * 1_000_001_001L;
    }

    /** tshark's frame.time_epoch for a nanosecond timestamp: seconds, a dot, nine digits. */
    private static String epoch(long ns) {
        return ns / 1_000_000_000L + "." + String.format("%09d", ns % 1_000_000_000L);
    }

    private static Tool tshark(Path file, String... fields) {
        List<String> command = new ArrayList<>(List.of("tshark", "-n", "-r", Tool.path(file)));
        if (fields.length > 0) {
            command.addAll(List.of("-T", "fields", "-E", "separator=|"));
            for (String field : fields) {
                command.add("-e");
                command.add(field);
            }
        }
        return Tool.run(command.toArray(String[]::new));
    }

    private static void assertOpensCleanly(Path file, int frames) {
        Tool listing = tshark(file);
        assertEquals(0, listing.exitCode(), listing.stderr());
        assertEquals("", listing.stderr(), "tshark printed a warning about " + file);
        assertEquals(frames, listing.lines().size(), listing.stdout());
    }

    @Test
    void shouldOpenWithoutWarningsWhenTsharkReadsOurNanosecondPcap() throws IOException {
        Path file = dir.resolve("ours.pcap");
        List<byte[]> frames = frames();
        try (PcapWriter writer = PcapWriter.create(file)) {
            for (int i = 0; i < frames.size(); i++) {
                writer.write(frames.get(i), timestamp(i));
            }
        }
        assertOpensCleanly(file, frames.size());
        Tool fields = tshark(file, "frame.time_epoch", "frame.len", "frame.cap_len", "_ws.malformed");
        assertEquals(0, fields.exitCode(), fields.stderr());
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < frames.size(); i++) {
            expected.add(epoch(timestamp(i)) + "|" + frames.get(i).length + "|" + frames.get(i).length + "|");
        }
        assertEquals(expected, fields.lines());
    }

    @Test
    void shouldOpenWithoutWarningsWhenTsharkReadsOurMicrosecondPcap() throws IOException {
        Path file = dir.resolve("ours-micro.pcap");
        try (PcapWriter writer = PcapWriter.create(file, PcapWriter.Resolution.MICROSECONDS)) {
            writer.write(frames().getFirst(), T0);
        }
        assertOpensCleanly(file, 1);
        assertEquals(List.of("1700000000.123456000"), tshark(file, "frame.time_epoch").lines());
    }

    @Test
    void shouldShowPortNamesAsInterfaceNamesWhenTsharkReadsOurPcapng() throws IOException {
        Path file = dir.resolve("ours.pcapng");
        List<byte[]> frames = frames();
        try (PcapngWriter writer = PcapngWriter.create(file, List.of("default/web-0", "underlay"))) {
            writer.write(0, frames.get(0), timestamp(0));
            writer.write(1, frames.get(4), timestamp(1));
            int host = writer.addInterface("host"); // added after frames: its block sits between them
            writer.write(host, frames.get(3), timestamp(2));
            writer.write(0, frames.get(1), timestamp(3));
        }
        assertOpensCleanly(file, 4);
        Tool fields = tshark(file, "frame.interface_id", "frame.interface_name", "frame.time_epoch", "frame.len");
        assertEquals(0, fields.exitCode(), fields.stderr());
        assertEquals(List.of(
                "0|default/web-0|" + epoch(timestamp(0)) + "|" + frames.get(0).length,
                "1|underlay|" + epoch(timestamp(1)) + "|" + frames.get(4).length,
                "2|host|" + epoch(timestamp(2)) + "|" + frames.get(3).length,
                "0|default/web-0|" + epoch(timestamp(3)) + "|" + frames.get(1).length), fields.lines());
    }

    /** Writes our pcap, converts it with editcap, and reads the conversion with our reader. */
    private List<CaptureReaderTest.Frame> viaEditcap(String format, String... options) throws IOException {
        Path ours = dir.resolve("source.pcap");
        List<byte[]> frames = frames();
        try (PcapWriter writer = PcapWriter.create(ours)) {
            for (int i = 0; i < frames.size(); i++) {
                writer.write(frames.get(i), timestamp(i));
            }
        }
        Path theirs = dir.resolve("editcap-" + format);
        List<String> command = new ArrayList<>(List.of("editcap", "-F", format));
        command.addAll(List.of(options));
        command.addAll(List.of(Tool.path(ours), Tool.path(theirs)));
        Tool editcap = Tool.run(command.toArray(String[]::new));
        assertEquals(0, editcap.exitCode(), editcap.stderr());
        return readAll(theirs);
    }

    @Test
    void shouldReadTheSameFramesWhenEditcapConvertedOurPcapToPcapng() throws IOException {
        List<CaptureReaderTest.Frame> read = viaEditcap("pcapng");
        List<byte[]> frames = frames();
        assertEquals(frames.size(), read.size());
        for (int i = 0; i < frames.size(); i++) {
            assertArrayEquals(frames.get(i), read.get(i).bytes());
            assertEquals(timestamp(i), read.get(i).timestampNs(), "editcap keeps nanoseconds in if_tsresol 9");
            assertEquals(0, read.get(i).interfaceIndex());
        }
    }

    @Test
    void shouldReadMicrosecondsWhenEditcapWroteAClassicPcap() throws IOException {
        List<CaptureReaderTest.Frame> read = viaEditcap("pcap");
        for (int i = 0; i < read.size(); i++) {
            assertEquals(timestamp(i) / 1000 * 1000, read.get(i).timestampNs());
            assertArrayEquals(frames().get(i), read.get(i).bytes());
        }
        assertEquals(frames().size(), read.size());
    }

    @Test
    void shouldReadNanosecondsWhenEditcapWroteANanosecondPcap() throws IOException {
        List<CaptureReaderTest.Frame> read = viaEditcap("nsecpcap");
        assertEquals(frames().size(), read.size());
        for (int i = 0; i < read.size(); i++) {
            assertEquals(timestamp(i), read.get(i).timestampNs());
        }
    }

    @Test
    void shouldCountCutFramesWhenEditcapAppliedASnapLength() throws IOException {
        Path ours = dir.resolve("source.pcap");
        List<byte[]> frames = frames();
        try (PcapWriter writer = PcapWriter.create(ours)) {
            for (int i = 0; i < frames.size(); i++) {
                writer.write(frames.get(i), timestamp(i));
            }
        }
        Path cut = dir.resolve("cut.pcapng");
        Tool editcap = Tool.run("editcap", "-F", "pcapng", "-s", "60", Tool.path(ours), Tool.path(cut));
        assertEquals(0, editcap.exitCode(), editcap.stderr());
        long longer = frames.stream().filter(f -> f.length > 60).count();
        try (CaptureReader reader = CaptureReader.open(cut)) {
            List<CaptureReaderTest.Frame> read = readAll(reader);
            assertEquals(longer, reader.snaplenCutFrames());
            assertEquals(frames.size() - longer, read.size());
            for (CaptureReaderTest.Frame frame : read) {
                assertArrayEquals(frames.get((int) frame.index()), frame.bytes());
            }
        }
    }

    @Test
    void shouldGiveEachInterfaceItsNameWhenMergecapMergedTwoOfOurCaptures() throws IOException {
        Path a = dir.resolve("a.pcapng");
        Path b = dir.resolve("b.pcapng");
        List<byte[]> frames = frames();
        try (PcapngWriter writer = PcapngWriter.create(a, List.of("pod-a"))) {
            writer.write(0, frames.get(0), T0);
            writer.write(0, frames.get(1), T0 + 20);
        }
        try (PcapngWriter writer = PcapngWriter.create(b, List.of("pod-b"))) {
            writer.write(0, frames.get(2), T0 + 10);
        }
        Path merged = dir.resolve("merged.pcapng");
        Tool mergecap = Tool.run("mergecap", "-w", Tool.path(merged), Tool.path(a), Tool.path(b));
        assertEquals(0, mergecap.exitCode(), mergecap.stderr());
        List<CaptureReaderTest.Frame> read = readAll(merged);
        assertEquals(List.of("pod-a", "pod-b", "pod-a"), read.stream().map(CaptureReaderTest.Frame::interfaceName).toList());
        assertEquals(List.of(T0, T0 + 10, T0 + 20), read.stream().map(CaptureReaderTest.Frame::timestampNs).toList());
        assertArrayEquals(frames.get(2), read.get(1).bytes());
    }
}
