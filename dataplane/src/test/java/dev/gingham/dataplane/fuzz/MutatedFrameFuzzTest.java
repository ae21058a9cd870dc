package dev.gingham.dataplane.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.gingham.packet.BufferPool;
import dev.gingham.packet.FrameVector;
import dev.gingham.packet.Parser;
import dev.gingham.packet.Verdict;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Jazzer harness: the structure-aware generator and mutator, the parser and the checksum
 * recompute, driven by Jazzer's bytes. Input layout: 8 bytes of seed (little-endian), a shape
 * byte, up to four mutation bytes. Properties: the generated frame parses and every checksum
 * verifies; after the mutations, the parser's result is consistent and the invariant checker
 * describes (never throws on) whatever the frame has become; when the mutations only touched
 * checksums, recomputing them makes the frame verify again.
 *
 * <p>Regression mode runs the seeds in
 * {@code src/test/resources/dev/gingham/dataplane/fuzz/MutatedFrameFuzzTestInputs/shouldStayHonestWhenFramesAreMutated}
 * (written by {@link SeedCorpus}).
 */
class MutatedFrameFuzzTest {
    private static final int MAX_MUTATIONS = 4;
    private static final BufferPool POOL = BufferPool.allocate(1, BufferPool.DEFAULT_BUFFER_SIZE);
    private static final int BUFFER = POOL.acquire();
    private static final FrameVector VECTOR = new FrameVector(POOL);
    private static final Parser PARSER = new Parser();
    private static final FrameWriter WRITER = new FrameWriter();
    private static final FrameGenerator GENERATOR = new FrameGenerator(FuzzAddresses.defaults());
    private static final FrameMutator MUTATOR = new FrameMutator();
    private static final ChecksumVerifier VERIFIER = new ChecksumVerifier();
    private static final InvariantChecker CHECKER = new InvariantChecker();

    private static int reload() {
        VECTOR.clear();
        return VECTOR.add(BUFFER, 1, WRITER.length());
    }

    @FuzzTest
    void shouldStayHonestWhenFramesAreMutated(byte[] input) {
        long seed = 0;
        for (int k = 0; k < Math.min(8, input.length); k++) {
            seed |= (input[k] & 0xFFL) << (8 * k);
        }
        int shape = input.length > 8 ? (input[8] & 0xFF) % FrameGenerator.SHAPES : 0;
        FuzzRandom random = new FuzzRandom(seed);
        WRITER.begin(VECTOR.segment(), POOL.dataStart(BUFFER), POOL.maxFrameBytes());
        GENERATOR.generate(shape, WRITER, random);
        int i = reload();
        String where = FrameGenerator.shapeName(shape) + " seed " + seed;
        assertEquals(Verdict.CONTINUE, PARSER.parse(VECTOR, i), where);
        assertNull(VERIFIER.verify(VECTOR, i), where);

        boolean checksumsOnly = true;
        for (int k = 9; k < Math.min(input.length, 9 + MAX_MUTATIONS); k++) {
            int applied = MUTATOR.apply((input[k] & 0xFF) % FrameMutator.MUTATIONS, WRITER, random);
            checksumsOnly &= applied == FrameMutator.NONE || applied == FrameMutator.BAD_CHECKSUM;
        }
        i = reload();
        int verdict = PARSER.parse(VECTOR, i);
        assertNull(InvariantChecker.checkParseResult(VECTOR, i, verdict), where);
        String described = CHECKER.checkEmitted(VECTOR, i, true);
        assertTrue(described == null || !described.isBlank(), where);
        if (checksumsOnly) {
            WRITER.checksums();
            assertEquals(Verdict.CONTINUE, PARSER.parse(VECTOR, i), where);
            assertNull(VERIFIER.verify(VECTOR, i), where + " after recomputing the checksums");
        }
    }
}
