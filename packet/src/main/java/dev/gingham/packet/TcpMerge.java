package dev.gingham.packet;

import dev.gingham.packet.checksum.InternetChecksum;
import dev.gingham.packet.checksum.TransportChecksum;
import dev.gingham.packet.header.TcpHeader;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static dev.gingham.packet.NetworkOrder.BE16;
import static dev.gingham.packet.NetworkOrder.BE32;
import static dev.gingham.packet.NetworkOrder.BE64;

/**
 * When consecutive TCP segments may become one GSO frame, and how that frame's headers are
 * finished: the rules of Linux's {@code tcp_gro_receive}, on raw Ethernet frames at offsets of a
 * segment. Two places merge segments and must agree on every rule: the TAP's coalescer (segments
 * of one burst written to a pod as one frame) and the tunnel's receive side (the segments of one
 * UDP GSO datagram from another node, turned back into the TCP GSO frame they were cut from).
 *
 * <p>Frames this applies to: untagged Ethernet, IPv4 without options and not a fragment, TCP.
 * Offsets below are from the Ethernet header's first byte. A merged frame keeps the first
 * segment's headers (window, IP identification), carries the payload of all, and gets its IP
 * length and header checksum rewritten and its TCP checksum field set to the pseudo-header sum
 * over the whole TCP length, the partial-checksum convention (the kernel behind a TAP, or
 * whoever segments it again, finishes it per segment).
 *
 * <p>Static and allocation-free; every method reads or writes only the bytes it names.
 */
public final class TcpMerge {
    /** Bytes of the untagged Ethernet header. */
    public static final int ETHERNET_BYTES = 14;
    /** Offset of the IPv4 header. */
    private static final int IP = ETHERNET_BYTES;
    /** Offset of the TCP header (IPv4 without options). */
    public static final int TCP = IP + 20;
    /** Offset of the TCP checksum field. */
    public static final int TCP_CHECKSUM = TCP + TcpHeader.CHECKSUM_OFFSET;
    /** Largest IPv4 packet one frame may describe (the total-length field). */
    public static final int MAX_IP_BYTES = 65535;
    private static final int TCP_FLAGS = TCP + TcpHeader.FLAGS_OFFSET;

    private TcpMerge() {
    }

    /**
     * Returns: true when the {@code frameBytes} bytes at {@code frame} are an untagged IPv4 TCP
     * frame without IP options, not a fragment, whose IP length is exactly the frame's (no
     * padding) and whose TCP header fits in it. Checksums are not looked at.
     */
    public static boolean plainIpv4Tcp(MemorySegment s, long frame, int frameBytes) {
        return frameBytes >= TCP + TcpHeader.MIN_LENGTH
                && s.get(BE16, frame + 12) == 0x0800
                && s.get(ValueLayout.JAVA_BYTE, frame + IP) == 0x45
                && s.get(ValueLayout.JAVA_BYTE, frame + IP + 9) == 6
                && (s.get(BE16, frame + IP + 6) & 0x3FFF) == 0
                && (s.get(BE16, frame + IP + 2) & 0xFFFF) == frameBytes - ETHERNET_BYTES
                && TCP + tcpHeaderBytes(s, frame) <= frameBytes;
    }

    /** Returns: true when the complete TCP checksum of the plain IPv4 TCP frame at {@code frame} is correct. */
    public static boolean checksumCorrect(MemorySegment s, long frame, int frameBytes) {
        int tcpBytes = frameBytes - TCP;
        long pseudo = TransportChecksum.pseudoHeader4(s.get(BE32, frame + IP + 12), s.get(BE32, frame + IP + 16),
                TransportChecksum.TCP, tcpBytes);
        return InternetChecksum.fold(InternetChecksum.add(s, frame + TCP, tcpBytes, pseudo)) == 0xFFFF;
    }

    /** Returns: the TCP header length (data offset × 4) of the frame at {@code frame}. */
    public static int tcpHeaderBytes(MemorySegment s, long frame) {
        return ((s.get(ValueLayout.JAVA_BYTE, frame + TCP + TcpHeader.DATA_OFFSET_OFFSET) & 0xFF) >>> 4) * 4;
    }

    /** Returns: the TCP flags byte of the frame at {@code frame}. */
    public static int tcpFlags(MemorySegment s, long frame) {
        return s.get(ValueLayout.JAVA_BYTE, frame + TCP_FLAGS) & 0xFF;
    }

    /** Returns: the TCP sequence number of the frame at {@code frame}. */
    public static int sequence(MemorySegment s, long frame) {
        return s.get(BE32, frame + TCP + TcpHeader.SEQ_OFFSET);
    }

