package dev.gingham.dataplane.nodebench;

import dev.gingham.dataplane.agent.PortCounters;
import dev.gingham.dataplane.agent.WorkerAgent;
import dev.gingham.dataplane.daemon.DaemonLog;
import dev.gingham.dataplane.daemon.NodeDaemon;
import dev.gingham.dataplane.demo.Namespaces;
import dev.gingham.dataplane.demo.Shell;
import dev.gingham.packet.header.Addresses;
import dev.gingham.tap.TapDevice;

import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * One run of {@code gingham bench-node}: every Gingham figure of the daemon issue beside its
 * baseline, measured in the same process on the same machine. All three paths are built first:
 * the kernel path ({@link KernelPath}), the raw TAP ceiling ({@link RawTapPath}) and Gingham
 * ({@link GinghamPath}, the daemon in this JVM). Then, one path at a time (no two compete for the
 * cores): iperf3 TCP through the ClusterIP and 64-byte UDP frames from a {@link UdpBlaster}, each in
 * alternating rounds (baseline, Gingham, baseline, ...; the figure is each path's median, so a load
 * change on the shared machine lands on both paths); ping and TCP request/response on both paths;
 * then the steady run for the garbage collector ({@link GcProbe}) with TCP and UDP traffic at once;
 * last, with the single-node daemon and forwarder stopped, the cross-node figure
 * ({@link CrossNodeThroughput}: two Gingham nodes against two kernel VXLAN nodes).
 * The raw forwarder runs only during its rounds; the daemon's worker idles with its idle strategy
 * while the baselines run (with busy-spin it keeps one core busy then, which the baselines feel).
 * Every namespace is deleted at the end, also after a failure; every external command has a time limit.
 */
public final class NodeBenchmark {
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
    /** The targets. */
    public static final double TCP_TARGET = 0.75;
    public static final double UDP_TARGET = 0.7;

    private final BenchPlan plan;
    private final Path workDirectory;
    private final String prefix;
    private final PrintStream progress;
    private final Path profileDirectory;
    private final List<NodeBenchResult.Profile> profiles = new ArrayList<>();

    /**
     * @param workDirectory    where node.yaml, the manifests and the iptables rules are written
     * @param prefix           namespace name prefix (leftovers of a killed run with the same prefix are deleted first)
     * @param profileDirectory where JFR recordings of the worker go ({@code --profile}), or null for none
     */
    public NodeBenchmark(BenchPlan plan, Path workDirectory, String prefix, PrintStream progress, Path profileDirectory) {
        this.plan = plan;
        this.workDirectory = workDirectory;
        this.prefix = prefix;
        this.progress = progress;
        this.profileDirectory = profileDirectory;
    }

    /**
     * Returns: what is missing for a run (root, /dev/net/tun, the tools), or null when nothing is.
     */
    public static String missingPrerequisite(BenchPlan plan) {
        if (!"root".equals(System.getProperty("user.name"))) {
            return "needs root (network namespaces, TAP devices, iptables); running as " + System.getProperty("user.name");
        }
        if (!Files.exists(TapDevice.TUN_DEVICE)) {
            return "needs " + TapDevice.TUN_DEVICE + " (modprobe tun)";
        }
        for (String[] tool : List.of(new String[]{"ip", "-V"}, new String[]{"iperf3", "--version"},
                new String[]{"iptables-restore", "--version"}, new String[]{"ping", "-V"}, new String[]{"ss", "-V"})) {
            if (!Shell.available(tool)) {
                return "needs " + tool[0] + " (Debian: apt-get install iproute2 iperf3 iptables iputils-ping; ./gingham bench-node installs them as root)";
            }
        }
        if (!plan.tso() && !Shell.available("ethtool", "--version")) {
            return "--no-tso needs ethtool (Debian: apt-get install ethtool)";
        }
        return null;
    }

