package dev.gingham.conntrack;

import dev.gingham.maps.HashMap;
import dev.gingham.maps.MapErrors;
import dev.gingham.maps.MapSpec;
import dev.gingham.maps.UpdateFlags;
import dev.gingham.packet.DropReason;
import dev.gingham.packet.FrameVector;
import dev.gingham.packet.IcmpErrorPayload;
import dev.gingham.packet.MappedAddress;
import dev.gingham.packet.Verdict;
import dev.gingham.packet.header.Ipv4Header;
import dev.gingham.packet.header.TcpHeader;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The connection tracking table: {@link CtKey} &rarr; {@link CtEntry} in four fixed-size hash
 * maps, as Cilium splits them: per family, one for TCP and one for everything else
 * ({@code cilium_ct4_global} and {@code cilium_ct_any4_global}), so a UDP or ICMP flood fills its
 * own table and can neither evict nor block TCP connections.
 *
 * <p><b>Families.</b> A flow whose two addresses are IPv4 lives in the IPv4 maps, keyed by the
 * 16-byte stored form ({@link CtKey#LENGTH4}): header, key and entry make a 64-byte slot, one
 * cache line, which is what a lookup in a table larger than the caches waits for. Everything else
 * lives in the IPv6 maps under the 40-byte key. Callers never see the difference: every method
 * takes and gives the 40-byte form ({@link CtResult#key()}), and the table converts at its edge
 * ({@link #readKey} for code that walks a map itself).
 *
 * <p><b>Full tables fail new flows, never old ones.</b> The maps are plain hash maps (not LRU)
 * and entries are created with {@link UpdateFlags#NOEXIST}: when a table is full the new flow's
 * create returns {@code -DropReason.CT_CREATE_FAILED.code()} and every established flow goes on
 * as before. Room comes back only through expiry ({@link CtSweeper}).
 *
 * <p><b>Hot path</b> (per worker, with that worker's {@link CtResult}):
 * <pre>{@code
 * int status = table.lookup(vector, i, result);          // < 0: drop verdict
 * if (status == CtStatus.NEW) {
 *     // policy ... then, if allowed:
 *     long entry = table.create(vector, i, nowNs, result); // < 0: -CT_CREATE_FAILED
 * } else {
 *     table.account(vector, i, nowNs, result);             // counters, TCP state, lifetime
 * }
 * }</pre>
 * Lookups allocate nothing, take no lock and never throw for packet content; creates take the
 * map's per-key stripe (see {@link HashMap}); {@link #account} is lock-free (plain counter adds and a
 * compare-and-set on the state word).
 *
 * <p><b>Expiry</b> is decided by the sweeper alone: a lookup finds an entry past its expiry that
 * has not been swept yet, and traffic revives it, as in Cilium. That way the NAT module's
 * {@link CtExpiryListener} runs exactly once for every entry that goes away, and never for one
 * that stays. Lookups therefore take no clock.
 *
 * <p><b>Time.</b> Every {@code nowNs} comes from the caller's cached or virtual clock. A pinned
 * table outlives the process, so its clock must too: use a node-wide clock (CLOCK_MONOTONIC or
 * wall-clock nanoseconds), not {@link System#nanoTime}, whose origin changes per JVM.
 *
 * <p><b>Fragments</b> are the caller's concern: a later fragment has no ports, so its lookup uses
 * ports 0 (Cilium tracks fragments in a map of its own).
 */
public final class CtTable implements AutoCloseable {
    /** File and map name of the TCP table. */
    public static final String TCP4_MAP_NAME = "ct4_tcp";
    /** File and map name of the IPv4 table for UDP, ICMP and other protocols. */
    public static final String NON_TCP4_MAP_NAME = "ct4_any";
    /** File and map name of the IPv6 TCP table. */
    public static final String TCP6_MAP_NAME = "ct6_tcp";
    /** File and map name of the IPv6 table for UDP, ICMPv6 and other protocols. */
    public static final String NON_TCP6_MAP_NAME = "ct6_any";
    /**
     * Pin files of the layout before the family split (one 120-byte-slot table per protocol
     * class): a daemon that finds them removes them, as their entries cannot be read in the new
     * layout (tracked connections are forgotten once, on that upgrade).
     */
    static final List<String> LEGACY_MAP_NAMES = List.of("ct_tcp", "ct_any");
    /** Expiry is moved forward only in steps of at least this much (see {@code extend}). */
    public static final long EXPIRY_GRANULARITY_NS = 1_000_000_000L;

    private static final int CREATE_ATTEMPTS = 2;
    /**
     * "No precomputed hash": the one 64-bit value {@link #prefetch} never hands out for a real
     * tuple (it would need the key's hash to be exactly this; if it ever is, that lookup merely
     * hashes again).
     */
    public static final long NO_HASH = Long.MIN_VALUE;

    /** Memo tag layout: the table's id above, then the map's index (two bits), direction and status. */
    private static final int MEMO_ID_SHIFT = 5;
    private static final int MEMO_MAP_SHIFT = 3;
    private static final int MEMO_MAP_MASK = 3;
    private static final int MEMO_REPLY = 1 << 2;
    private static final int MEMO_STATUS_MASK = 3;
    private static final int MEMO_ID_MASK = (1 << (Integer.SIZE - MEMO_ID_SHIFT)) - 1;
    private static final AtomicInteger IDS = new AtomicInteger();

    /** Indexes into {@link #maps}: the order of {@link #specs} and of {@link #mapIndex}. */
    private static final int TCP4 = 0;
    private static final int NON_TCP4 = 1;
    private static final int TCP6 = 2;
    private static final int NON_TCP6 = 3;

    /** The four maps, their seeds (for hashing tuples in registers) and their segments (for the prefetch's touch list). */
    private final HashMap[] maps;
    private final MemorySegment[] segments;
    private final long[] seeds;
    private final CtLifetimes lifetimes;
    /** This table's id in frame memos (never 0), so a vector run through two tables never mixes their results. */
    private final int memoId;

    private CtTable(HashMap[] maps, CtLifetimes lifetimes) {
        this.maps = maps.clone();
        this.segments = new MemorySegment[maps.length];
        this.seeds = new long[maps.length];
        for (int m = 0; m < maps.length; m++) {
            segments[m] = maps[m].segment();
            seeds[m] = maps[m].seed();
        }
        this.lifetimes = lifetimes;
        int id = IDS.incrementAndGet() & MEMO_ID_MASK;
        this.memoId = id == 0 ? 1 : id;
    }

    /** Creates anonymous tables with a fixed hash seed (fixed seeds make replays reproducible). */
    public static CtTable create(CtConfig config, long hashSeed) {
        List<MapSpec> specs = specs(config);
        HashMap[] maps = new HashMap[specs.size()];
        for (int m = 0; m < maps.length; m++) {
            maps[m] = HashMap.create(specs.get(m), hashSeed);
        }
        return new CtTable(maps, config.lifetimes());
    }

    /**
     * Opens the tables pinned under {@code directory} ({@value #TCP4_MAP_NAME},
     * {@value #NON_TCP4_MAP_NAME}, {@value #TCP6_MAP_NAME}, {@value #NON_TCP6_MAP_NAME}), creating
     * them when absent and reopening them with their entries otherwise, so connections survive a
     * restart of the dataplane. Pin files of the layout before the family split are removed.
     *
     * @throws dev.gingham.maps.MapPinException when a file holds a map of other sizes or is open elsewhere
     */
    public static CtTable pinned(Path directory, CtConfig config) {
        try {
            Files.createDirectories(directory);
            for (String legacy : LEGACY_MAP_NAMES) {
                Files.deleteIfExists(directory.resolve(legacy));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("conntrack pin directory " + directory + ": " + e.getMessage(), e);
        }
        List<MapSpec> specs = specs(config);
        HashMap[] maps = new HashMap[specs.size()];
        try {
            for (int m = 0; m < maps.length; m++) {
                maps[m] = HashMap.pinned(specs.get(m), directory.resolve(specs.get(m).name()));
            }
            return new CtTable(maps, config.lifetimes());
        } catch (RuntimeException e) {
            for (HashMap map : maps) {
                if (map != null) {
                    map.close();
                }
            }
            throw e;
        }
    }

    /** The four maps' specs, in the order of {@link #maps()}: each family gets the configured capacities. */
    private static List<MapSpec> specs(CtConfig config) {
        return List.of(
                MapSpec.hash(TCP4_MAP_NAME, CtKey.LENGTH4, CtEntry.LENGTH, config.tcpMaxEntries()),
                MapSpec.hash(NON_TCP4_MAP_NAME, CtKey.LENGTH4, CtEntry.LENGTH, config.nonTcpMaxEntries()),
                MapSpec.hash(TCP6_MAP_NAME, CtKey.LENGTH, CtEntry.LENGTH, config.tcpMaxEntries()),
                MapSpec.hash(NON_TCP6_MAP_NAME, CtKey.LENGTH, CtEntry.LENGTH, config.nonTcpMaxEntries()));
    }

    // ---- lookup ------------------------------------------------------------------------------------

    /**
     * Looks frame {@code i} up: by its own tuple (ESTABLISHED), its reversed tuple (REPLY) or,
     * for an ICMP error, by the tuple it quotes (RELATED). On NEW, {@code out.key()} holds the
     * frame's forward tuple and {@code out.map()} the table a create would use.
     *
     * <p>RELATED: an error travels back towards the sender of the packet it quotes. A quoted tuple
     * that matches an entry as it stands was a packet of the original direction (our pod's SYN
     * that a router could not forward; a client's datagram the pod answered with port
     * unreachable), so the error travels in the REPLY direction. A quoted tuple that matches
     * reversed was a reply (the pod's answer that did not reach the client), so the error
     * travels in the ORIGINAL direction. An error that matches nothing is NEW under its own tuple.
     *
     * @return a {@link CtStatus}, or a drop verdict: {@code DropReason.ICMP_EMBEDDED_INVALID}
     *         for an error with a bogus quote, {@code DropReason.UNKNOWN_L3} for a non-IP frame
     */
    public int lookup(FrameVector vector, int i, CtResult out) {
        return lookup(vector, i, NO_HASH, out);
    }

    /**
     * The first pass of a vector loop: hashes every frame's forward tuple into {@code hashes}
     * and touches the slot each probe starts at, so that when the second pass calls
     * {@link #lookup(FrameVector, int, long, CtResult)} with {@code hashes[i]}, the entries are
     * in cache. Looked up frame by frame, every lookup in a large table waits for its own cache
     * miss; touched together in a tight loop, the misses of a whole vector overlap. The two
     * steps are separate loops on purpose: the touching loop must be small for the CPU to keep
     * many misses in flight.
     *
     * <p>The forward tuple is what established packets of the original direction find. A TCP
     * frame with SYN set also gets its reversed tuple's slot touched: a SYN opens a connection
     * (its lookup misses both ways and then creates the entry, so both probes would otherwise
     * wait for memory) and a SYN-ACK answers one (it finds the reversed tuple). Touching the
     * reversed tuple of every frame would cost a wasted miss per established packet, which
     * finds its forward tuple and never probes the reverse. Other replies, ICMP errors and
     * non-IP frames gain nothing and lose nothing (non-IP frames get {@link #NO_HASH}), and
     * neither are frames whose memo already holds this table's result (an earlier program of
     * the chain looked them up): they get {@link #NO_HASH} and no touch. The touches only warm
     * the cache: results are the same with or without them.
     *
     * @param hashes at least {@code vector.count()} long, written from index 0
     */
    public void prefetch(FrameVector vector, int from, int to, long[] hashes, CtResult scratch) {
        byte[] touchMaps = scratch.touchMaps;
        long[] touchOffsets = scratch.touchOffsets;
        int touches = 0;
        for (int i = from; i < to; i++) {
            if (!lookedUp(vector, i)) {
                hashes[i] = NO_HASH;
                continue;
            }
            int protocol = vector.protocol(i);
            boolean ipv4 = ipv4(vector, i);
            int m = mapIndex(protocol, ipv4);
            long hash = forwardHash(vector, i, protocol, m);
            hashes[i] = hash;
            touches = addTouches(touchMaps, touchOffsets, touches, m, hash);
            if (protocol == Ipv4Header.PROTOCOL_TCP && (vector.tcpFlags(i) & TcpHeader.SYN) != 0) {
                touches = addTouches(touchMaps, touchOffsets, touches, m, reversedHash(vector, i, protocol, m));
            }
        }
        // The touching loop: one load per line, nothing else, so the CPU keeps as many misses in
        // flight as its reorder window holds loads.
        MemorySegment[] segments = this.segments;
        long sink = 0;
        for (int k = 0; k < touches; k++) {
            sink += segments[touchMaps[k]].get(ValueLayout.JAVA_LONG_UNALIGNED, touchOffsets[k]); // aligned; unaligned skips the check
        }
        scratch.prefetchSink += sink;
    }

    /** Adds the lines of map {@code m}'s home slot for {@code hash} to the touch list; returns its new length. */
    private int addTouches(byte[] touchMaps, long[] touchOffsets, int touches, int m, long hash) {
        HashMap map = maps[m];
        long slot = map.homeSlotOffset(hash);
        long last = slot + map.slotBytes() - Long.BYTES;
        int n = touches;
        for (long at = slot; at <= last; at = (at | 63) + 1) { // the first word of each line the slot spans
            touchMaps[n] = (byte) m;
            touchOffsets[n++] = at;
        }
        return n;
    }

    /** Returns: the hash, in its map, of frame {@code i}'s reversed tuple (the entry a SYN-ACK finds). */
    private long reversedHash(FrameVector vector, int i, int protocol, int m) {
        return tupleHash(m, vector.dstHi(i), vector.dstLo(i), vector.srcHi(i), vector.srcLo(i), vector.dstPort(i),
                vector.srcPort(i), protocol, 0);
    }

    /**
     * Returns: the hash of a tuple in map {@code m} (its protocol's and family's), as that map
     * stores the key: {@link CtKey#hash4} of the IPv4 addresses (the low words) in an IPv4 map,
     * {@link CtKey#hash} of the 40-byte form otherwise.
     */
    private long tupleHash(int m, long srcHi, long srcLo, long dstHi, long dstLo, int srcPort, int dstPort,
                           int protocol, int flags) {
        long seed = seeds[m];
        return m == TCP4 || m == NON_TCP4
                ? CtKey.hash4(seed, (int) srcLo, (int) dstLo, srcPort, dstPort, protocol, flags)
                : CtKey.hash(seed, srcHi, srcLo, dstHi, dstLo, srcPort, dstPort, protocol, flags);
    }

    /**
     * {@link #prefetch(FrameVector, int, int, long[], CtResult)} for one frame, for loops that
     * prefetch a selection of a vector's frames.
     *
     * @return the frame's forward hash for {@link #lookup(FrameVector, int, long, CtResult)}, or {@link #NO_HASH}
     */
    public long prefetch(FrameVector vector, int i, CtResult scratch) {
        if (!lookedUp(vector, i)) {
            return NO_HASH;
        }
        int protocol = vector.protocol(i);
        int m = mapIndex(protocol, ipv4(vector, i));
        long hash = forwardHash(vector, i, protocol, m);
        long sink = maps[m].prefetch(hash);
        if (protocol == Ipv4Header.PROTOCOL_TCP && (vector.tcpFlags(i) & TcpHeader.SYN) != 0) {
            sink += maps[m].prefetch(reversedHash(vector, i, protocol, m));
        }
        scratch.prefetchSink += sink;
        return hash;
    }

    /**
     * Touches the slot an explicit key's probe starts at (see {@link #prefetch}) and returns the
     * key's hash for {@link #lookup(MemorySegment, long, int, long, CtResult)}: for keys the NAT
     * module builds itself (service entries), hashed from the fields without writing the key.
     */
    public long prefetchKey(long srcHi, long srcLo, long dstHi, long dstLo, int srcPort, int dstPort, int protocol,
                            int flags, CtResult scratch) {
        boolean ipv4 = MappedAddress.isIpv4(srcHi, srcLo) && MappedAddress.isIpv4(dstHi, dstLo);
        long hash = tupleHash(mapIndex(protocol, ipv4), srcHi, srcLo, dstHi, dstLo, srcPort, dstPort, protocol, flags);
        scratch.prefetchSink += mapFor(protocol, ipv4).prefetch(hash);
        return hash;
    }

    /** Returns: the hash of frame {@code i}'s forward tuple in map {@code m}, its protocol's and family's. */
    private long forwardHash(FrameVector vector, int i, int protocol, int m) {
        return tupleHash(m, vector.srcHi(i), vector.srcLo(i), vector.dstHi(i), vector.dstLo(i), vector.srcPort(i),
                vector.dstPort(i), protocol, 0);
    }

    /** Returns: true when frame {@code i}'s lookup will probe: an IP frame whose memo does not hold this table's result. */
    private boolean lookedUp(FrameVector vector, int i) {
        return (vector.hasFlag(i, FrameVector.FLAG_IPV4) || vector.hasFlag(i, FrameVector.FLAG_IPV6))
                && vector.memoTag(i) >>> MEMO_ID_SHIFT != memoId;
    }

    /**
     * {@link #lookup(FrameVector, int, CtResult)} with the forward tuple's hash from
     * {@link #prefetch} (or {@code NO_HASH}): the same result, without hashing the tuple again.
     */
    public int lookup(FrameVector vector, int i, long forwardHash, CtResult out) {
        out.reset();
        if (!vector.hasFlag(i, FrameVector.FLAG_IPV4) && !vector.hasFlag(i, FrameVector.FLAG_IPV6)) {
            return DropReason.UNKNOWN_L3.verdict();
        }
        int tag = vector.memoTag(i);
        if (tag >>> MEMO_ID_SHIFT == memoId && recall(vector, i, tag, out)) {
            return out.status;
        }
        CtKey key = out.key();
        MemorySegment scratch = out.scratch();
        if (vector.hasFlag(i, FrameVector.FLAG_ICMP_ERROR)) {
            IcmpErrorPayload quote = out.quote();
            int parsed = quote.parse(vector, i);
            if (parsed != Verdict.CONTINUE) {
                return parsed;
            }
            key.fromQuote(quote);
            HashMap map = mapFor(quote.protocol(), key.ipv4());
            long offset = find(map, scratch, CtResult.KEY_OFFSET, NO_HASH, scratch);
            if (offset != MapErrors.MISSING) {
                out.found(CtStatus.RELATED, CtResult.REPLY, map, offset);
                return CtStatus.RELATED;
            }
            key.reverse();
            offset = find(map, scratch, CtResult.KEY_OFFSET, NO_HASH, scratch);
            if (offset != MapErrors.MISSING) {
                out.found(CtStatus.RELATED, CtResult.ORIGINAL, map, offset);
                return CtStatus.RELATED;
            }
        }
        int protocol = vector.protocol(i);
        if (ipv4(vector, i)) {
            return lookupIpv4(vector, i, protocol, forwardHash, out);
        }
        int m = mapIndex(protocol, false);
        HashMap map = maps[m];
        key.fromFrame(vector, i);
        long offset = find(map, scratch, CtResult.KEY_OFFSET, forwardHash, scratch);
        if (offset != MapErrors.MISSING) {
            out.found(CtStatus.ESTABLISHED, CtResult.ORIGINAL, map, offset);
            remember(vector, i, out, m);
            return CtStatus.ESTABLISHED;
        }
        key.reverse();
        offset = find(map, scratch, CtResult.KEY_OFFSET, NO_HASH, scratch);
        if (offset != MapErrors.MISSING) {
            out.found(CtStatus.REPLY, CtResult.REPLY, map, offset);
            remember(vector, i, out, m);
            return CtStatus.REPLY;
        }
        key.reverse();
        out.map = map;
        return CtStatus.NEW;
    }

    /**
     * The frame lookup of an IPv4 tuple: its stored form's two words are built in registers and
     * probed with {@link HashMap#lookupPair}, forward, then reversed. No key is written to
     * memory: the result keeps the words of the tuple found (on NEW, the forward one) and
     * {@link CtResult#key()} writes the 40-byte key if anyone asks ({@link #create} writes its
     * own). The same probes as the 40-byte path through {@link #find}, without the key's eight
     * stores and the loads that read them back: the per-packet path of nearly all traffic.
     */
    private int lookupIpv4(FrameVector vector, int i, int protocol, long forwardHash, CtResult out) {
        int m = mapIndex(protocol, true);
        HashMap map = maps[m];
        int src4 = (int) vector.srcLo(i);
        int dst4 = (int) vector.dstLo(i);
        int srcPort = vector.srcPort(i);
        int dstPort = vector.dstPort(i);
        long addresses = CtKey.storedAddresses4(src4, dst4);
        long ports = CtKey.storedPorts4(srcPort, dstPort, protocol, 0);
        long hash = forwardHash != NO_HASH ? forwardHash : CtKey.hashStored4(seeds[m], addresses, ports);
        long offset = map.lookupPair(addresses, ports, hash);
        if (offset != MapErrors.MISSING) {
            out.found(CtStatus.ESTABLISHED, CtResult.ORIGINAL, map, offset);
            out.foundKey4(addresses, ports);
            remember(vector, i, out, m);
            return CtStatus.ESTABLISHED;
        }
        long reversedAddresses = CtKey.storedAddresses4(dst4, src4);
        long reversedPorts = CtKey.storedPorts4(dstPort, srcPort, protocol, 0);
        offset = map.lookupPair(reversedAddresses, reversedPorts, CtKey.hashStored4(seeds[m], reversedAddresses, reversedPorts));
        if (offset != MapErrors.MISSING) {
            out.found(CtStatus.REPLY, CtResult.REPLY, map, offset);
            out.foundKey4(reversedAddresses, reversedPorts);
            remember(vector, i, out, m);
            return CtStatus.REPLY;
        }
        out.foundKey4(addresses, ports); // the forward tuple, for a caller that asks before create
        out.map = map;
        return CtStatus.NEW;
    }

    /**
     * Looks up an explicit key exactly as given (no reversal): the NAT module's access to
     * service entries ({@link CtKey#FLAG_SERVICE}) and to entries it keys itself. The caller
     * knows which way the packet runs and says so, for {@link #account}.
     *
     * @param direction {@link CtResult#ORIGINAL} or {@link CtResult#REPLY}
     * @return {@link CtStatus#NEW}, or {@link CtStatus#ESTABLISHED} / {@link CtStatus#REPLY} per {@code direction}
     */
    public int lookup(MemorySegment key, long keyOffset, int direction, CtResult out) {
        return lookup(key, keyOffset, direction, NO_HASH, out);
    }

    /**
     * {@link #lookup(MemorySegment, long, int, CtResult)} with the key's hash from
     * {@link #prefetchKey} (or {@code NO_HASH}): the same result, without hashing the key again.
     */
    public int lookup(MemorySegment key, long keyOffset, int direction, long hash, CtResult out) {
        out.reset();
        HashMap map = mapFor(CtKey.protocol(key, keyOffset), CtKey.ipv4(key, keyOffset));
        out.map = map;
        long offset = find(map, key, keyOffset, hash, out.staging());
        if (offset == MapErrors.MISSING) {
            return CtStatus.NEW;
        }
        int status = direction == CtResult.REPLY ? CtStatus.REPLY : CtStatus.ESTABLISHED;
        out.found(status, direction == CtResult.REPLY ? CtResult.REPLY : CtResult.ORIGINAL, map, offset);
        return status;
    }

    // ---- create ------------------------------------------------------------------------------------

    /**
     * Creates the entry for frame {@code i}'s flow, keyed by its own tuple and already
     * accounting this first packet (do not {@link #account} it again): counters, the TCP state
     * its flags give (see {@link CtTcp}), the lifetime and the frame's source identity. When
     * another worker created the same flow a moment earlier, the packet is accounted on that
     * entry instead and {@code out.created()} is false.
     *
     * @return the entry's offset in {@code out.map()}'s segment, or
     *         {@code -DropReason.CT_CREATE_FAILED.code()} when the flow's table is full
     */
    public long create(FrameVector vector, int i, long nowNs, CtResult out) {
        return create(vector, i, nowNs, NO_HASH, out);
    }

    /**
     * {@link #create(FrameVector, int, long, CtResult)} with the forward tuple's hash from
     * {@link #prefetch} (or {@code NO_HASH}): the same result, without hashing the tuple again.
     */
    public long create(FrameVector vector, int i, long nowNs, long forwardHash, CtResult out) {
        out.reset();
        int protocol = vector.protocol(i);
        boolean tcp = protocol == Ipv4Header.PROTOCOL_TCP;
        out.key().fromFrame(vector, i);
        CtEntry entry = out.newEntry();
        int tcpFlags = vector.tcpFlags(i);
        int bytes = vector.length(i);
        if (tcp) {
            int word = CtTcp.next(CtEntry.stateWord(CtTcp.NONE, 0), tcpFlags, false);
            entry.init(nowNs, CtTcp.lifetimeNs(word, lifetimes)).stateWord(word);
        } else {
            entry.init(nowNs, lifetimes.nonTcpNs());
        }
        entry.srcIdentity(vector.srcIdentity(i));
        entry.addPacket(bytes);
        long offset = insert(out.scratch(), CtResult.KEY_OFFSET, out.scratch(), CtResult.VALUE_OFFSET, forwardHash, out);
        if (offset >= 0) {
            if (!out.created) {
                account(out, tcpFlags, bytes, nowNs);
            }
            remember(vector, i, out, mapIndex(protocol, ipv4Map(out.map))); // the next programs' lookups find it ESTABLISHED, as the map would
        }
        return offset;
    }

    /**
     * Keeps an ESTABLISHED or REPLY result in the frame's memo with the entry's version: the
     * node chain looks the same tuple up in up to four programs (reverse service NAT, egress and
     * ingress policy, masquerade), and a hit costs a hash, a probe and a key compare each time.
     * ICMP errors (RELATED: found through their quote) and misses are not kept.
     */
    private void remember(FrameVector vector, int i, CtResult out, int mapIndex) {
        if (vector.hasFlag(i, FrameVector.FLAG_ICMP_ERROR)) {
            return; // its lookup starts with the quote; a kept result would skip that
        }
        int tag = memoId << MEMO_ID_SHIFT | mapIndex << MEMO_MAP_SHIFT
                | (out.direction == CtResult.REPLY ? MEMO_REPLY : 0) | out.status;
        vector.memo(i, tag, out.entryOffset, out.map.entryVersion(out.entryOffset));
    }

    /**
     * Restores a kept result into {@code out} (with the key as the lookup would have built it)
     * when the entry is still the one found: same slot version, so not deleted or reused since.
     *
     * @return false when the entry changed (the memo is dropped and the caller looks up afresh)
     */
    private boolean recall(FrameVector vector, int i, int tag, CtResult out) {
        int m = tag >>> MEMO_MAP_SHIFT & MEMO_MAP_MASK;
        HashMap map = maps[m];
        long offset = vector.memoOffset(i);
        if (map.entryVersion(offset) != vector.memoVersion(i)) {
            vector.forgetMemo(i);
            return false;
        }
        boolean reply = (tag & MEMO_REPLY) != 0;
        if (m == TCP4 || m == NON_TCP4) {
            int src4 = (int) vector.srcLo(i);
            int dst4 = (int) vector.dstLo(i);
            int srcPort = vector.srcPort(i);
            int dstPort = vector.dstPort(i);
            int protocol = vector.protocol(i);
            out.foundKey4(reply ? CtKey.storedAddresses4(dst4, src4) : CtKey.storedAddresses4(src4, dst4),
                    reply ? CtKey.storedPorts4(dstPort, srcPort, protocol, 0) : CtKey.storedPorts4(srcPort, dstPort, protocol, 0));
        } else {
            out.key().fromFrame(vector, i);
            if (reply) {
                out.key().reverse();
            }
        }
        out.found(tag & MEMO_STATUS_MASK, reply ? CtResult.REPLY : CtResult.ORIGINAL, map, offset);
        return true;
    }

    /**
     * Inserts an entry the caller prepared (see {@link CtResult#newEntry()} and
     * {@link CtEntry#init}) under an explicit key: the NAT module's way to create service
     * entries with their backend and rev-NAT index in place before any other worker can see
     * them. The key's protocol chooses the table. When the key already exists (another worker
     * won the race) nothing is written, the existing entry is returned and {@code out.created()}
     * is false.
     *
     * @return the entry's offset in {@code out.map()}'s segment, or
     *         {@code -DropReason.CT_CREATE_FAILED.code()} when the table is full
     */
    public long insert(MemorySegment key, long keyOffset, MemorySegment value, long valueOffset, CtResult out) {
        return insert(key, keyOffset, value, valueOffset, NO_HASH, out);
    }

    /**
     * {@link #insert(MemorySegment, long, MemorySegment, long, CtResult)} with the key's hash from
     * {@link #prefetchKey} (or {@code NO_HASH}): one hash and, for a new key, one probe, because
     * the map's insert returns the new entry's offset.
     */
    public long insert(MemorySegment key, long keyOffset, MemorySegment value, long valueOffset, long hash,
                       CtResult out) {
        HashMap map = mapFor(CtKey.protocol(key, keyOffset), CtKey.ipv4(key, keyOffset));
        out.map = map;
        out.created = false;
        MemorySegment storedKey = storedKey(map, key, keyOffset, out.staging());
        long storedKeyOffset = storedKeyOffset(map, keyOffset);
        long keyHash = hash == NO_HASH ? map.hash(storedKey, storedKeyOffset) : hash;
        for (int attempt = 0; attempt < CREATE_ATTEMPTS; attempt++) {
            long inserted = map.insert(storedKey, storedKeyOffset, value, valueOffset, keyHash);
            if (inserted >= 0) {
                out.found(CtStatus.ESTABLISHED, CtResult.ORIGINAL, map, inserted);
                out.created = true;
                return inserted;
            }
            if (inserted != MapErrors.EEXIST) {
                break; // E2BIG: full; anything else (a read-only map) cannot create either
            }
            long offset = map.lookup(storedKey, storedKeyOffset, keyHash); // another worker created it first
            if (offset != MapErrors.MISSING) {
                out.found(CtStatus.ESTABLISHED, CtResult.ORIGINAL, map, offset);
                return offset;
            }
            // Swept between the insert and the lookup (an entry that expired the same instant): try again.
        }
        return -DropReason.CT_CREATE_FAILED.code();
    }

    /**
     * Deletes the entry of an explicit key (the 40-byte form) from its family's map: for a program
     * that created an entry and must take it back (a later program of the chain denied the frame).
     * Expiry listeners are not told: the entry never carried a flow.
     *
     * @param scratch the caller's result, whose scratch memory holds the key's stored form meanwhile
     * @return {@link MapErrors#OK}, or {@link MapErrors#MISSING} when no entry has the key
     */
    public int delete(MemorySegment key, long keyOffset, CtResult scratch) {
        HashMap map = mapFor(CtKey.protocol(key, keyOffset), CtKey.ipv4(key, keyOffset));
        return map.delete(storedKey(map, key, keyOffset, scratch.staging()), storedKeyOffset(map, keyOffset));
    }

    // ---- account -----------------------------------------------------------------------------------

    /** {@link #account(CtResult, int, int, long)} with frame {@code i}'s TCP flags and length. */
    public int account(FrameVector vector, int i, long nowNs, CtResult out) {
        return account(out, vector.tcpFlags(i), vector.length(i), nowNs);
    }

    /**
     * Records one packet on the entry of the last successful lookup or create: packets and bytes
     * (frame length, as Cilium counts) in its direction; for ESTABLISHED and REPLY also the TCP
     * state, the SEEN_REPLY flag and the lifetime. A RELATED ICMP error is counted only: it
     * neither changes state nor extends the flow's life.
     *
     * <p>Closing TCP states get the close lifetime once, at the transition. A packet racing that
     * transition on another worker (it read the state while still alive and writes the longer
     * lifetime after) re-reads the state after its own write and restores the close lifetime:
     * both sides use volatile accesses, so one of them always sees the other.
     *
     * @return the entry's state word after the packet
     */
    public int account(CtResult out, int tcpFlags, int bytes, long nowNs) {
        CtEntry entry = out.entry();
        boolean reply = out.direction == CtResult.REPLY;
        entry.addPacket(bytes);
        if (out.status == CtStatus.RELATED) {
            return entry.stateWord();
        }
        if (!tcpMap(out.map)) {
            if (reply && !entry.hasFlags(CtEntry.FLAG_SEEN_REPLY)) {
                entry.addFlags(CtEntry.FLAG_SEEN_REPLY);
            }
            extend(entry, nowNs + lifetimes.nonTcpNs());
            return entry.stateWord();
        }
        int before = entry.stateWord();
        int after = CtTcp.next(before, tcpFlags, reply);
        while (after != before && !entry.compareAndSetStateWord(before, after)) {
            before = entry.stateWord();
            after = CtTcp.next(before, tcpFlags, reply);
        }
        if (CtTcp.closed(after)) {
            if (!CtTcp.closed(before)) {
                entry.expiresAtNs(nowNs + lifetimes.tcpCloseNs());
            }
        } else if (extend(entry, nowNs + CtTcp.lifetimeNs(after, lifetimes)) && CtTcp.closed(entry.stateWord())) {
            entry.expiresAtNs(nowNs + lifetimes.tcpCloseNs());
        }
        return after;
    }

    /**
     * Moves an open flow's expiry to {@code expiresAtNs}, but only when that is at least
     * {@link #EXPIRY_GRANULARITY_NS} later than the stored one: the expiry is a volatile store (it
     * races the closing transition and the sweeper), and a store plus the re-read after it costs a
     * full fence; most packets of a busy flow arrive within the same second and need neither.
     * Lifetimes are therefore exact to within that granularity. A shorter lifetime (SYN after
     * established) is written at once.
     *
     * @return true when it wrote
     */
    private static boolean extend(CtEntry entry, long expiresAtNs) {
        long current = entry.expiresAtNs();
        if (expiresAtNs - current < EXPIRY_GRANULARITY_NS && expiresAtNs >= current) {
            return false;
        }
        entry.expiresAtNs(expiresAtNs);
        return true;
    }

    // ---- tables ------------------------------------------------------------------------------------

    /**
     * Probes {@code map} for the 40-byte key at {@code keyOffset}: as it is in an IPv6 map; in an
     * IPv4 map, as its stored form, written to {@code scratch} first ({@link CtKey#storeIpv4}).
     */
    private long find(HashMap map, MemorySegment key, long keyOffset, long hash, MemorySegment scratch) {
        MemorySegment stored = storedKey(map, key, keyOffset, scratch);
        long at = storedKeyOffset(map, keyOffset);
        return hash == NO_HASH ? map.lookup(stored, at) : map.lookup(stored, at, hash);
    }

    /**
     * Returns: the segment holding the key as {@code map} stores it: the 40-byte key itself for an
     * IPv6 map; for an IPv4 map, {@code scratch}, where its stored form is written at
     * {@link CtResult#STORED4_OFFSET}. {@link #storedKeyOffset} gives the offset that goes with it.
     */
    private MemorySegment storedKey(HashMap map, MemorySegment key, long keyOffset, MemorySegment scratch) {
        if (!ipv4Map(map)) {
            return key;
        }
        CtKey.storeIpv4(key, keyOffset, scratch, CtResult.STORED4_OFFSET);
        return scratch;
    }

    /** Returns: the offset in {@link #storedKey}'s segment of the key as {@code map} stores it. */
    private long storedKeyOffset(HashMap map, long keyOffset) {
        return ipv4Map(map) ? CtResult.STORED4_OFFSET : keyOffset;
    }

    /**
     * Returns: true when frame {@code i}'s tuple belongs in the IPv4 maps: both addresses IPv4, as
     * {@link CtKey#ipv4(MemorySegment, long)} decides for an explicit key (an IPv6 packet between
     * two IPv4-mapped addresses too, so the frame and its key always agree on the map).
     */
    private static boolean ipv4(FrameVector vector, int i) {
        return vector.hasFlag(i, FrameVector.FLAG_IPV4)
                || MappedAddress.isIpv4(vector.srcHi(i), vector.srcLo(i)) && MappedAddress.isIpv4(vector.dstHi(i), vector.dstLo(i));
    }

    /** Returns: the index in {@link #maps()} of the map for an L4 protocol and family. */
    private static int mapIndex(int protocol, boolean ipv4) {
        return mapIndex(protocol == Ipv4Header.PROTOCOL_TCP, ipv4);
    }

    private static int mapIndex(boolean tcp, boolean ipv4) {
        return ipv4 ? tcp ? TCP4 : NON_TCP4 : tcp ? TCP6 : NON_TCP6;
    }

    /** Returns: the map for an L4 protocol and family: TCP's own, or the shared one for all others. */
    public HashMap mapFor(int protocol, boolean ipv4) {
        return maps[mapIndex(protocol, ipv4)];
    }

    /** Returns: the four maps: IPv4 TCP, IPv4 other, IPv6 TCP, IPv6 other. */
    public List<HashMap> maps() {
        return List.of(maps);
    }

    /** Returns: true for the two IPv4 maps, whose keys are stored in the 16-byte form. */
    public boolean ipv4Map(HashMap map) {
        return map == maps[TCP4] || map == maps[NON_TCP4];
    }

    /** Returns: true for the two TCP maps. */
    public boolean tcpMap(HashMap map) {
        return map == maps[TCP4] || map == maps[TCP6];
    }

    /**
     * Fills {@code into} (the 40-byte form) with the key stored at {@code keyOffset} of one of
     * this table's maps: for code that walks a map itself (views, the sweeper, invariants).
     */
    public CtKey readKey(HashMap map, MemorySegment segment, long keyOffset, CtKey into) {
        if (ipv4Map(map)) {
            return into.loadIpv4(segment, keyOffset);
        }
        return into.copyFrom(segment, keyOffset);
    }

    /** Returns: live TCP entries, both families (for metrics; approximate while writers run). */
    public int tcpCount() {
        return maps[TCP4].count() + maps[TCP6].count();
    }

    /** Returns: live UDP/ICMP/other entries, both families (for metrics; approximate while writers run). */
    public int nonTcpCount() {
        return maps[NON_TCP4].count() + maps[NON_TCP6].count();
    }

    public CtLifetimes lifetimes() {
        return lifetimes;
    }

    @Override
    public void close() {
        RuntimeException failure = null;
        for (HashMap map : maps()) {
            try {
                map.close();
            } catch (RuntimeException e) {
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }
}
