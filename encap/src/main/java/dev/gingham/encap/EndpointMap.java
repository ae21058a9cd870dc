package dev.gingham.encap;

import dev.gingham.maps.ArrayMap;
import dev.gingham.maps.HashMap;
import dev.gingham.maps.MapErrors;
import dev.gingham.maps.MapSpec;
import dev.gingham.maps.UpdateFlags;
import dev.gingham.packet.MappedAddress;
import dev.gingham.packet.NetworkOrder;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;

/**
 * The pods on this node by IP address (Cilium's endpoints map, {@code cilium_lxc}): the port
 * (TAP) a frame for the pod leaves on, the pod's MAC, its security identity and flags.
 *
 * <p>Two hash maps so that neither lookup copies a key: IPv4 pods are keyed by the address as
 * an 8-byte long ({@link HashMap#lookup(long)}); IPv6 pods by the 16 address bytes as they sit
 * in the packet, looked up in place. A slot from either is read with the same accessors (the
 * IPv6 map's slots carry a tag bit).
 *
 * <pre>
 * value (24 bytes, native order)
 *   +0  port      u32   verdict TX argument of the pod's interface
 *   +4  identity  u32   the pod's security identity
 *   +8  MAC       u64   low 48 bits
 *   +16 flags     u32   reserved for endpoint flags (0)
 *   +20 reserved  u32
 * </pre>
 *
 * <p>A third, port-indexed array ({@code endpoint_ports}) holds the MAC of the pod on each port:
 * frames a pod sends from its IPv6 link-local address (neighbor discovery before or beside its
 * pod address) name no address the maps know, so anti-spoofing can only check that they come
 * from the port's own MAC (Cilium compiles the same MAC into each endpoint's program).
 *
 * <p>Threading: one writer (the control agent), lock-free readers.
 */
public final class EndpointMap implements AutoCloseable {
    public static final long MISSING = MapErrors.MISSING;
    public static final int VALUE_SIZE = 24;
    /** {@link #portMac} of a port no pod is on. */
    public static final long NO_MAC = -1L;
    /** Marks a port's MAC slot as set (a MAC of zero is still a MAC). */
    private static final long PORT_MAC_PRESENT = 1L << 48;
    private static final long MAC_MASK = 0xFFFF_FFFF_FFFFL;
    private static final int PORT_OFFSET = 0;
    private static final int IDENTITY_OFFSET = 4;
    private static final int MAC_OFFSET = 8;
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED;
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED;

    private final HashMap v4;
    private final HashMap v6;
    private final ArrayMap portMacs;
    private final FamilySlots slots;
    private final Arena writerArena = Arena.ofShared();
    private final MemorySegment writerKey = writerArena.allocate(16, 8);
    private final MemorySegment writerValue = writerArena.allocate(VALUE_SIZE, 8);

    private EndpointMap(HashMap v4, HashMap v6, ArrayMap portMacs) {
        this.v4 = v4;
        this.v6 = v6;
        this.portMacs = portMacs;
        this.slots = new FamilySlots(v4.segment(), v6.segment());
    }

    /** @param maxEndpoints addresses per family, and the number of pod ports (ports 0..maxEndpoints-1) */
    public static EndpointMap create(int maxEndpoints) {
        HashMap v4 = HashMap.create(MapSpec.hash("endpoints4", 8, VALUE_SIZE, maxEndpoints));
        HashMap v6 = HashMap.create(MapSpec.hash("endpoints6", 16, VALUE_SIZE, maxEndpoints));
        return new EndpointMap(v4, v6, ArrayMap.create(portSpec(maxEndpoints)));
    }

    /** Opens (or creates) {@code endpoints4.map}, {@code endpoints6.map} and {@code endpoint_ports.map} in {@code directory}. */
    public static EndpointMap pinned(Path directory, int maxEndpoints) {
        HashMap v4 = HashMap.pinned(MapSpec.hash("endpoints4", 8, VALUE_SIZE, maxEndpoints), directory.resolve("endpoints4.map"));
        HashMap v6 = null;
        try {
            v6 = HashMap.pinned(MapSpec.hash("endpoints6", 16, VALUE_SIZE, maxEndpoints), directory.resolve("endpoints6.map"));
            return new EndpointMap(v4, v6, ArrayMap.pinned(portSpec(maxEndpoints), directory.resolve("endpoint_ports.map")));
        } catch (RuntimeException e) {
            v4.close();
            if (v6 != null) {
                v6.close();
            }
            throw e;
        }
    }

    private static MapSpec portSpec(int maxEndpoints) {
        return MapSpec.array("endpoint_ports", 8, maxEndpoints);
    }

    // ---- control plane --------------------------------------------------------------------------

