package dev.gingham.dataplane.replay;

import dev.gingham.packet.PacketBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static dev.gingham.dataplane.replay.CaptureReaderTest.DNS;
import static dev.gingham.dataplane.replay.CaptureReaderTest.SYN;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every way a capture can be broken, with the message a user gets: file, what, offset, frame index. */
class CaptureErrorsTest {
    @TempDir
    Path dir;

    private Path file(String name, byte[] bytes) throws IOException {
        return Files.write(dir.resolve(name), bytes);
    }

    /** Opens and reads the whole file; returns the failure, asserting the frames delivered before it. */
    private CaptureFormatException failure(Path file, int framesBefore) {
        int[] delivered = {0};
        CaptureFormatException e = assertThrows(CaptureFormatException.class, () -> {
            try (CaptureReader reader = CaptureReader.open(file)) {
                while (reader.next()) {
                    delivered[0]++;
                }
            }
        });
        assertEquals(framesBefore, delivered[0], "frames delivered before the failure");
        return e;
    }

    private static void assertMessage(String expected, CaptureFormatException e, Path file) {
        assertEquals(file + ": " + expected, e.getMessage());
    }

    @Test
    void shouldSayEmptyWhenTheFileHasNoBytes() throws IOException {
        Path f = file("empty.pcap", new byte[0]);
        assertMessage("empty file (0 bytes): not a capture", failure(f, 0), f);
    }

    @Test
    void shouldSayTruncatedWhenTheFileIsShorterThanAMagic() throws IOException {
        Path f = file("tiny.pcap", new byte[] {(byte) 0xD4, (byte) 0xC3});
        assertMessage("truncated: the file has 2 bytes, fewer than the 4 of any capture magic", failure(f, 0), f);
    }

    @Test
    void shouldNameTheMagicAndWhatWasExpectedWhenTheFileIsNotACapture() throws IOException {
        Path f = file("notes.txt", "hello world".getBytes());
        CaptureFormatException e = failure(f, 0);
        assertMessage("magic 68656c6c at byte offset 0: not a capture file; expected a pcap magic (a1b2c3d4 microsecond,"
                + " a1b23c4d nanosecond, in either byte order) or a pcapng section header (0a0d0d0a)", e, f);
        assertEquals(0, e.byteOffset());
        assertEquals(CaptureFormatException.NO_FRAME, e.frameIndex());
    }

    @Test
    void shouldSayCompressedWhenTheFileIsGzip() throws IOException {
        Path f = file("c.pcap.gz", new byte[] {0x1F, (byte) 0x8B, 8, 0, 0, 0});
        assertTrue(failure(f, 0).getMessage().contains("magic 1f8b0800 at byte offset 0: a gzip-compressed file (gunzip it first)"));
    }

    @Test
    void shouldSayModifiedPcapWhenTheMagicIsKuznetzovs() throws IOException {
        Path f = file("m.pcap", new byte[] {(byte) 0xA1, (byte) 0xB2, (byte) 0xCD, 0x34, 0, 0});
        assertTrue(failure(f, 0).getMessage().contains("a modified (Kuznetzov) pcap, which Gingham does not read"));
    }

    @Test
    void shouldSayWhichFormatItIsWhenOpenedAsTheOther() throws IOException {
        Path ng = dir.resolve("really.pcapng");
        try (PcapngWriter writer = PcapngWriter.create(ng, java.util.List.of("eth0"))) {
            writer.write(0, SYN, 1);
        }
        CaptureFormatException e = assertThrows(CaptureFormatException.class, () -> PcapReader.open(ng));
        assertMessage("this is a pcapng file (section header block 0a0d0d0a at byte offset 0), not classic pcap"
                + " (a1b2c3d4 or a1b23c4d); open it with CaptureReader.open, which reads both", e, ng);

        Path classic = dir.resolve("really.pcap");
        try (PcapWriter writer = PcapWriter.create(classic, PcapWriter.Resolution.MICROSECONDS)) {
            writer.write(SYN, 1);
        }
        e = assertThrows(CaptureFormatException.class, () -> PcapngReader.open(classic));
        assertMessage("this is a classic pcap file (pcap, microsecond timestamps, little-endian), not pcapng (section"
                + " header block 0a0d0d0a); open it with CaptureReader.open, which reads both", e, classic);
    }

