package dev.gingham.dataplane.replay;

import dev.gingham.packet.BufferPool;
import dev.gingham.packet.FrameVector;
import dev.gingham.packet.PacketBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Reading classic pcap and pcapng: every format variant the reader accepts, frame bytes and timestamps exact. */
class CaptureReaderTest {
    static final byte[] SYN = PacketBuilder.tcp4("10.0.0.1", 40000, "10.0.0.2", 80).flags(PacketBuilder.SYN).build();
    static final byte[] DNS = PacketBuilder.udp4("10.0.0.1", 5353, "10.0.0.3", 53).payload(33).build();
    static final byte[] PING6 = PacketBuilder.icmp6Echo("fd00::1", "fd00::2", 7, 1).payload(13).build();

    @TempDir
    Path dir;

    /** One frame as the reader delivered it. */
    record Frame(byte[] bytes, long timestampNs, int originalLength, int interfaceIndex, String interfaceName, long index) {
        @Override
        public boolean equals(Object o) {
            return o instanceof Frame f && Arrays.equals(bytes, f.bytes) && timestampNs == f.timestampNs
                    && originalLength == f.originalLength && interfaceIndex == f.interfaceIndex
                    && java.util.Objects.equals(interfaceName, f.interfaceName) && index == f.index;
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(bytes);
        }
    }

    static List<Frame> readAll(CaptureReader reader) throws IOException {
        List<Frame> frames = new ArrayList<>();
        while (reader.next()) {
            byte[] bytes = new byte[reader.capturedLength()];
            reader.copyTo(MemorySegment.ofArray(bytes), 0);
            frames.add(new Frame(bytes, reader.timestampNs(), reader.originalLength(), reader.interfaceIndex(),
                    reader.interfaceName(), reader.frameIndex()));
        }
        return frames;
    }

    static List<Frame> readAll(Path file) throws IOException {
        try (CaptureReader reader = CaptureReader.open(file)) {
            return readAll(reader);
        }
    }

    @Test
    void shouldReadFramesAndNanosecondsWhenPcapWriterWroteThem() throws IOException {
        Path file = dir.resolve("rt.pcap");
        try (PcapWriter writer = PcapWriter.create(file)) {
            writer.write(SYN, 1_700_000_000_123_456_789L);
            writer.write(DNS, 1_700_000_001_000_000_001L);
        }
        try (CaptureReader reader = CaptureReader.open(file)) {
            assertInstanceOf(PcapReader.class, reader);
            assertEquals("pcap, nanosecond timestamps, little-endian", reader.formatDescription());
            List<Frame> frames = readAll(reader);
            assertEquals(List.of(new Frame(SYN, 1_700_000_000_123_456_789L, SYN.length, 0, null, 0),
                    new Frame(DNS, 1_700_000_001_000_000_001L, DNS.length, 0, null, 1)), frames);
            assertEquals(2, reader.framesDelivered());
            assertEquals(1, reader.interfaceCount());
        }
    }

    @Test
    void shouldReadMicrosecondPcapWhenWrittenInEitherByteOrder() throws IOException {
        for (ByteOrder order : List.of(ByteOrder.LITTLE_ENDIAN, ByteOrder.BIG_ENDIAN)) {
            Path file = CaptureBytes.pcap(order, false, 1).record(1_600_000_000L, 999_999, SYN, SYN.length)
                    .record(1_600_000_001L, 5, DNS, DNS.length).write(dir.resolve("micro-" + order + ".pcap"));
            try (CaptureReader reader = CaptureReader.open(file)) {
                String endian = order == ByteOrder.BIG_ENDIAN ? "big-endian" : "little-endian";
                assertEquals("pcap, microsecond timestamps, " + endian, reader.formatDescription());
                assertEquals(List.of(new Frame(SYN, 1_600_000_000_999_999_000L, SYN.length, 0, null, 0),
                        new Frame(DNS, 1_600_000_001_000_005_000L, DNS.length, 0, null, 1)), readAll(reader));
            }
        }
    }

