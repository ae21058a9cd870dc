package dev.gingham.nat.snat;

import dev.gingham.packet.MappedAddress;

import dev.gingham.maps.ArrayMap;
import dev.gingham.maps.HashMap;
import dev.gingham.maps.MapErrors;
import dev.gingham.maps.MapSpec;
import dev.gingham.maps.UpdateFlags;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.file.Path;

/**
 * The port bitmaps of every NAT address: element {@code i} of the {@code snat_ports} array is
 * one {@link PortAllocator} pool (header + bitmap, layout there), and an anonymous directory
 * maps (NAT address, protocol) to its pool index for the slow path that creates mappings.
 *
 * <pre>
 *  directory key (24 bytes, native): natHi 8 | natLo 8 | protocol 8     value: pool index 4
 * </pre>
 *
 * Why the directory is not pinned: the pool headers already say which address and protocol
 * each pool serves, so a reopening owner rebuilds the directory from them; one source of truth
 * cannot disagree with itself. Registration is the control agent's job (one writer); workers
 * only look up. A pool is published by its directory entry, written after the pool's header and
 * bitmap, so a worker that finds the entry finds a ready pool.
 */
final class PortPools implements AutoCloseable {
    static final int PROTOCOL_ICMP = 1;
    static final int PROTOCOL_TCP = 6;
    static final int PROTOCOL_UDP = 17;
    static final int PROTOCOL_ICMPV6 = 58;

    static final int DIRECTORY_KEY_BYTES = 24;

    private static final VarHandle INT = ValueLayout.JAVA_INT.varHandle().withInvokeExactBehavior();

    private final ArrayMap pools;
    private final HashMap directory;
    private final PortAllocator[] allocators;
    private final MemorySegment segment;
    private final MemorySegment controlScratch;

    private PortPools(ArrayMap pools, int minPort, int maxPort) {
        this.pools = pools;
        this.segment = pools.segment();
        int count = pools.spec().maxEntries();
        this.directory = HashMap.create(MapSpec.hash("snat_pool_dir", DIRECTORY_KEY_BYTES, 4, count), 0x5EED_D1E5L);
        this.allocators = new PortAllocator[count];
        for (int i = 0; i < count; i++) {
            allocators[i] = new PortAllocator(segment, pools.valueOffset(i), minPort, maxPort);
        }
        this.controlScratch = Arena.ofAuto().allocate(64, 8);
    }

    static MapSpec spec(SnatConfig config) {
        return MapSpec.array("snat_ports", (int) PortAllocator.bytes(config.minPort(), config.maxPort()),
                3 * config.maxNatAddresses());
    }

    static PortPools create(SnatConfig config) {
        return new PortPools(ArrayMap.create(spec(config)), config.minPort(), config.maxPort());
    }

    /** Opens or creates the pinned pools and rebuilds the directory from the pool headers. */
    static PortPools pinned(Path file, SnatConfig config) {
        PortPools pools = new PortPools(ArrayMap.pinned(spec(config), file), config.minPort(), config.maxPort());
        for (int i = 0; i < pools.allocators.length; i++) {
            if (pools.active(i)) {
                pools.publish(i);
            }
        }
        return pools;
    }

    /** Returns: the protocol whose bitmap serves {@code protocol} (ICMP types share the echo pool), or -1. */
    static int poolProtocol(int protocol) {
        return switch (protocol) {
            case PROTOCOL_TCP, PROTOCOL_UDP, PROTOCOL_ICMP, PROTOCOL_ICMPV6 -> protocol;
            default -> -1;
        };
    }