    /** Runs every measurement and returns the figures. */
    public NodeBenchResult run(String command) {
        String loadStart = MachineInfo.loadAverage();
        Instant started = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        try (Namespaces namespaces = new Namespaces(prefix)) {
            namespaces.removeLeftovers();
            GinghamPath.NodeFiles ginghamFiles = GinghamPath.writeFiles(namespaces, workDirectory, plan.idle().kind());
            int mtuBytes = ginghamFiles.podMtuBytes();
            SingleNode single = plan.crossNodeOnly() ? null : singleNode(namespaces, ginghamFiles);
            NodeBenchResult.CrossNode crossNode = new CrossNodeThroughput(plan, this::step)
                    .run(namespaces, workDirectory, new DaemonLog(progress, false));
            NodeBenchResult.Machine machine = new NodeBenchResult.Machine(MachineInfo.cpuModel(),
                    Runtime.getRuntime().availableProcessors(), MachineInfo.virtualMachine(), MachineInfo.memoryMib(),
                    MachineInfo.kernel(), MachineInfo.jdk(), MachineInfo.gc(), loadStart, MachineInfo.loadAverage());
            NodeBenchResult.Setup setup = new NodeBenchResult.Setup(1, plan.idle().kind().spelling(), NodeDaemon.BURST_FRAMES,
                    mtuBytes, plan.tso(), UdpBlaster.FRAME_BYTES, plan.rounds(), plan.udpRounds(), plan.throughput().toMillis() / 1000.0,
                    plan.udpWindow().toMillis() / 1000.0, plan.pingCount(), BenchPlan.PING_INTERVAL.toMillis(), plan.roundTrips(),
                    "veth pairs to a router namespace, iptables-nft DNAT in kube-proxy's chain layout",
                    "one thread reading one TAP and writing the other, same burst, buffers and idle strategy as a worker");
            return new NodeBenchResult(NodeBenchResult.KIND, started.toString(), command, plan.quick(), machine, setup,
                    single == null ? null : single.tcp(), single == null ? null : single.udp(), single == null ? null : single.latency(),
                    single == null ? null : single.gc(), List.copyOf(profiles), crossNode);
        }
    }

    /** The single-node figures of one run. */
    private record SingleNode(NodeBenchResult.Throughput tcp, NodeBenchResult.PacketRate udp, NodeBenchResult.Latency latency,
                              NodeBenchResult.Gc gc) {
    }

    /**
     * The single-node figures: the kernel path, the raw TAP ceiling and the daemon's node, measured
     * one path at a time; the daemon and the forwarder are stopped before the cross-node figure.
     */
    private SingleNode singleNode(Namespaces namespaces, GinghamPath.NodeFiles ginghamFiles) {
        int mtuBytes = ginghamFiles.podMtuBytes();
        step("kernel path: veth pairs, a router namespace, kube-proxy's iptables DNAT rules");
        PodPair kernel = KernelPath.build(namespaces, workDirectory, mtuBytes);
        step("raw TAP ceiling: two TAPs joined by a forwarder, no pipeline");
        try (RawTapPath raw = RawTapPath.build(namespaces, mtuBytes);
             UdpBlaster ceilingSender = UdpBlaster.open(raw.pods().clientNs(), Addresses.parseMac(RawTapPath.SENDER_MAC),
                     Addresses.parseMac(RawTapPath.GATEWAY_MAC), raw.pods().clientIp(), raw.pods().serverIp(), BenchServices.UDP_PORT)) {
            step("gingham: the daemon in this JVM, 1 worker, idle " + plan.idle().kind().spelling());
            try (GinghamPath gingham = GinghamPath.start(namespaces, ginghamFiles, new DaemonLog(progress, false));
                 UdpBlaster ginghamSender = UdpBlaster.open(gingham.pods().clientNs(), GinghamPath.clientMac(), gingham.gatewayMac(),
                         gingham.pods().clientIp(), BenchServices.UDP_VIP, BenchServices.UDP_PORT)) {
                if (!plan.tso()) {
                    disableTso(kernel.clientNs());
                    disableTso(gingham.pods().clientNs());
                }
                WorkerAgent worker = gingham.daemon().workers().getFirst();
                NodeBenchResult.Throughput tcp = throughput(kernel, gingham.pods(), worker);
                NodeBenchResult.PacketRate udp = packetRate(raw, ceilingSender, gingham.pods(), ginghamSender, worker);
                NodeBenchResult.Latency latency = new NodeBenchResult.Latency(
                        NodeBenchResult.RoundTrip.of(ping(gingham.pods()), ping(kernel)),
                        NodeBenchResult.RoundTrip.of(roundTrips(gingham.pods()), roundTrips(kernel)));
                NodeBenchResult.Gc gc = steadyRun(gingham, ginghamSender);
                return new SingleNode(tcp, udp, latency, gc);
            }
        }
    }

