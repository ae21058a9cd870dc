package dev.gingham.nat.lb;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Value layout of the rev-NAT map ({@code lb-revnat}, an array indexed by revNatIndex; index 0 is
 * never handed out, so a zero index in a conntrack entry means "no service"). Replies of a
 * DNATed flow get their source rewritten back to the frontend the client addressed: each
 * frontend (address:port:protocol) has its own index, because a NodePort reached on two node
 * addresses must answer from the address that was used.
 *
 * <h2>Value (24 bytes)</h2>
 * <pre>
 *  0               8               16     18    19       24
 *  +---------------+---------------+------+-----+--------+
 *  | vipHi u64     | vipLo u64     | port |proto| pad    |
 *  +---------------+---------------+------+-----+--------+
 * </pre>
 * An entry is written (whole, seqlocked) before any frontend that names it is published and is
 * not rewritten while the frontend exists.
 */
public final class RevNatEntry {
    public static final int VALUE_BYTES = 24;
    public static final int ADDR_HI_OFFSET = 0;
    public static final int ADDR_LO_OFFSET = 8;
    public static final int PORT_OFFSET = 16;
    public static final int PROTOCOL_OFFSET = 18;

    private RevNatEntry() {
    }

    public static void write(MemorySegment s, long offset, long addrHi, long addrLo, int port, int protocol) {
        s.set(ValueLayout.JAVA_LONG_UNALIGNED, offset + ADDR_HI_OFFSET, addrHi);
        s.set(ValueLayout.JAVA_LONG_UNALIGNED, offset + ADDR_LO_OFFSET, addrLo);
        s.set(ValueLayout.JAVA_SHORT_UNALIGNED, offset + PORT_OFFSET, (short) port);
        s.set(ValueLayout.JAVA_BYTE, offset + PROTOCOL_OFFSET, (byte) protocol);
        s.set(ValueLayout.JAVA_BYTE, offset + PROTOCOL_OFFSET + 1, (byte) 0);
        s.set(ValueLayout.JAVA_INT_UNALIGNED, offset + 20, 0);
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
}
