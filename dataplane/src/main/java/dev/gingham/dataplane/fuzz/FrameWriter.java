package dev.gingham.dataplane.fuzz;

import dev.gingham.packet.NetworkOrder;
import dev.gingham.packet.checksum.InternetChecksum;
import dev.gingham.packet.checksum.TransportChecksum;
import dev.gingham.packet.header.EthernetHeader;
import dev.gingham.packet.header.Ipv4Header;
import dev.gingham.packet.header.Ipv6Header;
import dev.gingham.packet.header.TcpHeader;
import dev.gingham.packet.header.UdpHeader;

import java.lang.foreign.MemorySegment;

/**
 * Writes frames header by header into any memory (a pool buffer, a scratch segment) and then
 * fills in what depends on what follows: IP total and payload lengths, UDP lengths and every
 * checksum. The fuzz generators' frame builder, in main code where the test-jar's
 * {@code PacketBuilder} may not go, and unlike it allocation-free: frames are written straight
 * into their buffers.
 *
 * <p><b>Layers.</b> Each header written is recorded as a layer (kind, start, header length), so
 * {@link #finish()} can work from the innermost layer out (inner checksums are part of the outer
 * ones' data) and the mutator knows where every header and field is. Every layer extends to the
 * end of the frame: headers nest, and the payload is written last.
 *
 * <p><b>Partial layers.</b> Some headers describe a datagram that is not all in the frame: the
 * L4 header of a first fragment, the IP and L4 headers an ICMP error quotes. After
 * {@link #partial(int)}, layers are written as partial: their length fields claim the missing
 * bytes too, and their checksums (over data that is not there) are left as the generator wrote
 * them.
 *
 * <p>A writer is reused for every frame ({@link #begin}); one writer belongs to one thread.
 */
public final class FrameWriter {
    /** Layer kinds. */
    public static final int ETHERNET = 1;
    public static final int ARP = 2;
    public static final int IPV4 = 3;
    public static final int IPV6 = 4;
    public static final int IPV6_EXTENSION = 5;
    public static final int IPV6_FRAGMENT = 6;
    public static final int TCP = 7;
    public static final int UDP = 8;
    public static final int ICMP4 = 9;
    public static final int ICMP6 = 10;
    public static final int SCTP = 11;
    public static final int VXLAN = 12;
    public static final int GENEVE = 13;

    /** Most layers one frame records (VXLAN in VXLAN with an ICMP error inside an IPv6 chain fits easily). */
    public static final int MAX_LAYERS = 32;
    /** Smallest capacity {@link #begin} accepts: room for the deepest header stack the generators write. */
    public static final int MIN_CAPACITY = 1024;

    private static final int FLAG_PARTIAL = 1;
    private static final int FLAG_NO_CHECKSUM = 2;

    private MemorySegment segment;
    private long base;
    private int capacity;
    private int length;
    private int layers;
    private final int[] kind = new int[MAX_LAYERS];
    private final int[] start = new int[MAX_LAYERS];
    private final int[] headerLength = new int[MAX_LAYERS];
    private final int[] flags = new int[MAX_LAYERS];
    private final int[] missing = new int[MAX_LAYERS];
    private int partialMissing = -1;

    private final SctpChecksum sctpChecksum = new SctpChecksum();

    /** Starts a frame at {@code offset} of {@code segment} with room for {@code capacity} bytes. */
    public FrameWriter begin(MemorySegment segment, long offset, int capacity) {
        if (capacity < MIN_CAPACITY) {
            throw new IllegalArgumentException("capacity " + capacity + " is below " + MIN_CAPACITY + " bytes");
        }
        this.segment = segment;
        this.base = offset;
        this.capacity = capacity;
        this.length = 0;
        this.layers = 0;
        this.partialMissing = -1;
        return this;
    }

    // ---- where things are ------------------------------------------------------------------------

    public MemorySegment segment() {
        return segment;
    }

    /** Returns: the offset of the frame's first byte in {@link #segment()}. */
    public long base() {
        return base;
    }

    /** Returns: the frame's length so far. */
    public int length() {
        return length;
    }

    /** Sets the frame's length (truncation by the mutator); never beyond what was written. */
    public void length(int bytes) {
        length = Math.max(0, Math.min(bytes, length));
    }

    /** Returns: the bytes still free. */
    public int room() {
        return capacity - length;
    }

    public int layers() {
        return layers;
    }

    public int kind(int layer) {
        return kind[layer];
    }

    /** Returns: the layer's first byte, from the frame start. */
    public int start(int layer) {
        return start[layer];
    }

    public int headerLength(int layer) {
        return headerLength[layer];
    }

