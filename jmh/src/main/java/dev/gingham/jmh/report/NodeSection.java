package dev.gingham.jmh.report;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * The daemon end to end ({@code gingham bench-node}): real pods' kernels sending through the
 * running node, each figure beside its baseline from the same run. Shown from the newest default
 * run's JSON; its own date, command and load, since it is not the JMH run above.
 */
final class NodeSection implements Section {
    @Override
    public Set<String> covers() {
        return Set.of();
    }

    @Override
    public void write(ReportContext context, Markdown out) {
        Optional<NodeRun> run = context.node();
        out.heading(2, "The node end to end: pods through the running daemon");
        out.paragraph("""
                **The question.** What does a pod get from a node that runs Gingham instead of the kernel's
                data path? Real pod network stacks (iperf3, ping, a TCP request/response loop) send through
                `gingham run`'s daemon on TAP devices, and each figure is set beside its baseline measured in
                the same run: the kernel path (veth pairs and kube-proxy-style iptables DNAT) for throughput
                and latency, and the raw TAP ceiling (a thread that only reads one TAP and writes another) for
                the packet rate.""");
        if (run.isEmpty()) {
            out.paragraph("_No `gingham bench-node` run in docs/bench/node/ yet (`sudo ./gingham bench-node`)._");
            return;
        }
        NodeRun r = run.get();
        out.paragraph(String.format(Locale.ROOT, """
                From `%s` on %s ([%s](%s)): %s %s cores, Linux %s, %s; load average %s at the start, %s at the end.
                Daemon: %s worker(s), idle %s, bursts of %s, pod MTU %s.""",
                r.text("command"), r.text("date").replace('T', ' ').replace("Z", " UTC"), ReportWriter.fileName(r.link()), r.link(),
                r.text("machine/cpu"), Fmt.count(r.text("machine/cores")), r.text("machine/kernel"), r.text("machine/jdk"),
                r.text("machine/loadAverageStart"), r.text("machine/loadAverageEnd"), r.text("setup/workers"),
                r.text("setup/idleStrategy"), r.text("setup/burstFrames"), r.text("setup/podMtuBytes")));
        List<List<String>> rows = new ArrayList<>();
        rows.add(ratioRow("iperf3 TCP through a ClusterIP, Gbit/s", r, "tcpThroughput/ginghamGbps", "tcpThroughput/kernelGbps",
                "kernel", "tcpThroughput/target", "%.2f"));
        rows.add(ratioRow("64-byte UDP through a ClusterIP, packets/s per worker", r, "udpPacketRate/ginghamPpsPerWorker",
                "udpPacketRate/tapCeilingPps", "raw TAP", "udpPacketRate/target", "%,.0f"));
        rows.add(ratioRow("the same per CPU-second of the forwarding thread", r, "udpPacketRate/ginghamPpsPerWorkerCpuSecond",
                "udpPacketRate/tapCeilingPpsPerCpuSecond", "raw TAP", "udpPacketRate/target", "%,.0f"));
        if (!Double.isNaN(r.number("crossNode/ginghamGbps"))) {
            rows.add(ratioRow("iperf3 TCP pod to pod across two nodes over VXLAN, Gbit/s", r, "crossNode/ginghamGbps",
                    "crossNode/kernelGbps", "kernel VXLAN pair", "crossNode/target", "%.2f"));
            if (!Double.isNaN(r.number("crossNode/segmentedGbps"))) {
                rows.add(ratioRow("the same with TSO frames cut into segments before the tunnel (underlay.udpGso: false)", r,
                        "crossNode/segmentedGbps", "crossNode/kernelGbps", "kernel VXLAN pair", "crossNode/target", "%.2f"));
            }
            rows.add(ratioRow("the same with one system call per frame, segmented (underlay.batch: false)", r, "crossNode/unbatchedGbps",
                    "crossNode/kernelGbps", "kernel VXLAN pair", "crossNode/target", "%.2f"));
        }
        rows.add(latencyRow("ping round trip, p50 / p99 µs", r, "latency/ping"));
        rows.add(latencyRow("TCP request/response, p50 / p99 µs", r, "latency/tcpRequestResponse"));
        double collections = r.number("gc/collections");
        rows.add(List.of(String.format(Locale.ROOT, "GC during %.0f s of steady traffic (%,.0f frames)", r.number("gc/seconds"),
                        r.number("gc/frames")),
                String.format(Locale.ROOT, "%.0f collections, worker allocated %,.0f B", collections, r.number("gc/workerAllocatedBytes")),
                "", "", "0", Double.isNaN(collections) ? "not measured" : collections == 0 ? "met" : "**missed**"));
        out.table(List.of("Figure", "Gingham", "Baseline", "Ratio", "Target", "Verdict"),
                new boolean[]{false, true, true, true, false, false}, rows);
        out.paragraph("""
                Earlier runs, variants (busy-spin, no TSO), runs under load, and what limits each figure:
                benchmarks-notes.md, "Node end to end" and "Cross-node".""");
    }

    private static List<String> ratioRow(String figure, NodeRun r, String gingham, String baseline, String baselineName,
                                         String target, String format) {
        double g = r.number(gingham);
        double b = r.number(baseline);
        double t = r.number(target);
        double ratio = g / b;
        String verdict = Double.isNaN(ratio) ? "not measured" : ratio >= t ? "met" : "**missed**";
        return List.of(figure, Double.isNaN(g) ? "–" : String.format(Locale.ROOT, format, g),
                Double.isNaN(b) ? "–" : String.format(Locale.ROOT, format, b) + " (" + baselineName + ")",
                Double.isNaN(ratio) ? "–" : String.format(Locale.ROOT, "%.2f×", ratio),
                Double.isNaN(t) ? "" : String.format(Locale.ROOT, "≥ %.2f×", t), Double.isNaN(t) ? "" : verdict);
    }

    private static List<String> latencyRow(String figure, NodeRun r, String prefix) {
        return List.of(figure, percentiles(r, prefix + "/gingham"), percentiles(r, prefix + "/kernel") + " (kernel)",
                String.format(Locale.ROOT, "%+,.1f / %+,.1f µs", r.number(prefix + "/addedP50Us"), r.number(prefix + "/addedP99Us")),
                "", "");
    }

    private static String percentiles(NodeRun r, String prefix) {
        return String.format(Locale.ROOT, "%,.1f / %,.1f", r.number(prefix + "/p50Us"), r.number(prefix + "/p99Us"));
    }
}
