package dev.gingham.dataplane.nodebench;

import dev.gingham.dataplane.agent.WorkerAgent;
import dev.gingham.dataplane.daemon.DaemonLog;
import dev.gingham.dataplane.demo.Namespaces;
import dev.gingham.tap.TapQueue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * The cross-node figure of {@code gingham bench-node}: iperf3 TCP from a pod on node 1 to a pod on
 * node 2 over VXLAN, through two Gingham nodes with the defaults (batched underlay I/O, TSO frames
 * sent as UDP GSO datagrams), through the same with TSO frames cut into segments before the tunnel
 * ({@code underlay.udpGso: false}), through the same with one system call per frame as well
 * ({@code underlay.batch: false}), and through two plain-Linux nodes with kernel VXLAN devices
 * ({@link KernelVxlanPair}). All four are built first and checked with a {@link TcpTransfer} of a
 * few MB; then rounds alternate kernel, default, segmented, unbatched (one path at a time; the
 * idle daemons' workers sleep on their ports), and each figure is the median of its rounds.
 */
final class CrossNodeThroughput {
    /** The target: Gingham's cross-node Gbit/s at least this share of the kernel pair's. */
    static final double TARGET = 0.75;
    static final int IPERF_PORT = 5201;
    static final int CHECK_PORT = 5301;
    static final long CHECK_BYTES = 4L << 20;
    private static final long CHECK_TIMEOUT_MS = 30_000;
    private static final String LINK = "one veth pair between the two node namespaces, MTU 1500; VXLAN (UDP 8472, VNI 1) over it";

    private final BenchPlan plan;
    private final Consumer<String> step;

    CrossNodeThroughput(BenchPlan plan, Consumer<String> step) {
        this.plan = plan;
        this.step = step;
    }

    /** Builds the four node pairs in {@code namespaces}, measures, and stops the daemons (the namespaces are the caller's). */
    NodeBenchResult.CrossNode run(Namespaces namespaces, Path directory, DaemonLog log) {
        step.accept("cross-node: two Gingham nodes with the defaults (batched, UDP GSO), two cutting TSO frames into segments,"
                + " two doing that with one system call per frame, two kernel VXLAN nodes");
        try (GinghamNodePair gso = GinghamNodePair.start(namespaces, directory, "xg", true, true, plan.idle().kind(), log);
             GinghamNodePair segmented = GinghamNodePair.start(namespaces, directory, "xb", true, false, plan.idle().kind(), log);
             GinghamNodePair unbatched = GinghamNodePair.start(namespaces, directory, "xu", false, false, plan.idle().kind(), log)) {
            PodPair kernel = KernelVxlanPair.build(namespaces, gso.podMtuBytes());
            for (PodPair pods : List.of(kernel, gso.pods(), segmented.pods(), unbatched.pods())) {
                if (!plan.tso()) {
                    NodeBenchmark.disableTso(pods.clientNs(), step);
                }
                check(pods);
            }
            int rounds = plan.rounds();
            double[] kernelGbps = new double[rounds];
            long kernelRetransmits = 0;
            Variant defaults = new Variant(gso, rounds);
            Variant cut = new Variant(segmented, rounds);
            Variant single = new Variant(unbatched, rounds);
            for (int r = 0; r < rounds; r++) {
                Iperf3.Result k = tcp(kernel);
                kernelGbps[r] = k.receivedGbps();
                kernelRetransmits += k.retransmits();
                for (Variant variant : List.of(defaults, cut, single)) {
                    variant.round(r, () -> tcp(variant.pair.pods()));
                }
            }
            double kernelMedian = NodeBenchmark.median(kernelGbps);
            double ratio = ratio(defaults.median(), kernelMedian);
            NodeBenchResult.CrossNode result = new NodeBenchResult.CrossNode(LINK, gso.podMtuBytes(), rounds,
                    plan.throughput().toMillis() / 1000.0, round3(defaults.median()), round3(single.median()), round3(kernelMedian),
                    ratio, ratio(single.median(), kernelMedian), TARGET, ratio >= TARGET, ratio(cut.median(), single.median()),
                    rounded(defaults.gbps), rounded(single.gbps), rounded(kernelGbps), defaults.retransmits, single.retransmits,
                    kernelRetransmits, round3(defaults.usage.coresPerGbps(defaults.gbps)), round3(single.usage.coresPerGbps(single.gbps)),
                    round3(defaults.usage.txFramesPerCall()), round3(defaults.usage.rxFramesPerCall()),
                    round3(single.usage.txFramesPerCall()), round3(single.usage.rxFramesPerCall()),
                    round3(cut.median()), ratio(cut.median(), kernelMedian), ratio(defaults.median(), cut.median()), rounded(cut.gbps),
                    cut.retransmits, round3(cut.usage.coresPerGbps(cut.gbps)), round3(cut.usage.txFramesPerCall()),
                    round3(cut.usage.rxFramesPerCall()));
            step.accept(String.format("cross-node: Gingham %.2f Gbit/s (UDP GSO), %.2f segmented, %.2f segmented and unbatched,"
                            + " kernel VXLAN %.2f (ratio %.2f, target %.2f); node 1 sends %.1f frames per sendmmsg, node 2 reads %.1f"
                            + " per recvmmsg", defaults.median(), cut.median(), single.median(), kernelMedian, ratio, TARGET,
                    result.ginghamTxFramesPerCall(), result.ginghamRxFramesPerCall()));
            return result;
        }
    }

    /** One Gingham node pair's rounds: Gbit/s, retransmits and what its workers and sockets did. */
    private static final class Variant {
        final GinghamNodePair pair;
        final double[] gbps;
        final Usage usage;
        long retransmits;

        Variant(GinghamNodePair pair, int rounds) {
            this.pair = pair;
            this.gbps = new double[rounds];
            this.usage = new Usage(pair);
        }

        void round(int r, java.util.function.Supplier<Iperf3.Result> measurement) {
            Iperf3.Result result = usage.measure(measurement);
            gbps[r] = result.receivedGbps();
            retransmits += result.retransmits();
        }

        double median() {
            return NodeBenchmark.median(gbps);
        }
    }

    /** A few MB over one TCP connection with the bytes checked: a path that cannot carry TCP fails here, by name. */
    private void check(PodPair pods) {
        TcpTransfer.Result r = TcpTransfer.run(pods, CHECK_PORT, CHECK_BYTES, CHECK_TIMEOUT_MS);
        if (!r.intact(CHECK_BYTES)) {
            throw new IllegalStateException(pods.path() + ": the check transfer of " + CHECK_BYTES + " bytes arrived as "
                    + r.receivedBytes() + " bytes" + (r.receivedBytes() == CHECK_BYTES ? " with a different SHA-256" : ""));
        }
        step.accept(String.format("%s: %d MB check transfer intact (%.0f ms)", pods.path(), CHECK_BYTES >> 20, r.nanos() / 1e6));
    }

    private Iperf3.Result tcp(PodPair pods) {
        Iperf3.Result r = Iperf3.run(pods, pods.serverIp(), IPERF_PORT, plan.throughput(), plan.tcpOmitSeconds());
        step.accept(String.format("%s: iperf3 TCP pod to pod across nodes %.2f Gbit/s (%d retransmits)", pods.path(), r.receivedGbps(),
                r.retransmits()));
        return r;
    }

    /**
     * What one node pair's workers and underlay sockets did during its rounds: both workers' busy
     * time, node 1's underlay frames and send calls, node 2's frames and receive calls that returned frames.
     */
    private static final class Usage {
        private final List<WorkerAgent> workers = new ArrayList<>();
        private final TapQueue sender;
        private final TapQueue receiver;
        private double busyCores;
        private long sentFrames;
        private long sendCalls;
        private long receivedFrames;
        private long receiveCalls;

        Usage(GinghamNodePair pair) {
            workers.add(pair.daemons().get(0).workers().getFirst());
            workers.add(pair.daemons().get(1).workers().getFirst());
            sender = pair.daemons().get(0).underlaySockets().queue(0);
            receiver = pair.daemons().get(1).underlaySockets().queue(0);
        }

        Iperf3.Result measure(java.util.function.Supplier<Iperf3.Result> round) {
            long busy0 = busyNs();
            long tx0 = sender.txFrameCount();
            long txCalls0 = sender.txCallCount();
            long rx0 = receiver.rxFrameCount();
            long rxCalls0 = receiver.rxCallCount();
            long t0 = System.nanoTime();
            Iperf3.Result r = round.get();
            busyCores += (busyNs() - busy0) / (double) (System.nanoTime() - t0);
            sentFrames += sender.txFrameCount() - tx0;
            sendCalls += sender.txCallCount() - txCalls0;
            receivedFrames += receiver.rxFrameCount() - rx0;
            receiveCalls += receiver.rxCallCount() - rxCalls0;
            return r;
        }

        private long busyNs() {
            long sum = 0;
            for (WorkerAgent w : workers) {
                sum += w.busyNs();
            }
            return sum;
        }

        /** Both workers' busy cores (averaged over the rounds) per median Gbit/s of the rounds. */
        double coresPerGbps(double[] gbps) {
            double median = NodeBenchmark.median(gbps);
            return median <= 0 ? 0 : busyCores / gbps.length / median;
        }

        double txFramesPerCall() {
            return sendCalls == 0 ? 0 : sentFrames / (double) sendCalls;
        }

        double rxFramesPerCall() {
            return receiveCalls == 0 ? 0 : receivedFrames / (double) receiveCalls;
        }
    }

    private static double ratio(double value, double baseline) {
        return baseline <= 0 ? 0 : round3(value / baseline);
    }

    private static double round3(double value) {
        return NodeBenchResult.round3(value);
    }

    private static List<Double> rounded(double[] values) {
        List<Double> list = new ArrayList<>();
        for (double v : values) {
            list.add(round3(v));
        }
        return list;
    }
}
