package dev.gingham.dataplane.replay;

import dev.gingham.dataplane.node.ConfiguredNode;
import dev.gingham.dataplane.program.NodePipeline;
import dev.gingham.packet.BufferPool;
import dev.gingham.packet.DropReason;
import dev.gingham.packet.FrameMarks;
import dev.gingham.packet.FrameVector;
import dev.gingham.packet.MappedAddress;
import dev.gingham.packet.Verdict;
import dev.gingham.packet.header.Addresses;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.LongConsumer;

/**
 * Replays a capture through a node's pipeline (exactly the code a worker runs) on a virtual
 * clock taken from the capture's timestamps, and writes what the node would have done: one pcap
 * per egress port ({@code <port>.pcap}) and {@code verdicts.jsonl}, one line per frame that
 * entered the pipeline.
 *
 * <p>Frames are fed in vectors of up to 256 spanning at most {@link #MAX_VECTOR_SPAN_NS} of capture
 * time, then split into runs of consecutive frames from one ingress port (the pipeline's
 * contract); each run's clock is its first frame's timestamp. The hash seed of the node's maps is
 * fixed by the caller, so the same inputs give byte-identical outputs.
 *
 * <p>A frame the pipeline turns into several (fragmentation before encapsulation) writes every
 * piece to the egress pcap; its verdict line names the first piece's egress.
 */
public final class Replayer {
    /** Frames of one vector lie within 1 ms of capture time: lifetimes and rate limits see per-frame time to 1 ms. */
    public static final long MAX_VECTOR_SPAN_NS = 1_000_000L;
    private static final int POOL_BUFFERS = 2 * FrameVector.MAX_FRAMES + 64;

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

    /**
     * Replays {@code feed} (which owns its reader) to the end.
     *
     * @param progress told the number of frames done every 65,536 frames (may be null)
     */
    public Summary replay(CaptureFeed feed, LongConsumer progress) throws IOException {
        Files.createDirectories(outDirectory);
        String[] names = node.portNames();
        PcapWriter[] writers = new PcapWriter[names.length];
        Map<String, Long> dropsByReason = new TreeMap<>();
        Map<String, Long> framesByEgress = new TreeMap<>();
        long framesIn = 0;
        long forwarded = 0;
        long dropped = 0;
        NodePipeline pipeline = node.state().pipeline(0);
        StringBuilder line = new StringBuilder(256);
        try (BufferPool pool = BufferPool.allocate(POOL_BUFFERS, BufferPool.JUMBO_BUFFER_SIZE);
             BufferedWriter verdicts = Files.newBufferedWriter(outDirectory.resolve("verdicts.jsonl"), StandardCharsets.UTF_8)) {
            FrameVector staging = new FrameVector(pool);
            FrameVector run = new FrameVector(pool);
            try {
                while (true) {
                    int n = feed.fill(staging, MAX_VECTOR_SPAN_NS);
                    if (n == 0) {
                        if (feed.finished()) {
                            break;
                        }
                        continue;
                    }
                    for (int i = 0; i < n; ) {
                        int port = staging.ingressPort(i);
                        int j = i;
                        run.clear();
                        while (j < n && staging.ingressPort(j) == port) {
                            run.add(staging.buffer(j), port, staging.length(j));
                            j++;
                        }
                        long nowNs = feed.timestampNs(i);
                        pipeline.run(run, nowNs);
                        for (int k = 0; k < run.count(); k++) {
                            int verdict = run.verdict(k);
                            boolean original = k < j - i;
                            long timestampNs = original ? feed.timestampNs(i + k) : nowNs;
                            if (Verdict.isTx(verdict)) {
                                int out = Verdict.port(verdict);
                                String name = out < names.length && names[out] != null ? names[out] : "port-" + out;
                                writer(writers, out, name).write(run, k, timestampNs);
                                framesByEgress.merge(name, 1L, Long::sum);
                            }
                            if (!original) {
                                continue;
                            }
                            framesIn++;
                            if (Verdict.isTx(verdict)) {
                                forwarded++;
                            } else {
                                dropped++;
                                DropReason reason = DropReason.ofCode(Verdict.dropCode(verdict));
                                dropsByReason.merge(reason == null ? "code " + Verdict.dropCode(verdict) : reason.name(), 1L, Long::sum);
                            }
                            line.setLength(0);
                            verdictLine(line, run, k, feed.frameIndex(i + k), timestampNs, names);
                            verdicts.append(line).append('\n');
                        }
                        run.releaseAll();
                        i = j;
                    }
                    staging.clear();
                    if (progress != null && (framesIn & 0xFFFF) < n) {
                        progress.accept(framesIn);
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
        return new Summary(framesIn, forwarded, dropped, dropsByReason, framesByEgress, feed.reader().snaplenCutFrames(),
                feed.oversizedFrames(), feed.unmappedFrames());
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

    private static void verdictLine(StringBuilder b, FrameVector v, int i, long frameIndex, long timestampNs, String[] names) {
        int verdict = v.verdict(i);
        int in = v.ingressPort(i);
        b.append("{\"frame\":").append(frameIndex)
                .append(",\"time_ns\":").append(timestampNs)
                .append(",\"ingress\":\"").append(in < names.length && names[in] != null ? names[in] : "port-" + in).append('"');
        if (Verdict.isTx(verdict)) {
            int out = Verdict.port(verdict);
            b.append(",\"verdict\":\"forwarded\",\"egress\":\"")
                    .append(out < names.length && names[out] != null ? names[out] : "port-" + out).append('"');
        } else {
            int code = Verdict.dropCode(verdict);
            DropReason reason = DropReason.ofCode(code);
            b.append(",\"verdict\":\"dropped\",\"drop_code\":").append(code)
                    .append(",\"drop_reason\":\"").append(reason == null ? "UNKNOWN" : reason.name()).append('"');
        }
        if (v.hasFlag(i, FrameVector.FLAG_IPV4 | FrameVector.FLAG_IPV6)) {
            b.append(",\"protocol\":").append(v.protocol(i))
                    .append(",\"src\":\"").append(address(v.srcHi(i), v.srcLo(i)));
            if (v.hasFlag(i, FrameVector.FLAG_L4)) {
                b.append(':').append(v.srcPort(i));
            }
            b.append("\",\"dst\":\"").append(address(v.dstHi(i), v.dstLo(i)));
            if (v.hasFlag(i, FrameVector.FLAG_L4)) {
                b.append(':').append(v.dstPort(i));
            }
            b.append("\",\"src_identity\":").append(v.srcIdentity(i)).append(",\"dst_identity\":").append(v.dstIdentity(i));
        }
        int mark = v.mark(i);
        b.append(",\"decisions\":[");
        int before = b.length();
        decision(b, before, (mark & FrameMarks.SNAT_TO_NODE) != 0, "\"dnat+snat-to-node\"");
        decision(b, before, (mark & FrameMarks.REVERSE_NAT) != 0, "\"reverse-nat\"");
        decision(b, before, (mark & FrameMarks.CT_CREATED) != 0, "\"ct-created\"");
        decision(b, before, (mark & FrameMarks.CT_ACCOUNTED) != 0, "\"ct-tracked\"");
        b.append("]}");
    }

    private static void decision(StringBuilder b, int start, boolean taken, String name) {
        if (taken) {
            if (b.length() > start) {
                b.append(',');
            }
            b.append(name);
        }
    }

    private static String address(long hi, long lo) {
        return MappedAddress.isIpv4(hi, lo) ? Addresses.formatIpv4(MappedAddress.ip4(lo)) : Addresses.formatIpv6(hi, lo);
    }
}