    /**
     * Adds or replaces the pod at address ({@code hi}, {@code lo}) (IPv4 IPv4-mapped).
     *
     * @return 0 or a negative errno (E2BIG when full)
     */
    public int upsert(long hi, long lo, int port, long mac, int identity) {
        writerValue.set(INT, PORT_OFFSET, port);
        writerValue.set(INT, IDENTITY_OFFSET, identity);
        writerValue.set(LONG, MAC_OFFSET, mac);
        writerValue.set(LONG, 16, 0L);
        return selectKey(hi, lo).update(writerKey, 0, writerValue, 0, UpdateFlags.ANY);
    }

    /** Returns: 0 or ENOENT. */
    public int remove(long hi, long lo) {
        return selectKey(hi, lo).delete(writerKey, 0);
    }

    /**
     * Records the MAC of the pod on {@code port}, against which frames from its link-local
     * addresses are checked.
     *
     * @return 0, or EINVAL when the port is not a pod port (0..maxEndpoints-1)
     */
    public int upsertPortMac(int port, long mac) {
        writerValue.set(LONG, 0, (mac & MAC_MASK) | PORT_MAC_PRESENT);
        return portMacs.update(port, writerValue, 0);
    }

    /** Forgets the MAC of {@code port} (its pod is gone). Returns: 0, or EINVAL for a port out of range. */
    public int removePortMac(int port) {
        writerValue.set(LONG, 0, 0L);
        return portMacs.update(port, writerValue, 0);
    }

    /** Receives one pod address of a dump: IPv4 as IPv4-mapped (hi, lo), and the port its entry names. */
    @FunctionalInterface
    public interface AddressVisitor {
        void visit(long hi, long lo, int port);
    }

    /**
     * Visits every pod address (control plane: a restarted node reads which port each address had,
     * and removes addresses whose pod is gone; collect first, remove after the walk).
     *
     * @return the number of addresses visited
     */
    public int forEachAddress(AddressVisitor visitor) {
        int v4Count = v4.forEach((segment, keyOffset, valueOffset) -> visitor.visit(0L,
                MappedAddress.lo4((int) segment.get(LONG, keyOffset)), segment.get(INT, valueOffset + PORT_OFFSET)));
        return v4Count + v6.forEach((segment, keyOffset, valueOffset) -> visitor.visit(NetworkOrder.u64(segment, keyOffset),
                NetworkOrder.u64(segment, keyOffset + 8), segment.get(INT, valueOffset + PORT_OFFSET)));
    }

    /** Writes the key for (hi, lo) into the writer's key memory and returns the map it belongs to. */
    private HashMap selectKey(long hi, long lo) {
        if (MappedAddress.isIpv4(hi, lo)) {
            writerKey.set(LONG, 0, MappedAddress.ip4(lo) & 0xFFFF_FFFFL);
            return v4;
        }
        NetworkOrder.u64(writerKey, 0, hi);
        NetworkOrder.u64(writerKey, 8, lo);
        return v6;
    }

    // ---- hot path -------------------------------------------------------------------------------

    /** Returns: the slot of the IPv4 pod {@code address} (big-endian int), or {@link #MISSING}. */
    public long lookup4(int address) {
        return v4.lookup(address & 0xFFFF_FFFFL);
    }

    /**
     * Returns: the slot of the IPv6 pod whose 16 address bytes sit at {@code offset} of
     * {@code segment} (a packet's address field, read in place), or {@link #MISSING}.
     */
    public long lookup6(MemorySegment segment, long offset) {
        return FamilySlots.tag6(v6.lookup(segment, offset));
    }

    /** Returns: the MAC of the pod on {@code port} (low 48 bits), or {@link #NO_MAC} when no pod is on it. */
    public long portMac(int port) {
        long offset = portMacs.valueOffset(port);
        if (offset == MapErrors.MISSING) {
            return NO_MAC;
        }
        long value = portMacs.segment().get(LONG, offset);
        return (value & PORT_MAC_PRESENT) != 0 ? value & MAC_MASK : NO_MAC;
    }

    public int port(long slot) {
        return slots.segment(slot).get(INT, FamilySlots.offset(slot) + PORT_OFFSET);
    }

    public int identity(long slot) {
        return slots.segment(slot).get(INT, FamilySlots.offset(slot) + IDENTITY_OFFSET);
    }

    public long mac(long slot) {
        return slots.segment(slot).get(LONG, FamilySlots.offset(slot) + MAC_OFFSET);
    }

    public int count() {
        return v4.count() + v6.count();
    }

    @Override
    public void close() {
        v4.close();
        v6.close();
        portMacs.close();
        writerArena.close();
    }
}
