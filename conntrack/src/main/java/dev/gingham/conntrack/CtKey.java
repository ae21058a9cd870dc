package dev.gingham.conntrack;

import dev.gingham.maps.KeyHash;
import dev.gingham.packet.FrameVector;
import dev.gingham.packet.IcmpErrorPayload;
import dev.gingham.packet.MappedAddress;
import dev.gingham.packet.NetworkOrder;
import dev.gingham.packet.header.Addresses;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Flyweight over a conntrack key: the flow tuple, 40 bytes, 8-byte aligned: the key of the
 * {@link CtTable} IPv6 maps, and the form every caller of the table works with.
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                  source address, bytes 0-7 (srcHi)            |  0
 * +                                                               +
 * |                                                               |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                  source address, bytes 8-15 (srcLo)           |  8
 * +                                                               +
 * |                                                               |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                  destination address, bytes 0-7 (dstHi)       | 16
 * +                                                               +
 * |                                                               |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                  destination address, bytes 8-15 (dstLo)      | 24
 * +                                                               +
 * |                                                               |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |          Source Port          |       Destination Port        | 32
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |   Protocol    |  Tuple flags  |         pad (zero)            | 36
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 *
 * <p>Addresses are IPv6-wide, IPv4 as IPv4-mapped IPv6 ({@code ::ffff:a.b.c.d}), exactly as
 * {@link FrameVector#srcHi}/{@link FrameVector#srcLo} hold them, so the NAT module and every
 * reader of a result see one key format for both families. Every field is in network byte order,
 * so a key dump reads as the addresses and ports it holds. The pad bytes are always written as
 * zero: the map hashes and compares all of them.
 *
 * <p><b>Stored IPv4 form.</b> A key whose two addresses are both IPv4-mapped is stored in the IPv4
 * tables in 16 bytes ({@link #LENGTH4}), as Cilium keeps {@code ipv4_ct_tuple} apart from
 * {@code ipv6_ct_tuple}: an IPv4 slot is then exactly one cache line (see {@link CtEntry}).
 * <pre>
 *  | source IPv4 (4) | destination IPv4 (4) | src port (2) | dst port (2) | protocol | flags | pad (2) |
 *  0                 4                      8              10             12         13      14        16
 * </pre>
 * Its last 8 bytes are the last 8 bytes of the 40-byte form, unchanged. {@link CtTable} converts
 * at its boundary ({@link #storeIpv4}, {@link #loadIpv4}); nothing outside conntrack sees the stored form.
 *
 * <p>For ICMP echo the identifier stands in both ports (as the parser reports it), so a request
 * A&rarr;B and its reply B&rarr;A are one flow: the reply's reversed key is the request's key.
 *
 * <p>The flyweight owns no memory: {@link #wrap} it over a scratch area (see {@link CtResult}) or
 * over a key inside a map.
 */
public final class CtKey {
    public static final int SRC_HI_OFFSET = 0;
    public static final int SRC_LO_OFFSET = 8;
    public static final int DST_HI_OFFSET = 16;
    public static final int DST_LO_OFFSET = 24;
    public static final int SRC_PORT_OFFSET = 32;
    public static final int DST_PORT_OFFSET = 34;
    public static final int PROTOCOL_OFFSET = 36;
    public static final int FLAGS_OFFSET = 37;
    public static final int PAD_OFFSET = 38;
    /** Size of a key in bytes. */
    public static final int LENGTH = 40;
    /** Size of the stored IPv4 form (both addresses IPv4-mapped) in bytes. */
    public static final int LENGTH4 = 16;
    /** Where the 40-byte form keeps the IPv4 address in its source and destination words. */
    private static final int SRC_IPV4_OFFSET = SRC_LO_OFFSET + 4;
    private static final int DST_IPV4_OFFSET = DST_LO_OFFSET + 4;
    /** The stored IPv4 form's offsets. */
    private static final int STORED4_DST_OFFSET = 4;
    private static final int STORED4_PORTS_OFFSET = 8;

    /**
     * Tuple flag: the entry is keyed by the pre-DNAT client&rarr;VIP tuple (Cilium's
     * {@code TUPLE_F_SERVICE}); it records the backend chosen for that client connection. The NAT
     * module creates and looks up these entries; frames never produce this flag.
     */
    public static final int FLAG_SERVICE = 1;

    private MemorySegment segment;
    private long offset;

    public CtKey wrap(MemorySegment segment, long offset) {
        this.segment = segment;
        this.offset = offset;
        return this;
    }

    public MemorySegment segment() {
        return segment;
    }

    public long offset() {
        return offset;
    }

    /** Writes every field (pad zeroed). Ports are u16, protocol and flags u8. */
    public CtKey set(long srcHi, long srcLo, long dstHi, long dstLo, int srcPort, int dstPort, int protocol, int flags) {
        MemorySegment s = segment;
        long at = offset;
        s.set(NATIVE_WORD, at, word(srcHi));
        s.set(NATIVE_WORD, at + SRC_LO_OFFSET, word(srcLo));
        s.set(NATIVE_WORD, at + DST_HI_OFFSET, word(dstHi));
        s.set(NATIVE_WORD, at + DST_LO_OFFSET, word(dstLo));
        s.set(NATIVE_WORD, at + SRC_PORT_OFFSET, lastWord(srcPort, dstPort, protocol, flags));
        return this;
    }

    /**
     * Returns: the hash, in a map of this seed, of the key {@link #set} would write: the same
     * value as {@code map.hash(key)} of the written key, computed from the fields in registers
     * (a vector loop's first pass hashes every frame this way without touching memory).
     */
    public static long hash(long seed, long srcHi, long srcLo, long dstHi, long dstLo,
                            int srcPort, int dstPort, int protocol, int flags) {
        long h = KeyHash.start(seed, LENGTH);
        h = KeyHash.mix(h, word(srcHi));
        h = KeyHash.mix(h, word(srcLo));
        h = KeyHash.mix(h, word(dstHi));
        h = KeyHash.mix(h, word(dstLo));
        h = KeyHash.mix(h, lastWord(srcPort, dstPort, protocol, flags));
        return KeyHash.finish(h, LENGTH);
    }

    /**
     * Returns: the hash, in an IPv4 map of this seed, of the stored IPv4 form of the key
     * {@link #set} would write for these IPv4 addresses (see {@link #hash}).
     */
    public static long hash4(long seed, int src4, int dst4, int srcPort, int dstPort, int protocol, int flags) {
        return hashStored4(seed, storedAddresses4(src4, dst4), storedPorts4(srcPort, dstPort, protocol, flags));
    }

    /** Returns: the hash, in an IPv4 map of this seed, of the stored IPv4 form given as its two words. */
    static long hashStored4(long seed, long addresses, long ports) {
        long h = KeyHash.start(seed, LENGTH4);
        h = KeyHash.mix(h, addresses);
        h = KeyHash.mix(h, ports);
        return KeyHash.finish(h, LENGTH4);
    }

    /**
     * Returns: bytes 0-7 of the stored IPv4 form (source and destination address) as one word, as
     * the map reads it from memory ({@link dev.gingham.maps.HashMap#lookupPair}).
     */
    static long storedAddresses4(int src4, int dst4) {
        return word((long) src4 << 32 | (dst4 & 0xFFFF_FFFFL));
    }

    /** Returns: bytes 8-15 of the stored IPv4 form (ports, protocol, flags, pad) as one word; see {@link #storedAddresses4}. */
    static long storedPorts4(int srcPort, int dstPort, int protocol, int flags) {
        return lastWord(srcPort, dstPort, protocol, flags);
    }

    /** Returns: true when both addresses of the 40-byte key at {@code keyOffset} are IPv4-mapped. */
    public static boolean ipv4(MemorySegment segment, long keyOffset) {
        return MappedAddress.isIpv4(NetworkOrder.u64(segment, keyOffset + SRC_HI_OFFSET),
                NetworkOrder.u64(segment, keyOffset + SRC_LO_OFFSET))
                && MappedAddress.isIpv4(NetworkOrder.u64(segment, keyOffset + DST_HI_OFFSET),
                NetworkOrder.u64(segment, keyOffset + DST_LO_OFFSET));
    }

    /**
     * Writes the stored IPv4 form of the 40-byte key at {@code keyOffset} (both addresses
     * IPv4-mapped: see {@link #ipv4(MemorySegment, long)}) to {@code stored}: three loads, three stores.
     */
    public static void storeIpv4(MemorySegment segment, long keyOffset, MemorySegment stored, long storedOffset) {
        stored.set(ValueLayout.JAVA_INT_UNALIGNED, storedOffset,
                segment.get(ValueLayout.JAVA_INT_UNALIGNED, keyOffset + SRC_IPV4_OFFSET));
        stored.set(ValueLayout.JAVA_INT_UNALIGNED, storedOffset + STORED4_DST_OFFSET,
                segment.get(ValueLayout.JAVA_INT_UNALIGNED, keyOffset + DST_IPV4_OFFSET));
        stored.set(NATIVE_WORD, storedOffset + STORED4_PORTS_OFFSET, segment.get(NATIVE_WORD, keyOffset + SRC_PORT_OFFSET));
    }

    /** Fills this key (the 40-byte form) from a stored IPv4 form: the inverse of {@link #storeIpv4}. */
    public CtKey loadIpv4(MemorySegment stored, long storedOffset) {
        MemorySegment s = segment;
        long at = offset;
        s.set(NATIVE_WORD, at, 0L);
        s.set(NATIVE_WORD, at + SRC_LO_OFFSET, word(MappedAddress.lo4(0)));
        s.set(NATIVE_WORD, at + DST_HI_OFFSET, 0L);
        s.set(NATIVE_WORD, at + DST_LO_OFFSET, word(MappedAddress.lo4(0)));
        s.set(ValueLayout.JAVA_INT_UNALIGNED, at + SRC_IPV4_OFFSET, stored.get(ValueLayout.JAVA_INT_UNALIGNED, storedOffset));
        s.set(ValueLayout.JAVA_INT_UNALIGNED, at + DST_IPV4_OFFSET,
                stored.get(ValueLayout.JAVA_INT_UNALIGNED, storedOffset + STORED4_DST_OFFSET));
        s.set(NATIVE_WORD, at + SRC_PORT_OFFSET, stored.get(NATIVE_WORD, storedOffset + STORED4_PORTS_OFFSET));
        return this;
    }

    /** 8 key bytes as one native-order word: how a key is written in one store and how maps hash it. */
    private static final ValueLayout.OfLong NATIVE_WORD = ValueLayout.JAVA_LONG_UNALIGNED;
    private static final boolean NATIVE_BIG_ENDIAN = ByteOrder.nativeOrder() == ByteOrder.BIG_ENDIAN;

    /** Returns: the native-order word of 8 bytes that hold {@code networkOrderValue} big-endian. */
    private static long word(long networkOrderValue) {
        return NATIVE_BIG_ENDIAN ? networkOrderValue : Long.reverseBytes(networkOrderValue);
    }

    /** Returns: the native-order word of bytes 32-39: ports (big-endian), protocol, flags, zero pad. */
    private static long lastWord(int srcPort, int dstPort, int protocol, int flags) {
        return word(((long) (srcPort & 0xFFFF) << 48) | ((long) (dstPort & 0xFFFF) << 32)
                | ((long) (protocol & 0xFF) << 24) | ((long) (flags & 0xFF) << 16));
    }

    /** Fills the key with frame {@code i}'s tuple as it travels (source = the frame's sender), flags 0. */
    public CtKey fromFrame(FrameVector vector, int i) {
        return set(vector.srcHi(i), vector.srcLo(i), vector.dstHi(i), vector.dstLo(i),
                vector.srcPort(i), vector.dstPort(i), vector.protocol(i), 0);
    }

    /** Fills the key with frame {@code i}'s tuple reversed (source = the frame's destination), flags 0. */
    public CtKey fromFrameReversed(FrameVector vector, int i) {
        return set(vector.dstHi(i), vector.dstLo(i), vector.srcHi(i), vector.srcLo(i),
                vector.dstPort(i), vector.srcPort(i), vector.protocol(i), 0);
    }

    /** Fills the key with the tuple an ICMP error quotes, as the quoted packet travelled, flags 0. */
    public CtKey fromQuote(IcmpErrorPayload quote) {
        return set(quote.srcHi(), quote.srcLo(), quote.dstHi(), quote.dstLo(),
                quote.srcPort(), quote.dstPort(), quote.protocol(), 0);
    }

    /** Swaps source and destination (addresses and ports) in place; protocol and flags stay. */
    public CtKey reverse() {
        long srcHi = srcHi();
        long srcLo = srcLo();
        int srcPort = srcPort();
        NetworkOrder.u64(segment, offset + SRC_HI_OFFSET, dstHi());
        NetworkOrder.u64(segment, offset + SRC_LO_OFFSET, dstLo());
        NetworkOrder.u16(segment, offset + SRC_PORT_OFFSET, dstPort());
        NetworkOrder.u64(segment, offset + DST_HI_OFFSET, srcHi);
        NetworkOrder.u64(segment, offset + DST_LO_OFFSET, srcLo);
        NetworkOrder.u16(segment, offset + DST_PORT_OFFSET, srcPort);
        return this;
    }

    /** Copies the 40 bytes of another key here. */
    public CtKey copyFrom(MemorySegment source, long sourceOffset) {
        MemorySegment.copy(source, sourceOffset, segment, offset, LENGTH);
        return this;
    }

    public long srcHi() {
        return NetworkOrder.u64(segment, offset + SRC_HI_OFFSET);
    }

    public long srcLo() {
        return NetworkOrder.u64(segment, offset + SRC_LO_OFFSET);
    }

    public long dstHi() {
        return NetworkOrder.u64(segment, offset + DST_HI_OFFSET);
    }

    public long dstLo() {
        return NetworkOrder.u64(segment, offset + DST_LO_OFFSET);
    }

    public int srcPort() {
        return NetworkOrder.u16(segment, offset + SRC_PORT_OFFSET);
    }

    public int dstPort() {
        return NetworkOrder.u16(segment, offset + DST_PORT_OFFSET);
    }

    public int protocol() {
        return NetworkOrder.u8(segment, offset + PROTOCOL_OFFSET);
    }

    /** Returns: the tuple flags ({@link #FLAG_SERVICE}). */
    public int flags() {
        return NetworkOrder.u8(segment, offset + FLAGS_OFFSET);
    }

    public CtKey flags(int value) {
        NetworkOrder.u8(segment, offset + FLAGS_OFFSET, value);
        return this;
    }

    /** Returns: true when the address pair is IPv4 (both IPv4-mapped). */
    public boolean ipv4() {
        return ipv4(segment, offset);
    }

    /** Returns: the protocol byte of the key at {@code keyOffset} without wrapping it. */
    public static int protocol(MemorySegment segment, long keyOffset) {
        return NetworkOrder.u8(segment, keyOffset + PROTOCOL_OFFSET);
    }

    /** Returns: a readable form ("6 10.0.0.1:40000 -> 10.0.0.2:80 flags 0"); allocates, not for the hot path. */
    @Override
    public String toString() {
        return protocol() + " " + Addresses.formatEndpoint(srcHi(), srcLo(), srcPort()) + " -> "
                + Addresses.formatEndpoint(dstHi(), dstLo(), dstPort()) + " flags " + flags();
    }
}
