package dev.gingham.packet;

import java.lang.foreign.MemorySegment;

/**
 * Up to {@link #MAX_FRAMES} frames and their metadata: the unit every program works on, as VPP
 * runs a graph node over a frame of buffers.
 *
 * <p>Frames are never objects. Metadata is kept as parallel primitive arrays (struct of
 * arrays), indexed by the frame's position in the vector, allocated once with the vector.
 * Offsets ({@link #start}, {@link #l3Offset}, {@link #l4Offset}, ...) are absolute offsets into
 * the pool's {@link #segment()}, so prepending an outer header (which moves {@link #start})
 * leaves the inner headers' offsets valid.
 *
 * <p>The parser fills the L2/L3/L4 fields and the flow tuple once; programs read them instead
 * of re-parsing. Addresses are kept as IPv6-width pairs of longs: IPv4 addresses as IPv4-mapped
 * IPv6 ({@code ::ffff:a.b.c.d}: hi 0, lo {@code 0x0000_FFFF_xxxx_xxxx}) so one tuple format
 * serves both families; {@link #srcIp4} and {@link #dstIp4} return the IPv4 address directly.
 *
 * <p>Threading: a vector belongs to one worker.
 */
public final class FrameVector {
    /** Largest number of frames in a vector. */
    public static final int MAX_FRAMES = 256;

    /** Frame carried an 802.1Q tag (parsed past it). */
    public static final int FLAG_VLAN = 1;
    /** L3 is IPv4. */
    public static final int FLAG_IPV4 = 1 << 1;
    /** L3 is IPv6. */
    public static final int FLAG_IPV6 = 1 << 2;
    /** Frame is ARP. */
    public static final int FLAG_ARP = 1 << 3;
    /** Packet is a fragment (IPv4 MF set or offset non-zero; IPv6 fragment header). */
    public static final int FLAG_FRAGMENT = 1 << 4;
    /** Fragment with offset non-zero: it carries no L4 header, ports are 0. */
    public static final int FLAG_LATER_FRAGMENT = 1 << 5;
    /** An L4 header (TCP, UDP, ICMP, ICMPv6) was parsed and its fields are valid. */
    public static final int FLAG_L4 = 1 << 6;
    /** IPv4 header carries options. */
    public static final int FLAG_IPV4_OPTIONS = 1 << 7;
    /** IPv6 header is followed by extension headers. */
    public static final int FLAG_IPV6_EXTENSIONS = 1 << 8;
    /** ICMP/ICMPv6 error message (carries an embedded datagram). */
    public static final int FLAG_ICMP_ERROR = 1 << 9;
    /** L4 checksum is partial (virtio-net NEEDS_CSUM: only the pseudo-header sum is present). */
    public static final int FLAG_CSUM_PARTIAL = 1 << 10;
    /** Frame is larger than the MTU and carries segmentation info (TSO/GSO from a vnet header). */
    public static final int FLAG_GSO = 1 << 11;
    /**
     * The frame came out of a tunnel packet this node decapsulated: its metadata describes the
     * inner frame. Programs that answer the underlay link itself (ARP, neighbour discovery for
     * node addresses) leave such frames alone, and decapsulation never takes one apart twice.
     */
    public static final int FLAG_DECAPSULATED = 1 << 12;

    /** GSO types ({@link #gsoType}), as virtio-net numbers them (VIRTIO_NET_HDR_GSO_*). */
    public static final int GSO_TCPV4 = 1;
    /** UDP fragmentation offload (UFO): one datagram to be cut into IP fragments. */
    public static final int GSO_UDP = 3;
    public static final int GSO_TCPV6 = 4;
    /** UDP segmentation offload (USO): payload to be cut into datagrams of gso size each. */
    public static final int GSO_UDP_L4 = 5;
    /** Bit in a GSO type: the TCP stream uses ECN; only the first segment may carry CWR. */
    public static final int GSO_ECN = 0x80;

    /** Offset value meaning "this layer is absent". */
    public static final long NO_OFFSET = -1L;


    private final BufferPool pool;
    private final MemorySegment segment;
    private int count;

    private final int[] buffer = new int[MAX_FRAMES];
    private final long[] start = new long[MAX_FRAMES];
    private final int[] length = new int[MAX_FRAMES];
    private final int[] ingressPort = new int[MAX_FRAMES];
    private final int[] verdict = new int[MAX_FRAMES];
    private final int[] flags = new int[MAX_FRAMES];

    private final int[] etherType = new int[MAX_FRAMES];
    private final int[] vlanTci = new int[MAX_FRAMES];
    private final long[] l3Offset = new long[MAX_FRAMES];
    private final int[] l3Length = new int[MAX_FRAMES];
    private final long[] l4Offset = new long[MAX_FRAMES];
    private final long[] payloadOffset = new long[MAX_FRAMES];
    private final int[] protocol = new int[MAX_FRAMES];

