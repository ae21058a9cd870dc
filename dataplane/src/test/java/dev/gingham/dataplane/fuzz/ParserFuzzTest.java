package dev.gingham.dataplane.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.gingham.packet.BufferPool;
import dev.gingham.packet.FrameVector;
import dev.gingham.packet.Parser;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * Jazzer harness: the parser on arbitrary bytes. The frame is placed so that it ends exactly
 * where the pool's memory ends, so a read past the frame is an out-of-bounds exception (a
 * finding), not a silent read of the neighbour's bytes. The parse must return continue or a
 * registered drop, leave metadata that points inside the frame and agrees with itself
 * ({@link InvariantChecker#checkParseResult}), and give the same answer twice.
 *
 * <p>{@code ./gingham test} (no {@code JAZZER_FUZZ}) runs it in regression mode over the seed
 * corpus in {@code src/test/resources/dev/gingham/dataplane/fuzz/ParserFuzzTestInputs/shouldKeepItsContractWhenParsingAnyBytes}
 * (written by {@link SeedCorpus}); {@code JAZZER_FUZZ=1 mvn test -Dtest=ParserFuzzTest} fuzzes,
 * and Jazzer adds what it finds to that directory.
 */
class ParserFuzzTest {
    private static final BufferPool POOL = BufferPool.allocate(1, BufferPool.DEFAULT_BUFFER_SIZE);
    private static final int BUFFER = POOL.acquire();
    private static final FrameVector VECTOR = new FrameVector(POOL);
    private static final Parser PARSER = new Parser();

    @FuzzTest
    void shouldKeepItsContractWhenParsingAnyBytes(byte[] frame) {
        int length = Math.min(frame.length, POOL.maxFrameBytes());
        VECTOR.clear();
        int i = VECTOR.add(BUFFER, 1, POOL.maxFrameBytes());
        VECTOR.trimFront(i, POOL.maxFrameBytes() - length);
        assertEquals(POOL.segment().byteSize(), VECTOR.end(i), "the frame ends where the memory ends");
        java.lang.foreign.MemorySegment.copy(java.lang.foreign.MemorySegment.ofArray(frame), 0, VECTOR.segment(),
                VECTOR.start(i), length);
        int verdict = PARSER.parse(VECTOR, i);
        assertNull(InvariantChecker.checkParseResult(VECTOR, i, verdict));
        assertEquals(verdict, PARSER.parse(VECTOR, i), "a second parse gives the same verdict");
    }
}