    /** iperf3 TCP in alternating rounds, kernel then Gingham; the median of each path's rounds. */
    private NodeBenchResult.Throughput throughput(PodPair kernel, PodPair gingham, WorkerAgent worker) {
        double[] kernelGbps = new double[plan.rounds()];
        double[] ginghamGbps = new double[plan.rounds()];
        long kernelRetransmits = 0;
        long ginghamRetransmits = 0;
        long busyNs = 0;
        long wallNs = 0;
        for (int r = 0; r < plan.rounds(); r++) {
            Iperf3.Result k = tcp(kernel);
            kernelGbps[r] = k.receivedGbps();
            kernelRetransmits += k.retransmits();
            long busy0 = worker.busyNs();
            long t0 = System.nanoTime();
            Iperf3.Result g = r == plan.rounds() - 1 ? profiled("iperf3 TCP", () -> tcp(gingham)) : tcp(gingham);
            busyNs += worker.busyNs() - busy0;
            wallNs += System.nanoTime() - t0;
            ginghamGbps[r] = g.receivedGbps();
            ginghamRetransmits += g.retransmits();
        }
        double kernelMedian = median(kernelGbps);
        double ginghamMedian = median(ginghamGbps);
        double ratio = ratio(ginghamMedian, kernelMedian);
        return new NodeBenchResult.Throughput(NodeBenchResult.round3(ginghamMedian), NodeBenchResult.round3(kernelMedian), ratio,
                TCP_TARGET, ratio >= TCP_TARGET, rounded(ginghamGbps), rounded(kernelGbps), ginghamRetransmits, kernelRetransmits,
                NodeBenchResult.round3(Math.min(1.0, busyNs / (double) wallNs)));
    }

    /** 64-byte UDP in alternating rounds, the raw TAP ceiling then Gingham; the median of each path's rounds. */
    private NodeBenchResult.PacketRate packetRate(RawTapPath raw, UdpBlaster ceilingSender, PodPair gingham, UdpBlaster ginghamSender,
                                                  WorkerAgent worker) {
        int rounds = plan.udpRounds();
        Thread workerThread = GcProbe.threadsNamed(worker.roleName()).getFirst();
        long[] ceilingPps = new long[rounds];
        long[] ginghamPps = new long[rounds];
        double[] ceilingPerCpu = new double[rounds];
        double[] ginghamPerCpu = new double[rounds];
        double[] ceilingCpu = new double[rounds];
        double[] ginghamCpu = new double[rounds];
        long ceilingOffered = 0;
        long ginghamOffered = 0;
        double busy = 0;
        for (int r = 0; r < rounds; r++) {
            raw.startForwarding(plan.idle());
            UdpRate c;
            try {
                c = udp(ceilingSender, raw.pods(), null, raw::forwarderThread);
            } finally {
                raw.stopForwarding();
            }
            UdpRate g = r == rounds - 1 ? profiled("64-byte UDP", () -> udp(ginghamSender, gingham, worker, () -> workerThread))
                    : udp(ginghamSender, gingham, worker, () -> workerThread);
            ceilingPps[r] = c.receivedPps();
            ginghamPps[r] = g.receivedPps();
            ceilingPerCpu[r] = c.receivedPps() / Math.max(1e-3, c.cpuShare());
            ginghamPerCpu[r] = g.receivedPps() / Math.max(1e-3, g.cpuShare());
            ceilingCpu[r] = c.cpuShare();
            ginghamCpu[r] = g.cpuShare();
            ceilingOffered += c.offeredPps();
            ginghamOffered += g.offeredPps();
            busy += g.workerBusy();
        }
        long ceiling = median(ceilingPps);
        long pps = median(ginghamPps);
        double ratio = ratio(pps, ceiling);
        long ceilingPerCpuMedian = Math.round(median(ceilingPerCpu));
        long ginghamPerCpuMedian = Math.round(median(ginghamPerCpu));
        double cpuRatio = ratio(ginghamPerCpuMedian, ceilingPerCpuMedian);
        return new NodeBenchResult.PacketRate(pps, pps, ceiling, ratio, UDP_TARGET, ratio >= UDP_TARGET, List.of(box(ginghamPps)),
                List.of(box(ceilingPps)), ginghamPerCpuMedian, ceilingPerCpuMedian, cpuRatio, cpuRatio >= UDP_TARGET,
                rounded(ginghamCpu), rounded(ceilingCpu), ginghamOffered / rounds, ceilingOffered / rounds,
                NodeBenchResult.round3(busy / rounds));
    }

    static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    static long median(long[] values) {
        double[] d = new double[values.length];
        for (int i = 0; i < values.length; i++) {
            d[i] = values[i];
        }
        return Math.round(median(d));
    }

    private static List<Double> rounded(double[] values) {
        List<Double> list = new ArrayList<>();
        for (double v : values) {
            list.add(NodeBenchResult.round3(v));
        }
        return list;
    }

    private static Long[] box(long[] values) {
        Long[] boxed = new Long[values.length];
        for (int i = 0; i < values.length; i++) {
            boxed[i] = values[i];
        }
        return boxed;
    }

