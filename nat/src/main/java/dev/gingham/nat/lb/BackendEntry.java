package dev.gingham.nat.lb;

import dev.gingham.nat.IpAddress;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Value layout of the backend map ({@code lb-backends}, a hash map keyed by the backend id as an
 * 8-byte native-order long, so the hot path looks it up with {@code lookup(long)} and no key
 * buffer).
 *
 * <h2>Value (32 bytes)</h2>
 * <pre>
 *  0               8               16     18    19    20      22    23   24          28     30    32
 *  +---------------+---------------+------+-----+-----+-------+-----+----+-----------+------+-----+
 *  | addrHi u64    | addrLo u64    | port |proto|state|weight |flags|pad |serviceId  | zone | pad |
 *  +---------------+---------------+------+-----+-----+-------+-----+----+-----------+------+-----+
 * </pre>
 * port is the target port (host order), state a {@link BackendState} code, flags
 * {@link #FLAG_NODE_LOCAL}, serviceId the owning service port. A backend serving two service ports
 * (or two services) has one entry per service port: the owner in the entry lets session affinity
 * check "still a backend of this service" with the one lookup it needs anyway, and deleting a
 * service frees exactly its entries; the price is 32 bytes per duplicate.
 */
public final class BackendEntry {
    public static final int KEY_BYTES = 8;
    public static final int VALUE_BYTES = 32;
    public static final int ADDR_HI_OFFSET = 0;
    public static final int ADDR_LO_OFFSET = 8;
    public static final int PORT_OFFSET = 16;
    public static final int PROTOCOL_OFFSET = 18;
    public static final int STATE_OFFSET = 19;
    public static final int WEIGHT_OFFSET = 20;
    public static final int FLAGS_OFFSET = 22;
    public static final int SERVICE_ID_OFFSET = 24;
    public static final int ZONE_OFFSET = 28;

    /** The backend runs on this node. */
    public static final int FLAG_NODE_LOCAL = 1;

    private BackendEntry() {
    }

    /** Writes a whole value at {@code offset}. */
    public static void write(MemorySegment s, long offset, IpAddress address, int port, int protocol, int state,
                             int weight, int flags, int serviceId, int zone) {
        s.set(ValueLayout.JAVA_LONG_UNALIGNED, offset + ADDR_HI_OFFSET, address.hi());
        s.set(ValueLayout.JAVA_LONG_UNALIGNED, offset + ADDR_LO_OFFSET, address.lo());
        s.set(ValueLayout.JAVA_SHORT_UNALIGNED, offset + PORT_OFFSET, (short) port);
        s.set(ValueLayout.JAVA_BYTE, offset + PROTOCOL_OFFSET, (byte) protocol);
        s.set(ValueLayout.JAVA_BYTE, offset + STATE_OFFSET, (byte) state);
        s.set(ValueLayout.JAVA_SHORT_UNALIGNED, offset + WEIGHT_OFFSET, (short) weight);
        s.set(ValueLayout.JAVA_BYTE, offset + FLAGS_OFFSET, (byte) flags);
        s.set(ValueLayout.JAVA_BYTE, offset + FLAGS_OFFSET + 1, (byte) 0);
        s.set(ValueLayout.JAVA_INT_UNALIGNED, offset + SERVICE_ID_OFFSET, serviceId);
        s.set(ValueLayout.JAVA_SHORT_UNALIGNED, offset + ZONE_OFFSET, (short) zone);
        s.set(ValueLayout.JAVA_SHORT_UNALIGNED, offset + ZONE_OFFSET + 2, (short) 0);
    }

    public static long addrHi(MemorySegment s, long offset) {
        return s.get(ValueLayout.JAVA_LONG_UNALIGNED, offset + ADDR_HI_OFFSET);
    }

    public static long addrLo(MemorySegment s, long offset) {
        return s.get(ValueLayout.JAVA_LONG_UNALIGNED, offset + ADDR_LO_OFFSET);
    }

    public static int port(MemorySegment s, long offset) {
        return Short.toUnsignedInt(s.get(ValueLayout.JAVA_SHORT_UNALIGNED, offset + PORT_OFFSET));
    }

    public static int protocol(MemorySegment s, long offset) {
        return Byte.toUnsignedInt(s.get(ValueLayout.JAVA_BYTE, offset + PROTOCOL_OFFSET));
    }

    public static int state(MemorySegment s, long offset) {
        return Byte.toUnsignedInt(s.get(ValueLayout.JAVA_BYTE, offset + STATE_OFFSET));
    }

    public static int weight(MemorySegment s, long offset) {
        return Short.toUnsignedInt(s.get(ValueLayout.JAVA_SHORT_UNALIGNED, offset + WEIGHT_OFFSET));
    }

    public static int flags(MemorySegment s, long offset) {
        return Byte.toUnsignedInt(s.get(ValueLayout.JAVA_BYTE, offset + FLAGS_OFFSET));
    }

    public static int serviceId(MemorySegment s, long offset) {
        return s.get(ValueLayout.JAVA_INT_UNALIGNED, offset + SERVICE_ID_OFFSET);
    }

    public static int zone(MemorySegment s, long offset) {
        return Short.toUnsignedInt(s.get(ValueLayout.JAVA_SHORT_UNALIGNED, offset + ZONE_OFFSET));
    }
}
