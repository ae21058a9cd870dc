package dev.gingham.jmh.dataplane;

import dev.gingham.jmh.Prefault;
import dev.gingham.conntrack.CtTable;
import dev.gingham.dataplane.program.NodeFixture;
import dev.gingham.encap.TunnelMode;
import dev.gingham.packet.BufferPool;
import dev.gingham.packet.FrameVector;
import dev.gingham.packet.NetworkOrder;
import dev.gingham.packet.PacketBuilder;
import dev.gingham.packet.Verdict;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.TimeUnit;

/**
 * The whole node pipeline per core ({@code NodePipeline.run}, exactly what a worker, replay and
 * the fuzzer run), in nanoseconds per frame (Mpps = 1000 / score). Issue 9 targets: established
 * flows &ge; 12 Mpps per core, new flows &ge; 2 Mpps, 0 B/op.
 *
 * <p>Per invocation, 256 frames in vectors of {@code batch} frames are written into pool buffers from pristine templates
 * (a copy of the frame bytes, as a NIC or TAP read writes them; <b>included</b> in the figure),
 * added to a vector, run through the pipeline, and released; a frame whose verdict is not the
 * expected TX fails the iteration. The node is {@link NodeFixture}'s (two local pods, a ClusterIP
 * service with one backend, a VXLAN peer node). Paths ({@code path}):
 * <ul>
 *   <li>{@code pod-to-pod}: TCP ACKs of 1024 established flows from pod a to pod b (anti-spoofing,
 *       service miss, reverse-NAT conntrack lookup, route, egress and ingress policy with their
 *       conntrack lookups, delivery);</li>
 *   <li>{@code service}: TCP ACKs of 1024 established flows from pod a to the ClusterIP (service
 *       conntrack entry, DNAT, then as above);</li>
 *   <li>{@code to-remote-pod}: established flows to a pod on the peer node (VXLAN encapsulation);</li>
 *   <li>{@code new-nodeport-flow}: every frame a SYN from a client outside the cluster never seen
 *       before (source address and port from a counter) to the NodePort on the underlay: reverse
 *       SNAT and reverse-NAT misses, frontend lookup and backend selection, the service and flow
 *       conntrack entries, DNAT, route, ingress policy, delivery. (New flows come from outside
 *       because anti-spoofing pins a pod to one source address: one pod has only 64k flows to
 *       one service port.) The conntrack table (4M entries, pre-faulted) is emptied before each
 *       iteration, outside the measurement, by moving the node's clock a day on and running its
 *       sweeper, so it never fills; the figure is the average over a table filling from
 *       empty.</li>
 * </ul>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgs = {"-Xmx2g"})
public class PipelineBenchmark {
    private static final int FLOWS = 1024;
    static final int FRAMES_PER_INVOCATION = 256;
    /** Two entries per new flow (service and flow); room for about 2M flows, one iteration at up to 2 Mpps. */
    private static final int NEW_FLOW_CT_ENTRIES = 4 << 20;
    private static final int TCP_SOURCE_PORT_OFFSET = 14 + 20;
    private static final int IPV4_SOURCE_OFFSET = 14 + 12;
    /** Later than every conntrack lifetime (the longest, established TCP, is 6 hours in Cilium's defaults). */
    private static final long STALE_AFTER_NS = 24L * 3600 * 1_000_000_000L;
    /** Sweep calls that empty even a full table many times over (each examines a fixed budget of slots). */
    private static final int MAX_SWEEP_CALLS = 10_000_000;
    /** 100.64.0.0: clients outside the cluster (shared address space), counted upwards. */
    private static final int CLIENT_BASE = 0x6440_0000;

    @Param({"pod-to-pod", "service", "to-remote-pod", "new-nodeport-flow"})
    public String path;

    @Param({"1", "32", "256"})
    public int batch;

    private NodeFixture node;
    private FrameVector vector;
    private BufferPool pool;
    private MemorySegment templates;
    private int frameBytes;
    private int expectedVerdict;
    private int ingressPort;
    private long next;
    private long failures;
    private boolean newFlows;

    @Setup(Level.Iteration)
    public void setUp() {
        newFlows = path.equals("new-nodeport-flow");
        if (node != null && !newFlows) {
            return; // established flows stay established for the whole trial
        }
        if (node != null) {
            emptyConntrack();
            return;
        }
        node = newFlows ? new NodeFixture(TunnelMode.VXLAN, NEW_FLOW_CT_ENTRIES, 1024) : new NodeFixture(TunnelMode.VXLAN, 65_536, 65_536);
        if (newFlows) {
            Prefault.pages(node.node.maps().conntrack().mapFor(6, true).segment());
        }
        pool = BufferPool.allocate(FrameVector.MAX_FRAMES, BufferPool.DEFAULT_BUFFER_SIZE);
        vector = new FrameVector(pool);
        ingressPort = NodeFixture.POD_A;
        String destination;
        int destinationPort = 8080;
        switch (path) {
            case "pod-to-pod" -> {
                destination = NodeFixture.B_IP;
                expectedVerdict = Verdict.tx(NodeFixture.POD_B);
            }
            case "service" -> {
                destination = NodeFixture.VIP;
                destinationPort = 80;
                expectedVerdict = Verdict.tx(NodeFixture.POD_B);
            }
            case "new-nodeport-flow" -> {
                destination = NodeFixture.NODE_IP;
                destinationPort = 30080;
                ingressPort = NodeFixture.UNDERLAY;
                expectedVerdict = Verdict.tx(NodeFixture.POD_B);
            }
            case "to-remote-pod" -> {
                destination = NodeFixture.C_IP;
                expectedVerdict = Verdict.tx(NodeFixture.UNDERLAY);
            }
            default -> throw new IllegalArgumentException("path: " + path);
        }
        int flowCount = newFlows ? 1 : FLOWS;
        byte[] first = frame(destination, destinationPort, 0);
        frameBytes = first.length;
        templates = Arena.ofAuto().allocate((long) frameBytes * flowCount, 8);
        for (int f = 0; f < flowCount; f++) {
            byte[] frame = frame(destination, destinationPort, f);
            MemorySegment.copy(frame, 0, templates, ValueLayout.JAVA_BYTE, (long) f * frameBytes, frameBytes);
            if (!newFlows) { // open the flow: SYN through the pipeline, answered
                node.send(ingressPort, PacketBuilder.tcp4(NodeFixture.A_IP, 10_000 + f, destination, destinationPort)
                        .flags(PacketBuilder.SYN).srcMac(NodeFixture.A_MAC).dstMac(NodeFixture.ROUTER_MAC).build());
            }
        }
        next = 0;
        failures = 0;
    }

    /**
     * Starts a new-flow iteration on an empty conntrack table without building a new node: the
     * clock moves past every entry's lifetime (the last iteration's flows never got past SYN) and
     * the node's own sweeper deletes them all. The sweep allocates nothing, so JMH's allocation
     * figure for the iteration is the pipeline's alone (building a node per iteration put its
     * construction into the B/op figure: about 2 B per frame).
     */
    private void emptyConntrack() {
        node.nowNs += STALE_AFTER_NS;
        CtTable table = node.node.maps().conntrack();
        for (int calls = 0; table.tcpCount() + table.nonTcpCount() > 0; calls++) {
            if (calls > MAX_SWEEP_CALLS) {
                throw new IllegalStateException(table.tcpCount() + " conntrack entries survived a sweep an hour later");
            }
            node.node.sweepConntrack(node.nowNs);
        }
        failures = 0;
    }

    private byte[] frame(String destination, int port, int flow) {
        if (newFlows) {
            return PacketBuilder.tcp4("100.64.0.1", 1024, destination, port).flags(PacketBuilder.SYN)
                    .srcMac(NodeFixture.UPLINK_MAC).dstMac(NodeFixture.UNDERLAY_MAC).build();
        }
        return PacketBuilder.tcp4(NodeFixture.A_IP, 10_000 + flow, destination, port).flags(PacketBuilder.ACK).payload(64)
                .srcMac(NodeFixture.A_MAC).dstMac(NodeFixture.ROUTER_MAC).build();
    }

    @TearDown(Level.Iteration)
    public void check() {
        if (failures > 0) {
            throw new IllegalStateException(failures + " frames did not leave as expected (" + path + ")");
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        vector.releaseAll();
        pool.close();
        node.close();
    }

    /**
     * Runs {@value #FRAMES_PER_INVOCATION} frames through the pipeline in vectors of {@code batch}
     * frames; the score is per frame.
     */
    @Benchmark
    @OperationsPerInvocation(FRAMES_PER_INVOCATION)
    public void run(Blackhole hole) {
        FrameVector v = vector;
        MemorySegment s = v.segment();
        long flow = next;
        for (int done = 0; done < FRAMES_PER_INVOCATION; done += batch) {
            for (int i = 0; i < batch; i++, flow++) {
                int buffer = pool.acquire();
                long start = pool.dataStart(buffer);
                if (newFlows) {
                    MemorySegment.copy(templates, 0, s, start, frameBytes);
                    // a client never seen before: source address from the flow counter (100.64.0.0/10 and up),
                    // source port 1024 + low bits (checksums are not verified on the fast path)
                    NetworkOrder.u32(s, start + IPV4_SOURCE_OFFSET, CLIENT_BASE + (int) (flow >>> 10));
                    NetworkOrder.u16(s, start + TCP_SOURCE_PORT_OFFSET, 1024 + (int) (flow & 1023));
                } else {
                    MemorySegment.copy(templates, (flow % FLOWS) * frameBytes, s, start, frameBytes);
                }
                v.add(buffer, ingressPort, frameBytes);
            }
            node.pipeline.run(v, node.nowNs += 1_000);
            for (int i = 0; i < batch; i++) {
                if (v.verdict(i) != expectedVerdict) {
                    failures++;
                }
            }
            hole.consume(v.length(0));
            v.releaseAll();
        }
        next = flow;
    }
}