    /** {@code --no-tso}: the client pod's stack segments TCP itself, so every path carries MSS-sized frames. */
    private void disableTso(String netns) {
        disableTso(netns, this::step);
    }

    /** As {@link #disableTso(String)}, reporting to {@code step}. */
    static void disableTso(String netns, Consumer<String> step) {
        Shell.Result r = Shell.run(Duration.ofSeconds(5), "ip", "netns", "exec", netns, "ethtool", "-K", "eth0", "tso", "off", "gso", "off");
        if (!r.ok()) {
            throw new IllegalStateException("ethtool -K eth0 tso off gso off in " + netns + " failed: " + r.output());
        }
        step.accept("TSO and GSO off on eth0 in " + netns);
    }

    private Iperf3.Result tcp(PodPair pods) {
        Iperf3.Result r = Iperf3.run(pods, BenchServices.IPERF_VIP, BenchServices.IPERF_PORT, plan.throughput(), plan.tcpOmitSeconds());
        step(String.format("%s: iperf3 TCP %.2f Gbit/s (%d retransmits)", pods.path(), r.receivedGbps(), r.retransmits()));
        return r;
    }

    private LatencyStats ping(PodPair pods) {
        LatencyStats r = Ping.run(pods.clientNs(), pods.serverIp(), plan.pingCount());
        step(String.format("%s: ping p50 %.1f us, p99 %.1f us (%d lost)", pods.path(), r.p50Us(), r.p99Us(), r.lost()));
        return r;
    }

    private LatencyStats roundTrips(PodPair pods) {
        LatencyStats r = TcpRoundTrip.run(pods, pods.serverIp(), BenchServices.RR_VIP, BenchServices.RR_PORT, plan.roundTripWarmup(),
                plan.roundTrips());
        step(String.format("%s: TCP request/response p50 %.1f us, p99 %.1f us", pods.path(), r.p50Us(), r.p99Us()));
        return r;
    }

    /**
     * What the UDP window measured: frames the receiving pod got per second, what the sender offered,
     * the worker's busy share, and the CPU share (cores) the forwarding thread used.
     */
    private record UdpRate(long receivedPps, long offeredPps, double workerBusy, double cpuShare) {
    }

    /**
     * Sends for warmup + window on a thread of its own and counts the receiving pod's rx_packets
     * over the window alone.
     */
    private UdpRate udp(UdpBlaster sender, PodPair pods, WorkerAgent worker, Supplier<Thread> forwarding) {
        Duration total = plan.udpWarmup().plus(plan.udpWindow()).plusMillis(200);
        AtomicLong sent = new AtomicLong();
        Thread thread = Thread.ofPlatform().name("bench-udp-sender").start(() -> sent.set(sender.run(total)));
        sleep(plan.udpWarmup());
        long forwardingThreadId = forwarding.get().threadId();
        long rx0 = LinkCounters.rxPackets(pods.serverNs(), "eth0");
        long busy0 = worker == null ? 0 : worker.busyNs();
        long cpu0 = THREADS.getThreadCpuTime(forwardingThreadId);
        long t0 = System.nanoTime();
        sleep(plan.udpWindow());
        long rx1 = LinkCounters.rxPackets(pods.serverNs(), "eth0");
        long busy1 = worker == null ? 0 : worker.busyNs();
        long cpu1 = THREADS.getThreadCpuTime(forwardingThreadId);
        long t1 = System.nanoTime();
        join(thread, total.plusSeconds(5));
        long pps = Math.round((rx1 - rx0) * 1e9 / (t1 - t0));
        long offered = Math.round(sent.get() * 1e9 / total.toNanos());
        double busy = worker == null ? 0 : NodeBenchResult.round3(Math.min(1.0, (busy1 - busy0) / (double) (t1 - t0)));
        double cpuShare = (cpu1 - cpu0) / (double) (t1 - t0);
        step(String.format("%s: 64-byte UDP %,d packets/s received (sender offered %,d/s; forwarding thread on CPU %.0f%%, %,d packets per CPU-second)",
                pods.path(), pps, offered, cpuShare * 100, Math.round(pps / Math.max(1e-3, cpuShare))));
        if (pps == 0) {
            throw new IllegalStateException(pods.path() + ": the receiving pod " + pods.serverNs() + " got no UDP frame in "
                    + plan.udpWindow().toMillis() + " ms (sender " + pods.clientNs() + " sent " + sent.get() + ")");
        }
        return new UdpRate(pps, offered, busy, cpuShare);
    }

    /** How long after iperf3's start the steady run's UDP flood starts, and how long before its end it stops. */
    static final Duration STEADY_UDP_MARGIN = Duration.ofSeconds(2);