    /**
     * Returns: true when frames {@code a} and {@code b} (both {@link #plainIpv4Tcp}, headers of
     * {@code headerBytes} bytes) belong to one flow and may merge: same Ethernet addresses, TOS,
     * DF, TTL, IP addresses, ports, acknowledgement number, data offset and TCP options (bytes 12
     * and 20 onwards of the TCP header; sequence, flags, window, checksum and urgent pointer may
     * differ or are checked apart).
     */
    private static boolean sameFlow(MemorySegment s, long a, long b, int headerBytes) {
        if (s.get(BE64, a) != s.get(BE64, b) || s.get(BE32, a + 8) != s.get(BE32, b + 8)
                || s.get(ValueLayout.JAVA_BYTE, a + IP + 1) != s.get(ValueLayout.JAVA_BYTE, b + IP + 1)
                || s.get(BE16, a + IP + 6) != s.get(BE16, b + IP + 6)
                || s.get(ValueLayout.JAVA_BYTE, a + IP + 8) != s.get(ValueLayout.JAVA_BYTE, b + IP + 8)
                || s.get(BE64, a + IP + 12) != s.get(BE64, b + IP + 12)
                || s.get(BE32, a + TCP) != s.get(BE32, b + TCP)
                || s.get(BE32, a + TCP + TcpHeader.ACK_OFFSET) != s.get(BE32, b + TCP + TcpHeader.ACK_OFFSET)
                || s.get(ValueLayout.JAVA_BYTE, a + TCP + TcpHeader.DATA_OFFSET_OFFSET)
                        != s.get(ValueLayout.JAVA_BYTE, b + TCP + TcpHeader.DATA_OFFSET_OFFSET)) {
            return false;
        }
        for (long o = TCP + TcpHeader.MIN_LENGTH; o < headerBytes; o += 4) {
            if (s.get(BE32, a + o) != s.get(BE32, b + o)) {
                return false;
            }
        }
        return true;
    }

    /**
     * Returns: true when the plain IPv4 TCP frame of {@code frameBytes} bytes at {@code frame} may be
     * merged behind {@code head} (headers of {@code headerBytes} bytes, segments of {@code mss}
     * payload bytes): same flow ({@link #sameFlow}), sequence number {@code nextSequence}, 1 to
     * {@code mss} payload bytes, flags ACK or ACK|PSH. Whether a short or PSH segment may stand
     * anywhere but last is the caller's rule.
     */
    public static boolean continues(MemorySegment s, long head, long frame, int frameBytes, int headerBytes, int mss,
                                    int nextSequence) {
        int payloadBytes = frameBytes - headerBytes;
        int flags = tcpFlags(s, frame);
        return payloadBytes > 0 && payloadBytes <= mss && (flags == TcpHeader.ACK || flags == (TcpHeader.ACK | TcpHeader.PSH))
                && sequence(s, frame) == nextSequence && sameFlow(s, head, frame, headerBytes);
    }

    /**
     * Finishes a merged frame of {@code frameBytes} bytes at {@code frame}: the TCP flags byte
     * set to {@code flags}, the IP total length and header checksum, and the TCP checksum field
     * holding the pseudo-header sum over the whole TCP length (partial).
     */
    public static void finish(MemorySegment s, long frame, int frameBytes, int flags) {
        int ipBytes = frameBytes - ETHERNET_BYTES;
        s.set(ValueLayout.JAVA_BYTE, frame + TCP_FLAGS, (byte) flags);
        s.set(BE16, frame + IP + 2, (short) ipBytes);
        s.set(BE16, frame + IP + 10, (short) TransportChecksum.ipv4Header(s, frame + IP, 20));
        int tcpBytes = ipBytes - 20;
        long pseudo = TransportChecksum.pseudoHeader4(s.get(BE32, frame + IP + 12), s.get(BE32, frame + IP + 16),
                TransportChecksum.TCP, tcpBytes);
        s.set(BE16, frame + TCP_CHECKSUM, (short) InternetChecksum.fold(pseudo));
    }

    /**
     * Copies {@code bytes} bytes within the segment, eight at a time, lowest first (so a copy to a
     * lower offset may overlap its source). Not {@code MemorySegment.copy}, which makes two slices
     * per call that are gone only where the JIT inlines the whole copy into the caller; a plain
     * loop of segment reads and writes allocates nothing however it is compiled.
     */
    public static void copyDown(MemorySegment s, long from, long to, int bytes) {
        int k = 0;
        for (; k + Long.BYTES <= bytes; k += Long.BYTES) {
            s.set(ValueLayout.JAVA_LONG_UNALIGNED, to + k, s.get(ValueLayout.JAVA_LONG_UNALIGNED, from + k));
        }
        for (; k < bytes; k++) {
            s.set(ValueLayout.JAVA_BYTE, to + k, s.get(ValueLayout.JAVA_BYTE, from + k));
        }
    }
}