    @Test
    void shouldReadNanosecondPcapWhenBigEndian() throws IOException {
        Path file = CaptureBytes.pcap(ByteOrder.BIG_ENDIAN, true, 1).record(3_000_000_000L, 123_456_789, PING6, PING6.length)
                .write(dir.resolve("nano-be.pcap"));
        assertEquals(List.of(new Frame(PING6, 3_000_000_000_123_456_789L, PING6.length, 0, null, 0)), readAll(file));
    }

    @Test
    void shouldStripTheFcsWhenTheLinkTypeWordDeclaresOne() throws IOException {
        byte[] withFcs = Arrays.copyOf(SYN, SYN.length + 4);
        withFcs[SYN.length] = (byte) 0xDE;
        int linkWord = 1 | 0x0400_0000 | 2 << 28; // Ethernet, FCS present, 2 x 16 bits
        Path file = CaptureBytes.pcap(ByteOrder.LITTLE_ENDIAN, true, linkWord).record(1, 2, withFcs, withFcs.length)
                .write(dir.resolve("fcs.pcap"));
        assertEquals(List.of(new Frame(SYN, 1_000_000_002L, SYN.length, 0, null, 0)), readAll(file));
    }

    @Test
    void shouldSkipAndCountFramesWhenTheSnapLengthCutThem() throws IOException {
        byte[] cut = Arrays.copyOf(DNS, 40);
        Path file = CaptureBytes.pcap(ByteOrder.LITTLE_ENDIAN, true, 1).record(1, 0, SYN, SYN.length)
                .record(2, 0, cut, DNS.length).record(3, 0, DNS, DNS.length).write(dir.resolve("cut.pcap"));
        try (CaptureReader reader = CaptureReader.open(file)) {
            List<Frame> frames = readAll(reader);
            assertEquals(List.of(new Frame(SYN, 1_000_000_000L, SYN.length, 0, null, 0),
                    new Frame(DNS, 3_000_000_000L, DNS.length, 0, null, 2)), frames, "index 1 was cut and skipped");
            assertEquals(1, reader.snaplenCutFrames());
            assertEquals(2, reader.framesDelivered());
        }
    }

    @Test
    void shouldGiveInterfaceNamesAndTimestampsWhenPcapngWriterWroteThem() throws IOException {
        Path file = dir.resolve("rt.pcapng");
        try (PcapngWriter writer = PcapngWriter.create(file, List.of("pod-a", "underlay"))) {
            writer.write(1, SYN, 1_700_000_000_123_456_789L);
            writer.write(0, DNS, 1_700_000_000_223_456_789L);
            int host = writer.addInterface("host");
            writer.write(host, PING6, 1_700_000_000_323_456_789L);
        }
        try (CaptureReader reader = CaptureReader.open(file)) {
            assertInstanceOf(PcapngReader.class, reader);
            List<Frame> frames = readAll(reader);
            assertEquals(List.of(new Frame(SYN, 1_700_000_000_123_456_789L, SYN.length, 1, "underlay", 0),
                    new Frame(DNS, 1_700_000_000_223_456_789L, DNS.length, 0, "pod-a", 1),
                    new Frame(PING6, 1_700_000_000_323_456_789L, PING6.length, 2, "host", 2)), frames);
            assertEquals("pcapng, 1 section, 3 interfaces", reader.formatDescription());
        }
    }

    @Test
    void shouldCountMicrosecondsWhenTheInterfaceHasNoTsresol() throws IOException {
        CaptureBytes file = CaptureBytes.pcapng(ByteOrder.LITTLE_ENDIAN);
        file.idb(1, 0).epb(0, 1_600_000_000_000_001L, SYN, SYN.length);
        assertEquals(List.of(new Frame(SYN, 1_600_000_000_000_001_000L, SYN.length, 0, null, 0)),
                readAll(file.write(dir.resolve("default.pcapng"))));
    }

