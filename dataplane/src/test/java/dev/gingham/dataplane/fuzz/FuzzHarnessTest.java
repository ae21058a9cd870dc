package dev.gingham.dataplane.fuzz;

import dev.gingham.dataplane.replay.CaptureReader;
import dev.gingham.packet.BufferPool;
import dev.gingham.packet.DropReason;
import dev.gingham.packet.FrameVector;
import dev.gingham.packet.NetworkOrder;
import dev.gingham.packet.PacketBuilder;
import dev.gingham.packet.Parser;
import dev.gingham.packet.Verdict;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The harness runs any target and catches each kind of broken target; the fuzz loop reports and writes reproducers. */
class FuzzHarnessTest {
    private static final long SEED = 77;
    private static final Parser PARSER = new Parser();

    @TempDir
    Path dir;

    /** The parser alone: the target the harness has until the pipeline exists. */
    private static void parse(FrameVector vector, long nowNs) {
        PARSER.parseAll(vector);
    }

    /** Parses, then corrupts the TCP checksum of every parsed TCP frame and transmits it. */
    private static void breakTcpChecksums(FrameVector vector, long nowNs) {
        PARSER.parseAll(vector);
        for (int i = 0; i < vector.count(); i++) {
            if (vector.verdict(i) == Verdict.CONTINUE && vector.protocol(i) == 6 && vector.hasFlag(i, FrameVector.FLAG_L4)
                    && !vector.hasFlag(i, FrameVector.FLAG_FRAGMENT)) {
                long field = vector.l4Offset(i) + 16;
                NetworkOrder.u16(vector.segment(), field, NetworkOrder.u16(vector.segment(), field) ^ 0x0100);
                vector.verdict(i, Verdict.tx(2));
            }
        }
    }

    @Test
    void shouldHoldEveryInvariantWhenTheParserRunsFuzzedFrames() {
        FrameFuzzer fuzzer = new FrameFuzzer(SEED, FuzzAddresses.defaults());
        try (FuzzHarness harness = new FuzzHarness(FuzzHarnessTest::parse)) {
            for (long index = 0; index < 100 * FrameVector.MAX_FRAMES; index += FrameVector.MAX_FRAMES) {
                assertNull(harness.run(fuzzer, index, FrameVector.MAX_FRAMES, 1, FuzzRun.timestampNs(index)), "vector at " + index);
            }
            assertEquals(100 * FrameVector.MAX_FRAMES, harness.frames());
            assertTrue(harness.dropped(DropReason.FRAME_TOO_SHORT.code()) > 0);
            assertTrue(harness.passed() > harness.frames() / 3);
            assertEquals(FuzzHarness.DEFAULT_BUFFERS, harness.pool().available());
        }
    }

    @Test
    void shouldNameTheFrameAndChecksumWhenATargetBreaksAChecksum() {
        FrameFuzzer fuzzer = new FrameFuzzer(SEED, FuzzAddresses.defaults());
        try (FuzzHarness harness = new FuzzHarness(FuzzHarnessTest::breakTcpChecksums)) {
            String failure = null;
            long index = 0;
            while (failure == null) {
                failure = harness.run(fuzzer, index, FrameVector.MAX_FRAMES, 1, 0);
                index += FrameVector.MAX_FRAMES;
            }
            assertTrue(failure.matches("frame \\d+: TCP/IPv(4|6) checksum 0x[0-9a-f]{4} is wrong \\(expected 0x[0-9a-f]{4}\\)"),
                    failure);
            long frame = Long.parseLong(failure.substring(6, failure.indexOf(':')));
            assertEquals(frame - (index - FrameVector.MAX_FRAMES), harness.failedSlot());
            assertEquals(FuzzHarness.DEFAULT_BUFFERS, harness.pool().available(), "buffers released after a failure");
        }
    }

    @Test
    void shouldUnpackEveryFrameWhenAnInputCarriesSeveral() {
        byte[] a = PacketBuilder.udp4("10.0.0.1", 1, "10.0.0.2", 2).build();
        byte[] b = PacketBuilder.tcp6("fd00::1", 1, "fd00::2", 2).build();
        java.io.ByteArrayOutputStream input = new java.io.ByteArrayOutputStream();
        input.write(0);
        input.write(a.length);
        input.writeBytes(a);
        input.write(0);
        input.write(b.length);
        input.writeBytes(b);
        input.write(0x01);
        input.write(0x00); // a third frame of 256 declared bytes, 3 present
        input.writeBytes(new byte[] {1, 2, 3});
        java.util.List<String> seen = new java.util.ArrayList<>();
        try (FuzzHarness harness = new FuzzHarness((vector, now) -> {
            for (int i = 0; i < vector.count(); i++) {
                seen.add(java.util.HexFormat.of().formatHex(
                        vector.segment().asSlice(vector.start(i), vector.length(i)).toArray(ValueLayout.JAVA_BYTE)));
                vector.verdict(i, DropReason.POLICY.verdict());
            }
        })) {
            assertNull(harness.runFrames(input.toByteArray(), 1, 0));
            assertEquals(3, harness.frames());
            assertEquals(3, harness.dropped(DropReason.POLICY.code()));
        }
        assertEquals(java.util.List.of(java.util.HexFormat.of().formatHex(a), java.util.HexFormat.of().formatHex(b), "010203"),
                seen);
    }