    /** Returns: true when the layer describes a datagram only partly in the frame (see class comment). */
    public boolean isPartial(int layer) {
        return (flags[layer] & FLAG_PARTIAL) != 0;
    }

    // ---- raw access (frame-relative) ----------------------------------------------------------------

    public int u8(int at) {
        return NetworkOrder.u8(segment, base + at);
    }

    public void u8(int at, int value) {
        NetworkOrder.u8(segment, base + at, value);
    }

    public int u16(int at) {
        return NetworkOrder.u16(segment, base + at);
    }

    public void u16(int at, int value) {
        NetworkOrder.u16(segment, base + at, value);
    }

    public void u32(int at, int value) {
        NetworkOrder.u32(segment, base + at, value);
    }

    public void u64(int at, long value) {
        NetworkOrder.u64(segment, base + at, value);
    }

    /** Appends {@code bytes} zero bytes and returns where they start. */
    public int append(int bytes) {
        int at = length;
        if (bytes > capacity - at) {
            throw new IllegalStateException("frame of " + (at + bytes) + " bytes exceeds the capacity of " + capacity);
        }
        segment.asSlice(base + at, bytes).fill((byte) 0);
        length = at + bytes;
        return at;
    }

    /** Appends {@code bytes} random bytes (at most the room left) and returns how many were written. */
    public int randomBytes(int bytes, FuzzRandom random) {
        int n = Math.min(bytes, room());
        int at = length;
        int i = 0;
        for (; i + 8 <= n; i += 8) {
            NetworkOrder.u64(segment, base + at + i, random.nextLong());
        }
        for (; i < n; i++) {
            NetworkOrder.u8(segment, base + at + i, random.nextInt());
        }
        length = at + n;
        return n;
    }

    private int push(int layerKind, int bytes) {
        if (layers == MAX_LAYERS) {
            throw new IllegalStateException("more than " + MAX_LAYERS + " layers");
        }
        int at = append(bytes);
        kind[layers] = layerKind;
        start[layers] = at;
        headerLength[layers] = bytes;
        flags[layers] = partialMissing >= 0 ? FLAG_PARTIAL : 0;
        missing[layers] = Math.max(partialMissing, 0);
        layers++;
        return at;
    }

    /** Layers written from now on describe a datagram of which {@code missingBytes} are not in the frame. */
    public FrameWriter partial(int missingBytes) {
        partialMissing = missingBytes;
        return this;
    }

    /** Layers written from now on are whole again. */
    public FrameWriter whole() {
        partialMissing = -1;
        return this;
    }

    // ---- headers -----------------------------------------------------------------------------------

    public FrameWriter ethernet(long dstMac, long srcMac, int etherType) {
        int at = push(ETHERNET, EthernetHeader.LENGTH);
        EthernetHeader.macs(segment, base + at, dstMac, srcMac);
        u16(at + EthernetHeader.ETHER_TYPE_OFFSET, etherType);
        return this;
    }

    /** An Ethernet header with one 802.1Q tag. */
    public FrameWriter ethernetVlan(long dstMac, long srcMac, int tci, int etherType) {
        int at = push(ETHERNET, EthernetHeader.VLAN_LENGTH);
        EthernetHeader.macs(segment, base + at, dstMac, srcMac);
        u16(at + EthernetHeader.ETHER_TYPE_OFFSET, EthernetHeader.ETHER_TYPE_VLAN);
        u16(at + EthernetHeader.TCI_OFFSET, tci);
        u16(at + EthernetHeader.INNER_ETHER_TYPE_OFFSET, etherType);
        return this;
    }

    /** An Ethernet/IPv4 ARP message. */
    public FrameWriter arp(int operation, long senderMac, int senderIp, long targetMac, int targetIp) {
        int at = push(ARP, 28);
        u64(at, 0x0001_0800_0604_0000L | (operation & 0xFFFF));
        u16(at + 8, (int) (senderMac >>> 32));
        u32(at + 10, (int) senderMac);
        u32(at + 14, senderIp);
        u16(at + 18, (int) (targetMac >>> 32));
        u32(at + 20, (int) targetMac);
        u32(at + 24, targetIp);
        return this;
    }

    /**
     * An IPv4 header with {@code optionWords} 32-bit words of options (zero: End of Option List),
     * for the caller to fill at {@link #start}(layer) + 20. Total length and checksum come in
     * {@link #finish()}.
     */
    public FrameWriter ipv4(int tos, int identification, int flagsAndOffset, int ttl, int protocol, int src, int dst,
                            int optionWords) {
        int at = push(IPV4, Ipv4Header.MIN_LENGTH + optionWords * 4);
        u8(at, 0x40 | (5 + optionWords));
        u8(at + Ipv4Header.TOS_OFFSET, tos);
        u16(at + Ipv4Header.IDENTIFICATION_OFFSET, identification);
        u16(at + Ipv4Header.FLAGS_OFFSET, flagsAndOffset);
        u8(at + Ipv4Header.TTL_OFFSET, ttl);
        u8(at + Ipv4Header.PROTOCOL_OFFSET, protocol);
        u32(at + Ipv4Header.SRC_OFFSET, src);
        u32(at + Ipv4Header.DST_OFFSET, dst);
        return this;
    }

