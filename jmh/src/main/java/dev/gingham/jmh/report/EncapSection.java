package dev.gingham.jmh.report;

import dev.gingham.jmh.encap.WireOverheadReport;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/** Encapsulation modes: per-packet cost (net of the in-run baseline) and goodput on the wire. */
final class EncapSection implements Section {
    static final String PLOT = "encap.svg";
    private static final String[] MODES = {"NATIVE", "VXLAN", "GENEVE", "IPIP"};

    @Override
    public Set<String> covers() {
        return Set.of(Names.ENCAP, Names.ENCAP_BASELINE, Names.DECAP, Names.DECAP_BASELINE, Names.DECAP_DELIVER);
    }

    @Override
    public void write(ReportContext context, Markdown out) {
        BenchResults results = context.results();
        out.heading(2, "Encapsulation: native routing vs VXLAN vs Geneve vs IPIP");
        out.paragraph("""
                **The question.** What does each way of carrying pod traffic between nodes cost per packet on
                the sending and receiving node, and how much of the wire does its header take?""");
        if (results.of(Names.ENCAP).isEmpty()) {
            out.paragraph("_`EncapBenchmark` is not in this run._");
        } else {
            out.paragraph("""
                    Vectors of 256 frames (TCP, 64 bytes of payload, to a pod on the peer node). Every invocation
                    first puts the frames back as received and parses them: that alone is the `baseline` method,
                    measured in the same run, and "net" is the program's own cost (method minus baseline). Native
                    routing (a MAC rewrite after the route lookup) is the reference for the tunnel modes.""");
            boolean decap = !results.of(Names.DECAP).isEmpty();
            if (decap) {
                out.paragraph("""
                        Receiving side: the decap baseline puts the frames back as received and parses them as any
                        frame is parsed; decap is the underlay's receive as the node runs it (`TunnelDecap.receive`,
                        which checks a tunnel packet's outer headers from its bytes and parses only the inner frame,
                        then `TunnelDecap.process`), so decap net is what a tunnel packet costs beyond the parse
                        every received frame needs. Native routing's decap is the parse and the "is it a tunnel
                        packet for me" check.""");
            }
            List<String> header = new ArrayList<>(List.of("Mode", "Encap (ns/frame)", "Baseline", "Encap net", "Net vs native"));
            if (decap) {
                header.addAll(List.of("Decap (ns/frame)", "Decap baseline", "Decap net", "Decap + delivery net"));
            }
            header.add("B/op");
            boolean[] right = new boolean[header.size()];
            java.util.Arrays.fill(right, true);
            right[0] = false;
            double nativeNet = net(results, Names.ENCAP, Names.ENCAP_BASELINE, "NATIVE");
            List<List<String>> rows = new ArrayList<>();
            double[] nets = new double[MODES.length];
            double[] decapNets = new double[MODES.length];
            for (int m = 0; m < MODES.length; m++) {
                String mode = MODES[m];
                Optional<BenchResult> e = results.find(Names.ENCAP, "mode", mode);
                Optional<BenchResult> base = results.find(Names.ENCAP_BASELINE, "mode", mode);
                nets[m] = net(results, Names.ENCAP, Names.ENCAP_BASELINE, mode);
                decapNets[m] = net(results, Names.DECAP, Names.DECAP_BASELINE, mode);
                List<String> row = new ArrayList<>(List.of(mode.toLowerCase(Locale.ROOT),
                        e.map(r -> Fmt.ns(r.nanos()) + " " + Fmt.spread(r.spreadPercent())).orElse("–"),
                        base.map(r -> Fmt.ns(r.nanos())).orElse("–"), Fmt.ns(nets[m]), Fmt.ratio(nets[m] / nativeNet)));
                if (decap) {
                    row.add(results.find(Names.DECAP, "mode", mode).map(r -> Fmt.ns(r.nanos())).orElse("–"));
                    row.add(results.find(Names.DECAP_BASELINE, "mode", mode).map(r -> Fmt.ns(r.nanos())).orElse("–"));
                    row.add(Fmt.ns(decapNets[m]));
                    row.add(Fmt.ns(net(results, Names.DECAP_DELIVER, Names.DECAP_BASELINE, mode)));
                }
                row.add(e.map(r -> Fmt.bytes(r.allocBytesPerOp())).orElse("–"));
                rows.add(row);
            }
            out.table(header, right, rows);
            List<SvgChart.Bars> bars = new ArrayList<>(List.of(new SvgChart.Bars("encap net", nets)));
            if (decap) {
                bars.add(new SvgChart.Bars("decap net", decapNets));
            }
            SvgChart chart = new SvgChart("Encapsulation cost per frame, net of the in-run baseline", "mode", "ns per frame")
                    .yScale(SvgChart.Scale.LINEAR, Fmt::shortCount);
            out.image("Encapsulation cost per mode", context.plot(PLOT, chart.barChart(
                    List.of("native", "vxlan", "geneve", "ipip"), bars)));
            out.paragraph(String.format(Locale.ROOT, "**What the numbers mean.** A tunnel costs %s (VXLAN), %s (Geneve) and %s "
                            + "(IPIP) of native routing's per-packet work on the sender: writing 50 (IPIP: 20) bytes of outer "
                            + "headers and their checksum on top of the route lookup and MAC rewrite every mode does. "
                            + "Differences of a few ns are within this machine's noise (see the ± spreads).%s",
                    Fmt.ratio(nets[1] / nets[0]), Fmt.ratio(nets[2] / nets[0]), Fmt.ratio(nets[3] / nets[0]),
                    targetsMeaning(results)));
        }
        writeWire(context.wire(), out);
    }

    /** Returns: issue 4's two targets as judged in this run, as sentences (empty when neither was measured). */
    private static String targetsMeaning(BenchResults results) {
        StringBuilder text = new StringBuilder();
        for (Targets.Judged j : Targets.judge(results)) {
            if (j.issue() == 4 && j.verdict() != Targets.Verdict.NOT_MEASURED) {
                text.append(' ').append(j.sentence());
            }
        }
        return text.toString();
    }

    static double net(BenchResults results, String method, String baseline, String mode) {
        double m = results.find(method, "mode", mode).map(BenchResult::nanos).orElse(Double.NaN);
        double b = results.find(baseline, "mode", mode).map(BenchResult::nanos).orElse(Double.NaN);
        return m - b;
    }

    private static void writeWire(List<WireOverheadReport.Row> wire, Markdown out) {
        if (wire.isEmpty()) {
            return;
        }
        out.heading(3, "Goodput on the wire");
        out.paragraph("""
                Computed, not timed: the real encapsulation run once per mode and payload, its frame measured.
                Underlay MTU 1500; wire bytes = frame (at least 60) + FCS 4 + preamble 8 + inter-frame gap 12;
                goodput = payload / wire bytes. The TCP rows are a full-size segment at the MSS each mode's pod
                MTU allows (what MSS clamping enforces).""");
        List<List<String>> rows = new ArrayList<>();
        for (WireOverheadReport.Row r : wire) {
            rows.add(List.of(r.payload(), r.mode(), Integer.toString(r.podMtu()), Integer.toString(r.frameBytes()),
                    Integer.toString(r.wireBytes()), Integer.toString(r.overheadBytes()),
                    String.format(Locale.ROOT, "%.1f%%", r.goodputPercent())));
        }
        out.table(List.of("Payload", "Mode", "Pod MTU", "Frame (B)", "Wire bytes", "Overhead vs native (B)", "Goodput"),
                new boolean[]{false, false, true, true, true, true, true}, rows);
    }
}