    @Test
    void shouldCountTheLeakWhenATargetKeepsABuffer() {
        try (FuzzHarness harness = new FuzzHarness((vector, now) -> vector.pool().acquire())) {
            assertEquals("buffer pool unbalanced: 512 free before, 511 after (1 leaked)",
                    harness.runBytes(PacketBuilder.udp4("10.0.0.1", 1, "10.0.0.2", 2).build(), 1, 0));
        }
    }

    @Test
    void shouldReportTheExceptionWhenATargetThrows() {
        try (FuzzHarness harness = new FuzzHarness((vector, now) -> {
            throw new IllegalStateException("boom");
        })) {
            String failure = harness.runBytes(new byte[60], 1, 0);
            assertTrue(failure.startsWith("the target threw java.lang.IllegalStateException: boom at "), failure);
            assertEquals(FuzzHarness.DEFAULT_BUFFERS, harness.pool().available());
        }
    }

    @Test
    void shouldCatchAReleaseByTheTargetAndAnUnknownVerdict() {
        try (FuzzHarness harness = new FuzzHarness((vector, now) -> vector.pool().release(vector.buffer(0)))) {
            String failure = harness.runBytes(PacketBuilder.udp4("10.0.0.1", 1, "10.0.0.2", 2).build(), 1, 0);
            assertEquals("frame 0: buffer 0 holds a frame but is free in the pool (released too early?)", failure);
            assertEquals(FuzzHarness.DEFAULT_BUFFERS, harness.pool().available(), "no double release by the harness");
        }
        try (FuzzHarness harness = new FuzzHarness((vector, now) -> vector.verdict(0, 0x7F00_0000))) {
            assertEquals("frame 0: verdict 0x7f000000 is no known action", harness.runBytes(new byte[60], 1, 0));
        }
    }

    @Test
    void shouldCheckAppendedFramesLikeTheOthers() {
        byte[] fragment = PacketBuilder.udp4("10.0.0.1", 1, "10.0.0.2", 2).payload(8).build();
        FuzzHarness.Target appender = (vector, now) -> {
            PacketBuilder.load(vector, 1, fragment);
            vector.verdict(vector.count() - 1, Verdict.tx(1));
        };
        try (FuzzHarness harness = new FuzzHarness(appender)) {
            assertNull(harness.runBytes(fragment, 1, 0));
        }
        byte[] broken = fragment.clone();
        broken[broken.length - 1] ^= 1;
        FuzzHarness.Target badAppender = (vector, now) -> PacketBuilder.load(vector, 1, broken);
        try (FuzzHarness harness = new FuzzHarness(badAppender)) {
            String failure = harness.runBytes(fragment, 1, 0);
            assertTrue(failure.startsWith("frame appended at vector slot 1: UDP/IPv4 checksum"), failure);
        }
    }

    @Test
    void shouldFailWithTheTargetsOwnWordsWhenItsStateIsInconsistent() {
        FuzzHarness.Target target = new FuzzHarness.Target() {
            @Override
            public void run(FrameVector vector, long nowNs) {
                PARSER.parseAll(vector);
            }

            @Override
            public String checkState() {
                return "conntrack holds 3 SNAT flows, the NAT table 2";
            }
        };
        try (FuzzHarness harness = new FuzzHarness(target)) {
            assertEquals("conntrack holds 3 SNAT flows, the NAT table 2", harness.runBytes(new byte[60], 1, 0));
        }
    }