    @Test
    void shouldSayTruncatedWhenThePcapFileHeaderIsCut() throws IOException {
        byte[] header = CaptureBytes.pcap(ByteOrder.LITTLE_ENDIAN, true, 1).bytes();
        Path f = file("header.pcap", Arrays.copyOf(header, 20));
        assertMessage("truncated: the pcap file header needs 24 bytes, the file has 20 at byte offset 0", failure(f, 0), f);
    }

    @Test
    void shouldRefuseOtherVersionsWhenThePcapMajorIsNot2() throws IOException {
        byte[] header = CaptureBytes.pcap(ByteOrder.BIG_ENDIAN, false, 1).bytes();
        header[5] = 3; // big-endian major 3
        Path f = file("v3.pcap", header);
        assertMessage("pcap version 3.4 is not supported (2.4 expected) at byte offset 4", failure(f, 0), f);
    }

    @Test
    void shouldNameTheLinkTypeWhenThePcapIsNotEthernet() throws IOException {
        Path f = CaptureBytes.pcap(ByteOrder.LITTLE_ENDIAN, false, 113).record(1, 0, SYN, SYN.length)
                .write(dir.resolve("sll.pcap"));
        assertMessage("link type 113 LINUX_SLL (Linux cooked capture, e.g. tcpdump -i any) of the file is not supported."
                + " Gingham replays Ethernet frames only (link type 1); capture on a named interface (tcpdump -i eth0)"
                + " instead of -i any; at byte offset 20", failure(f, 0), f);
        Path raw = CaptureBytes.pcap(ByteOrder.BIG_ENDIAN, false, 101).write(dir.resolve("raw.pcap"));
        assertTrue(failure(raw, 0).getMessage().contains("link type 101 RAW (IP packets without a link-layer header)"));
        Path unknown = CaptureBytes.pcap(ByteOrder.BIG_ENDIAN, false, 4242).write(dir.resolve("unknown.pcap"));
        assertTrue(failure(unknown, 0).getMessage().contains("link type 4242 unknown of the file is not supported"));
    }

    @Test
    void shouldGiveOffsetAndFrameIndexWhenAPcapRecordHeaderIsCut() throws IOException {
        byte[] whole = CaptureBytes.pcap(ByteOrder.LITTLE_ENDIAN, true, 1).record(1, 0, SYN, SYN.length)
                .record(2, 0, DNS, DNS.length).bytes();
        int secondRecord = 24 + 16 + SYN.length;
        Path f = file("cut-header.pcap", Arrays.copyOf(whole, secondRecord + 5));
        CaptureFormatException e = failure(f, 1);
        assertMessage("truncated: the record header needs 16 bytes, 5 remain at byte offset " + secondRecord
                + " (frame index 1, Wireshark frame 2)", e, f);
        assertEquals(secondRecord, e.byteOffset());
        assertEquals(1, e.frameIndex());
    }

    @Test
    void shouldGiveOffsetAndFrameIndexWhenAPcapFrameIsCut() throws IOException {
        byte[] whole = CaptureBytes.pcap(ByteOrder.LITTLE_ENDIAN, true, 1).record(1, 0, SYN, SYN.length)
                .record(2, 0, DNS, DNS.length).bytes();
        Path f = file("cut-frame.pcap", Arrays.copyOf(whole, whole.length - 10));
        int secondRecord = 24 + 16 + SYN.length;
        assertMessage("truncated: the record says " + DNS.length + " captured bytes, " + (DNS.length - 10)
                + " remain at byte offset " + secondRecord + " (frame index 1, Wireshark frame 2)", failure(f, 1), f);
    }

    @Test
    void shouldSayAbsurdWhenAPcapCapturedLengthIsImpossible() throws IOException {
        CaptureBytes bytes = CaptureBytes.pcap(ByteOrder.BIG_ENDIAN, false, 1).record(1, 0, SYN, SYN.length);
        bytes.u32(1).u32(0).u32(0x7FFF_FFFF).u32(60);
        Path f = bytes.write(dir.resolve("absurd.pcap"));
        int lengthAt = 24 + 16 + SYN.length + 8;
        assertMessage("absurd captured length 2147483647 (more than 262144): the file is corrupt at byte offset "
                + lengthAt + " (frame index 1, Wireshark frame 2)", failure(f, 1), f);
        CaptureBytes negative = CaptureBytes.pcap(ByteOrder.LITTLE_ENDIAN, false, 1);
        negative.u32(1).u32(0).u32(-1).u32(60);
        Path g = negative.write(dir.resolve("absurd2.pcap"));
        assertMessage("absurd captured length 4294967295 (more than 262144): the file is corrupt at byte offset 32"
                + " (frame index 0, Wireshark frame 1)", failure(g, 0), g);
    }