    private final long[] srcHi = new long[MAX_FRAMES];
    private final long[] srcLo = new long[MAX_FRAMES];
    private final long[] dstHi = new long[MAX_FRAMES];
    private final long[] dstLo = new long[MAX_FRAMES];
    private final int[] srcPort = new int[MAX_FRAMES];
    private final int[] dstPort = new int[MAX_FRAMES];
    private final int[] tcpFlags = new int[MAX_FRAMES];
    private final int[] icmpTypeCode = new int[MAX_FRAMES];
    private final int[] fragmentId = new int[MAX_FRAMES];

    private final int[] mark = new int[MAX_FRAMES];
    private final int[] srcIdentity = new int[MAX_FRAMES];
    private final int[] dstIdentity = new int[MAX_FRAMES];

    private final int[] gsoType = new int[MAX_FRAMES];
    private final int[] gsoSize = new int[MAX_FRAMES];
    private final int[] csumStart = new int[MAX_FRAMES];
    private final int[] csumOffset = new int[MAX_FRAMES];
    // A lookup result kept for the next programs of the same pass (see memo()): cleared by any
    // change of the frame's flow tuple, so it can never describe a tuple the frame no longer has.
    private final int[] memoTag = new int[MAX_FRAMES];
    private final long[] memoOffset = new long[MAX_FRAMES];
    private final long[] memoVersion = new long[MAX_FRAMES];

    /** Decisions to record for replay's explanations; null (the daemon) records nothing. */
    private FrameTrace trace;

    public FrameVector(BufferPool pool) {
        this.pool = pool;
        this.segment = pool.segment();
    }

    /** Returns: the trace programs record their decisions into, or null (the default: record nothing). */
    public FrameTrace trace() {
        return trace;
    }

    /** Attaches a trace (replay) or detaches it (null); see {@link FrameTrace}. */
    public void trace(FrameTrace value) {
        this.trace = value;
    }

    public BufferPool pool() {
        return pool;
    }

    /** Returns: the memory every offset of this vector points into (the pool's). */
    public MemorySegment segment() {
        return segment;
    }

    public int count() {
        return count;
    }

    public boolean isFull() {
        return count == MAX_FRAMES;
    }

    /**
     * Appends a frame that occupies {@code frameLength} bytes at its buffer's data start, with
     * all metadata reset (verdict {@link Verdict#CONTINUE}, no layers parsed).
     *
     * @return the frame's index, or -1 when the vector is full
     */
    public int add(int bufferIndex, int port, int frameLength) {
        if (count == MAX_FRAMES) {
            return -1;
        }
        int i = count++;
        buffer[i] = bufferIndex;
        start[i] = pool.dataStart(bufferIndex);
        length[i] = frameLength;
        ingressPort[i] = port;
        resetMetadata(i);
        return i;
    }

    /** Clears everything the parser and programs wrote for frame i (not its bytes, port or length). */
    public void resetMetadata(int i) {
        verdict[i] = Verdict.CONTINUE;
        flags[i] = 0;
        etherType[i] = 0;
        vlanTci[i] = 0;
        l3Offset[i] = NO_OFFSET;
        l3Length[i] = 0;
        l4Offset[i] = NO_OFFSET;
        payloadOffset[i] = NO_OFFSET;
        protocol[i] = 0;
        srcHi[i] = 0;
        srcLo[i] = 0;
        dstHi[i] = 0;
        dstLo[i] = 0;
        srcPort[i] = 0;
        dstPort[i] = 0;
        tcpFlags[i] = 0;
        icmpTypeCode[i] = 0;
        fragmentId[i] = 0;
        mark[i] = 0;
        srcIdentity[i] = 0;
        dstIdentity[i] = 0;
        gsoType[i] = 0;
        gsoSize[i] = 0;
        csumStart[i] = 0;
        csumOffset[i] = 0;
        memoTag[i] = 0;
    }

    /** Forgets all frames without releasing their buffers (whoever holds them now owns them). */
    public void clear() {
        count = 0;
    }

    /** Returns every frame's buffer to the pool and empties the vector. */
    public void releaseAll() {
        for (int i = 0; i < count; i++) {
            pool.release(buffer[i]);
        }
        count = 0;
    }

    // ---- where the frame is -----------------------------------------------------------------

    public int buffer(int i) {
        return buffer[i];
    }

    /** Returns: the offset of the frame's first byte (its Ethernet header) in {@link #segment()}. */
    public long start(int i) {
        return start[i];
    }

    public int length(int i) {
        return length[i];
    }

