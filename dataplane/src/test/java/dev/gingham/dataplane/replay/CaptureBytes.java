package dev.gingham.dataplane.replay;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Hand-made capture files for reader tests, in either byte order, with every block and option
 * the writers never produce (big-endian sections, SPB, OPB, NRB, ISB, other resolutions) and the
 * broken shapes the error tests need. Written from the format specifications, independently of
 * the main code's writers.
 */
final class CaptureBytes {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private ByteOrder order;

    private CaptureBytes(ByteOrder order) {
        this.order = order;
    }

    /** A classic pcap header: magic for microseconds or nanoseconds, written in {@code order}. */
    static CaptureBytes pcap(ByteOrder order, boolean nanosecond, int linkTypeWord) {
        CaptureBytes bytes = new CaptureBytes(order);
        bytes.u32(nanosecond ? 0xA1B23C4D : 0xA1B2C3D4).u16(2).u16(4).u32(0).u32(0).u32(65535).u32(linkTypeWord);
        return bytes;
    }

    /** A pcap record: seconds, fraction (µs or ns per the magic), captured and original lengths, then the data. */
    CaptureBytes record(long seconds, long fraction, byte[] frame, int originalLength) {
        return u32((int) seconds).u32((int) fraction).u32(frame.length).u32(originalLength).raw(frame);
    }

    /** Starts a pcapng file (or section) with a Section Header Block in {@code order}. */
    static CaptureBytes pcapng(ByteOrder order) {
        return new CaptureBytes(order).section(order);
    }

    /** Appends another section, in its own byte order. */
    CaptureBytes section(ByteOrder sectionOrder) {
        this.order = sectionOrder;
        return block(0x0A0D0D0A, body().u32(0x1A2B3C4D).u16(1).u16(0).u64(-1L));
    }

    /** An Interface Description Block; {@code options} are already-encoded option bytes. */
    CaptureBytes idb(int linkType, int snapLength, byte[]... options) {
        CaptureBytes body = body().u16(linkType).u16(0).u32(snapLength);
        for (byte[] option : options) {
            body.raw(option);
        }
        if (options.length > 0) {
            body.u32(0); // opt_endofopt
        }
        return block(1, body);
    }

    /** Encodes one option in this file's current byte order. */
    byte[] option(int code, byte[] value) {
        CaptureBytes o = body().u16(code).u16(value.length).raw(value);
        while (o.out.size() % 4 != 0) {
            o.out.write(0);
        }
        return o.out.toByteArray();
    }

    byte[] ifName(String name) {
        return option(2, name.getBytes(StandardCharsets.UTF_8));
    }

    byte[] ifTsresol(int value) {
        return option(9, new byte[] {(byte) value});
    }

    byte[] ifTsoffset(long seconds) {
        return option(14, body().u64(seconds).out.toByteArray());
    }

    byte[] ifFcslen(int bytes) {
        return option(13, new byte[] {(byte) bytes});
    }

    /** An Enhanced Packet Block with a 64-bit timestamp in the interface's units. */
    CaptureBytes epb(int interfaceId, long timestampUnits, byte[] frame, int originalLength) {
        return block(6, body().u32(interfaceId).u32((int) (timestampUnits >>> 32)).u32((int) timestampUnits)
                .u32(frame.length).u32(originalLength).padded(frame));
    }

    /** A Simple Packet Block: original length and data only. */
    CaptureBytes spb(byte[] data, int originalLength) {
        return block(3, body().u32(originalLength).padded(data));
    }

    /** An obsolete Packet Block: 16-bit interface id and drop count. */
    CaptureBytes opb(int interfaceId, long timestampUnits, byte[] frame, int originalLength) {
        return block(2, body().u16(interfaceId).u16(0).u32((int) (timestampUnits >>> 32)).u32((int) timestampUnits)
                .u32(frame.length).u32(originalLength).padded(frame));
    }

    /** Any block with a raw body (NRB 4, ISB 5, custom, unknown). */
    CaptureBytes block(int type, CaptureBytes body) {
        int total = 12 + body.out.size();
        return u32(type).u32(total).raw(body.out.toByteArray()).u32(total);
    }

    CaptureBytes u16(int value) {
        return raw(ByteBuffer.allocate(2).order(order).putShort((short) value).array());
    }

    CaptureBytes u32(int value) {
        return raw(ByteBuffer.allocate(4).order(order).putInt(value).array());
    }

    CaptureBytes u64(long value) {
        return raw(ByteBuffer.allocate(8).order(order).putLong(value).array());
    }

    CaptureBytes raw(byte[] bytes) {
        out.writeBytes(bytes);
        return this;
    }

    CaptureBytes padded(byte[] bytes) {
        raw(bytes);
        while (out.size() % 4 != 0) {
            out.write(0);
        }
        return this;
    }

    /** An empty buffer in this file's current byte order, for block bodies. */
    CaptureBytes body() {
        return new CaptureBytes(order);
    }

    int size() {
        return out.size();
    }

    byte[] bytes() {
        return out.toByteArray();
    }

    Path write(Path file) throws IOException {
        Files.write(file, bytes());
        return file;
    }
}