    /** An IPv6 header; the payload length comes in {@link #finish()}. */
    public FrameWriter ipv6(int trafficClass, int flowLabel, int nextHeader, int hopLimit,
                            long srcHi, long srcLo, long dstHi, long dstLo) {
        int at = push(IPV6, Ipv6Header.LENGTH);
        u32(at, 6 << 28 | (trafficClass & 0xFF) << 20 | (flowLabel & Ipv6Header.FLOW_LABEL_MASK));
        u8(at + Ipv6Header.NEXT_HEADER_OFFSET, nextHeader);
        u8(at + Ipv6Header.HOP_LIMIT_OFFSET, hopLimit);
        u64(at + Ipv6Header.SRC_OFFSET, srcHi);
        u64(at + Ipv6Header.SRC_OFFSET + 8, srcLo);
        u64(at + Ipv6Header.DST_OFFSET, dstHi);
        u64(at + Ipv6Header.DST_OFFSET + 8, dstLo);
        return this;
    }

    /**
     * An IPv6 extension header of {@code lengthBytes} (a multiple of 8, at least 8; AH: a multiple
     * of 4, at least 12): next header, the length field in the header type's unit, and zeros, which
     * are Pad1 options in hop-by-hop and destination options headers. The caller may fill the rest.
     */
    public FrameWriter ipv6Extension(int type, int nextHeader, int lengthBytes) {
        int at = push(IPV6_EXTENSION, lengthBytes);
        u8(at, nextHeader);
        u8(at + 1, type == 51 ? lengthBytes / 4 - 2 : lengthBytes / 8 - 1);
        return this;
    }

    /** An IPv6 fragment header. */
    public FrameWriter ipv6Fragment(int nextHeader, int offsetBytes, boolean more, int identification) {
        int at = push(IPV6_FRAGMENT, 8);
        u8(at, nextHeader);
        u16(at + 2, (offsetBytes & 0xFFF8) | (more ? 1 : 0));
        u32(at + 4, identification);
        return this;
    }

    /** A TCP header with {@code optionWords} words of options (zero: End of Option List) for the caller to fill. */
    public FrameWriter tcp(int srcPort, int dstPort, int seq, int ack, int tcpFlags, int window, int optionWords) {
        int at = push(TCP, TcpHeader.MIN_LENGTH + optionWords * 4);
        u16(at, srcPort);
        u16(at + 2, dstPort);
        u32(at + 4, seq);
        u32(at + 8, ack);
        u8(at + TcpHeader.DATA_OFFSET_OFFSET, (5 + optionWords) << 4);
        u8(at + TcpHeader.FLAGS_OFFSET, tcpFlags);
        u16(at + TcpHeader.WINDOW_OFFSET, window);
        return this;
    }

    public FrameWriter udp(int srcPort, int dstPort) {
        int at = push(UDP, UdpHeader.LENGTH);
        u16(at, srcPort);
        u16(at + 2, dstPort);
        return this;
    }

    /** Marks the last UDP layer as sent without a checksum (0, allowed over IPv4: RFC 768). */
    public FrameWriter noChecksum() {
        flags[layers - 1] |= FLAG_NO_CHECKSUM;
        return this;
    }

    /** An ICMPv4 header; {@code rest} is the 4-byte rest of header (echo id and sequence, next-hop MTU...). */
    public FrameWriter icmp4(int type, int code, int rest) {
        int at = push(ICMP4, 8);
        u8(at, type);
        u8(at + 1, code);
        u32(at + 4, rest);
        return this;
    }

    public FrameWriter icmp6(int type, int code, int rest) {
        int at = push(ICMP6, 8);
        u8(at, type);
        u8(at + 1, code);
        u32(at + 4, rest);
        return this;
    }

    /** An SCTP common header; chunks follow as payload. The checksum (CRC32c) comes in {@link #finish()}. */
    public FrameWriter sctp(int srcPort, int dstPort, int verificationTag) {
        int at = push(SCTP, 12);
        u16(at, srcPort);
        u16(at + 2, dstPort);
        u32(at + 4, verificationTag);
        return this;
    }

    public FrameWriter vxlan(int vni) {
        int at = push(VXLAN, 8);
        u8(at, 0x08);
        u32(at + 4, vni << 8);
        return this;
    }