    @Test
    void shouldNameTheByteOrderMagicWhenAPcapngSectionHeaderHasAWrongOne() throws IOException {
        byte[] bytes = CaptureBytes.pcapng(ByteOrder.LITTLE_ENDIAN).bytes();
        bytes[8] = 0x11;
        Path f = file("bom.pcapng", bytes);
        assertMessage("pcapng section header with byte-order magic 113c2b1a (expected 1a2b3c4d or 4d3c2b1a): not a pcapng"
                + " file, or a corrupt one at byte offset 8", failure(f, 0), f);
    }

    @Test
    void shouldRefuseOtherVersionsWhenThePcapngMajorIsNot1() throws IOException {
        byte[] bytes = CaptureBytes.pcapng(ByteOrder.LITTLE_ENDIAN).bytes();
        bytes[12] = 2;
        Path f = file("v2.pcapng", bytes);
        assertMessage("pcapng version 2.0 is not supported (1.0 expected) at byte offset 12", failure(f, 0), f);
    }

    @Test
    void shouldSayCorruptWhenABlockLengthIsNotAMultipleOf4OrTooSmall() throws IOException {
        CaptureBytes bytes = CaptureBytes.pcapng(ByteOrder.LITTLE_ENDIAN);
        int at = bytes.size();
        bytes.u32(1).u32(22).u32(0).u32(0).u32(0).u32(0);
        Path f = bytes.write(dir.resolve("len.pcapng"));
        assertMessage("corrupt interface description block: total length 22 is not a multiple of 4 of at least 12 at byte"
                + " offset " + at, failure(f, 0), f);
        CaptureBytes small = CaptureBytes.pcapng(ByteOrder.LITTLE_ENDIAN);
        small.u32(6).u32(8).u32(8);
        Path g = small.write(dir.resolve("small.pcapng"));
        assertMessage("corrupt enhanced packet block: total length 8 is not a multiple of 4 of at least 12 at byte offset "
                + at + " (frame index 0, Wireshark frame 1)", failure(g, 0), g);
    }

    @Test
    void shouldSayCorruptWhenTheTrailingLengthDiffers() throws IOException {
        CaptureBytes bytes = CaptureBytes.pcapng(ByteOrder.BIG_ENDIAN);
        bytes.idb(1, 0);
        int at = bytes.size();
        bytes.epb(0, 1, SYN, SYN.length);
        byte[] raw = bytes.bytes();
        raw[raw.length - 1] ^= 4;
        Path f = file("trailer.pcapng", raw);
        int total = 32 + ((SYN.length + 3) & ~3);
        assertMessage("corrupt enhanced packet block: trailing length " + (total ^ 4) + " differs from the leading length "
                + total + " at byte offset " + at + " (frame index 0, Wireshark frame 1)", failure(f, 0), f);
    }

    @Test
    void shouldSayAbsurdWhenABlockClaimsMoreThan16MiB() throws IOException {
        CaptureBytes bytes = CaptureBytes.pcapng(ByteOrder.LITTLE_ENDIAN);
        int at = bytes.size();
        bytes.u32(0x7777).u32(64 * 1024 * 1024).u32(0);
        Path f = bytes.write(dir.resolve("huge.pcapng"));
        assertMessage("absurd type 0x7777 block length 67108864 (more than 16777216): the file is corrupt at byte offset "
                + at, failure(f, 0), f);
    }

    @Test
    void shouldGiveOffsetAndFrameIndexWhenAPcapngPacketBlockIsCut() throws IOException {
        CaptureBytes bytes = CaptureBytes.pcapng(ByteOrder.LITTLE_ENDIAN);
        bytes.idb(1, 0).epb(0, 1, SYN, SYN.length);
        int at = bytes.size();
        bytes.epb(0, 2, DNS, DNS.length);
        byte[] raw = bytes.bytes();
        Path f = file("cut.pcapng", Arrays.copyOf(raw, raw.length - 7));
        int total = 32 + ((DNS.length + 3) & ~3);
        assertMessage("truncated: the enhanced packet block needs " + total + " bytes, " + (total - 7) + " remain at byte"
                + " offset " + at + " (frame index 1, Wireshark frame 2)", failure(f, 1), f);
        Path g = file("cut-header.pcapng", Arrays.copyOf(raw, at + 6));
        assertMessage("truncated: a block header needs 12 bytes, 6 remain at byte offset " + at, failure(g, 1), g);
    }

