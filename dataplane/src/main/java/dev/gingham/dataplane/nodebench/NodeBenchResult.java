package dev.gingham.dataplane.nodebench;

import java.util.List;

/**
 * Everything one {@code gingham bench-node} run measured, as written to {@code docs/bench/*-node.json}:
 * each Gingham figure beside its baseline from the same run, the ratio and the issue's target.
 * Rates are per second, throughput in Gbit/s, times in microseconds unless the name says otherwise.
 */
public record NodeBenchResult(String kind, String date, String command, boolean quick, Machine machine, Setup setup,
                              Throughput tcpThroughput, PacketRate udpPacketRate, Latency latency, Gc gc,
                              List<Profile> profiles, CrossNode crossNode) {
    public static final String KIND = "gingham-bench-node";

    /** The machine and its load at the start and the end of the run. */
    public record Machine(String cpu, int cores, boolean virtualMachine, long memoryMib, String kernel, String jdk, String gc,
                          String loadAverageStart, String loadAverageEnd) {
    }

    /** How the daemon and the baselines were set up. */
    public record Setup(int workers, String idleStrategy, int burstFrames, int podMtuBytes, boolean tso, int udpFrameBytes, int rounds, int udpRounds,
                        double tcpSeconds, double udpWindowSeconds, int pingCount, double pingIntervalMs, int roundTrips,
                        String kernelPath, String tapCeiling) {
    }

    /** iperf3 TCP through a ClusterIP: medians of the rounds, each round's figure, retransmissions summed over the rounds. */
    public record Throughput(double ginghamGbps, double kernelGbps, double ratio, double target, boolean met,
                             List<Double> ginghamRoundsGbps, List<Double> kernelRoundsGbps,
                             long ginghamRetransmits, long kernelRetransmits, double ginghamWorkerBusy) {
    }

    /**
     * 64-byte UDP frames through a ClusterIP vs the raw TAP forwarder; pps counted at the receiving
     * pod, medians of the rounds; offered rates and the worker's busy share averaged over the rounds.
     * The per-CPU-second figures divide each round's frames by the CPU time (user + system, so the
     * receiving pod's kernel work inside write(2) too) of the thread that moved them: what one
     * worker carries per second of a core, whatever share of the shared machine it got.
     */
    public record PacketRate(long ginghamPps, long ginghamPpsPerWorker, long tapCeilingPps, double ratio, double target, boolean met,
                             List<Long> ginghamRoundsPps, List<Long> tapCeilingRoundsPps,
                             long ginghamPpsPerWorkerCpuSecond, long tapCeilingPpsPerCpuSecond, double cpuRatio, boolean cpuMet,
                             List<Double> ginghamRoundsCpuShare, List<Double> tapCeilingRoundsCpuShare, long ginghamOfferedPps, long tapCeilingOfferedPps, double ginghamWorkerBusy) {
    }

    /** Round trips, each path's percentiles and what Gingham adds over the kernel path. */
    public record Latency(RoundTrip ping, RoundTrip tcpRequestResponse) {
    }

    public record RoundTrip(LatencyStats gingham, LatencyStats kernel, double addedP50Us, double addedP99Us) {
        static RoundTrip of(LatencyStats gingham, LatencyStats kernel) {
            return new RoundTrip(gingham, kernel, round1(gingham.p50Us() - kernel.p50Us()), round1(gingham.p99Us() - kernel.p99Us()));
        }
    }

    /**
     * The steady run: collections and their accumulated time in the window (target 0), frames the
     * workers carried, bytes the worker threads allocated (in all and per second: code the JIT has
     * not compiled yet, or has just deoptimised, allocates where compiled code does not) and the
     * bytes the whole JVM allocated.
     */
    public record Gc(double seconds, String traffic, long frames, long collections, long collectionTimeMs, List<Collector> collectors,
                     int workerThreads, long workerAllocatedBytes, List<Long> workerAllocatedBytesPerSecond, long jvmAllocatedBytes,
                     long target, boolean met) {
    }

    public record Collector(String name, long collections, long timeMs) {
    }

    /**
     * iperf3 TCP from a pod on one node to a pod on another over VXLAN: three pairs of Gingham nodes
     * against two plain-Linux nodes with kernel VXLAN devices, over the same kind of underlay link;
     * medians of alternating rounds. The Gingham pairs: {@code gingham*} the defaults (batched
     * underlay I/O, TSO frames sent as UDP GSO datagrams), {@code segmented*} TSO frames cut into
     * segments before the tunnel ({@code underlay.udpGso: false}, batched), {@code unbatched*} the
     * same with one system call per frame ({@code underlay.batch: false} as well). The workers' busy
     * share (both nodes' workers summed, in cores) per Gbit/s is the CPU figure the daemon can give
     * (the kernel pair's work runs in softirq and is not attributed). Frames per system call: node
     * 1's underlay sends, node 2's underlay receives, over the measured rounds. {@code udpGsoGain}:
     * default / segmented; {@code batchingGain}: segmented / unbatched.
     */
    public record CrossNode(String underlayLink, int podMtuBytes, int rounds, double tcpSeconds,
                            double ginghamGbps, double unbatchedGbps, double kernelGbps, double ratio, double unbatchedRatio,
                            double target, boolean met, double batchingGain,
                            List<Double> ginghamRoundsGbps, List<Double> unbatchedRoundsGbps, List<Double> kernelRoundsGbps,
                            long ginghamRetransmits, long unbatchedRetransmits, long kernelRetransmits,
                            double ginghamWorkerCoresPerGbps, double unbatchedWorkerCoresPerGbps,
                            double ginghamTxFramesPerCall, double ginghamRxFramesPerCall,
                            double unbatchedTxFramesPerCall, double unbatchedRxFramesPerCall,
                            double segmentedGbps, double segmentedRatio, double udpGsoGain, List<Double> segmentedRoundsGbps,
                            long segmentedRetransmits, double segmentedWorkerCoresPerGbps,
                            double segmentedTxFramesPerCall, double segmentedRxFramesPerCall) {
    }

    /** A JFR profile of the worker during one measurement ({@code --profile}). */
    public record Profile(String phase, String jfrFile, int workerSamples, double nativeShare, List<HotMethod> top) {
    }

    /** A Gingham method and the share of the worker's samples whose innermost Gingham frame it was. */
    public record HotMethod(String method, double share) {
    }

    static double round1(double value) {
        return Math.round(value * 10) / 10.0;
    }

    static double round3(double value) {
        return Math.round(value * 1000) / 1000.0;
    }
}