    @Test
    void shouldWriteAReproducerThatReplaysTheFailingVectorWhenTheFuzzLoopFails() throws IOException {
        FrameFuzzer fuzzer = new FrameFuzzer(SEED, FuzzAddresses.defaults());
        try (FuzzHarness harness = new FuzzHarness(FuzzHarnessTest::breakTcpChecksums)) {
            FuzzRun run = new FuzzRun(harness, fuzzer, SEED, 1, "pod-a");
            FuzzRun.Result result = run.run(1_000_000, Long.MAX_VALUE, new ReproducerWriter(dir), "gingham fuzz --seed 77");
            assertFalse(result.passed());
            assertNotNull(result.reproducer());
            assertEquals(dir.resolve("gingham-fuzz-77-" + result.failedFromIndex() + ".pcapng"), result.reproducer());
            try (CaptureReader reader = CaptureReader.open(result.reproducer());
                 BufferPool pool = BufferPool.allocate(1, BufferPool.DEFAULT_BUFFER_SIZE)) {
                MemorySegment expected = pool.segment();
                long index = result.failedFromIndex();
                while (reader.next()) {
                    int length = new FrameFuzzer(SEED, FuzzAddresses.defaults()).write(index, expected, 0, pool.maxFrameBytes());
                    byte[] read = new byte[reader.capturedLength()];
                    reader.copyTo(MemorySegment.ofArray(read), 0);
                    assertArrayEquals(expected.asSlice(0, length).toArray(ValueLayout.JAVA_BYTE), read, "frame " + index);
                    assertEquals(FuzzRun.timestampNs(index), reader.timestampNs());
                    assertEquals("pod-a", reader.interfaceName());
                    index++;
                }
                assertEquals(result.failedFromIndex() + FrameVector.MAX_FRAMES, index);
            }
            String notes = Files.readString(dir.resolve("gingham-fuzz-77-" + result.failedFromIndex() + ".txt"));
            assertTrue(notes.startsWith("failure: " + result.failure() + "\nseed: 77\nframes: " + result.failedFromIndex() + ".."),
                    notes);
            assertTrue(notes.contains("rerun: gingham fuzz --seed 77"), notes);
            String summary = run.summary(result);
            assertTrue(summary.startsWith("fuzz seed 77: "), summary);
            assertTrue(summary.contains(": FAILED\n  failure: " + result.failure() + "\n  reproducer: " + result.reproducer()),
                    summary);
        }
    }

    @Test
    void shouldFailAtTheSameFrameWhenTheLoopIsDrivenVectorByVector() throws IOException {
        String failure;
        long failedFrom;
        try (FuzzHarness harness = new FuzzHarness(FuzzHarnessTest::breakTcpChecksums)) {
            FuzzRun.Result result = new FuzzRun(harness, new FrameFuzzer(SEED, FuzzAddresses.defaults()), SEED, 1, "pod-a")
                    .run(1_000_000, Long.MAX_VALUE, null, "unused");
            assertFalse(result.passed());
            failure = result.failure();
            failedFrom = result.failedFromIndex();
        }
        try (FuzzHarness harness = new FuzzHarness(FuzzHarnessTest::breakTcpChecksums)) {
            FuzzRun run = new FuzzRun(harness, new FrameFuzzer(SEED, FuzzAddresses.defaults()), SEED, 1, "pod-a");
            long index = 0;
            String vectorFailure = null;
            while (vectorFailure == null && index < 1_000_000) {
                vectorFailure = run.runVector(index, FrameVector.MAX_FRAMES);
                index += vectorFailure == null ? FrameVector.MAX_FRAMES : 0;
            }
            assertEquals(failure, vectorFailure);
            assertEquals(failedFrom, index);
            assertEquals(failedFrom + FrameVector.MAX_FRAMES, harness.frames(), "the vectors before and the failing one ran");
        }
    }

    @Test
    void shouldReportSpeedAndDropCoverageWhenTheFuzzLoopPasses() throws IOException {
        FrameFuzzer fuzzer = new FrameFuzzer(SEED, FuzzAddresses.defaults());
        try (FuzzHarness harness = new FuzzHarness(FuzzHarnessTest::parse)) {
            FuzzRun run = new FuzzRun(harness, fuzzer, SEED, 1, "pod-a");
            FuzzRun.Result result = run.run(50_000, Long.MAX_VALUE, new ReproducerWriter(dir), "unused");
            assertTrue(result.passed());
            assertEquals(50_000, result.frames());
            assertTrue(result.framesPerSecond() > 0);
            String summary = run.summary(result);
            assertTrue(summary.contains("frames/s): all invariants held\n"), summary);
            assertTrue(summary.contains("drop reasons reached: 17 of " + DropReason.values().length + "\n"), summary);
            assertTrue(summary.matches("(?s).*\\n   1000  FRAME_TOO_SHORT +[0-9,]+\\n.*"), summary);
            assertTrue(summary.contains("drop reasons not reached: 130 INVALID_SOURCE_MAC"), summary);
            assertTrue(summary.contains("frame shapes: ethernet-other "), summary);
            assertTrue(summary.contains("mutations: none "), summary);
            assertEquals(0, Files.list(dir).count(), "no reproducer when nothing failed");
        }
    }
}
