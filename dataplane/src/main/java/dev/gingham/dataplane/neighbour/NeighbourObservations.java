package dev.gingham.dataplane.neighbour;

import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.MessageHandler;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.ManyToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.RingBufferDescriptor;

import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What the workers saw on the underlay ("address A is at MAC M", from an ARP request or reply),
 * handed to the control agent, the only writer of the neighbour table and of the maps that use it.
 *
 * <p>Why a many-to-one ring buffer and not a map the workers write: a worker must not take a lock
 * or run the table's state machine, several workers read the underlay (packet fanout), and ARP is
 * rare. Agrona's {@link ManyToOneRingBuffer} takes a 12-byte record from any worker with one CAS
 * and no allocation; the control agent drains it each duty cycle. When the ring is full the
 * observation is lost and counted ({@link #lost}): nothing waits, and the neighbour answers again at
 * the next request, so a loss delays resolution by one retry at worst.
 */
public final class NeighbourObservations {
    private static final int MESSAGE_TYPE = 1;
    private static final int MESSAGE_BYTES = Integer.BYTES + Long.BYTES;
    private static final int ADDRESS_OFFSET = 0;
    private static final int MAC_OFFSET = Integer.BYTES;
    /** 64 KiB: about 2,700 observations between two duty cycles of the control agent. */
    private static final int CAPACITY_BYTES = 64 * 1024;

    /** Receives one observation (control agent's thread). */
    @FunctionalInterface
    public interface Sink {
        void observed(int address, long mac);
    }

    private final ManyToOneRingBuffer ring = new ManyToOneRingBuffer(new UnsafeBuffer(
            ByteBuffer.allocateDirect(CAPACITY_BYTES + RingBufferDescriptor.TRAILER_LENGTH)));
    private final AtomicLong lost = new AtomicLong();
    private Sink sink;
    private final MessageHandler handler = this::onMessage;

    /**
     * Records "{@code address} is at {@code mac}" (any worker's thread; no allocation, no lock).
     *
     * @return false when the ring is full (counted)
     */
    public boolean offer(int address, long mac) {
        int index = ring.tryClaim(MESSAGE_TYPE, MESSAGE_BYTES);
        if (index < 0) { // INSUFFICIENT_CAPACITY
            lost.incrementAndGet();
            return false;
        }
        MutableDirectBuffer buffer = ring.buffer();
        buffer.putInt(index + ADDRESS_OFFSET, address);
        buffer.putLong(index + MAC_OFFSET, mac);
        ring.commit(index);
        return true;
    }

    /**
     * Hands every queued observation to {@code to}, oldest first (the control agent's thread only).
     *
     * @return the number handed over
     */
    public int drain(Sink to) {
        this.sink = to;
        return ring.read(handler);
    }

    private void onMessage(int type, MutableDirectBuffer buffer, int index, int length) {
        sink.observed(buffer.getInt(index + ADDRESS_OFFSET), buffer.getLong(index + MAC_OFFSET));
    }

    /** Returns: observations lost to a full ring. */
    public long lost() {
        return lost.get();
    }
}