    @Test
    void shouldSayWhichInterfaceWhenAPacketNamesOneNotDescribed() throws IOException {
        CaptureBytes bytes = CaptureBytes.pcapng(ByteOrder.LITTLE_ENDIAN);
        bytes.idb(1, 0);
        int at = bytes.size();
        bytes.epb(3, 1, SYN, SYN.length);
        Path f = bytes.write(dir.resolve("ifid.pcapng"));
        assertMessage("corrupt enhanced packet block: interface 3 was not described (section 1 has 1 interfaces) at byte"
                + " offset " + at + " (frame index 0, Wireshark frame 1)", failure(f, 0), f);
    }

    @Test
    void shouldNameTheInterfaceAndLinkTypeWhenAPcapngFrameIsNotEthernet() throws IOException {
        CaptureBytes bytes = CaptureBytes.pcapng(ByteOrder.LITTLE_ENDIAN);
        bytes.idb(1, 0, bytes.ifName("eth0")).idb(276, 0, bytes.ifName("any")).epb(0, 1, SYN, SYN.length);
        int at = bytes.size();
        bytes.epb(1, 2, SYN, SYN.length);
        Path f = bytes.write(dir.resolve("sll2.pcapng"));
        assertMessage("link type 276 LINUX_SLL2 (Linux cooked capture v2, e.g. tcpdump -i any) of interface 1 (any) of"
                + " section 1 is not supported. Gingham replays Ethernet frames only (link type 1); capture on a named"
                + " interface (tcpdump -i eth0) instead of -i any; at byte offset " + at + " (frame index 1, Wireshark"
                + " frame 2)", failure(f, 1), f);
    }

    @Test
    void shouldSayCorruptWhenACapturedLengthRunsPastItsBlock() throws IOException {
        CaptureBytes bytes = CaptureBytes.pcapng(ByteOrder.BIG_ENDIAN);
        bytes.idb(1, 0);
        int at = bytes.size();
        byte[] frame = PacketBuilder.tcp4("10.0.0.1", 1, "10.0.0.2", 2).build();
        bytes.block(6, bytes.body().u32(0).u32(0).u32(0).u32(frame.length + 100).u32(frame.length + 100).padded(frame));
        Path f = bytes.write(dir.resolve("past.pcapng"));
        int total = 32 + ((frame.length + 3) & ~3);
        assertMessage("corrupt enhanced packet block: captured length " + (frame.length + 100) + " runs past the block of "
                + total + " bytes at byte offset " + (at + 20) + " (frame index 0, Wireshark frame 1)", failure(f, 0), f);
    }

    @Test
    void shouldSayCorruptWhenAnOptionRunsPastItsBlock() throws IOException {
        CaptureBytes bytes = CaptureBytes.pcapng(ByteOrder.LITTLE_ENDIAN);
        int at = bytes.size();
        bytes.block(1, bytes.body().u16(1).u16(0).u32(0).u16(2).u16(200).u32(0));
        Path f = bytes.write(dir.resolve("option.pcapng"));
        assertMessage("corrupt interface description block: option 2 of 200 bytes runs past the block at byte offset "
                + (at + 16), failure(f, 0), f);
    }

    @Test
    void shouldRefuseWhenTheTimestampResolutionCannotBeRepresented() throws IOException {
        CaptureBytes bytes = CaptureBytes.pcapng(ByteOrder.LITTLE_ENDIAN);
        int at = bytes.size();
        bytes.idb(1, 0, bytes.ifTsresol(19));
        Path f = bytes.write(dir.resolve("tsresol.pcapng"));
        assertMessage("if_tsresol 19 is not supported (10^-0..10^-18 and 2^-0..2^-63 are) at byte offset " + at,
                failure(f, 0), f);
    }

    @Test
    void shouldRefusePathsThatAreNotRegularFiles() {
        IOException e = assertThrows(IOException.class, () -> CaptureReader.open(dir));
        assertEquals(dir + ": not a regular file (captures are memory-mapped: pipes and devices cannot be read)",
                e.getMessage());
    }
}
