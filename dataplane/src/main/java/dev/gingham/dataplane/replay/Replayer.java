package dev.gingham.dataplane.replay;

import dev.gingham.dataplane.node.ConfiguredNode;
import dev.gingham.dataplane.program.NodePipeline;
import dev.gingham.packet.BufferPool;
import dev.gingham.packet.DropReason;
import dev.gingham.packet.FrameTrace;
import dev.gingham.packet.FrameVector;
import dev.gingham.packet.Verdict;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

/**
 * Replays a capture through a node's pipeline (exactly the code a worker runs) on a virtual
 * clock taken from the capture's timestamps, and writes what the node would have done: one pcap
 * per egress port ({@code <port>.pcap}) and {@code verdicts.jsonl}: one line per frame of the
 * capture, with the decisions the pipeline took for it ({@link VerdictLines}, from a
 * {@link FrameTrace} attached to the replay's vector only), or why it was skipped.
 *
 * <p>Frames are fed in vectors of up to 256 spanning at most {@link #MAX_VECTOR_SPAN_NS} of capture
 * time, then split into runs of consecutive frames from one ingress port (the pipeline's
 * contract; a vector whose frames all came in on one port, as most do, runs as it was read, with
 * no copy into a run); each run's clock is its first frame's timestamp. The hash seed of the node's maps is
 * fixed by the caller, so the same inputs give byte-identical outputs.
 *
 * <p>A frame the pipeline turns into several (fragmentation before encapsulation) writes every
 * piece to the egress pcap; its verdict line names the first piece's egress.
 */
public final class Replayer {
    /** Frames of one vector lie within 1 ms of capture time: lifetimes and rate limits see per-frame time to 1 ms. */
    public static final long MAX_VECTOR_SPAN_NS = 1_000_000L;
    private static final int POOL_BUFFERS = 2 * FrameVector.MAX_FRAMES + 64;
    /** verdicts.jsonl is written in 1 MiB writes straight from the line buffer: a few thousand lines per system call. */
    private static final int VERDICT_BUFFER_BYTES = 1 << 20;

    private final ConfiguredNode node;
    private final Path outDirectory;

    public Replayer(ConfiguredNode node, Path outDirectory) {
        this.node = node;
        this.outDirectory = outDirectory;
    }

    /** What a replay did, for the summary table. */
    public record Summary(long framesIn, long forwarded, long dropped, Map<String, Long> dropsByReason,
                          Map<String, Long> framesByEgress, long snaplenCut, long oversized, long unmapped) {
    }

    /** Told how far a replay has come, after every vector (cheap: a listener rate-limits itself). */
    @FunctionalInterface
    public interface Progress {
        /**
         * @param frames     frames replayed so far
         * @param bytesRead  bytes of the capture read so far
         * @param bytesTotal the capture's size in bytes
         */
        void update(long frames, long bytesRead, long bytesTotal);
    }