    /**
     * The garbage-collection run: iperf3 TCP through the daemon for {@link BenchPlan#steadyRun}
     * and the UDP sender alongside, from {@link #STEADY_UDP_MARGIN} after its start to as long
     * before its end, with the collectors and the workers' allocation read around it.
     */
    private NodeBenchResult.Gc steadyRun(GinghamPath path, UdpBlaster sender) {

        step("gingham: steady run, " + plan.steadyRun().toSeconds() + " s of TCP and UDP traffic, garbage collector watched");
        PortCounters counters = path.daemon().counters();
        int maxPorts = path.daemon().config().maps().endpoints() + 2;
        AtomicReference<RuntimeException> failure = new AtomicReference<>();
        List<Thread> workers = GcProbe.threadsNamed("gingham-worker-");
        long framesBefore = frames(counters, maxPorts);
        long t0 = System.nanoTime();
        GcProbe probe = GcProbe.start(workers);
        Thread tcp = Thread.ofPlatform().name("bench-steady-iperf3").start(() -> {
            try {
                Iperf3.run(path.pods(), BenchServices.IPERF_VIP, BenchServices.IPERF_PORT, plan.steadyRun(), 0);
            } catch (RuntimeException e) {
                failure.set(e);
            }
        });
        // The UDP flood overflows the client pod's TAP queue: it starts once iperf3's connections
        // are up and stops before iperf3 exchanges its results, or a SYN or the final exchange lost
        // again and again outlasts the client's timeout (seen twice on 2026-11-23).
        Duration udpDelay = plan.steadyRun().toSeconds() > 2 * STEADY_UDP_MARGIN.toSeconds() ? STEADY_UDP_MARGIN : Duration.ZERO;
        Duration udpTime = plan.steadyRun().minus(udpDelay.multipliedBy(2));
        Thread udp = Thread.ofPlatform().name("bench-steady-udp").start(() -> {
            sleep(udpDelay);
            sender.run(udpTime);
        });
        List<Long> perSecond = new ArrayList<>();
        long previous = 0;
        for (long s = 0; s < plan.steadyRun().toSeconds(); s++) {
            sleep(Duration.ofSeconds(1));
            long now = probe.watchedAllocatedBytes();
            perSecond.add(now - previous);
            previous = now;
        }
        join(udp, Duration.ofSeconds(10));
        join(tcp, plan.steadyRun().plusSeconds(30));
        double seconds = NodeBenchResult.round1((System.nanoTime() - t0) / 1e9);
        NodeBenchResult.Gc gc = probe.finish(seconds, frames(counters, maxPorts) - framesBefore, "iperf3 TCP + 64-byte UDP", perSecond);
        if (failure.get() != null) {
            throw new IllegalStateException("steady run: " + failure.get().getMessage(), failure.get());
        }
        step(String.format("gingham: steady run %,d frames, %d collections (%d ms), workers allocated %,d bytes", gc.frames(),
                gc.collections(), gc.collectionTimeMs(), gc.workerAllocatedBytes()));
        return gc;
    }

    private static long frames(PortCounters counters, int maxPorts) {
        long sum = 0;
        for (int port = 0; port < maxPorts; port++) {
            sum += counters.sum(port, PortCounters.RX_PACKETS);
        }
        return sum;
    }

    private interface Measurement<T> {
        T run();
    }

    /** Runs a Gingham measurement inside a JFR recording when {@code --profile} asked for one. */
    private <T> T profiled(String phase, Measurement<T> measurement) {
        if (profileDirectory == null) {
            return measurement.run();
        }
        try (WorkerProfile profile = WorkerProfile.start(phase)) {
            T result = measurement.run();
            Path file = profileDirectory.resolve("bench-node-" + phase.replaceAll("[^A-Za-z0-9]+", "-").toLowerCase() + ".jfr");
            NodeBenchResult.Profile p = profile.stop(file, "gingham-worker-");
            profiles.add(p);
            step(String.format("profile of %s: %s (%d worker samples, %.0f%% native)", phase, file, p.workerSamples(), p.nativeShare() * 100));
            return result;
        }
    }

    private void step(String message) {
        progress.println("bench-node: " + message);
    }

    private static double ratio(double gingham, double baseline) {
        return baseline <= 0 ? 0 : NodeBenchResult.round3(gingham / baseline);
    }

    private static void sleep(Duration d) {
        try {
            Thread.sleep(d);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    private static void join(Thread t, Duration limit) {
        try {
            if (!t.join(limit)) {
                throw new IllegalStateException(t.getName() + " did not finish within " + limit.toSeconds() + " s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
