package dev.gingham.jmh.encap;

import dev.gingham.encap.TunnelEncap;
import dev.gingham.encap.TunnelMode;
import dev.gingham.packet.BufferPool;
import dev.gingham.packet.FrameVector;
import dev.gingham.packet.PacketBuilder;
import dev.gingham.packet.Parser;
import dev.gingham.packet.Verdict;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The comparison every CNI documents: what each overlay mode costs on the wire. Not a JMH
 * benchmark: it runs the real {@link TunnelEncap} once per (mode, payload) and measures the
 * frame it produced, so the table follows the code (an extra option byte would show).
 *
 * <p>Bytes on the wire per packet = the Ethernet frame (padded to 60 bytes) + FCS 4 + preamble
 * and start delimiter 8 + inter-frame gap 12. Goodput = payload / wire bytes. Payloads are UDP
 * payloads of 64, 512 and 1400 bytes, and a full-size TCP segment (the MSS the pod MTU
 * allows at an underlay MTU of 1500, with MSS clamping: 1460 native, 1410 VXLAN and Geneve,
 * 1440 IPIP).
 *
 * <p>Run: {@code java -cp jmh/target/gingham-benchmarks.jar dev.gingham.jmh.encap.WireOverheadReport}
 * (prints a Markdown table); the benchmark report includes the same table through {@link #rows()}.
 */
public final class WireOverheadReport {
    private static final int ETHERNET_MIN_FRAME = 60;
    private static final int FCS_PREAMBLE_GAP = 4 + 8 + 12;
    private static final int[] UDP_PAYLOADS = {64, 512, 1400};
    /** Native first: it is the reference the others are compared with. */
    private static final TunnelMode[] MODES = {TunnelMode.NATIVE, TunnelMode.VXLAN, TunnelMode.GENEVE, TunnelMode.IPIP};

    private WireOverheadReport() {
    }

    public static void main(String[] args) {
        System.out.print(markdownTable(rows()));
    }

    /**
     * One (payload, mode) of the table.
     *
     * @param payload        "UDP 64 B" or "TCP MSS 1410 B"
     * @param mode           the tunnel mode, lower case
     * @param podMtu         the pod MTU the mode allows at an underlay MTU of 1500
     * @param frameBytes     the Ethernet frame the encapsulation produced
     * @param wireBytes      the frame (at least 60) + FCS + preamble + inter-frame gap
     * @param overheadBytes  wire bytes beyond native routing's for the same payload
     * @param goodputPercent payload / wire bytes
     */
    public record Row(String payload, String mode, int podMtu, int frameBytes, int wireBytes, int overheadBytes,
                      double goodputPercent) {
    }

    /** Returns: every row, UDP payloads first, each payload's modes with native first. */
    public static List<Row> rows() {
        List<Row> rows = new ArrayList<>();
        for (int payload : UDP_PAYLOADS) {
            int nativeWire = 0;
            for (TunnelMode mode : MODES) {
                Measured m = measure(mode, PacketBuilder.udp4(BenchOverlay.LOCAL_POD, 5000, BenchOverlay.REMOTE_POD, 6000)
                        .payload(payload).build());
                nativeWire = mode == TunnelMode.NATIVE ? m.wireBytes : nativeWire;
                rows.add(row("UDP " + payload + " B", mode, m, payload, nativeWire));
            }
        }
        int nativeWire = 0;
        for (TunnelMode mode : MODES) {
            try (BenchOverlay o = BenchOverlay.sender(mode)) {
                int mss = o.config.mssIpv4Bytes();
                Measured m = measure(mode, PacketBuilder.tcp4(BenchOverlay.LOCAL_POD, 40000, BenchOverlay.REMOTE_POD, 80)
                        .flags(PacketBuilder.ACK).payload(mss).build());
                nativeWire = mode == TunnelMode.NATIVE ? m.wireBytes : nativeWire;
                rows.add(row("TCP MSS " + mss + " B", mode, m, mss, nativeWire));
            }
        }
        return rows;
    }

    /** Returns: the rows as a Markdown table. */
    public static String markdownTable(List<Row> rows) {
        StringBuilder out = new StringBuilder();
        out.append("| Payload | Mode | Pod MTU | Frame on the wire (B) | Wire bytes incl. FCS, preamble, gap | Overhead vs native (B) | Goodput |\n");
        out.append("|---|---|---:|---:|---:|---:|---:|\n");
        for (Row r : rows) {
            out.append(String.format(Locale.ROOT, "| %s | %s | %d | %d | %d | %d | %.1f%% |%n", r.payload(), r.mode(),
                    r.podMtu(), r.frameBytes(), r.wireBytes(), r.overheadBytes(), r.goodputPercent()));
        }
        return out.toString();
    }

    private record Measured(int podMtu, int frameBytes, int wireBytes) {
    }

    private static Row row(String payloadLabel, TunnelMode mode, Measured m, int payload, int nativeWire) {
        return new Row(payloadLabel, mode.name().toLowerCase(Locale.ROOT), m.podMtu, m.frameBytes, m.wireBytes,
                m.wireBytes - nativeWire, 100.0 * payload / m.wireBytes);
    }

    /** Encapsulates one frame from the pod with the mode's real program and measures the result. */
    private static Measured measure(TunnelMode mode, byte[] frame) {
        try (BenchOverlay o = BenchOverlay.sender(mode); BufferPool pool = BufferPool.allocate(1, BufferPool.DEFAULT_BUFFER_SIZE)) {
            FrameVector v = new FrameVector(pool);
            int i = PacketBuilder.load(v, BenchOverlay.POD_PORT, frame);
            new Parser().parse(v, i);
            new TunnelEncap(o.config, o.ipCache, o.peers).process(v, 0);
            if (v.verdict(i) != Verdict.tx(0)) {
                throw new IllegalStateException(mode + ": not sent to the underlay: " + Verdict.toString(v.verdict(i)));
            }
            int frameBytes = v.length(i);
            v.releaseAll();
            int wire = Math.max(ETHERNET_MIN_FRAME, frameBytes) + FCS_PREAMBLE_GAP;
            return new Measured(o.config.podMtuBytes(), frameBytes, wire);
        }
    }
}