    @Test
    void shouldScaleTimestampsWhenTheResolutionIsAPowerOfTwoOrHasAnOffset() throws IOException {
        CaptureBytes file = CaptureBytes.pcapng(ByteOrder.LITTLE_ENDIAN);
        file.idb(1, 0, file.ifName("two-10"), file.ifTsresol(0x80 | 10))
                .idb(1, 0, file.ifName("two-32"), file.ifTsresol(0x80 | 32))
                .idb(1, 0, file.ifName("milli+offset"), file.ifTsresol(3), file.ifTsoffset(1_000_000_000L))
                .idb(1, 0, file.ifName("pico"), file.ifTsresol(12))
                // 5 s and 512/1024 s
                .epb(0, 5L * 1024 + 512, SYN, SYN.length)
                // 7 s and 1/4 s in 2^-32 units
                .epb(1, (7L << 32) | (1L << 30), SYN, SYN.length)
                // 1.5 s after an offset of 10^9 s
                .epb(2, 1500, SYN, SYN.length)
                // 2 s and 3 ns and 999 ps, in picoseconds: sub-nanoseconds are dropped
                .epb(3, 2_000_000_003_999L, SYN, SYN.length);
        List<Frame> frames = readAll(file.write(dir.resolve("resolutions.pcapng")));
        assertEquals(List.of(5_500_000_000L, 7_250_000_000L, 1_000_000_001_500_000_000L, 2_000_000_003L),
                frames.stream().map(Frame::timestampNs).toList());
        assertEquals(List.of("two-10", "two-32", "milli+offset", "pico"),
                frames.stream().map(Frame::interfaceName).toList());
    }

    @Test
    void shouldNumberInterfacesAcrossSectionsWhenSectionsDifferInByteOrder() throws IOException {
        CaptureBytes file = CaptureBytes.pcapng(ByteOrder.BIG_ENDIAN);
        file.idb(1, 0, file.ifName("be0"), file.ifTsresol(9)).idb(1, 0, file.ifName("be1"), file.ifTsresol(9))
                .epb(1, 10, SYN, SYN.length);
        file.section(ByteOrder.LITTLE_ENDIAN);
        file.idb(1, 0, file.ifName("le0"), file.ifTsresol(9)).epb(0, 20, DNS, DNS.length);
        try (CaptureReader reader = CaptureReader.open(file.write(dir.resolve("sections.pcapng")))) {
            assertEquals(List.of(new Frame(SYN, 10, SYN.length, 1, "be1", 0), new Frame(DNS, 20, DNS.length, 2, "le0", 1)),
                    readAll(reader));
            assertEquals("pcapng, 2 sections, 3 interfaces", reader.formatDescription());
        }
    }

    @Test
    void shouldReadSimplePacketBlocksWithThePreviousTimestampWhenTheyHaveNone() throws IOException {
        CaptureBytes file = CaptureBytes.pcapng(ByteOrder.LITTLE_ENDIAN);
        byte[] cutBySnap = Arrays.copyOf(DNS, 60);
        file.idb(1, 60, file.ifName("eth0"), file.ifTsresol(9)).epb(0, 77, SYN, SYN.length).spb(SYN, SYN.length)
                .spb(DNS, DNS.length) // longer than the snap length 60: the reader sees only 60 of it
                .spb(cutBySnap, DNS.length);
        try (CaptureReader reader = CaptureReader.open(file.write(dir.resolve("spb.pcapng")))) {
            List<Frame> frames = readAll(reader);
            assertEquals(List.of(new Frame(SYN, 77, SYN.length, 0, "eth0", 0), new Frame(SYN, 77, SYN.length, 0, "eth0", 1)),
                    frames);
            assertEquals(2, reader.snaplenCutFrames(), "both DNS blocks are cut to the snap length of 60");
        }
    }

    @Test
    void shouldReadObsoletePacketBlocksAndSkipOtherBlocks() throws IOException {
        CaptureBytes file = CaptureBytes.pcapng(ByteOrder.BIG_ENDIAN);
        file.block(4, file.body().u16(1).u16(4).raw(new byte[] {10, 0, 0, 1}).u32(0)) // NRB
                .idb(1, 0, file.ifName("old"), file.ifTsresol(9))
                .opb(0, 1234, SYN, SYN.length)
                .block(5, file.body().u32(0).u32(0).u32(0)) // ISB
                .block(0x0000_0BAD, file.body().u32(32473).u32(0)) // custom block
                .block(0x7777, file.body()) // unknown type, empty body
                .epb(0, 5678, DNS, DNS.length);
        assertEquals(List.of(new Frame(SYN, 1234, SYN.length, 0, "old", 0), new Frame(DNS, 5678, DNS.length, 0, "old", 1)),
                readAll(file.write(dir.resolve("opb.pcapng"))));
    }

