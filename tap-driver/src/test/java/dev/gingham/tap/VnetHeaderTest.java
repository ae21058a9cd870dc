package dev.gingham.tap;

import dev.gingham.packet.BufferPool;
import dev.gingham.packet.DropReason;
import dev.gingham.packet.FrameVector;
import dev.gingham.packet.PacketBuilder;
import dev.gingham.packet.Parser;
import dev.gingham.packet.Verdict;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class VnetHeaderTest {
    private final BufferPool pool = BufferPool.allocate(4, BufferPool.TSO_BUFFER_SIZE);
    private final FrameVector vector = new FrameVector(pool);

    @AfterEach
    void close() {
        vector.releaseAll();
        pool.close();
    }

    /** A 64 KB TSO frame as the kernel hands it over: TCPv4, MSS 1448, checksum partial at 34+16. */
    private static final byte[] TSO_HEADER = {
            0x01, 0x01, 0x42, 0x00, (byte) 0xA8, 0x05, 0x22, 0x00, 0x10, 0x00, 0x00, 0x00};

    private int frameWithHeader(byte[] header, int frameBytes) {
        byte[] frame = PacketBuilder.tcp4("10.0.0.2", 40000, "10.0.0.1", 80).payload(frameBytes - 54).build();
        int i = PacketBuilder.load(vector, 3, frame);
        MemorySegment.copy(header, 0, vector.segment(), ValueLayout.JAVA_BYTE, vector.start(i) - VnetHeader.LENGTH,
                header.length);
        return i;
    }

    @Test
    void shouldSetPartialChecksumAndGsoWhenHeaderSaysTcpv4Tso() {
        int i = frameWithHeader(TSO_HEADER, 30_000);

        int verdict = VnetHeader.toVector(vector.segment(), vector.start(i) - VnetHeader.LENGTH, vector, i);

        assertEquals(Verdict.CONTINUE, verdict);
        assertTrue(vector.hasFlag(i, FrameVector.FLAG_CSUM_PARTIAL));
        assertTrue(vector.hasFlag(i, FrameVector.FLAG_GSO));
        assertEquals(VnetHeader.GSO_TCPV4, vector.gsoType(i));
        assertEquals(1448, vector.gsoSize(i));
        assertEquals(34, vector.csumStart(i));
        assertEquals(16, vector.csumOffset(i));
    }

    @Test
    void shouldKeepOffloadFieldsWhenParserRunsAfterTheDriver() {
        int i = frameWithHeader(TSO_HEADER, 30_000);
        VnetHeader.toVector(vector.segment(), vector.start(i) - VnetHeader.LENGTH, vector, i);

        assertEquals(Verdict.CONTINUE, new Parser().parse(vector, i));

        assertTrue(vector.hasFlag(i, FrameVector.FLAG_CSUM_PARTIAL) && vector.hasFlag(i, FrameVector.FLAG_GSO));
        assertEquals(1448, vector.gsoSize(i));
        assertEquals(34, vector.csumStart(i));
        assertEquals(vector.start(i) + vector.csumStart(i), vector.l4Offset(i), "csum_start counts from the frame start");
    }

    @Test
    void shouldLeaveFramePlainWhenHeaderIsZero() {
        int i = frameWithHeader(new byte[12], 100);

        assertEquals(Verdict.CONTINUE, VnetHeader.toVector(vector.segment(), vector.start(i) - 12, vector, i));

        assertEquals(0, vector.flags(i));
        assertEquals(0, vector.gsoType(i) | vector.gsoSize(i) | vector.csumStart(i) | vector.csumOffset(i));
    }

    @Test
    void shouldIgnoreDataValidFlagWhenChecksumIsVerified() {
        int i = frameWithHeader(new byte[] {0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, 100);

        assertEquals(Verdict.CONTINUE, VnetHeader.toVector(vector.segment(), vector.start(i) - 12, vector, i));

        assertFalse(vector.hasFlag(i, FrameVector.FLAG_CSUM_PARTIAL));
    }

    @Test
    void shouldDropWhenChecksumFieldLiesOutsideTheFrame() {
        // csum_start 90 + csum_offset 16 + 2 > 100 bytes
        int i = frameWithHeader(new byte[] {0x01, 0, 0, 0, 0, 0, 90, 0, 16, 0, 0, 0}, 100);

        assertEquals(DropReason.VNET_HEADER_INVALID.verdict(),
                VnetHeader.toVector(vector.segment(), vector.start(i) - 12, vector, i));
    }

    @Test
    void shouldDropWhenGsoTypeIsUnknown() {
        int i = frameWithHeader(new byte[] {0x01, 0x02, 0, 0, (byte) 0xA8, 0x05, 34, 0, 16, 0, 0, 0}, 3000);

        assertEquals(DropReason.VNET_HEADER_INVALID.verdict(),
                VnetHeader.toVector(vector.segment(), vector.start(i) - 12, vector, i));
    }

    @Test
    void shouldDropWhenGsoFrameHasSegmentSizeZero() {
        int i = frameWithHeader(new byte[] {0x01, 0x01, 0, 0, 0, 0, 34, 0, 16, 0, 0, 0}, 3000);

        assertEquals(DropReason.VNET_HEADER_INVALID.verdict(),
                VnetHeader.toVector(vector.segment(), vector.start(i) - 12, vector, i));
    }

    @Test
    void shouldWriteLittleEndianHeaderWhenFrameCarriesOffloads() {
        int i = frameWithHeader(new byte[12], 30_000);
        vector.addFlags(i, FrameVector.FLAG_CSUM_PARTIAL | FrameVector.FLAG_GSO);
        vector.offload(i, VnetHeader.GSO_TCPV6 | VnetHeader.GSO_ECN, 1428, 54, 16);

        VnetHeader.fromVector(vector, i, vector.segment(), vector.start(i) - 12);

        byte[] written = vector.segment().asSlice(vector.start(i) - 12, 12).toArray(ValueLayout.JAVA_BYTE);
        // flags NEEDS_CSUM, gso TCPV6|ECN, hdr_len 54+16+2=72, gso_size 1428, csum 54/16, num_buffers 0
        assertArrayEquals(new byte[] {0x01, (byte) 0x84, 72, 0, (byte) 0x94, 0x05, 54, 0, 16, 0, 0, 0}, written);
    }

    @Test
    void shouldWriteZeroHeaderWhenFrameIsPlain() {
        int i = frameWithHeader(new byte[] {9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9}, 100);
        vector.offload(i, 1, 1448, 34, 16); // stale fields without their flags do not count

        VnetHeader.fromVector(vector, i, vector.segment(), vector.start(i) - 12);

        // ten bytes of struct virtio_net_hdr; num_buffers (a TAP's last two) is the TAP queue's to write
        assertArrayEquals(new byte[] {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9, 9},
                vector.segment().asSlice(vector.start(i) - 12, 12).toArray(ValueLayout.JAVA_BYTE));
    }

    @Test
    void shouldWriteChecksumOnlyHeaderWhenFrameIsPartialWithoutGso() {
        byte[] frame = PacketBuilder.udp4("10.0.0.2", 5000, "10.0.0.1", 53).payload(20).build();
        int i = PacketBuilder.load(vector, 1, frame);
        vector.addFlags(i, FrameVector.FLAG_CSUM_PARTIAL);
        vector.offload(i, 0, 0, 34, 6);

        VnetHeader.fromVector(vector, i, vector.segment(), vector.start(i) - 12);

        assertArrayEquals(new byte[] {0x01, 0, 42, 0, 0, 0, 34, 0, 6, 0, 0, 0},
                vector.segment().asSlice(vector.start(i) - 12, 12).toArray(ValueLayout.JAVA_BYTE));
    }
}
