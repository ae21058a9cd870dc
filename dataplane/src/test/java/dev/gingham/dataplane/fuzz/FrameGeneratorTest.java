package dev.gingham.dataplane.fuzz;

import dev.gingham.packet.BufferPool;
import dev.gingham.packet.FrameVector;
import dev.gingham.packet.Parser;
import dev.gingham.packet.Verdict;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Generated frames are valid: the parser accepts every one, every checksum is right, every shape has its layers. */
class FrameGeneratorTest {
    private final BufferPool pool = BufferPool.allocate(1, BufferPool.DEFAULT_BUFFER_SIZE);
    private final FrameVector vector = new FrameVector(pool);
    private final int buffer = pool.acquire();
    private final FrameWriter writer = new FrameWriter();
    private final FrameGenerator generator = new FrameGenerator(FuzzAddresses.defaults());
    private final Parser parser = new Parser();
    private final ChecksumVerifier checksums = new ChecksumVerifier();

    @AfterEach
    void close() {
        pool.close();
    }

    private int generate(int shape, long seed) {
        writer.begin(vector.segment(), pool.dataStart(buffer), pool.maxFrameBytes());
        generator.generate(shape, writer, new FuzzRandom(seed));
        vector.clear();
        return vector.add(buffer, 1, writer.length());
    }

    @Test
    void shouldParseWithRightChecksumsWhenAnyShapeIsGenerated() {
        for (int shape = 0; shape < FrameGenerator.SHAPES; shape++) {
            for (long seed = 0; seed < 2000; seed++) {
                int i = generate(shape, seed);
                int verdict = parser.parse(vector, i);
                String where = FrameGenerator.shapeName(shape) + " seed " + seed;
                assertEquals(Verdict.CONTINUE, verdict, where + ": " + Verdict.toString(verdict));
                assertNull(InvariantChecker.checkParseResult(vector, i, verdict), where);
                assertNull(checksums.verify(vector, i), where);
            }
        }
    }
}