    public void length(int i, int frameLength) {
        length[i] = frameLength;
    }

    /** Returns: the offset just past the frame's last byte. */
    public long end(int i) {
        return start[i] + length[i];
    }

    /** Returns: the bytes free in front of the frame in its buffer. */
    public int headroom(int i) {
        return (int) (start[i] - pool.base(buffer[i]));
    }

    /** Returns: the bytes free behind the frame in its buffer. */
    public int tailroom(int i) {
        return (int) (pool.base(buffer[i]) + pool.bufferSize() - end(i));
    }

    /**
     * Grows the frame at its front by {@code bytes} (for outer headers), moving its start.
     *
     * @return false, changing nothing, when the headroom is too small
     */
    public boolean prepend(int i, int bytes) {
        if (bytes < 0 || bytes > headroom(i)) {
            return false;
        }
        start[i] -= bytes;
        length[i] += bytes;
        return true;
    }

    /**
     * Removes {@code bytes} from the frame's front (decapsulation).
     *
     * @return false, changing nothing, when the frame is shorter than that
     */
    public boolean trimFront(int i, int bytes) {
        if (bytes < 0 || bytes > length[i]) {
            return false;
        }
        start[i] += bytes;
        length[i] -= bytes;
        return true;
    }

    public int ingressPort(int i) {
        return ingressPort[i];
    }

    public void ingressPort(int i, int port) {
        ingressPort[i] = port;
    }

    // ---- verdict and program state -------------------------------------------------------------

    public int verdict(int i) {
        return verdict[i];
    }

    public void verdict(int i, int value) {
        verdict[i] = value;
    }

    /** Records a drop for frame i. */
    public void drop(int i, DropReason reason) {
        verdict[i] = -reason.code();
    }

    public int flags(int i) {
        return flags[i];
    }

    public void flags(int i, int value) {
        memoTag[i] = 0;
        flags[i] = value;
    }

    public boolean hasFlag(int i, int flag) {
        return (flags[i] & flag) != 0;
    }

    public void addFlags(int i, int flag) {
        flags[i] |= flag;
    }

    public int mark(int i) {
        return mark[i];
    }

    public void mark(int i, int value) {
        mark[i] = value;
    }

    public int srcIdentity(int i) {
        return srcIdentity[i];
    }

    public void srcIdentity(int i, int identity) {
        srcIdentity[i] = identity;
    }

    public int dstIdentity(int i) {
        return dstIdentity[i];
    }

    public void dstIdentity(int i, int identity) {
        dstIdentity[i] = identity;
    }

    // ---- parsed layers ---------------------------------------------------------------------------

    /** Returns: the EtherType after any VLAN tag (0x0800, 0x86DD, 0x0806, ...). */
    public int etherType(int i) {
        return etherType[i];
    }

    public void etherType(int i, int value) {
        etherType[i] = value;
    }

    /** Returns: the 802.1Q TCI when {@link #FLAG_VLAN} is set. */
    public int vlanTci(int i) {
        return vlanTci[i];
    }

    public void vlanTci(int i, int value) {
        vlanTci[i] = value;
    }

    /** Returns: the offset of the IP (or ARP) header, or {@link #NO_OFFSET}. */
    public long l3Offset(int i) {
        return l3Offset[i];
    }

    public void l3Offset(int i, long offset) {
        l3Offset[i] = offset;
    }

    /** Returns: the IP packet's length (IPv4 total length; IPv6 40 + payload length), Ethernet padding excluded. */
    public int l3Length(int i) {
        return l3Length[i];
    }

    public void l3Length(int i, int value) {
        l3Length[i] = value;
    }

    /** Returns: the offset of the L4 header, or {@link #NO_OFFSET}. */
    public long l4Offset(int i) {
        return l4Offset[i];
    }

    public void l4Offset(int i, long offset) {
        l4Offset[i] = offset;
    }

    /** Returns: the offset of the L4 payload (past TCP options, the UDP or ICMP header). */
    public long payloadOffset(int i) {
        return payloadOffset[i];
    }

    public void payloadOffset(int i, long offset) {
        payloadOffset[i] = offset;
    }

    /** Returns: the number of bytes from the L4 header to the end of the IP packet. */
    public int l4Length(int i) {
        return (int) (l3Offset[i] + l3Length[i] - l4Offset[i]);
    }

    /** Returns: the L4 protocol (IPv6: after extension headers). */
    public int protocol(int i) {
        return protocol[i];
    }

    public void protocol(int i, int value) {
        protocol[i] = value;
        memoTag[i] = 0;
    }

    // ---- flow tuple -----------------------------------------------------------------------------

    public long srcHi(int i) {
        return srcHi[i];
    }

    public long srcLo(int i) {
        return srcLo[i];
    }

