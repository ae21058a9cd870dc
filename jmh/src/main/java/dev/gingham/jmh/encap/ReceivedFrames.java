package dev.gingham.jmh.encap;

import dev.gingham.packet.BufferPool;
import dev.gingham.packet.FrameVector;
import dev.gingham.packet.PacketBuilder;
import dev.gingham.packet.Parser;

import java.lang.foreign.MemorySegment;

/**
 * A full vector of one frame, put back as received before every measured invocation: the
 * programs under test move frame starts and rewrite bytes in front of and at the start of the
 * frame, so each invocation re-adds every buffer (start, length and metadata reset) and copies
 * back the first {@code restoredBytes} of the frame, then parses it ({@link #refill} stops before the parse). The overlay benchmarks'
 * {@code baseline} methods measure exactly this, so a program's own cost is its method minus
 * the baseline.
 */
final class ReceivedFrames implements AutoCloseable {
    final BufferPool pool = BufferPool.allocate(FrameVector.MAX_FRAMES, BufferPool.DEFAULT_BUFFER_SIZE);
    final FrameVector vector = new FrameVector(pool);
    private final Parser parser = new Parser();
    private final int[] buffers = new int[FrameVector.MAX_FRAMES];
    private final MemorySegment template;
    private final int frameBytes;
    private final int port;
    private final int restoredBytes;

    ReceivedFrames(byte[] frame, int port, int restoredBytes) {
        this.template = MemorySegment.ofArray(frame);
        this.frameBytes = frame.length;
        this.port = port;
        this.restoredBytes = restoredBytes;
        for (int i = 0; i < FrameVector.MAX_FRAMES; i++) {
            buffers[i] = vector.buffer(PacketBuilder.load(vector, port, frame));
        }
    }

    /** Refills the vector with its own buffers as received frames and parses them. */
    void receive() {
        refill();
        parser.parseAll(vector);
    }

    /** Refills the vector with its own buffers as received frames, not parsed (the underlay's receive parses them itself). */
    void refill() {
        MemorySegment s = vector.segment();
        vector.clear();
        for (int b = 0; b < FrameVector.MAX_FRAMES; b++) {
            int i = vector.add(buffers[b], port, frameBytes);
            MemorySegment.copy(template, 0, s, vector.start(i), restoredBytes);
        }
    }

    @Override
    public void close() {
        vector.releaseAll();
        pool.close();
    }
}
