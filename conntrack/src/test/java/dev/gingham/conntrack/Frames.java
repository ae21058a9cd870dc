package dev.gingham.conntrack;

import dev.gingham.packet.BufferPool;
import dev.gingham.packet.FrameVector;
import dev.gingham.packet.PacketBuilder;
import dev.gingham.packet.Parser;
import dev.gingham.packet.Verdict;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** A buffer pool and vector for conntrack tests: load a built frame, parse it, get its index. */
final class Frames implements AutoCloseable {
    final BufferPool pool = BufferPool.allocate(FrameVector.MAX_FRAMES, BufferPool.DEFAULT_BUFFER_SIZE);
    final FrameVector vector = new FrameVector(pool);
    private final Parser parser = new Parser();

    /** Empties the vector, then loads and parses one frame: its index. */
    int only(byte[] frame) {
        vector.releaseAll();
        return add(frame);
    }

    /** Loads and parses one more frame: its index. */
    int add(byte[] frame) {
        int i = PacketBuilder.load(vector, 1, frame);
        assertEquals(Verdict.CONTINUE, parser.parse(vector, i), "test frame must parse");
        return i;
    }

    @Override
    public void close() {
        vector.releaseAll();
        pool.close();
    }
}