    public long dstHi(int i) {
        return dstHi[i];
    }

    public long dstLo(int i) {
        return dstLo[i];
    }

    /** Returns: the IPv4 source address (valid when {@link #FLAG_IPV4}). */
    public int srcIp4(int i) {
        return (int) srcLo[i];
    }

    /** Returns: the IPv4 destination address (valid when {@link #FLAG_IPV4}). */
    public int dstIp4(int i) {
        return (int) dstLo[i];
    }

    public void src4(int i, int address) {
        memoTag[i] = 0;
        srcHi[i] = 0;
        srcLo[i] = MappedAddress.lo4(address);
    }

    public void dst4(int i, int address) {
        memoTag[i] = 0;
        dstHi[i] = 0;
        dstLo[i] = MappedAddress.lo4(address);
    }

    public void src6(int i, long hi, long lo) {
        memoTag[i] = 0;
        srcHi[i] = hi;
        srcLo[i] = lo;
    }

    public void dst6(int i, long hi, long lo) {
        memoTag[i] = 0;
        dstHi[i] = hi;
        dstLo[i] = lo;
    }

    /** Returns: TCP/UDP source port; for ICMP echo the identifier; 0 otherwise. */
    public int srcPort(int i) {
        return srcPort[i];
    }

    public void srcPort(int i, int port) {
        memoTag[i] = 0;
        srcPort[i] = port;
    }

    /** Returns: TCP/UDP destination port; for ICMP echo the identifier; 0 otherwise. */
    public int dstPort(int i) {
        return dstPort[i];
    }

    public void dstPort(int i, int port) {
        memoTag[i] = 0;
        dstPort[i] = port;
    }

    // ---- a lookup result kept across programs --------------------------------------------------

    /**
     * Keeps one lookup's result for frame {@code i} so the next programs of the same pass need not
     * repeat it: conntrack's, which three or four programs of a node chain would otherwise each
     * do for the same tuple. What the three values mean belongs to the table that wrote them
     * ({@code tag} names it; 0 means nothing is kept). Every change of the frame's flow tuple
     * (addresses, ports, protocol, parse flags) and the next frame in this slot forget it.
     */
    public void memo(int i, int tag, long offset, long version) {
        memoTag[i] = tag;
        memoOffset[i] = offset;
        memoVersion[i] = version;
    }

    /** Returns: the tag of the kept lookup result of frame {@code i}, 0 when none is kept. */
    public int memoTag(int i) {
        return memoTag[i];
    }

    public long memoOffset(int i) {
        return memoOffset[i];
    }

    public long memoVersion(int i) {
        return memoVersion[i];
    }

    /** Forgets frame {@code i}'s kept lookup result. */
    public void forgetMemo(int i) {
        memoTag[i] = 0;
    }

    /** Returns: the TCP flags byte (with CWR/ECE), when the protocol is TCP. */
    public int tcpFlags(int i) {
        return tcpFlags[i];
    }

    public void tcpFlags(int i, int value) {
        tcpFlags[i] = value;
    }

    /** Returns: {@code type << 8 | code} for ICMP and ICMPv6. */
    public int icmpTypeCode(int i) {
        return icmpTypeCode[i];
    }

    public void icmpTypeCode(int i, int value) {
        icmpTypeCode[i] = value;
    }

    /** Returns: the IPv4 identification or IPv6 fragment identification of a fragment. */
    public int fragmentId(int i) {
        return fragmentId[i];
    }

    public void fragmentId(int i, int value) {
        fragmentId[i] = value;
    }

    // ---- offloads (virtio-net header) -----------------------------------------------------------

    /**
     * Returns: the GSO type ({@link #GSO_TCPV4}, {@link #GSO_UDP}, {@link #GSO_TCPV6},
     * {@link #GSO_UDP_L4}, possibly with {@link #GSO_ECN}), 0 for none.
     */
    public int gsoType(int i) {
        return gsoType[i];
    }

    /** Returns: the segment size to cut a GSO frame into. */
    public int gsoSize(int i) {
        return gsoSize[i];
    }

    /** Returns: where the partial checksum's coverage starts, from the frame start. */
    public int csumStart(int i) {
        return csumStart[i];
    }

    /** Returns: where the checksum field is, from {@link #csumStart}. */
    public int csumOffset(int i) {
        return csumOffset[i];
    }

    /** Records the offload request that came with the frame (see {@link #FLAG_GSO}, {@link #FLAG_CSUM_PARTIAL}). */
    public void offload(int i, int type, int segmentSize, int checksumStart, int checksumOffset) {
        gsoType[i] = type;
        gsoSize[i] = segmentSize;
        csumStart[i] = checksumStart;
        csumOffset[i] = checksumOffset;
    }
}
