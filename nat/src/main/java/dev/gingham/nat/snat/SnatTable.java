package dev.gingham.nat.snat;

import dev.gingham.packet.MappedAddress;

import dev.gingham.maps.HashMap;
import dev.gingham.maps.MapErrors;
import dev.gingham.maps.MapSpec;
import dev.gingham.maps.UpdateFlags;
import dev.gingham.packet.DropReason;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * SNAT mappings, as Cilium's {@code cilium_snat_v4_external} map holds them: a forward entry per
 * original flow and a reverse entry per reply tuple, plus the port bitmaps ({@link PortPools})
 * that make every (NAT address, protocol, port) belong to at most one flow.
 *
 * <pre>
 *  tuple key (40 bytes, native order; forward: original flow, reverse: reply flow)
 *   0 srcHi 8 | 8 srcLo 8 | 16 dstHi 8 | 24 dstLo 8 | 32 srcPort 2 | 34 dstPort 2 | 36 protocol 1 | 37 zero 3
 *  forward  key (origSrc, dst, origSrcPort, dstPort, proto)
 *           value (32): 0 natHi 8 | 8 natLo 8 | 16 createdNs 8 | 24 natPort 4 | 28 pool index 4
 *  reverse  key (remote = dst, nat, remotePort, natPort, proto)
 *           value (24): 0 origSrcHi 8 | 8 origSrcLo 8 | 16 origSrcPort 4 | 20 zero 4
 * </pre>
 * ICMP echo flows carry the identifier as both ports (how the parser reports them), so their
 * reverse key has the NAT identifier as remote port too: the reply's echo id is the NAT id.
 *
 * <h2>Creating a mapping (workers, concurrently)</h2>
 * The forward lookup answers existing flows (the common case, no writes). A miss allocates a
 * port, inserts the reverse entry with NOEXIST, then the forward entry with NOEXIST. A reverse
 * collision (a stale entry) frees the port and tries the next; losing the forward insert to
 * another worker creating the same flow deletes our reverse entry, frees our port and returns
 * the winner's mapping, so one flow has one mapping. No path leaves a forward entry without its
 * reverse entry; a reverse entry without a forward one exists only for the instant between
 * the two inserts (no reply can arrive before the first packet leaves) or after a crash, which
 * {@link #pinned} repairs. Exhaustion (no port, or a full map) is
 * {@code -DropReason.NAT_NO_MAPPING.code()} and touches no existing entry.
 *
 * <h2>Releasing (control agent, on conntrack expiry)</h2>
 * Delete forward, then reverse, then free the port: the port is reusable only once no entry
 * names it. Two concurrent releases of one flow free the port once (only one forward delete
 * succeeds).
 */
public final class SnatTable implements AutoCloseable {
    /** {@link #mapEgress} result: the flow already had this mapping. */
    public static final int EXISTING = 0;
    /** {@link #mapEgress} result: a mapping was created for the flow. */
    public static final int CREATED = 1;
    /**
     * "No precomputed hash" for {@link #lookupReverse}: a key whose hash is exactly this value is
     * merely hashed again.
     */
    public static final long NO_HASH = Long.MIN_VALUE;

    static final int KEY_BYTES = 40;
    static final int FORWARD_VALUE_BYTES = 32;
    static final int REVERSE_VALUE_BYTES = 24;

    private static final long K_SRC_HI = 0;
    private static final long K_SRC_LO = 8;
    private static final long K_DST_HI = 16;
    private static final long K_DST_LO = 24;
    private static final long K_SRC_PORT = 32;
    private static final long K_DST_PORT = 34;
    private static final long K_PROTOCOL = 36;
    private static final long F_NAT_HI = 0;
    private static final long F_NAT_LO = 8;
    private static final long F_CREATED = 16;
    private static final long F_NAT_PORT = 24;
    private static final long F_POOL = 28;
    private static final long R_ORIG_HI = 0;
    private static final long R_ORIG_LO = 8;
    private static final long R_ORIG_PORT = 16;
    private static final long R_ZERO = 20;

    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED;
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED;
    private static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED;

    private static final int NO_MAPPING = -DropReason.NAT_NO_MAPPING.code();
    private static final int UNSUPPORTED = -DropReason.NAT_UNSUPPORTED_PROTOCOL.code();

    private final SnatConfig config;
    private final HashMap forward;
    private final HashMap reverse;
    private final PortPools pools;
    private final RecoveryReport recovery;

    private SnatTable(SnatConfig config, HashMap forward, HashMap reverse, PortPools pools, boolean reopened) {
        this.config = config;
        this.forward = forward;
        this.reverse = reverse;
        this.pools = pools;
        this.recovery = reopened ? recover() : RecoveryReport.NONE;
        registerNodeAddresses();
    }

    static MapSpec forwardSpec(SnatConfig config) {
        return MapSpec.hash("snat_fwd", KEY_BYTES, FORWARD_VALUE_BYTES, config.mapEntries());
    }

    static MapSpec reverseSpec(SnatConfig config) {
        return MapSpec.hash("snat_rev", KEY_BYTES, REVERSE_VALUE_BYTES, config.mapEntries());
    }

    /** Creates anonymous maps; {@code hashSeed} fixes the hash layout (replays, tests). */
    public static SnatTable create(SnatConfig config, long hashSeed) {
        return new SnatTable(config, HashMap.create(forwardSpec(config), hashSeed),
                HashMap.create(reverseSpec(config), hashSeed ^ 0x9E37_79B9_7F4A_7C15L), PortPools.create(config), false);
    }

    /**
     * Opens or creates the maps pinned under {@code dir} ({@code snat_fwd}, {@code snat_rev},
     * {@code snat_ports}). Reopened maps are checked against each other before use: the port
     * bitmaps are rebuilt from the forward entries, so a crash between a port allocation and
     * its insert leaks no port; see {@link #recovery()}.
     *
     * @throws dev.gingham.maps.MapPinException when a file was written for another configuration
     *         (for instance another port range), naming the field
     */
    public static SnatTable pinned(Path dir, SnatConfig config) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("SNAT pin directory " + dir, e);
        }
        Path fwdFile = dir.resolve("snat_fwd");
        boolean reopened = Files.exists(fwdFile);
        HashMap forward = HashMap.pinned(forwardSpec(config), fwdFile);
        HashMap reverse = null;
        try {
            reverse = HashMap.pinned(reverseSpec(config), dir.resolve("snat_rev"));
            PortPools pools = PortPools.pinned(dir.resolve("snat_ports"), config);
            return new SnatTable(config, forward, reverse, pools, reopened);
        } catch (RuntimeException e) {
            forward.close();
            if (reverse != null) {
                reverse.close();
            }
            throw e;
        }
    }

    private void registerNodeAddresses() {
        requireOk(addNatAddress(0, MappedAddress.lo4(config.nodeIpv4())), "node IPv4");
        if (config.hasNodeIpv6()) {
            requireOk(addNatAddress(config.nodeIpv6Hi(), config.nodeIpv6Lo()), "node IPv6");
        }
    }

    private static void requireOk(int rc, String what) {
        if (rc != MapErrors.OK) {
            throw new IllegalStateException("SNAT port pools for " + what + ": " + MapErrors.name(rc)
                    + " (raise maxNatAddresses)");
        }
    }

    /**
     * Gives a NAT address (an egress gateway IP) its TCP, UDP and ICMP port bitmaps; idempotent.
     * Control agent only, before publishing policies that use the address.
     *
     * @return {@link MapErrors#OK} or {@link MapErrors#E2BIG} when maxNatAddresses are in use
     */
    public int addNatAddress(long natHi, long natLo) {
        return pools.register(natHi, natLo);
    }

    /**
     * {@link #mapEgress(long, long, int, long, long, int, int, long, long, long, SnatResult)}
     * behind the node's address of the flow's family (masquerade).
     *
     * @return as there; NAT_NO_MAPPING for IPv6 when the node has no IPv6 address
     */
    public int mapEgress(long srcHi, long srcLo, int srcPort, long dstHi, long dstLo, int dstPort, int protocol,
                         long nowNs, SnatResult out) {
        if (MappedAddress.isIpv4(dstHi, dstLo)) {
            return mapEgress(srcHi, srcLo, srcPort, dstHi, dstLo, dstPort, protocol,
                    0, MappedAddress.lo4(config.nodeIpv4()), nowNs, out);
        }
        if (!config.hasNodeIpv6()) {
            return NO_MAPPING;
        }
        return mapEgress(srcHi, srcLo, srcPort, dstHi, dstLo, dstPort, protocol,
                config.nodeIpv6Hi(), config.nodeIpv6Lo(), nowNs, out);
    }

    /**
     * Returns the flow's mapping, creating it behind {@code (natHi, natLo)} if it has none
     * (an existing mapping is returned whatever NAT address is asked for: a flow keeps its
     * mapping until released). Addresses are IPv4-mapped for IPv4; ports 0-65535.
     *
     * @param out receives natHi, natLo, natPort and createdNs
     * @return {@link #EXISTING}, {@link #CREATED}, {@code -NAT_NO_MAPPING} (167: no free port,
     *         full map, or no pool for the NAT address) or {@code -NAT_UNSUPPORTED_PROTOCOL}
     *         (168: not TCP, UDP, ICMP or ICMPv6)
     */
    public int mapEgress(long srcHi, long srcLo, int srcPort, long dstHi, long dstLo, int dstPort, int protocol,
                         long natHi, long natLo, long nowNs, SnatResult out) {
        int poolProtocol = PortPools.poolProtocol(protocol);
        if (poolProtocol < 0) {
            return UNSUPPORTED;
        }
        MemorySegment s = out.scratch;
        writeKey(s, SnatResult.KEY_A, srcHi, srcLo, dstHi, dstLo, srcPort, dstPort, protocol);
        if (forward.lookupCopy(s, SnatResult.KEY_A, s, SnatResult.VALUE_A)) {
            readForward(s, out);
            return EXISTING;
        }
        return create(srcHi, srcLo, srcPort, dstHi, dstLo, dstPort, protocol, poolProtocol, natHi, natLo, nowNs, out);
    }

    private int create(long srcHi, long srcLo, int srcPort, long dstHi, long dstLo, int dstPort, int protocol,
                       int poolProtocol, long natHi, long natLo, long nowNs, SnatResult out) {
        MemorySegment s = out.scratch;
        int poolIndex = pools.find(natHi, natLo, poolProtocol, s, SnatResult.POOL_KEY);
        if (poolIndex < 0) {
            return NO_MAPPING;
        }
        PortAllocator ports = pools.pool(poolIndex);
        boolean icmp = isIcmp(protocol);
        int attempts = ports.portCount();
        for (int attempt = 0; attempt < attempts; attempt++) {
            int port = ports.allocate();
            if (port == PortAllocator.NO_PORT) {
                return NO_MAPPING;
            }
            writeKey(s, SnatResult.KEY_B, dstHi, dstLo, natHi, natLo, icmp ? port : dstPort, port, protocol);
            s.set(LONG, SnatResult.VALUE_B + R_ORIG_HI, srcHi);
            s.set(LONG, SnatResult.VALUE_B + R_ORIG_LO, srcLo);
            s.set(INT, SnatResult.VALUE_B + R_ORIG_PORT, srcPort & 0xFFFF);
            s.set(INT, SnatResult.VALUE_B + R_ZERO, 0);
            int rc = reverse.update(s, SnatResult.KEY_B, s, SnatResult.VALUE_B, UpdateFlags.NOEXIST);
            if (rc == MapErrors.EEXIST) {
                ports.release(port); // a stale reply tuple holds this port: the cursor has moved on
                continue;
            }
            if (rc != MapErrors.OK) {
                ports.release(port);
                return NO_MAPPING;
            }
            s.set(LONG, SnatResult.VALUE_A + F_NAT_HI, natHi);
            s.set(LONG, SnatResult.VALUE_A + F_NAT_LO, natLo);
            s.set(LONG, SnatResult.VALUE_A + F_CREATED, nowNs);
            s.set(INT, SnatResult.VALUE_A + F_NAT_PORT, port);
            s.set(INT, SnatResult.VALUE_A + F_POOL, poolIndex);
            rc = forward.update(s, SnatResult.KEY_A, s, SnatResult.VALUE_A, UpdateFlags.NOEXIST);
            if (rc == MapErrors.OK) {
                out.natHi = natHi;
                out.natLo = natLo;
                out.natPort = port;
                out.createdNs = nowNs;
                return CREATED;
            }
            reverse.delete(s, SnatResult.KEY_B);
            ports.release(port);
            if (rc != MapErrors.EEXIST) {
                return NO_MAPPING;
            }
            if (forward.lookupCopy(s, SnatResult.KEY_A, s, SnatResult.VALUE_A)) {
                readForward(s, out); // another worker created this flow's mapping first
                return EXISTING;
            }
            // ... and it was released again already: try once more
        }
        return NO_MAPPING;
    }

    /**
     * The flow's mapping, if it has one; creates nothing (inspection and consistency checks).
     *
     * @param out receives natHi, natLo, natPort and createdNs
     * @return 0, or {@code -NAT_NO_MAPPING} (167) when the flow has no mapping
     */
    public int lookupEgress(long srcHi, long srcLo, int srcPort, long dstHi, long dstLo, int dstPort, int protocol,
                            SnatResult out) {
        MemorySegment s = out.scratch;
        writeKey(s, SnatResult.KEY_A, srcHi, srcLo, dstHi, dstLo, srcPort, dstPort, protocol);
        if (!forward.lookupCopy(s, SnatResult.KEY_A, s, SnatResult.VALUE_A)) {
            return NO_MAPPING;
        }
        readForward(s, out);
        return 0;
    }

    /**
     * The original source of a reply: the reply's source is the remote, its destination the NAT
     * address and port (for ICMP echo replies both ports are the NAT identifier).
     *
     * @param out receives origHi, origLo, origPort
     * @return 0, or {@code -NAT_NO_MAPPING} (167) when no mapping owns the tuple
     */
    public int lookupReverse(long remoteHi, long remoteLo, int remotePort, long natHi, long natLo, int natPort,
                             int protocol, SnatResult out) {
        return lookupReverse(remoteHi, remoteLo, remotePort, natHi, natLo, natPort, protocol, NO_HASH, out);
    }

    /**
     * {@link #lookupReverse(long, long, int, long, long, int, int, SnatResult)} with the key's hash
     * from {@link #prefetchReverse} with the same arguments (or {@link #NO_HASH}).
     */
    public int lookupReverse(long remoteHi, long remoteLo, int remotePort, long natHi, long natLo, int natPort,
                             int protocol, long hash, SnatResult out) {
        MemorySegment s = out.scratch;
        writeKey(s, SnatResult.KEY_B, remoteHi, remoteLo, natHi, natLo, remotePort, natPort, protocol);
        boolean found = hash == NO_HASH
                ? reverse.lookupCopy(s, SnatResult.KEY_B, s, SnatResult.VALUE_B)
                : reverse.lookupCopy(s, SnatResult.KEY_B, s, SnatResult.VALUE_B, hash);
        if (!found) {
            return NO_MAPPING;
        }
        out.origHi = s.get(LONG, SnatResult.VALUE_B + R_ORIG_HI);
        out.origLo = s.get(LONG, SnatResult.VALUE_B + R_ORIG_LO);
        out.origPort = s.get(INT, SnatResult.VALUE_B + R_ORIG_PORT);
        return 0;
    }

    /**
     * The first pass of a vector loop over arriving packets: touches the slot the probe of
     * {@link #lookupReverse} with the same arguments starts at, so the cache misses of a whole
     * vector overlap instead of one per packet (as {@code CtTable.prefetch} does for conntrack).
     * Only warms the cache; answers nothing.
     *
     * @return the key's hash, for the lookup with the same arguments
     */
    public long prefetchReverse(long remoteHi, long remoteLo, int remotePort, long natHi, long natLo, int natPort,
                                int protocol, SnatResult out) {
        MemorySegment s = out.scratch;
        writeKey(s, SnatResult.KEY_B, remoteHi, remoteLo, natHi, natLo, remotePort, natPort, protocol);
        long hash = reverse.hash(s, SnatResult.KEY_B);
        out.prefetchSink += reverse.prefetch(hash);
        return hash;
    }

    /**
     * Deletes a flow's forward and reverse entries and frees its port: the control agent calls
     * this when conntrack expires the flow. Allocates nothing.
     *
     * @param scratch the caller's result holder (only its scratch memory is used, plus
     *                natHi/natLo/natPort of the released mapping)
     * @return {@link MapErrors#OK} or {@link MapErrors#ENOENT} when the flow has no mapping
     */
    public int release(long srcHi, long srcLo, int srcPort, long dstHi, long dstLo, int dstPort, int protocol,
                       SnatResult scratch) {
        MemorySegment s = scratch.scratch;
        writeKey(s, SnatResult.KEY_A, srcHi, srcLo, dstHi, dstLo, srcPort, dstPort, protocol);
        if (!forward.lookupCopy(s, SnatResult.KEY_A, s, SnatResult.VALUE_A)) {
            return MapErrors.ENOENT;
        }
        readForward(s, scratch);
        int poolIndex = s.get(INT, SnatResult.VALUE_A + F_POOL);
        if (forward.delete(s, SnatResult.KEY_A) != MapErrors.OK) {
            return MapErrors.ENOENT; // a concurrent release won
        }
        int natPort = scratch.natPort;
        writeKey(s, SnatResult.KEY_B, dstHi, dstLo, scratch.natHi, scratch.natLo,
                isIcmp(protocol) ? natPort : dstPort, natPort, protocol);
        reverse.delete(s, SnatResult.KEY_B);
        PortAllocator pool = pools.pool(poolIndex);
        if (pool != null) {
            pool.release(natPort);
        }
        return MapErrors.OK;
    }

    /** Returns: the bitmap of the NAT address's pool for {@code protocol}, or null when it has none (inspection, tests). */
    public PortAllocator ports(long natHi, long natLo, int protocol) {
        int poolProtocol = PortPools.poolProtocol(protocol);
        if (poolProtocol < 0) {
            return null;
        }
        try (Arena arena = Arena.ofConfined()) {
            int index = pools.find(natHi, natLo, poolProtocol, arena.allocate(32, 8), 0);
            return index < 0 ? null : pools.pool(index);
        }
    }

    /** Receives one mapping of a dump, as values (nothing refers into the map). */
    @FunctionalInterface
    public interface MappingVisitor {
        /**
         * @param createdNs when the mapping was made (the node clock of the worker that made it)
         */
        void visit(int protocol, long srcHi, long srcLo, int srcPort, long dstHi, long dstLo, int dstPort,
                   long natHi, long natLo, int natPort, long createdNs);
    }

    /**
     * Visits every mapping for dumps (the admin API's {@code /v1/nat}), from any thread while
     * workers create and release mappings: through {@link HashMap#forEachCopy}, so a mapping
     * caught half written is skipped, never reported torn. Writes nothing.
     *
     * @return the number of mappings visited
     */
    public int forEachMapping(MappingVisitor visitor) {
        return forward.forEachCopy((s, k, v) -> visitor.visit(s.get(ValueLayout.JAVA_BYTE, k + K_PROTOCOL) & 0xFF,
                s.get(LONG, k + K_SRC_HI), s.get(LONG, k + K_SRC_LO), Short.toUnsignedInt(s.get(SHORT, k + K_SRC_PORT)),
                s.get(LONG, k + K_DST_HI), s.get(LONG, k + K_DST_LO), Short.toUnsignedInt(s.get(SHORT, k + K_DST_PORT)),
                s.get(LONG, v + F_NAT_HI), s.get(LONG, v + F_NAT_LO), s.get(INT, v + F_NAT_PORT), s.get(LONG, v + F_CREATED)));
    }

    /** Returns: the number of mappings (forward entries). */
    public int count() {
        return forward.count();
    }

    /** Returns: the number of reply tuples (reverse entries); equals {@link #count()} at rest. */
    public int reverseCount() {
        return reverse.count();
    }

    /** Returns: what reopening pinned maps found and repaired ({@link RecoveryReport#NONE} for new maps). */
    public RecoveryReport recovery() {
        return recovery;
    }

    public SnatConfig config() {
        return config;
    }

    @Override
    public void close() {
        forward.close();
        reverse.close();
        pools.close();
    }

    /** Returns: the forward map (tests simulate crashes through it). */
    HashMap forward() {
        return forward;
    }

    static boolean isIcmp(int protocol) {
        return protocol == PortPools.PROTOCOL_ICMP || protocol == PortPools.PROTOCOL_ICMPV6;
    }

    static void writeKey(MemorySegment s, long k, long srcHi, long srcLo, long dstHi, long dstLo,
                                 int srcPort, int dstPort, int protocol) {
        s.set(LONG, k + K_SRC_HI, srcHi);
        s.set(LONG, k + K_SRC_LO, srcLo);
        s.set(LONG, k + K_DST_HI, dstHi);
        s.set(LONG, k + K_DST_LO, dstLo);
        s.set(SHORT, k + K_SRC_PORT, (short) srcPort);
        s.set(SHORT, k + K_DST_PORT, (short) dstPort);
        s.set(INT, k + K_PROTOCOL, 0);
        s.set(ValueLayout.JAVA_BYTE, k + K_PROTOCOL, (byte) protocol);
    }

    private static void readForward(MemorySegment s, SnatResult out) {
        out.natHi = s.get(LONG, SnatResult.VALUE_A + F_NAT_HI);
        out.natLo = s.get(LONG, SnatResult.VALUE_A + F_NAT_LO);
        out.createdNs = s.get(LONG, SnatResult.VALUE_A + F_CREATED);
        out.natPort = s.get(INT, SnatResult.VALUE_A + F_NAT_PORT);
    }

    // ------------------------------------------------------------------------------------------
    // Recovery of reopened pinned maps (before workers start; allocation is fine here)
    // ------------------------------------------------------------------------------------------

    private RecoveryReport recover() {
        List<byte[]> fwd = copyAll(forward, FORWARD_VALUE_BYTES);
        List<byte[]> rev = copyAll(reverse, REVERSE_VALUE_BYTES);
        long[][] expected = new long[pools.poolCount()][];
        int kept = 0;
        int repaired = 0;
        int orphans = 0;
        int dropped = 0;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment s = arena.allocate(SnatResult.SCRATCH_BYTES, 8);
            for (byte[] entry : fwd) {
                MemorySegment.copy(MemorySegment.ofArray(entry), 0, s, SnatResult.KEY_A, KEY_BYTES);
                MemorySegment.copy(MemorySegment.ofArray(entry), KEY_BYTES, s, SnatResult.VALUE_A, FORWARD_VALUE_BYTES);
                int poolIndex = s.get(INT, SnatResult.VALUE_A + F_POOL);
                int natPort = s.get(INT, SnatResult.VALUE_A + F_NAT_PORT);
                long natHi = s.get(LONG, SnatResult.VALUE_A + F_NAT_HI);
                long natLo = s.get(LONG, SnatResult.VALUE_A + F_NAT_LO);
                int protocol = s.get(ValueLayout.JAVA_BYTE, SnatResult.KEY_A + K_PROTOCOL) & 0xFF;
                PortAllocator pool = pools.pool(poolIndex);
                int bit = pool == null ? -1 : natPort - pool.minPort();
                boolean valid = pool != null && pools.active(poolIndex) && bit >= 0 && bit < pool.portCount()
                        && poolServes(pool, natHi, natLo, PortPools.poolProtocol(protocol));
                if (valid) {
                    if (expected[poolIndex] == null) {
                        expected[poolIndex] = new long[pool.words()];
                    }
                    valid = (expected[poolIndex][bit >>> 6] & (1L << (bit & 63))) == 0;
                }
                if (!valid) {
                    forward.delete(s, SnatResult.KEY_A);
                    dropped++;
                    continue;
                }
                expected[poolIndex][bit >>> 6] |= 1L << (bit & 63);
                kept++;
                long srcHi = s.get(LONG, SnatResult.KEY_A + K_SRC_HI);
                long srcLo = s.get(LONG, SnatResult.KEY_A + K_SRC_LO);
                int srcPort = s.get(SHORT, SnatResult.KEY_A + K_SRC_PORT) & 0xFFFF;
                int dstPort = s.get(SHORT, SnatResult.KEY_A + K_DST_PORT) & 0xFFFF;
                writeKey(s, SnatResult.KEY_B, s.get(LONG, SnatResult.KEY_A + K_DST_HI), s.get(LONG, SnatResult.KEY_A + K_DST_LO),
                        natHi, natLo, isIcmp(protocol) ? natPort : dstPort, natPort, protocol);
                if (!reverse.lookupCopy(s, SnatResult.KEY_B, s, SnatResult.VALUE_B)
                        || s.get(LONG, SnatResult.VALUE_B + R_ORIG_HI) != srcHi
                        || s.get(LONG, SnatResult.VALUE_B + R_ORIG_LO) != srcLo
                        || s.get(INT, SnatResult.VALUE_B + R_ORIG_PORT) != srcPort) {
                    s.set(LONG, SnatResult.VALUE_B + R_ORIG_HI, srcHi);
                    s.set(LONG, SnatResult.VALUE_B + R_ORIG_LO, srcLo);
                    s.set(INT, SnatResult.VALUE_B + R_ORIG_PORT, srcPort);
                    s.set(INT, SnatResult.VALUE_B + R_ZERO, 0);
                    reverse.update(s, SnatResult.KEY_B, s, SnatResult.VALUE_B, UpdateFlags.ANY);
                    repaired++;
                }
            }
            for (byte[] entry : rev) {
                MemorySegment.copy(MemorySegment.ofArray(entry), 0, s, SnatResult.KEY_B, KEY_BYTES);
                MemorySegment.copy(MemorySegment.ofArray(entry), KEY_BYTES, s, SnatResult.VALUE_B, REVERSE_VALUE_BYTES);
                int protocol = s.get(ValueLayout.JAVA_BYTE, SnatResult.KEY_B + K_PROTOCOL) & 0xFF;
                int origPort = s.get(INT, SnatResult.VALUE_B + R_ORIG_PORT);
                int remotePort = s.get(SHORT, SnatResult.KEY_B + K_SRC_PORT) & 0xFFFF;
                int natPort = s.get(SHORT, SnatResult.KEY_B + K_DST_PORT) & 0xFFFF;
                long natHi = s.get(LONG, SnatResult.KEY_B + K_DST_HI);
                long natLo = s.get(LONG, SnatResult.KEY_B + K_DST_LO);
                writeKey(s, SnatResult.KEY_A, s.get(LONG, SnatResult.VALUE_B + R_ORIG_HI), s.get(LONG, SnatResult.VALUE_B + R_ORIG_LO),
                        s.get(LONG, SnatResult.KEY_B + K_SRC_HI), s.get(LONG, SnatResult.KEY_B + K_SRC_LO),
                        origPort, isIcmp(protocol) ? origPort : remotePort, protocol);
                boolean owned = forward.lookupCopy(s, SnatResult.KEY_A, s, SnatResult.VALUE_A)
                        && s.get(LONG, SnatResult.VALUE_A + F_NAT_HI) == natHi
                        && s.get(LONG, SnatResult.VALUE_A + F_NAT_LO) == natLo
                        && s.get(INT, SnatResult.VALUE_A + F_NAT_PORT) == natPort;
                if (!owned) {
                    reverse.delete(s, SnatResult.KEY_B);
                    orphans++;
                }
            }
        }
        int leaked = 0;
        int missing = 0;
        for (int p = 0; p < pools.poolCount(); p++) {
            if (!pools.active(p)) {
                continue;
            }
            PortAllocator pool = pools.pool(p);
            for (int w = 0; w < pool.words(); w++) {
                long actual = pool.word(w) & ~pool.padBits(w);
                long want = expected[p] == null ? 0 : expected[p][w];
                leaked += Long.bitCount(actual & ~want);
                missing += Long.bitCount(want & ~actual);
                pool.word(w, want);
            }
        }
        return new RecoveryReport(kept, repaired, orphans, dropped, leaked, missing);
    }

    private boolean poolServes(PortAllocator pool, long natHi, long natLo, int protocol) {
        MemorySegment ps = pool.segment();
        return ps.get(ValueLayout.JAVA_LONG, pool.base() + PortAllocator.NAT_HI_OFFSET) == natHi
                && ps.get(ValueLayout.JAVA_LONG, pool.base() + PortAllocator.NAT_LO_OFFSET) == natLo
                && ps.get(ValueLayout.JAVA_INT, pool.base() + PortAllocator.PROTOCOL_OFFSET) == protocol;
    }

    private static List<byte[]> copyAll(HashMap map, int valueBytes) {
        List<byte[]> entries = new ArrayList<>();
        map.forEach((segment, keyOffset, valueOffset) -> {
            byte[] entry = new byte[KEY_BYTES + valueBytes];
            MemorySegment.copy(segment, ValueLayout.JAVA_BYTE, keyOffset, entry, 0, KEY_BYTES);
            MemorySegment.copy(segment, ValueLayout.JAVA_BYTE, valueOffset, entry, KEY_BYTES, valueBytes);
            entries.add(entry);
        });
        return entries;
    }
}