    /**
     * Replays {@code feed} (which owns its reader) to the end.
     *
     * @param progress told how far the replay has come after every vector (may be null)
     */
    public Summary replay(CaptureFeed feed, Progress progress) throws IOException {
        Files.createDirectories(outDirectory);
        String[] names = node.portNames();
        PcapWriter[] writers = new PcapWriter[names.length];
        Map<String, Long> dropsByReason = new TreeMap<>();
        Map<String, Long> framesByEgress = new TreeMap<>();
        long framesIn = 0;
        long forwarded = 0;
        long dropped = 0;
        NodePipeline pipeline = node.state().pipeline(0);
        VerdictLines lines = new VerdictLines(node);
        FrameTrace trace = new FrameTrace();
        long[] egressFrames = new long[names.length];
        long[] dropsByCode = new long[DropReason.maxCode() + 1];
        long fileBytes = feed.reader().fileData().byteSize();
        try (BufferPool pool = BufferPool.allocate(POOL_BUFFERS, BufferPool.JUMBO_BUFFER_SIZE);
             OutputStream verdictFile = Files.newOutputStream(outDirectory.resolve("verdicts.jsonl"));
             LineBuffer verdicts = new LineBuffer(verdictFile, VERDICT_BUFFER_BYTES)) {
            FrameVector staging = new FrameVector(pool);
            FrameVector run = new FrameVector(pool);
            run.trace(trace);
            staging.trace(trace);
            try {
                while (true) {
                    int n = feed.fill(staging, MAX_VECTOR_SPAN_NS);
                    int skippedWritten = 0;
                    // A fill from one port (most captures' vectors) runs as it is; else a run per port.
                    for (int i = 0; i < n; ) {
                        int port = staging.ingressPort(i);
                        int j = i + 1;
                        while (j < n && staging.ingressPort(j) == port) {
                            j++;
                        }
                        FrameVector frames = staging;
                        if (i > 0 || j < n) {
                            frames = run;
                            run.clear();
                            for (int k = i; k < j; k++) {
                                run.add(staging.buffer(k), port, staging.length(k));
                            }
                        }
                        long nowNs = feed.timestampNs(i);
                        pipeline.run(frames, nowNs);
                        for (int k = 0; k < frames.count(); k++) {
                            int verdict = frames.verdict(k);
                            boolean original = k < j - i;
                            long timestampNs = original ? feed.timestampNs(i + k) : nowNs;
                            if (Verdict.isTx(verdict)) {
                                int out = Verdict.port(verdict);
                                writer(writers, out, lines.portName(out)).write(frames, k, timestampNs);
                                egressFrames[out]++;
                            }
                            if (!original) {
                                continue;
                            }
                            framesIn++;
                            if (Verdict.isTx(verdict)) {
                                forwarded++;
                            } else {
                                dropped++;
                                int code = Verdict.dropCode(verdict);
                                dropsByCode[code >= 0 && code < dropsByCode.length ? code : 0]++;
                            }
                            long frameIndex = feed.frameIndex(i + k);
                            skippedWritten = writeSkipped(verdicts, lines, feed, skippedWritten, frameIndex);
                            lines.frame(verdicts, frames, k, trace, frameIndex, timestampNs);
                        }
                        frames.releaseAll();
                        i = j;
                    }
                    writeSkipped(verdicts, lines, feed, skippedWritten, Long.MAX_VALUE);
                    staging.clear();
                    if (progress != null) {
                        progress.update(framesIn, feed.reader().frameOffset(), fileBytes);
                    }
                    if (n == 0 && feed.finished()) {
                        break;
                    }
                }
            } finally {
                run.releaseAll();
                staging.releaseAll();
                for (PcapWriter w : writers) {
                    if (w != null) {
                        w.close();
                    }
                }
            }
        }
        for (int port = 0; port < egressFrames.length; port++) {
            if (egressFrames[port] > 0) {
                framesByEgress.put(lines.portName(port), egressFrames[port]);
            }
        }
        for (int code = 0; code < dropsByCode.length; code++) {
            if (dropsByCode[code] > 0) {
                DropReason reason = DropReason.ofCode(code);
                dropsByReason.put(reason == null ? "code " + code : reason.name(), dropsByCode[code]);
            }
        }
        return new Summary(framesIn, forwarded, dropped, dropsByReason, framesByEgress, feed.reader().snaplenCutFrames(),
                feed.oversizedFrames(), feed.unmappedFrames());
    }

    /** Writes the lines of the last fill's skipped frames from {@code from} whose index is below {@code beforeIndex}. */
    private static int writeSkipped(LineBuffer out, VerdictLines lines, CaptureFeed feed, int from, long beforeIndex)
            throws IOException {
        int k = from;
        while (k < feed.skippedCount() && feed.skippedFrameIndex(k) < beforeIndex) {
            lines.skipped(out, feed, k);
            k++;
        }
        return k;
    }

    private PcapWriter writer(PcapWriter[] writers, int port, String name) throws IOException {
        if (port >= writers.length) {
            throw new IOException("the pipeline sent a frame to port " + port + ", which this node does not have");
        }
        if (writers[port] == null) {
            writers[port] = PcapWriter.create(outDirectory.resolve(fileName(name) + ".pcap"));
        }
        return writers[port];
    }

    /** Returns: a port name as a file name ("default/web-1" becomes "default_web-1"). */
    public static String fileName(String portName) {
        return portName.replace('/', '_');
    }
}
