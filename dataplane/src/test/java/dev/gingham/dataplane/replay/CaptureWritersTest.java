package dev.gingham.dataplane.replay;

import dev.gingham.packet.BufferPool;
import dev.gingham.packet.FrameVector;
import dev.gingham.packet.PacketBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The writers' bytes, exactly: golden files for tiny captures, determinism, and the limits they refuse. */
class CaptureWritersTest {
    private static final HexFormat HEX = HexFormat.of();
    /** A 5-byte "frame": enough to see the record layout and the pcapng padding. */
    private static final byte[] TINY = {1, 2, 3, 4, 5};

    @TempDir
    Path dir;

    private static String hex(Path file) throws IOException {
        return HEX.formatHex(Files.readAllBytes(file));
    }

    @Test
    void shouldWriteTheGoldenBytesWhenANanosecondPcapHoldsOneFrame() throws IOException {
        Path file = dir.resolve("tiny.pcap");
        try (PcapWriter writer = PcapWriter.create(file)) {
            writer.write(TINY, 1_000_000_002L);
        }
        assertEquals(""
                // magic a1b23c4d (LE), version 2.4, thiszone 0, sigfigs 0, snaplen 262144, linktype 1
                + "4d3cb2a1" + "0200" + "0400" + "00000000" + "00000000" + "00000400" + "01000000"
                // ts_sec 1, ts_nsec 2, captured 5, original 5, data
                + "01000000" + "02000000" + "05000000" + "05000000" + "0102030405", hex(file));
    }

    @Test
    void shouldDropSubMicrosecondsWhenTheResolutionIsMicroseconds() throws IOException {
        Path file = dir.resolve("micro.pcap");
        try (PcapWriter writer = PcapWriter.create(file, PcapWriter.Resolution.MICROSECONDS)) {
            writer.write(TINY, 7_000_123_999L);
        }
        assertEquals("d4c3b2a1" + "0200" + "0400" + "00000000" + "00000000" + "00000400" + "01000000"
                + "07000000" + "7b000000" + "05000000" + "05000000" + "0102030405", hex(file));
    }

    /** The writer keeps the last record's second to spare a division per frame: every record must still carry its own. */
    @Test
    void shouldWriteEachRecordsSecondAndFractionWhenTimestampsJumpBackAndForth() throws IOException {
        long[] times = {1_500_000_000L, 1_999_999_999L, 2_000_000_000L, 300_000_000L, 0, -1, -500_000_000L, -1_000_000_000L,
                1_700_000_000_123_456_789L, 1_700_000_000_999_999_999L, 1_700_000_001_000_000_000L, Long.MAX_VALUE,
                Long.MIN_VALUE, 1_000_000_001L};
        for (PcapWriter.Resolution resolution : PcapWriter.Resolution.values()) {
            Path file = dir.resolve(resolution + ".pcap");
            try (PcapWriter writer = PcapWriter.create(file, resolution)) {
                for (long t : times) {
                    writer.write(TINY, t);
                }
            }
            ByteBuffer bytes = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
            int unitNs = resolution == PcapWriter.Resolution.MICROSECONDS ? 1000 : 1;
            for (int k = 0; k < times.length; k++) {
                int record = 24 + k * (16 + TINY.length);
                assertEquals((int) Math.floorDiv(times[k], 1_000_000_000L), bytes.getInt(record), resolution + " seconds of " + times[k]);
                assertEquals((int) (Math.floorMod(times[k], 1_000_000_000L) / unitNs), bytes.getInt(record + 4),
                        resolution + " fraction of " + times[k]);
                assertEquals(TINY.length, bytes.getInt(record + 8));
                assertEquals(TINY.length, bytes.getInt(record + 12));
            }
        }
    }

    @Test
    void shouldWriteTheGoldenBytesWhenAPcapngHoldsOneInterfaceAndFrame() throws IOException {
        Path file = dir.resolve("tiny.pcapng");
        try (PcapngWriter writer = PcapngWriter.create(file, List.of("eth0"))) {
            writer.write(0, TINY, 0x1_0000_0002L);
        }
        assertEquals(""
                // SHB: type, length 44, byte-order magic, version 1.0, section length -1,
                // shb_userappl (4) "Gingham" padded to 8, opt_endofopt, length
                + "0a0d0d0a" + "2c000000" + "4d3c2b1a" + "0100" + "0000" + "ffffffffffffffff"
                + "0400" + "0700" + HEX.formatHex("Gingham".getBytes()) + "00" + "00000000" + "2c000000"
                // IDB: type 1, length 40, link type 1, reserved, snaplen 262144,
                // if_name (2) "eth0", if_tsresol (9) 9 padded, opt_endofopt, length
                + "01000000" + "28000000" + "0100" + "0000" + "00000400"
                + "0200" + "0400" + HEX.formatHex("eth0".getBytes()) + "0900" + "0100" + "09000000" + "00000000" + "28000000"
                // EPB: type 6, length 40, interface 0, timestamp high 1 and low 2, captured 5, original 5,
                // data padded to 8, length
                + "06000000" + "28000000" + "00000000" + "01000000" + "02000000" + "05000000" + "05000000"
                + "0102030405000000" + "28000000", hex(file));
    }

