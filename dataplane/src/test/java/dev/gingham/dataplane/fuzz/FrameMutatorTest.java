package dev.gingham.dataplane.fuzz;

import dev.gingham.packet.BufferPool;
import dev.gingham.packet.DropReason;
import dev.gingham.packet.FrameVector;
import dev.gingham.packet.Parser;
import dev.gingham.packet.Verdict;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Mutated frames: reproducible from seed and index, never break the parser, and reach its every drop reason. */
class FrameMutatorTest {
    private final BufferPool pool = BufferPool.allocate(1, BufferPool.DEFAULT_BUFFER_SIZE);
    private final FrameVector vector = new FrameVector(pool);
    private final int buffer = pool.acquire();
    private final Parser parser = new Parser();

    @AfterEach
    void close() {
        pool.close();
    }

    private byte[] fuzz(FrameFuzzer fuzzer, long index) {
        int length = fuzzer.write(index, vector.segment(), pool.dataStart(buffer), pool.maxFrameBytes());
        return vector.segment().asSlice(pool.dataStart(buffer), length).toArray(ValueLayout.JAVA_BYTE);
    }

    @Test
    void shouldWriteTheSameBytesWhenTheSeedAndIndexAreTheSame() {
        FrameFuzzer a = new FrameFuzzer(99, FuzzAddresses.defaults());
        FrameFuzzer b = new FrameFuzzer(99, FuzzAddresses.defaults());
        byte[][] forward = new byte[500][];
        for (int i = 0; i < 500; i++) {
            forward[i] = fuzz(a, i);
        }
        for (int i = 499; i >= 0; i--) {
            assertArrayEquals(forward[i], fuzz(b, i), "frame " + i + " regenerated out of order");
        }
        Set<String> distinct = new HashSet<>();
        for (byte[] frame : forward) {
            distinct.add(java.util.HexFormat.of().formatHex(frame));
        }
        // Duplicates are frames truncated to (almost) nothing, e.g. several empty frames.
        assertTrue(distinct.size() > 450, distinct.size() + " distinct frames of 500");
        FrameFuzzer other = new FrameFuzzer(100, FuzzAddresses.defaults());
        assertFalse(java.util.Arrays.equals(forward[7], fuzz(other, 7)), "another seed, other frames");
    }

    @Test
    void shouldNeverBreakTheParserAndReachEveryParserDropWhenFuzzing() {
        FrameFuzzer fuzzer = new FrameFuzzer(2024, FuzzAddresses.defaults());
        Set<DropReason> reached = EnumSet.noneOf(DropReason.class);
        int valid = 0;
        for (long index = 0; index < 200_000; index++) {
            int length = fuzzer.write(index, vector.segment(), pool.dataStart(buffer), pool.maxFrameBytes());
            assertTrue(length >= 0 && length <= pool.maxFrameBytes());
            vector.clear();
            int i = vector.add(buffer, 1, length);
            int verdict = parser.parse(vector, i);
            assertNull(InvariantChecker.checkParseResult(vector, i, verdict), "frame " + index);
            if (verdict == Verdict.CONTINUE) {
                valid++;
            } else {
                reached.add(DropReason.ofCode(-verdict));
            }
        }
        // Every reason the parser can give (see Parser and docs/drop-reasons.md).
        Set<DropReason> parserReasons = EnumSet.of(DropReason.FRAME_TOO_SHORT, DropReason.UNSUPPORTED_L2,
                DropReason.ARP_MALFORMED, DropReason.IPV4_TRUNCATED, DropReason.IPV4_BAD_VERSION,
                DropReason.IPV4_BAD_HEADER_LENGTH, DropReason.IPV4_BAD_TOTAL_LENGTH, DropReason.IPV4_BAD_OPTIONS,
                DropReason.IPV4_BAD_FRAGMENT, DropReason.IPV6_TRUNCATED, DropReason.IPV6_BAD_VERSION,
                DropReason.IPV6_BAD_PAYLOAD_LENGTH, DropReason.INVALID_EXTENSION_HEADER, DropReason.IPV6_BAD_FRAGMENT,
                DropReason.L4_TRUNCATED, DropReason.TCP_BAD_HEADER_LENGTH, DropReason.UDP_BAD_LENGTH);
        assertEquals(new TreeSet<>(parserReasons), new TreeSet<>(reached));
        assertTrue(valid > 80_000 && valid < 160_000, valid + " of 200,000 frames still parse");
    }