    @Test
    void shouldStripTheFcsWhenTheInterfaceDeclaresIfFcslen() throws IOException {
        CaptureBytes file = CaptureBytes.pcapng(ByteOrder.LITTLE_ENDIAN);
        byte[] withFcs = Arrays.copyOf(DNS, DNS.length + 4);
        file.idb(1, 0, file.ifFcslen(4), file.ifTsresol(9)).epb(0, 1, withFcs, withFcs.length);
        assertEquals(List.of(new Frame(DNS, 1, DNS.length, 0, null, 0)), readAll(file.write(dir.resolve("fcs.pcapng"))));
    }

    @Test
    void shouldAcceptNonEthernetInterfacesWhenTheyCarryNoFrames() throws IOException {
        CaptureBytes file = CaptureBytes.pcapng(ByteOrder.LITTLE_ENDIAN);
        file.idb(113, 0, file.ifName("any")).idb(1, 0, file.ifName("eth0")).epb(1, 1, SYN, SYN.length);
        assertEquals(List.of(new Frame(SYN, 1000, SYN.length, 1, "eth0", 0)), readAll(file.write(dir.resolve("mixed.pcapng"))));
    }

    @Test
    void shouldKeepTheFrameCurrentWhenTheVectorOrPoolHasNoRoom() throws IOException {
        Path file = dir.resolve("room.pcap");
        byte[] big = PacketBuilder.udp4("10.0.0.1", 1, "10.0.0.2", 2).payload(1600).build();
        try (PcapWriter writer = PcapWriter.create(file)) {
            writer.write(SYN, 1);
            writer.write(big, 2);
        }
        try (BufferPool pool = BufferPool.allocate(1, BufferPool.DEFAULT_BUFFER_SIZE - 256);
             CaptureReader reader = CaptureReader.open(file)) {
            FrameVector vector = new FrameVector(pool);
            assertTrue(reader.next());
            assertEquals(0, reader.addTo(vector, 7));
            assertEquals(CaptureReader.ADD_POOL_EMPTY, reader.addTo(vector, 7), "one buffer only");
            byte[] copied = new byte[vector.length(0)];
            MemorySegment.copy(vector.segment(), ValueLayout.JAVA_BYTE, vector.start(0), copied, 0, copied.length);
            assertArrayEquals(SYN, copied);
            assertEquals(7, vector.ingressPort(0));
            vector.releaseAll();
            assertTrue(reader.next());
            assertEquals(CaptureReader.ADD_TOO_LONG, reader.addTo(vector, 7), big.length + " > " + pool.maxFrameBytes());
            assertEquals(0, vector.count());
            assertEquals(1, pool.available());
            assertFalse(reader.next());
        }
        try (BufferPool pool = BufferPool.allocate(FrameVector.MAX_FRAMES + 1, BufferPool.DEFAULT_BUFFER_SIZE);
             CaptureReader reader = CaptureReader.open(file)) {
            FrameVector vector = new FrameVector(pool);
            assertTrue(reader.next());
            for (int i = 0; i < FrameVector.MAX_FRAMES; i++) {
                assertEquals(i, reader.addTo(vector, 1));
            }
            assertEquals(CaptureReader.ADD_VECTOR_FULL, reader.addTo(vector, 1));
            assertEquals(1, pool.available(), "a refused frame takes no buffer");
            vector.releaseAll();
        }
    }

    @Test
    void shouldDropTrailingNulsWhenAnInterfaceNameHasThem() throws IOException {
        CaptureBytes file = CaptureBytes.pcapng(ByteOrder.LITTLE_ENDIAN);
        file.idb(1, 0, file.option(2, "eth1\0\0".getBytes(java.nio.charset.StandardCharsets.UTF_8)))
                .epb(0, 0, SYN, SYN.length);
        assertEquals("eth1", readAll(file.write(dir.resolve("nul.pcapng"))).getFirst().interfaceName());
    }
}
