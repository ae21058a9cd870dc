package dev.gingham.packet;

import java.util.ArrayList;
import java.util.List;

/**
 * What Linux's UDP segmentation ({@code __udp_gso_segment} after {@code inet_gso_segment}) makes of a
 * UDP GSO datagram when it must put it on a wire: its payload cut every {@code gsoSize} bytes, each
 * piece behind a copy of the Ethernet, IPv4 (no options) and UDP headers with its own IPv4 total length,
 * identification (the datagram's + k) and header checksum, UDP length and complete UDP checksum.
 * Written from that behaviour for the tests, so the datagrams Gingham sends can be checked as the
 * frames a receiver sees.
 */
public final class KernelUdpGso {
    private static final int HEADERS = 42;

    private KernelUdpGso() {
    }

    public static List<byte[]> cut(byte[] datagram, int gsoSize) {
        List<byte[]> frames = new ArrayList<>();
        int id = u16(datagram, 18);
        for (int k = 0, at = HEADERS; at < datagram.length; k++, at += gsoSize) {
            int bytes = Math.min(gsoSize, datagram.length - at);
            byte[] frame = new byte[HEADERS + bytes];
            System.arraycopy(datagram, 0, frame, 0, HEADERS);
            System.arraycopy(datagram, at, frame, HEADERS, bytes);
            put16(frame, 16, frame.length - 14);
            put16(frame, 18, id + k);
            put16(frame, 24, 0);
            put16(frame, 24, ~fold(sum(frame, 14, 20)) & 0xFFFF);
            put16(frame, 38, 8 + bytes);
            put16(frame, 40, 0);
            long pseudo = sum(frame, 26, 8) + 17 + 8 + bytes;
            int checksum = ~fold(pseudo + sum(frame, 34, 8 + bytes)) & 0xFFFF;
            put16(frame, 40, checksum == 0 ? 0xFFFF : checksum);
            frames.add(frame);
        }
        return frames;
    }

    /**
     * The inverse: the UDP GSO datagram a sender makes of tunnel packets to one peer (equal-sized but
     * for the last): the first packet's headers with the total lengths of the whole, then every
     * packet's UDP payload. The UDP checksum field holds the pseudo-header sum (partial), as a
     * virtio-net NEEDS_CSUM datagram does.
     */
    public static byte[] join(List<byte[]> packets) {
        int bytes = HEADERS;
        for (byte[] p : packets) {
            bytes += p.length - HEADERS;
        }
        byte[] d = new byte[bytes];
        System.arraycopy(packets.getFirst(), 0, d, 0, HEADERS);
        int at = HEADERS;
        for (byte[] p : packets) {
            System.arraycopy(p, HEADERS, d, at, p.length - HEADERS);
            at += p.length - HEADERS;
        }
        put16(d, 16, d.length - 14);
        put16(d, 24, 0);
        put16(d, 24, ~fold(sum(d, 14, 20)) & 0xFFFF);
        put16(d, 38, d.length - 34);
        put16(d, 40, fold(sum(d, 26, 8) + 17 + d.length - 34));
        return d;
    }

    private static long sum(byte[] b, int from, int length) {
        long s = 0;
        for (int k = 0; k < length; k += 2) {
            s += (b[from + k] & 0xFF) << 8 | (k + 1 < length ? b[from + k + 1] & 0xFF : 0);
        }
        return s;
    }

    private static int fold(long s) {
        while (s >>> 16 != 0) {
            s = (s & 0xFFFF) + (s >>> 16);
        }
        return (int) s;
    }

    private static int u16(byte[] b, int at) {
        return (b[at] & 0xFF) << 8 | b[at + 1] & 0xFF;
    }

    private static void put16(byte[] b, int at, int value) {
        b[at] = (byte) (value >>> 8);
        b[at + 1] = (byte) value;
    }
}