    /**
     * Gives the NAT address its three pools (TCP, UDP and ICMP or ICMPv6 by family), fresh; an
     * address that has them keeps them. Control agent only.
     *
     * @return {@link MapErrors#OK} or {@link MapErrors#E2BIG} when maxNatAddresses are in use
     */
    int register(long natHi, long natLo) {
        int icmp = MappedAddress.isIpv4(natHi, natLo) ? PROTOCOL_ICMP : PROTOCOL_ICMPV6;
        int needed = 0;
        for (int protocol : new int[] {PROTOCOL_TCP, PROTOCOL_UDP, icmp}) {
            if (find(natHi, natLo, protocol, controlScratch, 0) < 0) {
                needed++;
            }
        }
        int free = 0;
        for (int i = 0; i < allocators.length; i++) {
            free += active(i) ? 0 : 1;
        }
        if (free < needed) {
            return MapErrors.E2BIG;
        }
        for (int protocol : new int[] {PROTOCOL_TCP, PROTOCOL_UDP, icmp}) {
            if (find(natHi, natLo, protocol, controlScratch, 0) >= 0) {
                continue;
            }
            int index = firstFree();
            PortAllocator pool = allocators[index];
            long base = pool.base();
            segment.set(ValueLayout.JAVA_LONG, base + PortAllocator.NAT_HI_OFFSET, natHi);
            segment.set(ValueLayout.JAVA_LONG, base + PortAllocator.NAT_LO_OFFSET, natLo);
            segment.set(ValueLayout.JAVA_INT, base + PortAllocator.PROTOCOL_OFFSET, protocol);
            pool.reset();
            INT.setRelease(segment, base + PortAllocator.STATE_OFFSET, 1);
            publish(index);
        }
        return MapErrors.OK;
    }

    private int firstFree() {
        for (int i = 0; i < allocators.length; i++) {
            if (!active(i)) {
                return i;
            }
        }
        throw new IllegalStateException("no free pool although one was counted");
    }

    private void publish(int index) {
        long base = allocators[index].base();
        MemorySegment key = controlScratch;
        writeDirectoryKey(key, 0, segment.get(ValueLayout.JAVA_LONG, base + PortAllocator.NAT_HI_OFFSET),
                segment.get(ValueLayout.JAVA_LONG, base + PortAllocator.NAT_LO_OFFSET),
                segment.get(ValueLayout.JAVA_INT, base + PortAllocator.PROTOCOL_OFFSET));
        key.set(ValueLayout.JAVA_INT, 32, index);
        int rc = directory.update(key, 0, key, 32, UpdateFlags.ANY);
        if (rc != MapErrors.OK) {
            throw new IllegalStateException("port pool directory: " + MapErrors.name(rc));
        }
    }

    private static void writeDirectoryKey(MemorySegment s, long offset, long natHi, long natLo, int protocol) {
        s.set(ValueLayout.JAVA_LONG_UNALIGNED, offset, natHi);
        s.set(ValueLayout.JAVA_LONG_UNALIGNED, offset + 8, natLo);
        s.set(ValueLayout.JAVA_LONG_UNALIGNED, offset + 16, protocol);
    }

    /**
     * Finds the pool of (NAT address, pool protocol), building the key in {@code scratch}.
     *
     * @return the pool index, or -1 when the address has no pool for it
     */
    int find(long natHi, long natLo, int protocol, MemorySegment scratch, long scratchOffset) {
        writeDirectoryKey(scratch, scratchOffset, natHi, natLo, protocol);
        long offset = directory.lookup(scratch, scratchOffset);
        return offset == MapErrors.MISSING ? -1 : directory.segment().get(ValueLayout.JAVA_INT_UNALIGNED, offset);
    }

    boolean active(int index) {
        return (int) INT.getAcquire(segment, allocators[index].base() + PortAllocator.STATE_OFFSET) == 1;
    }

    /** Returns: pool {@code index}'s allocator, or null outside the array (a corrupt stored index). */
    PortAllocator pool(int index) {
        return index >= 0 && index < allocators.length ? allocators[index] : null;
    }

    int poolCount() {
        return allocators.length;
    }

    @Override
    public void close() {
        directory.close();
        pools.close();
    }
}
