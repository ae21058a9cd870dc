package dev.gingham.dataplane.flow;

import dev.gingham.dataplane.policy.Direction;
import dev.gingham.packet.DropReason;
import dev.gingham.packet.header.Addresses;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.function.Consumer;

/**
 * Drains the workers' {@link FlowRing}s and decodes records into {@link FlowEvent}s with names
 * resolved through {@link FlowNames}. A ring has one consumer and draining frees its slots, so
 * there must be exactly one reader per set of rings: the node's {@link FlowHub}, which fans the
 * events out to every stream (two readers would steal each other's events). Workers are never
 * waited for; a slow reader only makes rings overflow, which each ring counts.
 */
public final class FlowReader {
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED;
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED;
    private static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED;

    private final List<FlowRing> rings;
    private final FlowNames names;
    private final String node;

    public FlowReader(List<FlowRing> rings, FlowNames names, String node) {
        this.rings = List.copyOf(rings);
        this.names = names;
        this.node = node;
    }

    /**
     * Decodes up to {@code limitPerRing} waiting records of every ring, ring by ring.
     *
     * @return the number of events delivered
     */
    public int poll(Consumer<FlowEvent> sink, int limitPerRing) {
        int delivered = 0;
        for (FlowRing ring : rings) {
            delivered += ring.drain((segment, offset) -> sink.accept(decode(segment, offset)), limitPerRing);
        }
        return delivered;
    }

    /** Returns: records lost to full rings, over all workers. */
    public long overflows() {
        long total = 0;
        for (FlowRing ring : rings) {
            total += ring.overflows();
        }
        return total;
    }

    /** Returns: the event a record at {@code offset} holds. */
    public FlowEvent decode(MemorySegment s, long offset) {
        int dropCode = Short.toUnsignedInt(s.get(SHORT, offset + FlowRecord.DROP_CODE));
        DropReason reason = dropCode == 0 ? null : DropReason.ofCode(dropCode);
        int ct = Byte.toUnsignedInt(s.get(ValueLayout.JAVA_BYTE, offset + FlowRecord.CT_STATUS));
        return new FlowEvent(
                s.get(LONG, offset + FlowRecord.TIME_NS),
                node,
                FlowRecord.typeName(s.get(ValueLayout.JAVA_BYTE, offset + FlowRecord.TYPE)),
                FlowRecord.verdictName(s.get(ValueLayout.JAVA_BYTE, offset + FlowRecord.VERDICT)),
                dropCode,
                dropCode == 0 ? "" : reason == null ? "UNKNOWN_" + dropCode : reason.name(),
                Direction.name(s.get(ValueLayout.JAVA_BYTE, offset + FlowRecord.DIRECTION)),
                Byte.toUnsignedInt(s.get(ValueLayout.JAVA_BYTE, offset + FlowRecord.PROTOCOL)),
                peer(s, offset + FlowRecord.SRC_HI, offset + FlowRecord.SRC_PORT, offset + FlowRecord.SRC_IDENTITY),
                peer(s, offset + FlowRecord.DST_HI, offset + FlowRecord.DST_PORT, offset + FlowRecord.DST_IDENTITY),
                names.policy(s.get(INT, offset + FlowRecord.POLICY_ID)),
                ct == FlowRecord.CT_NONE ? -1 : ct);
    }

    private FlowEvent.Peer peer(MemorySegment s, long addressOffset, long portOffset, long identityOffset) {
        long hi = s.get(LONG, addressOffset);
        long lo = s.get(LONG, addressOffset + 8);
        int identity = s.get(INT, identityOffset);
        String pod = names.pod(hi, lo);
        int slash = pod.indexOf('/');
        String address = Addresses.formatMapped(hi, lo);
        return new FlowEvent.Peer(address, Short.toUnsignedInt(s.get(SHORT, portOffset)), identity, names.identity(identity),
                slash < 0 ? names.namespace(identity) : pod.substring(0, slash), slash < 0 ? "" : pod.substring(slash + 1));
    }
}
