package dev.gingham.dataplane.nodebench;

import tools.jackson.databind.SerializationFeature;
import tools.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Locale;

/**
 * Writes a run's result: the JSON file under {@code docs/bench/} and the Markdown section (machine,
 * kernel, date, command, the table of figures with baselines, ratios and targets) that goes into
 * {@code docs/benchmarks-notes.md}. The analysis of why a target is missed stays hand-written.
 */
public final class NodeBenchReport {
    private static final JsonMapper JSON = JsonMapper.builder().enable(SerializationFeature.INDENT_OUTPUT).build();

    private NodeBenchReport() {
    }

    /** Writes the result as JSON to {@code file} (directories created). */
    public static void writeJson(NodeBenchResult result, Path file) {
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            Files.writeString(file, JSON.writeValueAsString(result) + "\n");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    /** Returns: a result read back from its JSON file. */
    public static NodeBenchResult readJson(Path file) {
        return JSON.readValue(file.toFile(), NodeBenchResult.class);
    }

    /** Appends the Markdown section to {@code notes}. */
    public static void appendTo(Path notes, String section) {
        try {
            Files.writeString(notes, "\n" + section, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot append to " + notes + ": " + e.getMessage(), e);
        }
    }

    /** Returns: the Markdown section of a result; {@code jsonLink} is the JSON file as docs/benchmarks-notes.md links it. */
    public static String markdown(NodeBenchResult r, String jsonLink) {
        NodeBenchResult.Machine m = r.machine();
        NodeBenchResult.Setup s = r.setup();
        StringBuilder md = new StringBuilder();
        md.append("## Node end to end (`gingham bench-node`), ").append(r.date(), 0, 10).append("\n\n");
        md.append("Command: `").append(r.command()).append("` (").append(r.date()).append(").\n");
        md.append("Machine: ").append(m.cpu()).append(", ").append(m.cores()).append(" cores").append(m.virtualMachine() ? " (VM)" : "")
                .append(", ").append(m.memoryMib() / 1024).append(" GiB, Linux ").append(m.kernel()).append(", ").append(m.jdk())
                .append(", ").append(m.gc()).append("; load average ").append(m.loadAverageStart()).append(" at the start, ")
                .append(m.loadAverageEnd()).append(" at the end.\n");
        md.append("Raw JSON: [").append(jsonLink).append("](").append(jsonLink).append("). Daemon: ").append(s.workers())
                .append(" worker, idle ").append(s.idleStrategy()).append(", bursts of ").append(s.burstFrames()).append(", pod MTU ")
                .append(s.podMtuBytes()).append(s.tso() ? ", TSO on" : ", TSO and GSO off in the client pods").append(". Kernel path: ").append(s.kernelPath()).append(". TAP ceiling: ").append(s.tapCeiling())
                .append(".\n\n");
        if (r.tcpThroughput() != null) {
            singleNode(md, r);
        }
        if (r.crossNode() != null) {
            crossNode(md, r.crossNode());
        }
        return md.toString();
    }

    /** The cross-node table: three Gingham node pairs (defaults, segmented, unbatched) against two kernel VXLAN nodes. */
    private static void crossNode(StringBuilder md, NodeBenchResult.CrossNode c) {
        md.append("\n### Cross-node: pod to pod over VXLAN, two Gingham nodes vs two kernel VXLAN nodes\n\n");
        md.append("Underlay: ").append(c.underlayLink()).append("; pod MTU ").append(c.podMtuBytes()).append(" on both pairs. iperf3 TCP, median of ")
                .append(c.rounds()).append(" × ").append(fmt(c.tcpSeconds())).append(" s per path, rounds alternating.\n\n");
        md.append("| Figure | Gingham | Baseline | Ratio | Target | Verdict |\n|---|---:|---:|---:|---|---|\n");
        md.append(row("iperf3 TCP across nodes, defaults (TSO frames as UDP GSO datagrams, batched underlay I/O), Gbit/s",
                fmt(c.ginghamGbps()), fmt(c.kernelGbps()) + " (kernel VXLAN)", fmt(c.ratio()), "≥ " + c.target(), c.met()));
        md.append(row("the same, TSO frames cut into segments before the tunnel (`underlay.udpGso: false`), Gbit/s",
                fmt(c.segmentedGbps()), fmt(c.kernelGbps()) + " (kernel VXLAN)", fmt(c.segmentedRatio()), "", null));
        md.append(row("the same, segmented and one system call per frame (`underlay.batch: false` too), Gbit/s",
                fmt(c.unbatchedGbps()), fmt(c.kernelGbps()) + " (kernel VXLAN)", fmt(c.unbatchedRatio()), "", null));
        md.append(row("gain of UDP GSO (defaults / segmented)", fmt(c.udpGsoGain()), "", "", "", null));
        md.append(row("gain of batching (segmented / unbatched)", fmt(c.batchingGain()), "", "", "", null));
        md.append("\nRounds: defaults ").append(c.ginghamRoundsGbps()).append(", segmented ").append(c.segmentedRoundsGbps())
                .append(", unbatched ").append(c.unbatchedRoundsGbps()).append(", kernel ").append(c.kernelRoundsGbps())
                .append(" Gbit/s. Retransmits: defaults ").append(c.ginghamRetransmits()).append(", segmented ")
                .append(c.segmentedRetransmits()).append(", unbatched ").append(c.unbatchedRetransmits()).append(", kernel ")
                .append(c.kernelRetransmits()).append(". Both nodes' workers busy ").append(fmt(c.ginghamWorkerCoresPerGbps()))
                .append(" cores per Gbit/s with the defaults, ").append(fmt(c.segmentedWorkerCoresPerGbps())).append(" segmented, ")
                .append(fmt(c.unbatchedWorkerCoresPerGbps())).append(" unbatched. Underlay frames per system call (node 1 sends,")
                .append(" node 2 reads): defaults ").append(fmt(c.ginghamTxFramesPerCall())).append(" and ")
                .append(fmt(c.ginghamRxFramesPerCall())).append(", segmented ").append(fmt(c.segmentedTxFramesPerCall()))
                .append(" and ").append(fmt(c.segmentedRxFramesPerCall())).append(", unbatched ")
                .append(fmt(c.unbatchedTxFramesPerCall())).append(" and ").append(fmt(c.unbatchedRxFramesPerCall())).append(".\n");
    }

    private static void singleNode(StringBuilder md, NodeBenchResult r) {
        NodeBenchResult.Setup s = r.setup();
        NodeBenchResult.Throughput t = r.tcpThroughput();
        NodeBenchResult.PacketRate u = r.udpPacketRate();
        md.append("| Figure | Gingham | Baseline | Ratio | Target | Verdict |\n|---|---:|---:|---:|---|---|\n");
        md.append(row("iperf3 TCP through a ClusterIP, Gbit/s (median of " + s.rounds() + " × " + fmt(s.tcpSeconds()) + " s)",
                fmt(t.ginghamGbps()),
                fmt(t.kernelGbps()) + " (kernel)", fmt(t.ratio()), "≥ " + t.target(), t.met()));
        md.append(row("64-byte UDP through a ClusterIP, packets/s per worker (median of " + s.udpRounds() + " × "
                        + fmt(s.udpWindowSeconds()) + " s)",
                String.format(Locale.ROOT, "%,d", u.ginghamPpsPerWorker()), String.format(Locale.ROOT, "%,d", u.tapCeilingPps())
                        + " (raw TAP forwarder)", fmt(u.ratio()), "≥ " + u.target(), u.met()));
        md.append(row("the same, per CPU-second of the forwarding thread (worker / forwarder)",
                String.format(Locale.ROOT, "%,d", u.ginghamPpsPerWorkerCpuSecond()), String.format(Locale.ROOT, "%,d",
                        u.tapCeilingPpsPerCpuSecond()) + " (raw TAP forwarder)", fmt(u.cpuRatio()), "≥ " + u.target(), u.cpuMet()));
        latencyRows(md, "ping (n = " + s.pingCount() + ", " + fmt(s.pingIntervalMs()) + " ms)", r.latency().ping());
        latencyRows(md, "TCP request/response (n = " + s.roundTrips() + ")", r.latency().tcpRequestResponse());
        NodeBenchResult.Gc g = r.gc();
        md.append(row("GC in a " + fmt(g.seconds()) + " s steady run (" + g.traffic() + ", " + String.format(Locale.ROOT, "%,d", g.frames())
                        + " frames)", g.collections() + " collections, " + g.collectionTimeMs() + " ms", "", "",
                "0", g.met()));
        md.append("\nWorker threads allocated ").append(String.format(Locale.ROOT, "%,d", g.workerAllocatedBytes()))
                .append(" bytes in the steady run (per second: ").append(g.workerAllocatedBytesPerSecond())
                .append("; the whole JVM ").append(String.format(Locale.ROOT, "%,d", g.jvmAllocatedBytes()))
                .append("). Offered load: Gingham's sender ").append(String.format(Locale.ROOT, "%,d", u.ginghamOfferedPps()))
                .append(" frames/s, the ceiling's ").append(String.format(Locale.ROOT, "%,d", u.tapCeilingOfferedPps()))
                .append("; the worker was busy ").append(Math.round(u.ginghamWorkerBusy() * 100)).append("% of the UDP window and ").append(Math.round(t.ginghamWorkerBusy() * 100))
                .append("% of the TCP rounds (iperf3's start included). Rounds: TCP Gingham ").append(t.ginghamRoundsGbps())
                .append(" vs kernel ").append(t.kernelRoundsGbps()).append(" Gbit/s; UDP Gingham ").append(u.ginghamRoundsPps())
                .append(" vs ceiling ").append(u.tapCeilingRoundsPps()).append(" packets/s, the forwarding thread on CPU ")
                .append(u.ginghamRoundsCpuShare()).append(" vs ").append(u.tapCeilingRoundsCpuShare()).append(" of a core. TCP retransmits: Gingham ")
                .append(t.ginghamRetransmits()).append(", kernel ").append(t.kernelRetransmits()).append(".\n");
        for (NodeBenchResult.Profile p : r.profiles()) {
            md.append("\nWorker profile during ").append(p.phase()).append(" (JFR, ").append(p.workerSamples()).append(" samples, ")
                    .append(Math.round(p.nativeShare() * 100)).append("% in native calls): ");
            for (int i = 0; i < p.top().size() && i < 6; i++) {
                NodeBenchResult.HotMethod h = p.top().get(i);
                md.append(i == 0 ? "" : ", ").append('`').append(h.method()).append("` ").append(Math.round(h.share() * 100)).append('%');
            }
            md.append(".\n");
        }
    }

    private static void latencyRows(StringBuilder md, String what, NodeBenchResult.RoundTrip rt) {
        md.append(row(what + ", p50 µs", fmt(rt.gingham().p50Us()), fmt(rt.kernel().p50Us()) + " (kernel)",
                signed(rt.addedP50Us()) + " µs", "", null));
        md.append(row(what + ", p99 µs", fmt(rt.gingham().p99Us()), fmt(rt.kernel().p99Us()) + " (kernel)",
                signed(rt.addedP99Us()) + " µs", "", null));
    }

    private static String row(String figure, String gingham, String baseline, String ratio, String target, Boolean met) {
        String verdict = met == null ? "" : met ? "met" : "**missed**";
        return "| " + figure + " | " + gingham + " | " + baseline + " | " + ratio + " | " + target + " | " + verdict + " |\n";
    }

    private static String fmt(double value) {
        return value == Math.rint(value) && Math.abs(value) < 1e6 ? Long.toString((long) value) : String.format(Locale.ROOT, "%.2f", value);
    }

    private static String signed(double value) {
        return String.format(Locale.ROOT, "%+.1f", value);
    }
}