    @Test
    void shouldCutAtEveryLayerBoundaryWhenTruncating() {
        FrameWriter w = new FrameWriter();
        FrameGenerator generator = new FrameGenerator(FuzzAddresses.defaults());
        FrameMutator mutator = new FrameMutator();
        MemorySegment memory = vector.segment();
        long at = pool.dataStart(buffer);
        w.begin(memory, at, pool.maxFrameBytes());
        generator.generate(FrameGenerator.VXLAN_IN_VXLAN, w, new FuzzRandom(5));
        Set<Integer> boundaries = new TreeSet<>();
        for (int l = 0; l < w.layers(); l++) {
            boundaries.add(w.start(l));
            boundaries.add(w.start(l) + w.headerLength(l));
        }
        byte[] original = memory.asSlice(at, w.length()).toArray(ValueLayout.JAVA_BYTE);
        int layers = w.layers();
        Set<Integer> cuts = new TreeSet<>();
        FuzzRandom random = new FuzzRandom(1);
        for (int n = 0; n < 5000; n++) {
            MemorySegment.copy(original, 0, memory, ValueLayout.JAVA_BYTE, at, original.length);
            w.begin(memory, at, pool.maxFrameBytes());
            generator.generate(FrameGenerator.VXLAN_IN_VXLAN, w, new FuzzRandom(5));
            mutator.apply(FrameMutator.TRUNCATE, w, random);
            cuts.add(w.length());
            assertTrue(w.length() < original.length);
        }
        assertTrue(layers >= 11, layers + " layers");
        boundaries.remove(original.length);
        assertTrue(cuts.containsAll(boundaries), "cuts " + cuts + " miss some of " + boundaries);
        for (int boundary : boundaries) {
            assertTrue(boundary == 0 || cuts.contains(boundary - 1), "one byte short of " + boundary);
        }
    }

    @Test
    void shouldSayItFlippedBytesWhenTheFrameHasNoFieldOfTheKindAskedFor() {
        FrameWriter w = new FrameWriter().begin(vector.segment(), pool.dataStart(buffer), pool.maxFrameBytes());
        new FrameGenerator(FuzzAddresses.defaults()).generate(FrameGenerator.ARP, w, new FuzzRandom(3));
        byte[] before = vector.segment().asSlice(pool.dataStart(buffer), w.length()).toArray(ValueLayout.JAVA_BYTE);
        assertEquals(FrameMutator.BYTE_FLIP, new FrameMutator().apply(FrameMutator.BAD_CHECKSUM, w, new FuzzRandom(4)),
                "ARP has no checksum");
        byte[] after = vector.segment().asSlice(pool.dataStart(buffer), w.length()).toArray(ValueLayout.JAVA_BYTE);
        assertFalse(java.util.Arrays.equals(before, after));
    }

    @Test
    void shouldBreakAChecksumWhenTheMutationIsBadChecksumAndRecomputeRestoresIt() {
        FrameWriter w = new FrameWriter();
        FrameGenerator generator = new FrameGenerator(FuzzAddresses.defaults());
        FrameMutator mutator = new FrameMutator();
        ChecksumVerifier verifier = new ChecksumVerifier();
        int broken = 0;
        for (long seed = 0; seed < 500; seed++) {
            w.begin(vector.segment(), pool.dataStart(buffer), pool.maxFrameBytes());
            FuzzRandom random = new FuzzRandom(seed);
            generator.generate(FrameGenerator.IPV4_TCP + (int) (seed % 2) * (FrameGenerator.IPV6_UDP - FrameGenerator.IPV4_TCP),
                    w, random);
            assertEquals(FrameMutator.BAD_CHECKSUM, mutator.apply(FrameMutator.BAD_CHECKSUM, w, random));
            vector.clear();
            int i = vector.add(buffer, 1, w.length());
            assertEquals(Verdict.CONTINUE, parser.parse(vector, i));
            String problem = verifier.verify(vector, i);
            assertNotNull(problem, "seed " + seed);
            assertTrue(problem.contains("checksum") && problem.contains("wrong") || problem.contains("checksum 0"), problem);
            broken++;
            w.checksums();
            assertNull(verifier.verify(vector, i), "seed " + seed + " after recomputing");
        }
        assertEquals(500, broken);
    }
}