    @Test
    void shouldWriteIdenticalBytesWhenGivenTheSameFramesTwice() throws IOException {
        byte[][] frames = {PacketBuilder.tcp4("10.0.0.1", 1, "10.0.0.2", 80).payload(3).build(),
                PacketBuilder.udp6("fd00::1", 53, "fd00::2", 5353).payload(101).build()};
        for (String name : List.of("a", "b")) {
            try (PcapWriter pcap = PcapWriter.create(dir.resolve(name + ".pcap"));
                 PcapngWriter pcapng = PcapngWriter.create(dir.resolve(name + ".pcapng"), List.of("pod-x", "underlay"))) {
                for (int i = 0; i < 1000; i++) {
                    pcap.write(frames[i % 2], 1_700_000_000_000_000_000L + i * 1_000L);
                    pcapng.write(i % 2, frames[i % 2], 1_700_000_000_000_000_000L + i * 1_000L);
                }
            }
        }
        assertArrayEquals(Files.readAllBytes(dir.resolve("a.pcap")), Files.readAllBytes(dir.resolve("b.pcap")));
        assertArrayEquals(Files.readAllBytes(dir.resolve("a.pcapng")), Files.readAllBytes(dir.resolve("b.pcapng")));
    }

    @Test
    void shouldWriteTheFrameAsItIsNowWhenGivenAVectorFrame() throws IOException {
        byte[] syn = PacketBuilder.tcp4("10.0.0.1", 1, "10.0.0.2", 80).flags(PacketBuilder.SYN).build();
        Path file = dir.resolve("vector.pcap");
        try (BufferPool pool = BufferPool.allocate(2, BufferPool.DEFAULT_BUFFER_SIZE);
             PcapWriter writer = PcapWriter.create(file)) {
            FrameVector vector = new FrameVector(pool);
            int i = PacketBuilder.load(vector, 1, syn);
            vector.prepend(i, 4); // the frame now starts 4 bytes earlier: those bytes are written too
            vector.segment().asSlice(vector.start(i), 4).fill((byte) 0x77);
            writer.write(vector, i, 5);
            vector.releaseAll();
        }
        try (CaptureReader reader = CaptureReader.open(file)) {
            List<CaptureReaderTest.Frame> frames = CaptureReaderTest.readAll(reader);
            byte[] expected = new byte[syn.length + 4];
            java.util.Arrays.fill(expected, 0, 4, (byte) 0x77);
            System.arraycopy(syn, 0, expected, 4, syn.length);
            assertArrayEquals(expected, frames.getFirst().bytes());
        }
    }

    @Test
    void shouldRefuseFramesLongerThanTheSnapLengthAndUnknownInterfaces() throws IOException {
        try (PcapWriter pcap = PcapWriter.create(dir.resolve("x.pcap"));
             PcapngWriter pcapng = PcapngWriter.create(dir.resolve("x.pcapng"), List.of("a"))) {
            byte[] huge = new byte[PcapWriter.SNAP_LENGTH + 1];
            assertEquals("frame of 262145 bytes: captures hold frames of 0..262144 bytes",
                    assertThrows(IllegalArgumentException.class, () -> pcap.write(huge, 0)).getMessage());
            assertEquals("interface 1 was not added (1 interfaces: [a])",
                    assertThrows(IllegalArgumentException.class, () -> pcapng.write(1, TINY, 0)).getMessage());
        }
    }

    @Test
    void shouldKeepEveryFrameWhenTheyOverflowTheBuffer() throws IOException {
        byte[] frame = PacketBuilder.udp4("10.0.0.1", 1, "10.0.0.2", 2).payload(1400).build();
        int count = 3 * CaptureOutput.BUFFER_BYTES / frame.length;
        Path file = dir.resolve("many.pcapng");
        try (PcapngWriter writer = PcapngWriter.create(file, List.of("p"))) {
            for (int i = 0; i < count; i++) {
                frame[60] = (byte) i;
                writer.write(0, frame, i);
            }
            assertEquals(count, writer.frames());
        }
        try (CaptureReader reader = CaptureReader.open(file)) {
            int i = 0;
            while (reader.next()) {
                assertEquals(i, reader.timestampNs());
                assertEquals((byte) i, reader.fileData().get(java.lang.foreign.ValueLayout.JAVA_BYTE, reader.frameOffset() + 60));
                i++;
            }
            assertEquals(count, i);
        }
    }
}