    /** A Geneve header with {@code optionWords} words of options for the caller to fill. */
    public FrameWriter geneve(int vni, int protocolType, int optionWords) {
        int at = push(GENEVE, 8 + optionWords * 4);
        u8(at, optionWords & 0x3F);
        u16(at + 2, protocolType);
        u32(at + 4, vni << 8);
        return this;
    }

    // ---- lengths and checksums ---------------------------------------------------------------------

    /** Fills in every length field, then every checksum, innermost first. */
    public FrameWriter finish() {
        for (int layer = layers - 1; layer >= 0; layer--) {
            writeLength(layer);
        }
        checksums();
        return this;
    }

    /**
     * Recomputes every checksum from the bytes as they are, innermost first, over each layer's
     * real extent in the frame (not what its length field says, which a mutation may have made
     * wrong). Partial layers keep theirs.
     */
    public void checksums() {
        for (int layer = layers - 1; layer >= 0; layer--) {
            if (start[layer] < length) {
                writeChecksum(layer);
            }
        }
    }

    private int extent(int layer) {
        return length - start[layer];
    }

    private void writeLength(int layer) {
        int at = start[layer];
        int bytes = extent(layer) + missing[layer];
        switch (kind[layer]) {
            case IPV4 -> u16(at + Ipv4Header.TOTAL_LENGTH_OFFSET, bytes);
            case IPV6 -> u16(at + Ipv6Header.PAYLOAD_LENGTH_OFFSET, bytes - Ipv6Header.LENGTH);
            case UDP -> u16(at + UdpHeader.LENGTH_OFFSET, bytes);
            default -> {
                // no length field
            }
        }
    }

    private void writeChecksum(int layer) {
        int at = start[layer];
        int bytes = Math.min(extent(layer), 65_535);
        long offset = base + at;
        switch (kind[layer]) {
            case IPV4 -> {
                int header = Math.min(headerLength[layer], bytes);
                u16(at + Ipv4Header.CHECKSUM_OFFSET, 0);
                u16(at + Ipv4Header.CHECKSUM_OFFSET, InternetChecksum.compute(segment, offset, header));
            }
            case TCP, UDP, ICMP6 -> {
                if (isPartial(layer) || bytes < headerLength[layer]) {
                    return;
                }
                int field = at + (kind[layer] == TCP ? TcpHeader.CHECKSUM_OFFSET : kind[layer] == UDP ? UdpHeader.CHECKSUM_OFFSET : 2);
                u16(field, 0);
                if ((flags[layer] & FLAG_NO_CHECKSUM) != 0) {
                    return;
                }
                int ip = enclosingIp(layer);
                if (ip < 0) {
                    return;
                }
                int protocol = kind[layer] == TCP ? TransportChecksum.TCP : kind[layer] == UDP ? TransportChecksum.UDP
                        : TransportChecksum.ICMPV6;
                int ipAt = start[ip];
                int checksum = kind[ip] == IPV4
                        ? TransportChecksum.tcpUdp4(segment, offset, bytes, NetworkOrder.u32(segment, base + ipAt + Ipv4Header.SRC_OFFSET),
                        NetworkOrder.u32(segment, base + ipAt + Ipv4Header.DST_OFFSET), protocol)
                        : TransportChecksum.l4Over6(segment, offset, bytes,
                        NetworkOrder.u64(segment, base + ipAt + Ipv6Header.SRC_OFFSET),
                        NetworkOrder.u64(segment, base + ipAt + Ipv6Header.SRC_OFFSET + 8),
                        NetworkOrder.u64(segment, base + ipAt + Ipv6Header.DST_OFFSET),
                        NetworkOrder.u64(segment, base + ipAt + Ipv6Header.DST_OFFSET + 8), protocol);
                u16(field, checksum);
            }
            case ICMP4 -> {
                if (isPartial(layer) || bytes < headerLength[layer]) {
                    return;
                }
                u16(at + 2, 0);
                u16(at + 2, InternetChecksum.compute(segment, offset, bytes));
            }
            case SCTP -> {
                if (isPartial(layer) || bytes < headerLength[layer]) {
                    return;
                }
                SctpChecksum.field(segment, offset, sctpChecksum.compute(segment, offset, bytes));
            }
            default -> {
                // no checksum
            }
        }
    }

    /** Returns: the nearest IPv4/IPv6 layer below {@code layer} (the one whose pseudo-header applies), or -1. */
    private int enclosingIp(int layer) {
        for (int l = layer - 1; l >= 0; l--) {
            if (kind[l] == IPV4 || kind[l] == IPV6) {
                return l;
            }
        }
        return -1;
    }
}
