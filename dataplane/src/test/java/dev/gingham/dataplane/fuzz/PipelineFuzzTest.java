package dev.gingham.dataplane.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import org.junit.jupiter.api.AfterAll;

import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * Jazzer harness: the whole node pipeline ({@link FuzzNode}, the fuzz command's node) on frames
 * Jazzer makes. Input layout: one byte choosing the ingress port (modulo 3: the pod shop/web-1, the
 * underlay, the host port), then up to a vector of frames as {@code [length u16 big-endian][bytes]}
 * ({@link FuzzHarness#runFrames}), so a flow's packets meet conntrack and NAT together.
 *
 * <p>Properties: every invariant of {@link FuzzHarness} (nothing thrown, frames inside their
 * buffers, emitted frames parse with right checksums, the pool balanced, tables within their
 * sizes), conntrack and SNAT consistent after the vector ({@link NatConntrackInvariant}), and a day
 * later the sweeper has expired every flow and released every mapping and port. Each input
 * starts from an empty node, so a finding reproduces from its input alone.
 *
 * <p>Regression mode ({@code ./gingham test}) runs the seeds in
 * {@code src/test/resources/dev/gingham/dataplane/fuzz/PipelineFuzzTestInputs/shouldKeepEveryInvariantWhenTheNodeRunsAnyFrames}
 * (written by {@link SeedCorpus}); {@code JAZZER_FUZZ=1 mvn test -pl dataplane -Dtest=PipelineFuzzTest} fuzzes.
 */
class PipelineFuzzTest {
    private static final FuzzNode NODE = FuzzNode.create();
    private static final FuzzHarness HARNESS = new FuzzHarness(NODE.target());
    /** Two days between inputs: after {@link FuzzNode#expireAll} a day later, the clock never goes back. */
    private static final long INPUT_SPACING_NS = 2 * 86_400_000_000_000L;
    private static long clockNs = FuzzRun.START_NS;

    @AfterAll
    static void close() {
        HARNESS.close();
        NODE.close();
    }

    @FuzzTest
    void shouldKeepEveryInvariantWhenTheNodeRunsAnyFrames(byte[] input) {
        if (input.length == 0) {
            return;
        }
        int port = NODE.port(Math.floorMod(input[0], FuzzNode.PORTS));
        byte[] frames = java.util.Arrays.copyOfRange(input, 1, input.length);
        long nowNs = clockNs;
        clockNs += INPUT_SPACING_NS;
        assertNull(HARNESS.runFrames(frames, port, nowNs), "vector invariants");
        assertNull(NODE.checkState(), "conntrack and SNAT after the vector");
        assertNull(NODE.expireAll(nowNs), "everything expires and is released");
    }
}
