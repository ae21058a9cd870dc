package dev.gingham.conntrack;

import dev.gingham.maps.HashMap;
import dev.gingham.maps.MapErrors;
import dev.gingham.packet.FrameVector;
import dev.gingham.packet.IcmpErrorPayload;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * One worker's reusable conntrack state: the result of the last lookup (status, direction,
 * which table, the entry's offset) and the scratch memory lookups and creates build keys and
 * values in, so the per-packet path allocates nothing. Create one per worker at start; never
 * share one between threads.
 *
 * <pre>
 *  scratch: | key, 40 bytes (CtKey) | value, 40 bytes (CtEntry) | stored IPv4 key, 16 bytes |
 *           0                       40                          80                          96
 * </pre>
 */
public final class CtResult {
    /** The frame travels as the flow's first packet did. */
    public static final int ORIGINAL = 0;
    /** The frame travels against the flow's first packet. */
    public static final int REPLY = 1;

    static final long KEY_OFFSET = 0;
    static final long VALUE_OFFSET = CtKey.LENGTH;
    /**
     * Where a key's stored IPv4 form ({@link CtKey#storeIpv4}) is staged: by {@link CtTable} before
     * it probes, inserts or deletes an explicit key in an IPv4 map, and by {@link #key()} when it
     * writes a pending key.
     */
    static final long STORED4_OFFSET = VALUE_OFFSET + CtEntry.LENGTH;

    private final MemorySegment scratch;
    private final CtKey key = new CtKey();
    private final CtEntry entry = new CtEntry();
    private final CtEntry newEntry = new CtEntry();
    private final IcmpErrorPayload quote = new IcmpErrorPayload();

    int status;
    int direction;
    /**
     * True when the last frame lookup in an IPv4 map (a hit, a miss, or a kept result restored
     * from the frame's memo) wrote no key: {@link #key()} and {@link #scratch()} then write it
     * from {@link #pendingAddresses} and {@link #pendingPorts} on first use. Most lookups hit and
     * nobody reads their key, so the per-packet path spends none of its stores on it.
     */
    boolean keyPending;
    long pendingAddresses;
    long pendingPorts;
    HashMap map;
    long entryOffset = MapErrors.MISSING;
    boolean created;
    /** Where {@link CtTable#prefetch} folds the words it touched, so the loads are not optimised away. */
    long prefetchSink;
    /**
     * {@link CtTable#prefetch}'s list of words to load, built by its hashing loop so that its
     * touching loop is a handful of instructions per slot: the map (index into the table's maps)
     * and the offset of each line of each slot to touch. Two per frame at most (a SYN's reversed
     * tuple), and up to three lines per IPv6 slot (88 bytes).
     */
    final byte[] touchMaps = new byte[6 * FrameVector.MAX_FRAMES];
    final long[] touchOffsets = new long[6 * FrameVector.MAX_FRAMES];

    public CtResult() {
        // Off-heap so maps hash and compare it like any key; freed with this object.
        this.scratch = Arena.ofAuto().allocate(CtKey.LENGTH + CtEntry.LENGTH + CtKey.LENGTH4, Long.BYTES);
        key.wrap(scratch, KEY_OFFSET);
        newEntry.wrap(scratch, VALUE_OFFSET);
    }

    void reset() {
        keyPending = false;
        status = CtStatus.NEW;
        direction = ORIGINAL;
        map = null;
        entryOffset = MapErrors.MISSING;
        created = false;
    }

    /** Records the key of an IPv4 hit as its stored form's two words, for {@link #key()} to write if asked. */
    void foundKey4(long addresses, long ports) {
        pendingAddresses = addresses;
        pendingPorts = ports;
        keyPending = true;
    }

    void found(int foundStatus, int foundDirection, HashMap foundMap, long offset) {
        status = foundStatus;
        direction = foundDirection;
        map = foundMap;
        entryOffset = offset;
        entry.wrap(foundMap.segment(), offset);
    }

    /** Returns: the {@link CtStatus} of the last lookup. */
    public int status() {
        return status;
    }

    /** Returns: {@link #ORIGINAL} or {@link #REPLY}: the direction the frame travels in its flow. */
    public int direction() {
        return direction;
    }

    /** Returns: the table that holds (or would hold) the flow; null before a lookup or after a drop. */
    public HashMap map() {
        return map;
    }

    /** Returns: the entry's offset in {@link #map()}'s segment, or {@link MapErrors#MISSING}. */
    public long entryOffset() {
        return entryOffset;
    }

    /** Returns: true when the last create or insert made a new entry (false: another worker's was found). */
    public boolean created() {
        return created;
    }

    /** Returns: the found entry (valid while {@link #entryOffset()} is not MISSING). */
    public CtEntry entry() {
        return entry;
    }

    /**
     * Returns: the key of the last lookup, in scratch memory. After a NEW frame lookup it holds
     * the frame's forward tuple; after RELATED, the quoted tuple in the matching orientation.
     */
    public CtKey key() {
        writePendingKey();
        return key;
    }

    /** Returns: the scratch segment as it is, for {@link CtTable} to stage stored keys in without writing a pending key. */
    MemorySegment staging() {
        return scratch;
    }

    /**
     * Returns: the scratch segment that {@link #key()} (at {@link #keyOffset()}) and
     * {@link #newEntry()} live in: for passing the last lookup's key to {@code CtTable.delete}, or
     * for writing a key of one's own there. Like {@link #key()}, it first writes a key an IPv4
     * lookup left unwritten, so fetch it (or {@link #key()}) again after a lookup rather than
     * writing through one kept from before: the pending key would overwrite what was written.
     */
    public MemorySegment scratch() {
        writePendingKey();
        return scratch;
    }

    private void writePendingKey() {
        if (keyPending) {
            keyPending = false;
            scratch.set(ValueLayout.JAVA_LONG_UNALIGNED, STORED4_OFFSET, pendingAddresses);
            scratch.set(ValueLayout.JAVA_LONG_UNALIGNED, STORED4_OFFSET + Long.BYTES, pendingPorts);
            key.loadIpv4(scratch, STORED4_OFFSET);
        }
    }

    /** Returns: a value in scratch memory to prepare an entry for {@link CtTable#insert} (at {@link #newEntryOffset()}). */
    public CtEntry newEntry() {
        return newEntry;
    }

    public long newEntryOffset() {
        return VALUE_OFFSET;
    }

    public long keyOffset() {
        return KEY_OFFSET;
    }

    /** Returns: the quoted datagram of the last ICMP error looked up. */
    public IcmpErrorPayload quote() {
        return quote;
    }
}
